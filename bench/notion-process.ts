/**
 * The Notion fake in a process of its own, driven over IPC by the benchmarks:
 * Notion is another machine, so its work must not share the measured process's
 * CPU or memory. Started by remote-notion.ts; not a command of its own.
 */
import { startNotionFake, type NotionFake, type RateLimitOptions } from '@tokensync/notion-sandbox';

export type NotionRequest =
  | { op: 'stats' }
  | { op: 'timeline' }
  | { op: 'reset' }
  | { op: 'setRateLimit'; limit: RateLimitOptions | false }
  | { op: 'livePages'; dataSourceId: string }
  | { op: 'createdAt'; dataSourceId: string; property: string; value: string }
  | { op: 'writtenAt'; dataSourceId: string; property: string; value: string }
  | { op: 'sumNumber'; dataSourceId: string; property: string };

export interface StartMessage {
  op: 'start';
  rateLimit: RateLimitOptions | false;
  parentPageId: string;
}

/** One request as the fake answered it; `at` in ms on this process's clock (Date.now). */
export interface TimedRequest {
  at: number;
  method: string;
  route: string;
  status: number | 'lost';
}

let fake: NotionFake | undefined;
const timeline: TimedRequest[] = [];

async function start(message: StartMessage) {
  fake = await startNotionFake({
    rateLimit: message.rateLimit,
    pages: [{ id: message.parentPageId, title: 'Benchmarks' }],
    // Freshness is measured from a page's created_time: keep milliseconds.
    timestampPrecision: 'millisecond',
    onRequest: (method, route, status) => timeline.push({ at: Date.now(), method, route, status }),
  });
  return { url: fake.url, token: fake.token };
}

function answer(request: NotionRequest): unknown {
  if (!fake) throw new Error('the fake is not started');
  switch (request.op) {
    case 'stats':
      return fake.stats();
    case 'timeline':
      return timeline;
    case 'reset':
      fake.resetStats();
      timeline.length = 0;
      return null;
    case 'setRateLimit':
      fake.setRateLimit(request.limit);
      return null;
    case 'livePages':
      return fake.state.pageCount(request.dataSourceId);
    case 'createdAt': {
      const [id] = fake.state.findPages(request.dataSourceId, request.property, request.value);
      const page = id ? fake.state.page(id) : undefined;
      return page ? Date.parse(String(page.created_time)) : null;
    }
    case 'writtenAt': {
      const [id] = fake.state.findPages(request.dataSourceId, request.property, request.value);
      const page = id ? fake.state.page(id) : undefined;
      return page ? Date.parse(String(page.last_edited_time)) : null;
    }
    case 'sumNumber':
      return sumNumber(fake, request.dataSourceId, request.property);
  }
}

/**
 * The sum of a number property over a data source's live pages, as a chart's
 * `sum` would show it; returned as a string of micro-dollars so no float rounding
 * stands between it and SQL.
 */
function sumNumber(notion: NotionFake, dataSourceId: string, property: string): string {
  let micros = 0n;
  for (const page of notion.state.pages(dataSourceId)) {
    const value = (page.properties as Record<string, { number?: number | null }>)[property]?.number;
    if (typeof value === 'number') micros += BigInt(Math.round(value * 1_000_000));
  }
  return micros.toString();
}

process.on('message', (message: { id: number; body: StartMessage | NotionRequest }) => {
  const reply = (result: unknown, error?: unknown) =>
    process.send!({ id: message.id, result, error: error === undefined ? undefined : String(error) });
  if (message.body.op === 'start') {
    start(message.body).then((r) => reply(r), (e: unknown) => reply(null, e));
    return;
  }
  try {
    reply(answer(message.body));
  } catch (error) {
    reply(null, error);
  }
});
process.on('disconnect', () => {
  void fake?.close().finally(() => process.exit(0));
});
