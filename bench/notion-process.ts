/**
 * The Notion fake in a process of its own, driven over IPC by the benchmarks:
 * Notion is another machine, so its work must not share the measured process's
 * CPU or memory. Started by remote-notion.ts; not a command of its own.
 */
import { formatExact, parseExactUsd } from '../src/sdk/money.js';
import { startNotionFake, type FaultStatus, type NotionFake, type RateLimitOptions, type RequestStatus } from '@tokensync/notion-sandbox';

/** A fault the fake injects into the next requests (see the sandbox's Faults). */
export type InjectedFault =
  | { kind: 'fail'; status: FaultStatus; count: number; retryAfterSeconds?: number }
  | { kind: 'lose'; count: number }
  | { kind: 'delay'; ms: number; count: number }
  | { kind: 'clear' };

export type NotionRequest =
  | { op: 'stats' }
  | { op: 'timeline' }
  | { op: 'reset' }
  | { op: 'setRateLimit'; limit: RateLimitOptions | false }
  | { op: 'livePages'; dataSourceId: string }
  | { op: 'createdAt'; dataSourceId: string; property: string; value: string }
  | { op: 'writtenAt'; dataSourceId: string; property: string; value: string }
  | { op: 'sumNumber'; dataSourceId: string; property: string }
  | { op: 'keys'; dataSourceId: string; property: string }
  | { op: 'fault'; fault: InjectedFault };

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
  status: RequestStatus;
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
    case 'keys':
      return liveKeys(fake, request.dataSourceId, request.property);
    case 'fault':
      inject(fake, request.fault);
      return null;
  }
}

/**
 * The sum of a number property over a data source's live pages, as a chart's
 * `sum` would show it; returned as a string of micro-dollars so no float rounding
 * stands between it and SQL.
 */
/** The exact sum (decimal text) of a number property over the live pages, each number read as the decimal it prints as. */
function sumNumber(notion: NotionFake, dataSourceId: string, property: string): string {
  let sum = 0n;
  for (const page of notion.state.pages(dataSourceId)) {
    const value = (page.properties as Record<string, { number?: number | null }>)[property]?.number;
    if (typeof value === 'number') sum += parseExactUsd(String(value))!;
  }
  return formatExact(sum);
}

/** How many live pages show each value of a text property (a row's key): more than one is a duplicate. */
function liveKeys(notion: NotionFake, dataSourceId: string, property: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const page of notion.state.pages(dataSourceId)) {
    const value = (page.properties as Record<string, { rich_text?: { plain_text: string }[]; title?: { plain_text: string }[] }>)[property];
    const key = (value?.rich_text ?? value?.title ?? []).map((t) => t.plain_text).join('');
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

function inject(notion: NotionFake, fault: InjectedFault): void {
  switch (fault.kind) {
    case 'fail':
      return notion.faults.fail(fault.status, fault.count, {}, fault.retryAfterSeconds);
    case 'lose':
      return notion.faults.loseResponses(fault.count);
    case 'delay':
      return notion.faults.delay(fault.ms, { count: fault.count });
    case 'clear':
      return notion.faults.clear();
  }
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
