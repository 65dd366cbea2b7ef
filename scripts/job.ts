import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, registerSecrets, runCommand } from '../src/cli/run.js';
import { limitedNotionClient, openLimiter, type CommandLimiter } from '../src/cli/limiter.js';
import { loadConfig } from '../src/config/env.js';
import { createTaskRunner, NEEDS_NOTION, SCHEDULED_TASKS, whyTaskCannotRun, type ScheduledTask, type TaskMemory } from '../src/jobs/tasks.js';
import { createLogger } from '../src/logging/logger.js';
import { createNotionClient } from '../src/notion/client.js';
import { createSupabaseSource, openTransport } from '../src/supabase/source.js';
import { createCreationGate } from '../src/sync/creation.js';
import { describeResult, problemsOf } from '../src/jobs/describe.js';

/** What each task does, for --help: one line for the list, a paragraph for its own help. */
const TASKS: Readonly<Record<ScheduledTask, { line: string; detail: string; schedule: string }>> = {
  rollups: {
    line: 'bring the day rollups up to date with the usage logs that changed',
    detail: `Recomputes the rollups (service performance, workflow analytics, daily costs) of
every local day whose usage logs changed since the last run, then merges the
spend buckets. A first run over long history does a bounded part and says that
more is pending; run it again, or let the worker go on.`,
    schedule: 'every ROLLUP_INTERVAL_MS (default 5 minutes)',
  },
  budgets: {
    line: 'refresh what each budget has spent and raise the alerts that are due',
    detail: `Refreshes the spend of every active budget limit and raises the cost alerts that
are due (each threshold once per period); new alerts go to ALERT_WEBHOOK_URL
when set, and this command waits for their delivery. Notion gets them on the
worker's next pass (at once when it listens for changes) or with
\`npm run sync -- --once\`.`,
    schedule: 'every BUDGET_INTERVAL_MS (default 5 minutes), and when spend changes',
  },
  report: {
    line: 'publish the stakeholder report page under NOTION_PARENT_PAGE_ID',
    detail: `Writes the report page under NOTION_PARENT_PAGE_ID from the current figures, in
place, only when its content changed (the hash of the last one is kept in
Redis with the worker's); moves the month-to-date views when the month turned.
Needs NOTION_TOKEN and NOTION_PARENT_PAGE_ID.`,
    schedule: 'every REPORT_INTERVAL_MS (default 15 minutes)',
  },
  'notion-edits': {
    line: 'carry alert acknowledgements and budget edits made in Notion back to Supabase',
    detail: `Reads the Cost Alerts and Budget Limits pages edited in Notion since the last poll
and applies the edits stakeholders may make (acknowledging an alert, a budget's
limits and switch) to Supabase; every edit is counted by outcome (applied,
unchanged, superseded by a newer change in Supabase, rejected, gone).
Needs NOTION_TOKEN and the ids recorded by \`npm run setup:notion\`.`,
    schedule: 'every NOTION_EDITS_INTERVAL_MS (default 1 minute), and on a Notion webhook event',
  },
  retention: {
    line: 'purge raw usage logs older than LOG_RETENTION_DAYS',
    detail: `Deletes raw usage logs older than LOG_RETENTION_DAYS (0: keep for ever, nothing
to do) in bounded batches; rollups, budget spend, alerts and the report keep
their figures. Pages of purged calls still in Notion leave it on the next sync.`,
    schedule: 'once a day',
  },
};

const TASK_LIST = SCHEDULED_TASKS.map((t) => `  ${t.padEnd(14)}${TASKS[t].line}`).join('\n');

const COMMON = `Options:
  --json       one JSON document on stdout instead of the summary:
               {"task", "ok", "startedAt", "durationMs", "result"}, and "error"
               when not ok (then without "result" if the task did not finish)
  -h, --help   show this help

Environment:
  DATABASE_URL, or SUPABASE_URL and SUPABASE_SERVICE_ROLE_KEY; REPORT_TIMEZONE;
  for report and notion-edits NOTION_TOKEN (their requests share the workers'
  rate limit through REDIS_URL and QUEUE_PREFIX when Redis answers). See .env.example.

Exit codes: 0 the task ran, 1 it failed (the message says why),
            2 bad usage or configuration (an unknown task, a missing setting).
`;

const HELP = `Usage: npm run job -- <task> [--json]
       npm run job -- <task> --help

Runs one of the worker's scheduled tasks now, in the foreground, with the same
code the worker's schedule runs, and says what it did: after a price change, from
cron, or in CI. Running it while the worker runs is safe; the work is the same.

Tasks:
${TASK_LIST}

Not a task: re-pricing logged calls after a price change is its own command,
\`npm run recost -- --from DATE\`, which brings the rollups up to date itself.

${COMMON}`;

const taskHelp = (task: ScheduledTask) => `Usage: npm run job -- ${task} [--json]

${TASKS[task].detail}

Scheduled by the worker: ${TASKS[task].schedule}.
This command runs it once, now, with the same code.

${COMMON}`;

function usage(message: string): number {
  process.stderr.write(`job: ${message}\nRun with --help for usage.\n`);
  return EXIT_USAGE;
}

const isTask = (name: string | undefined): name is ScheduledTask => SCHEDULED_TASKS.includes(name as ScheduledTask);

/** Redis when it answers (shared with the workers), else this process's memory. */
function memoryOf(limit: CommandLimiter | undefined): TaskMemory {
  if (limit?.redis) return limit.redis;
  const values = new Map<string, string>();
  return { get: async (key) => values.get(key) ?? null, set: async (key, value) => values.set(key, value) };
}

async function runTask(task: ScheduledTask, json: boolean): Promise<number> {
  const config = loadConfig();
  registerSecrets(config.secrets);
  const missing = whyTaskCannotRun(config, task);
  if (missing) return usage(`${task} cannot run: ${missing}`);
  const logger = createLogger({
    level: config.logLevel === 'info' ? 'warn' : config.logLevel,
    format: config.logFormat,
    secrets: config.secrets,
    destination: process.stderr,
    name: 'tokensync-job',
  });
  const transport = openTransport(config);
  const limit = NEEDS_NOTION[task] ? await openLimiter(config) : undefined;
  const startedAt = new Date();
  try {
    const run = createTaskRunner({
      config,
      source: createSupabaseSource(transport, { timezone: config.reportTimezone }),
      notion: limit ? limitedNotionClient(config, limit) : createNotionClient({ token: config.notion.token ?? '', baseUrl: config.notion.baseUrl, timeoutMs: config.notion.timeoutMs }),
      memory: memoryOf(limit),
      logger,
      creation: createCreationGate({ transport, logger, retryMs: config.notion.blockLimitRetryMs }),
      awaitDeliveries: true,
    });
    let result: Record<string, unknown>;
    try {
      result = await run(task);
    } catch (error) {
      if (json) {
        const message = error instanceof Error ? error.message : String(error);
        process.stdout.write(`${JSON.stringify({ task, ok: false, startedAt: startedAt.toISOString(), durationMs: Date.now() - startedAt.getTime(), error: message })}\n`);
      }
      throw error;
    }
    const durationMs = Date.now() - startedAt.getTime();
    const problems = problemsOf(task, result);
    const ok = problems.length === 0;
    process.stdout.write(
      json
        ? `${JSON.stringify({ task, ok, startedAt: startedAt.toISOString(), durationMs, result, ...(ok ? {} : { error: problems.join('; ') }) }, null, 2)}\n`
        : `${describeResult(task, result).join('\n')}\n(${task} took ${(durationMs / 1000).toFixed(1)} s)\n`,
    );
    for (const problem of problems) process.stderr.write(`error: ${problem}\n`);
    return ok ? EXIT_OK : EXIT_FAILURE;
  } finally {
    limit?.close();
    await transport.close();
  }
}

const argv = process.argv.slice(2);
// Every option is a flag: the first word that is not one names the task.
const at = argv.findIndex((arg) => !arg.startsWith('-'));
const task = at === -1 ? undefined : argv[at];

await runCommand(
  {
    name: isTask(task) ? `job ${task}` : 'job',
    help: isTask(task) ? taskHelp(task) : HELP,
    options: { json: { type: 'boolean', default: false } },
    async run(values) {
      if (task === undefined) return usage(`name a task: ${SCHEDULED_TASKS.join(', ')}`);
      if (task === 'recost') return usage('recost is a command of its own: npm run recost -- --from DATE (see npm run recost -- --help)');
      if (!isTask(task)) return usage(`unknown task ${JSON.stringify(task)}; the tasks are ${SCHEDULED_TASKS.join(', ')}`);
      return runTask(task, values.json);
    },
  },
  at === -1 ? argv : [...argv.slice(0, at), ...argv.slice(at + 1)],
);
