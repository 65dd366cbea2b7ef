import { EXIT_OK, EXIT_USAGE, registerSecrets, runCommand } from '../src/cli/run.js';
import { readEnvironment } from '../src/config/env.js';
import { demoSettings, startDemo, type RunningDemo } from '../src/demo/run-demo.js';
import { summaryLines } from '../src/demo/summary.js';
import { createLogger } from '../src/logging/logger.js';
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

const count = (n: number) => n.toLocaleString('en-US');

/** One line, rewritten in place on a terminal. */
function progressLine(progress: SyncProgress[]): string {
  const synced = progress.reduce((s, p) => s + p.synced, 0);
  const rows = progress.reduce((s, p) => s + p.rows, 0);
  return `  syncing: ${count(synced)} of ${count(rows)} rows in Notion`;
}

function printSummary(demo: RunningDemo, days: number, keepsRunning: boolean, envFile: string): void {
  process.stdout.write(`${summaryLines(demo, { days, keepsRunning, envFile }).join('\n')}\n`);
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
    printSummary(demo, days, !values.exit, envFile);
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
