import { EXIT_OK, EXIT_USAGE, registerSecrets, runCommand } from '../src/cli/run.js';
import { readEnvironment } from '../src/config/env.js';
import { DATASETS, type Dataset } from '../src/datasets.js';
import { demoSettings, startDemo, DEMO_REQUESTS_PER_SECOND, type RunningDemo } from '../src/demo/run-demo.js';
import { createLogger } from '../src/logging/logger.js';
import { CATALOGUE } from '../src/notion/catalogue/index.js';
import type { SyncProgress } from '../src/supabase/source.js';
import { stopOnSignal } from '../src/cli/signals.js';

const DEFAULT_PORT = 4100;
const DEFAULT_DAYS = 30;
const DEFAULT_ENV_FILE = '.env.demo';
const SYNC_TIMEOUT_MS = 5 * 60_000;
const PIPE_PROGRESS_EVERY_MS = 5_000;
/** Past the worker's shutdown timeout (WORKER_SHUTDOWN_TIMEOUT_MS, 30 s by default) and the closing of the rest. */
const STOP_DEADLINE_MS = 45_000;

const HELP = `Usage: npm run demo -- [options]

Runs all of tokensync on this machine, with no Supabase project and no Notion
account: an embedded Postgres with ${DEFAULT_DAYS} days of made-up LLM usage (four
services, eight models, budget breaches, failed calls), a local Notion sandbox
with a read-only web page, and the worker, until everything is synced. Then it
prints where to look and keeps running until Ctrl-C.

Options:
  --port N          port of the Notion sandbox and its web page (default ${DEFAULT_PORT}; a free one if taken)
  --days N          days of usage to make up (default ${DEFAULT_DAYS}, 1 to 90)
  --env-file PATH   where to write the demo's settings, for
                    \`npm run verify -- --env-file PATH\` (default ${DEFAULT_ENV_FILE})
  --exit            stop once everything is synced (for scripts and CI)
  -h, --help        show this help

Environment:
  REDIS_URL         Redis for the worker's queues (default redis://127.0.0.1:6379); required
  DATABASE_URL      optional: use this server instead of the embedded Postgres; the demo
                    creates (and recreates) a database of its own there, tokensync_demo
  REPORT_TIMEZONE   days and months of budgets and the report (default UTC)
  LOG_LEVEL         the worker's log level (default warn here)

Exit codes: 0 stopped, 1 failed (the message says why), 2 bad usage.
`;

function usage(message: string): number {
  process.stderr.write(`demo: ${message}\nRun with --help for usage.\n`);
  return EXIT_USAGE;
}

const TITLES = Object.fromEntries(CATALOGUE.map((spec) => [spec.dataset, spec.title])) as Record<Dataset, string>;
const count = (n: number) => n.toLocaleString('en-US');

/** A database URL fit to print: its password, if any, masked. */
function shown(databaseUrl: string): string {
  const url = new URL(databaseUrl);
  if (url.password) url.password = '****';
  return url.toString();
}

/** One line, rewritten in place on a terminal. */
function progressLine(progress: SyncProgress[]): string {
  const synced = progress.reduce((s, p) => s + p.synced, 0);
  const rows = progress.reduce((s, p) => s + p.rows, 0);
  return `  syncing: ${count(synced)} of ${count(rows)} rows in Notion`;
}

function printSummary(demo: RunningDemo, days: number, keepsRunning: boolean): void {
  const { summary } = demo;
  const lines = [
    '',
    'Synced. Everything below runs on this machine.',
    '',
    ...DATASETS.map((d) => `  ${TITLES[d].padEnd(30)} ${count(summary.pages[d]).padStart(6)} pages`),
    '',
    `  Usage          ${count(summary.calls)} calls over the last ${days} days, priced by the tracking SDK`,
    `  Alerts         ${count(summary.alerts)} raised (${count(summary.criticalAlerts)} critical)`,
    `  Dashboards     ${demo.sandboxUrl}/`,
    `  Report         ${demo.reportUrl ?? '(not published yet)'}`,
    '',
    `  Postgres       ${demo.database}`,
    `                 ${shown(demo.databaseUrl)}`,
    `  Redis          ${demo.redisUrl} (queue prefix tokensync-demo)`,
    `  Worker         ${demo.healthUrl}`,
    '',
    `The sandbox allows ${DEMO_REQUESTS_PER_SECOND} requests/s so the demo is quick; Notion allows 3 (see docs/limits.md).`,
    ...(keepsRunning
      ? [
          '',
          'The worker keeps running: a new row is in the sandbox within a few seconds. Try:',
          `  psql ${shown(demo.databaseUrl)} -c "insert into token_usage_logs (request_id, service_type, provider, model, prompt_tokens, completion_tokens, total_cost) values ('hello-' || now(), 'workflow', 'openai', 'gpt-4o', 1000, 200, 0.5)"`,
          'and check it as CI would, in another terminal:',
          `  npm run verify -- --env-file ${DEFAULT_ENV_FILE}`,
          '',
          'Press Ctrl-C to stop.',
        ]
      : []),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

await runCommand({
  name: 'demo',
  help: HELP,
  options: {
    port: { type: 'string' },
    days: { type: 'string' },
    'env-file': { type: 'string' },
    exit: { type: 'boolean', default: false },
  },
  async run(values) {
    const port = Number(values.port ?? DEFAULT_PORT);
    if (!Number.isInteger(port) || port < 0 || port > 65535) return usage(`--port must be a port number, got ${values.port}`);
    const days = Number(values.days ?? DEFAULT_DAYS);
    if (!Number.isInteger(days) || days < 1 || days > 90) return usage(`--days must be a whole number from 1 to 90, got ${values.days}`);
    const envFile = values['env-file'] ?? DEFAULT_ENV_FILE;

    const env = readEnvironment();
    const settings = demoSettings(env);
    registerSecrets(settings.secrets);
    // Quiet by default: the demo prints its own progress; warnings and errors still show.
    const logger = createLogger({
      level: env.LOG_LEVEL ? settings.logLevel : 'warn',
      format: 'pretty',
      secrets: settings.secrets,
      name: 'tokensync-demo',
    });
    const tty = process.stdout.isTTY === true;
    let lastProgress = '';
    let lastPrintedAt = 0;
    process.stdout.write('tokensync demo\n');
    const demo = await startDemo({
      env,
      port,
      days,
      envFile,
      logger,
      syncTimeoutMs: SYNC_TIMEOUT_MS,
      onStep: (step) => process.stdout.write(`${tty && lastProgress ? '\n' : ''}· ${step}\n`),
      onProgress: (progress) => {
        const line = progressLine(progress);
        // A terminal line is rewritten in place; a log (CI, a pipe) gets one line every few seconds.
        if (line === lastProgress || (!tty && Date.now() - lastPrintedAt < PIPE_PROGRESS_EVERY_MS)) return;
        lastProgress = line;
        lastPrintedAt = Date.now();
        process.stdout.write(tty ? `\r${line}` : `${line}\n`);
      },
    });
    if (tty) process.stdout.write('\n');
    printSummary(demo, days, !values.exit);
    if (values.exit) {
      await demo.stop();
      return EXIT_OK;
    }
    return new Promise<number>((resolve) => {
      stopOnSignal({
        stop: () => demo.stop().then(() => resolve(EXIT_OK)),
        deadlineMs: STOP_DEADLINE_MS,
        exitCode: EXIT_OK,
        report: (event) => process.stdout.write(event.kind === 'stopping' ? '\nstopping …\n' : 'exiting now\n'),
      });
    });
  },
});
