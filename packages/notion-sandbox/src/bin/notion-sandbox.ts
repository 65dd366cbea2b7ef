#!/usr/bin/env node
/**
 * `notion-sandbox`: the fake on a port, for trying an integration by hand or from
 * another language. Everything is in memory and gone when it stops.
 */
import { parseArgs } from 'node:util';
import { startNotionFake, type NotionFakeOptions } from '../index.js';

const HELP = `Usage: notion-sandbox [options]

Serves a local, in-memory fake of the Notion API (version 2025-09-03) and a web
page that draws its databases and views. Point @notionhq/client at it with
baseUrl and the printed token. Stop it with Ctrl+C; nothing is kept.

Options:
  --port N              port to listen on (default 3010; 0 = any free port)
  --host ADDR           address to listen on (default 127.0.0.1)
  --token TOKEN         bearer token it accepts (default secret_fake_notion_token)
  --page ID=TITLE       a top-level page shared with the integration, e.g. the
                        parent page of your databases; repeatable
                        (default: one page "Sandbox" with a fixed id)
  --rate-limit N        requests per second per token (default 3, as Notion;
                        0 turns the limit off)
  --block-limit N       enforce a Free workspace's lifetime block limit of N
                        blocks (default: off, as in a paid workspace)
  -h, --help            show this help
`;

/** The page seeded when none is given, so a client has a parent for its first database. */
const DEFAULT_PAGE = { id: '5a9d0c1e-7b3f-4e2a-9c4d-1f2e3a4b5c6d', title: 'Sandbox' };

class UsageError extends Error {}

function integer(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0) throw new UsageError(`--${name} must be a whole number ≥ 0, not "${value}"`);
  return parsed;
}

function pageOf(spec: string): { id: string; title: string } {
  const at = spec.indexOf('=');
  if (at <= 0) throw new UsageError(`--page takes ID=TITLE, e.g. --page ${DEFAULT_PAGE.id}=Reports; got "${spec}"`);
  return { id: spec.slice(0, at), title: spec.slice(at + 1) };
}

function optionsFromArgs(args: readonly string[]): NotionFakeOptions | 'help' {
  const { values } = parseArgs({
    args: [...args],
    strict: true,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      token: { type: 'string' },
      page: { type: 'string', multiple: true },
      'rate-limit': { type: 'string' },
      'block-limit': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return 'help';
  const requestsPerSecond = integer('rate-limit', values['rate-limit'], 3);
  const lifetime = values['block-limit'] === undefined ? undefined : integer('block-limit', values['block-limit'], 0);
  return {
    host: values.host ?? '127.0.0.1',
    port: integer('port', values.port, 3010),
    tokens: [values.token ?? 'secret_fake_notion_token'],
    pages: (values.page ?? []).map(pageOf).concat(values.page ? [] : [DEFAULT_PAGE]),
    rateLimit: requestsPerSecond === 0 ? false : { requestsPerSecond, burst: Math.max(10, requestsPerSecond) },
    blockLimit: lifetime === undefined ? false : { lifetime },
  };
}

async function main(): Promise<void> {
  let options: NotionFakeOptions | 'help';
  try {
    options = optionsFromArgs(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`notion-sandbox: ${(error as Error).message}\nRun notion-sandbox --help for the options.\n`);
    process.exit(2);
  }
  if (options === 'help') {
    process.stdout.write(HELP);
    return;
  }
  const fake = await startNotionFake(options).catch((error: NodeJS.ErrnoException) => {
    const fix = error.code === 'EADDRINUSE' ? ` (port ${options.port} is taken: pass --port 0 for any free one)` : '';
    process.stderr.write(`notion-sandbox: cannot listen: ${error.message}${fix}\n`);
    process.exit(1);
  });
  const pages = (options.pages ?? []).map((page) => `  ${page.id}  ${page.title}`).join('\n');
  process.stdout.write(
    `Notion sandbox listening on ${fake.url}\n` +
      `  web page:  ${fake.url}/\n` +
      `  token:     ${fake.token}\n` +
      `  pages shared with the integration:\n${pages}\n\n` +
      `  new Client({ auth: '${fake.token}', baseUrl: '${fake.url}', notionVersion: '2025-09-03' })\n`,
  );
  const stop = () => {
    process.stdout.write('notion-sandbox: stopping\n');
    void fake.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

await main();
