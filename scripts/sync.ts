import { DATASETS, type Dataset } from '../src/datasets.js';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, registerSecrets, runCommand } from '../src/cli/run.js';
import { preflight } from '../src/cli/preflight.js';
import { loadConfig } from '../src/config/env.js';
import { createLogger } from '../src/logging/logger.js';
import { openLimiter } from '../src/cli/limiter.js';
import { openSyncEngine } from '../src/sync/open.js';
import { syncOnce, type DatasetTotals } from '../src/sync/run-once.js';
import { failedWarnings, formatSeconds, laneBacklogs, laneWarnings, readBacklog, type BacklogReport, type LaneBacklog } from '../src/sync/backlog.js';
import { openSupabaseSource } from '../src/supabase/source.js';
import { signalExitCode, stopOnSignal } from '../src/cli/signals.js';

const HELP = `Usage: npm run sync -- --once [options]
       npm run sync -- --status

Runs one sync pass in the foreground: rows changed since the last pass are
written to their Notion databases (unchanged rows cost no request), pages of
deleted rows and of logs older than TOKEN_LOG_WINDOW_DAYS are moved to trash.
Progress goes to stderr, a summary to stdout. For continuous sync run
\`npm run worker\`.

Options:
  --once              run one pass and exit (required; the worker runs on a schedule)
  --status            say what is still to be written, per dataset and per lane: changes
                      not yet in Notion (deleted rows whose page is live included; raw logs
                      before TOKEN_LOG_WINDOW_DAYS left out), rows that failed for good,
                      and the age of the oldest change waiting; lanes past their
                      LANE_MAX_LAG_*_MS limit are named. Exact, read from the database only
                      (raw logs a pass covered and left out over the logs lane's share count
                      as done: they are counted, not waiting)
  --dataset NAME      only this dataset (repeatable): ${DATASETS.join(', ')}
  --backfill          forget what was synced and rewrite every row (first full load, or after a schema change)
  -h, --help          show this help

Environment:
  DATABASE_URL, or SUPABASE_URL and SUPABASE_SERVICE_ROLE_KEY; NOTION_TOKEN and the
  data source ids recorded by \`npm run setup:notion\`; NOTION_REQUESTS_PER_SECOND
  (see .env.example)

SIGTERM or SIGINT stops the pass: no new write is sent, those in flight finish
and are recorded, then the summary is printed; a second signal exits at once.

Exit codes: 0 every row synced, 1 some row failed (listed), 2 bad usage or
configuration, 130/143 stopped by SIGINT/SIGTERM (the next pass goes on from there).
`;

function usage(message: string): number {
  process.stderr.write(`sync: ${message}\nRun with --help for usage.\n`);
  return EXIT_USAGE;
}

const MAX_LISTED_FAILURES = 20;
/** How long writes in flight may take to finish after a signal before the exit is forced. */
const STOP_DEADLINE_MS = 15_000;

function summary(totals: DatasetTotals[]): string {
  const header = 'dataset                       read  created  updated  unchanged  trashed  failed';
  const lines = totals.map((t) =>
    [t.dataset.padEnd(28), t.read, t.created, t.updated, t.unchanged, t.trashed, t.failed.length]
      .map((v, i) => (i === 0 ? v : String(v).padStart(i === 4 ? 11 : i === 1 ? 6 : 9)))
      .join(''),
  );
  const failures = totals.flatMap((t) => t.failed.map((f) => `  ${t.dataset} ${f.key ?? '(no key)'}: ${f.reason}`));
  const listed = failures.slice(0, MAX_LISTED_FAILURES);
  if (failures.length > listed.length) listed.push(`  … and ${failures.length - listed.length} more`);
  // Calls over the logs lane's share are left out on purpose, never silently.
  const leftOut = totals
    .filter((t) => t.leftOut > 0)
    .map((t) => `${t.dataset}: ${t.leftOut} changed call(s) left out of Token Usage Logs (over TOKEN_LOG_REQUEST_SHARE; failed and costliest mirrored first)`);
  return [header, ...lines, ...leftOut, ...(listed.length ? ['Failed rows:', ...listed] : [])].join('\n') + '\n';
}

const column = (values: (string | number)[], widths: number[]) =>
  values.map((v, i) => (i === 0 ? String(v).padEnd(widths[0]!) : String(v).padStart(widths[i]!))).join('');

function datasetTable(report: BacklogReport): string[] {
  const widths = [28, 9, 10, 8, 18];
  return [
    column(['dataset', 'lane', 'to write', 'failed', 'oldest waiting'], widths),
    ...report.datasets.map((d) =>
      column([d.dataset, d.lane, d.pending, d.failed, formatSeconds(d.oldestPendingSeconds)], widths),
    ),
  ];
}

function laneTable(lanes: LaneBacklog[]): string[] {
  const widths = [10, 10, 8, 18, 10, 8];
  return [
    column(['lane', 'to write', 'failed', 'oldest waiting', 'limit', 'state'], widths),
    ...lanes.map((l) =>
      column([l.lane, l.pending, l.failed, formatSeconds(l.oldestPendingSeconds), formatSeconds(l.limitSeconds), l.behind ? 'BEHIND' : 'ok'], widths),
    ),
  ];
}

async function printStatus(): Promise<number> {
  const config = loadConfig();
  registerSecrets(config.secrets);
  const source = openSupabaseSource(config, { allowExitOnIdle: true });
  try {
    // No limit: exact whatever the size; the work grows with the backlog, not with history.
    const report = await readBacklog(source, { tokenLogWindowDays: config.sync.tokenLogWindowDays });
    const lanes = laneBacklogs(report, config.sync.laneMaxLagMs);
    const warnings = [...laneWarnings(lanes), ...failedWarnings(lanes)];
    const lines = [...datasetTable(report), '', ...laneTable(lanes), ...(warnings.length > 0 ? ['', ...warnings.map((w) => `warning: ${w}`)] : [])];
    process.stdout.write(`${lines.join('\n')}\n`);
    return EXIT_OK;
  } finally {
    await source.close();
  }
}

await runCommand({
  name: 'sync',
  help: HELP,
  options: {
    once: { type: 'boolean', default: false },
    dataset: { type: 'string', multiple: true },
    backfill: { type: 'boolean', default: false },
    status: { type: 'boolean', default: false },
  },
  async run(values) {
    if (values.status) return printStatus();
    if (!values.once) return usage('--once is required (for continuous sync run npm run worker)');
    const unknown = (values.dataset ?? []).filter((d) => !(DATASETS as readonly string[]).includes(d));
    if (unknown.length > 0) return usage(`unknown dataset ${unknown.join(', ')}; expected one of ${DATASETS.join(', ')}`);
    const datasets = (values.dataset?.length ? values.dataset : DATASETS) as Dataset[];

    const config = loadConfig();
    registerSecrets(config.secrets);
    const logger = createLogger({ level: config.logLevel === 'info' ? 'warn' : config.logLevel, format: config.logFormat, secrets: config.secrets, destination: process.stderr });
    const stopping = new AbortController();
    const signals = stopOnSignal({
      stop: () => stopping.abort(),
      deadlineMs: STOP_DEADLINE_MS,
      exitCode: EXIT_FAILURE,
      report: (event) =>
        process.stderr.write(
          event.kind === 'stopping'
            ? `  ${event.signal}: stopping after the writes in flight (a second signal exits at once)\n`
            : event.kind === 'forced'
              ? `  ${event.signal} again: exiting now\n`
              : `  not stopped within ${event.deadlineMs / 1000} s: exiting now\n`,
        ),
    });
    const limit = await openLimiter(config);
    // Closed whatever happens next: an open Redis connection would keep the process alive after a refusal.
    try {
      const { engine, close } = openSyncEngine(config, {
        limiter: limit.limiter,
        logger,
        engine: {
          signal: stopping.signal,
          onProgress: (s) => process.stderr.write(`  ${s.dataset}: ${s.read} read, ${s.created} created, ${s.updated} updated, ${s.unchanged} unchanged\n`),
        },
      });
      try {
        await preflight(config);
        const totals = await syncOnce({
          engine,
          datasets,
          backfill: values.backfill,
          signal: stopping.signal,
          onAttempt: (pass, attempt) => {
            if (!pass.complete && !stopping.signal.aborted) process.stderr.write(`  ${pass.dataset}: attempt ${attempt} stopped by a transient failure; retrying\n`);
          },
        });
        process.stdout.write(summary(totals));
        if (signals.received) return signalExitCode(signals.received);
        return totals.some((t) => t.failed.length > 0) ? EXIT_FAILURE : EXIT_OK;
      } finally {
        await close();
      }
    } finally {
      limit.close();
    }
  },
});
