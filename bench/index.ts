/**
 * npm run bench: runs each benchmark against a throwaway database on the
 * DATABASE_URL server and rewrites its section of BENCHMARKS.md.
 * A new benchmark is one file exporting a Benchmark, added to BENCHMARKS below.
 */
import { EXIT_OK, EXIT_USAGE, registerSecrets, runCommand } from '../src/cli/run.js';
import { loadConfig, requireDatabaseUrl } from '../src/config/env.js';
import { assertRedisAnswers } from '../src/worker/redis-tools.js';
import {
  BENCHMARKS_FILE,
  describeRun,
  renderSection,
  refreshSummary,
  renderSummary,
  throwawayDatabase,
  writeAll,
  writeSection,
  type Benchmark,
  type BenchResult,
} from './support.js';
import { apiBenchmark } from './api.js';
import { breachBenchmark } from './breach.js';
import { budgetBenchmark } from './budget.js';
import { DEFAULT_CALLS_PER_DAY, freeWorkspaceBenchmark } from './free-workspace.js';
import { rollupsBenchmark } from './rollups.js';
import { DEFAULT_SOAK_MINUTES, DEFAULT_SOAK_SEED, soakBenchmark } from './soak.js';
import { steadyBenchmark } from './steady.js';
import { syncBenchmark } from './sync.js';
import { throughputBenchmark } from './throughput.js';
import { trackerBenchmark } from './tracker.js';
import { DEFAULT_HISTORY_ROWS, DEFAULT_LOAD_SECONDS, volumeBenchmark } from './volume.js';

const BENCHMARKS: readonly Benchmark[] = [
  steadyBenchmark, throughputBenchmark, syncBenchmark, rollupsBenchmark, trackerBenchmark, budgetBenchmark, apiBenchmark, breachBenchmark, volumeBenchmark, freeWorkspaceBenchmark, soakBenchmark,
];

const HELP = `Usage: npm run bench -- [options]

Runs the benchmarks, each in a throwaway database created (and dropped) on the
server DATABASE_URL points at, and writes their figures to ${BENCHMARKS_FILE}
with the machine, commit and command.

Options:
  --only ID     run one benchmark (${BENCHMARKS.map((b) => b.id).join(', ')}); without it,
                every one but ${BENCHMARKS.filter((b) => b.onRequestOnly).map((b) => b.id).join(', ')}, which runs only when named
  --history N   volume: rows of history generated first (default ${DEFAULT_HISTORY_ROWS.toLocaleString('en-US')});
                api: logs of history (default 1,000,000)
  --seconds N   volume: seconds of 1M-calls/day load (default ${DEFAULT_LOAD_SECONDS})
  --calls-per-day N
                free-workspace: calls in each simulated day (default ${DEFAULT_CALLS_PER_DAY.toLocaleString('en-US')})
  --end YYYY-MM-DD
                free-workspace: the last simulated day (default today)
  --minutes N   soak: minutes of load and faults (default ${DEFAULT_SOAK_MINUTES})
  --seed N      soak: seed of the random load and faults (default ${DEFAULT_SOAK_SEED}); the same seed, the same schedule
  -h, --help    show this help

Environment:
  DATABASE_URL  a server where the role may create databases, e.g. postgres://postgres@127.0.0.1:5432/postgres
  REDIS_URL     Redis for the worker processes (default redis://127.0.0.1:6379); each
                benchmark uses a queue prefix of its own and removes it afterwards

Worker processes and the Notion fake run as child processes (free-workspace
runs the fake and the worker's own functions in this process, on a simulated
clock); the whole run takes about fifteen minutes (most of it at Notion's real 3
requests/s).
`;

await runCommand({
  name: 'bench',
  help: HELP,
  options: {
    only: { type: 'string' },
    history: { type: 'string' },
    seconds: { type: 'string' },
    'calls-per-day': { type: 'string' },
    end: { type: 'string' },
    minutes: { type: 'string' },
    seed: { type: 'string' },
  },
  async run(values) {
    const chosen = values.only ? BENCHMARKS.filter((b) => b.id === values.only) : BENCHMARKS.filter((b) => !b.onRequestOnly);
    if (chosen.length === 0) {
      process.stderr.write(`bench: no benchmark ${JSON.stringify(values.only)}; choose from ${BENCHMARKS.map((b) => b.id).join(', ')}\n`);
      return EXIT_USAGE;
    }
    const config = loadConfig();
    registerSecrets(config.secrets);
    const adminUrl = requireDatabaseUrl(config, 'npm run bench');
    await assertRedisAnswers(config.redisUrl);
    const historyRows = values.history === undefined ? undefined : positiveInteger(values.history);
    const loadSeconds = values.seconds === undefined ? undefined : positiveInteger(values.seconds);
    const callsPerDay = values['calls-per-day'] === undefined ? undefined : positiveInteger(values['calls-per-day']);
    const soakMinutes = values.minutes === undefined ? undefined : positiveInteger(values.minutes);
    const seed = values.seed === undefined ? undefined : positiveInteger(values.seed);
    if (historyRows === null || loadSeconds === null || callsPerDay === null || soakMinutes === null || seed === null) {
      process.stderr.write('bench: --history, --seconds, --calls-per-day, --minutes and --seed take a positive whole number, e.g. --seconds 120\n');
      return EXIT_USAGE;
    }
    if (values.end !== undefined && !isPastOrToday(values.end)) {
      process.stderr.write('bench: --end takes a day that has begun, as YYYY-MM-DD, e.g. --end 2026-10-31\n');
      return EXIT_USAGE;
    }
    const scale = {
      ...(historyRows ? { historyRows } : {}),
      ...(loadSeconds ? { loadSeconds } : {}),
      ...(callsPerDay ? { callsPerDay } : {}),
      ...(values.end ? { end: values.end } : {}),
      ...(soakMinutes ? { soakMinutes } : {}),
      ...(seed ? { seed } : {}),
    };
    const flags = [
      values.only && `--only ${values.only}`,
      values.history && `--history ${values.history}`,
      values.seconds && `--seconds ${values.seconds}`,
      values['calls-per-day'] && `--calls-per-day ${values['calls-per-day']}`,
      values.end && `--end ${values.end}`,
      values.minutes && `--minutes ${values.minutes}`,
      values.seed && `--seed ${values.seed}`,
    ].filter(Boolean);
    const command = `npm run bench${flags.length > 0 ? ` -- ${flags.join(' ')}` : ''}`;
    const done: { benchmark: Benchmark; result: BenchResult; markdown: string }[] = [];
    let about: Awaited<ReturnType<typeof describeRun>> & { command: string } = { machine: '', commit: '', date: '', command };
    for (const benchmark of chosen) {
      process.stdout.write(`${benchmark.id}: running …\n`);
      const database = await throwawayDatabase(adminUrl);
      try {
        about = { ...(await describeRun(database.url)), command };
        const result = await benchmark.run({ databaseUrl: database.url, redisUrl: config.redisUrl, scale });
        const markdown = renderSection(benchmark, result, about);
        done.push({ benchmark, result, markdown });
        if (values.only) {
          await writeSection(benchmark.id, markdown);
          await refreshSummary(benchmark.id, result.figures);
        }
        for (const f of result.figures) {
          const against = f.naive === '—' ? '' : ` (naive ${f.naive}, ${f.ratio})`;
          process.stdout.write(`  ${f.what}: ${f.value}${against}${f.bar ? ` — bar ${f.bar}: ${f.verdict}` : ''}\n`);
        }
      } finally {
        await database.drop();
      }
    }
    if (!values.only) {
      const kept = BENCHMARKS.filter((b) => b.onRequestOnly).map((b) => b.id);
      await writeAll(done.map((d) => ({ id: d.benchmark.id, markdown: d.markdown })), renderSummary(done, about), kept);
    }
    process.stdout.write(`wrote ${BENCHMARKS_FILE}\n`);
    return EXIT_OK;
  },
});

/** A calendar day (YYYY-MM-DD, UTC) that is today or before. */
function isPastOrToday(value: string): boolean {
  const at = Date.parse(`${value}T00:00:00Z`);
  return /^\d{4}-\d{2}-\d{2}$/.test(value) && Number.isFinite(at) && new Date(at).toISOString().startsWith(value) && at <= Date.now();
}

/** The number, or null when it is not a positive whole number. */
function positiveInteger(value: string): number | null {
  const n = Number(value.replaceAll('_', ''));
  return Number.isInteger(n) && n > 0 ? n : null;
}
