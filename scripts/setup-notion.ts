import { EXIT_OK, registerSecrets, runCommand } from '../src/cli/run.js';
import { resolve } from 'node:path';
import { loadConfig, requireNotion } from '../src/config/env.js';
import { limitedNotionClient, openLimiter } from '../src/cli/limiter.js';
import { NotionFootprintError, computeFootprint, describeFootprint, footprintInputOf } from '../src/sync/footprint.js';
import { provisionNotion, type ProvisionEvent } from '../src/notion/provision/provision.js';

const HELP = `Usage: npm run setup:notion -- [options]

Provisions the six tokensync databases (Token Usage Logs, Budget Limits, Cost
Alerts, Service Performance Metrics, Workflow Analytics, Daily Costs) under
NOTION_PARENT_PAGE_ID, with their views and a cost dashboard, and records their
ids in NOTION_ENV_FILE (default .env.local). Every command (worker, sync,
verify, job, recost, demo) reads that file back, after the process environment
and before .env.local and .env, so the ids recorded here are the ids they use.

Safe to run again: databases are found by their recorded ids or their title under
the parent page (never created twice); missing properties, options and views are
restored; properties people added are kept. Every change is reported.

Upgrading: the cost charts and the Cost dashboard now live in Daily Costs, drawn
from exact daily sums. On an installation that has them in Token Usage Logs,
setup creates Daily Costs first, then removes the old charts and dashboard from
Token Usage Logs (its tables stay); --dry-run lists both.

Options:
  --dry-run        print what would change; write nothing
  --env-file FILE  where to record the ids (default NOTION_ENV_FILE, .env.local);
                   other commands read ids from NOTION_ENV_FILE only, so set it to FILE
  -h, --help       show this help

Environment:
  NOTION_TOKEN           the integration's internal secret (required)
  NOTION_PARENT_PAGE_ID  page id or URL, shared with the integration (required)
  NOTION_BASE_URL        default https://api.notion.com
  REDIS_URL, QUEUE_PREFIX, NOTION_REQUESTS_PER_SECOND
                         the workers' shared Notion limit, so that setup beside
                         a busy worker draws no 429s (without Redis: a limit in
                         this process)
  REPORT_TIMEZONE        days of Daily Costs and the month-to-date chart (default UTC)
  NOTION_WORKSPACE_PLAN  free or paid (default paid); on free, setup refuses
                         budgets whose block footprint does not fit 1,000 blocks
`;

const SYMBOL: Record<ProvisionEvent['kind'], string> = { access: '✓', database: '✓', change: '+', note: '·', recorded: '✓' };

function printer() {
  let currentTitle: string | undefined;
  return (event: ProvisionEvent) => {
    if ('title' in event && event.title !== currentTitle) {
      currentTitle = event.title;
      process.stdout.write(`${event.title}\n`);
    }
    const indent = 'title' in event ? '  ' : '';
    const text =
      event.kind === 'recorded'
        ? event.keys.length > 0
          ? `recorded ${event.keys.length} ids in ${event.file}`
          : `ids in ${event.file} are up to date`
        : event.message;
    process.stdout.write(`${indent}${SYMBOL[event.kind]} ${text}\n`);
  };
}

await runCommand({
  name: 'setup:notion',
  help: HELP,
  options: {
    'dry-run': { type: 'boolean', default: false },
    'env-file': { type: 'string' },
  },
  async run(values) {
    const config = loadConfig();
    registerSecrets(config.secrets);
    const { token, parentPageId } = requireNotion(config, 'setup:notion');
    const dryRun = values['dry-run'];
    process.stdout.write(`setup:notion${dryRun ? ' (dry run)' : ''} → ${config.notion.baseUrl}, parent page ${parentPageId}\n`);
    // Blocks are a lifetime budget on a Free workspace: say what this configuration needs before creating any.
    const footprint = computeFootprint(footprintInputOf(config));
    process.stdout.write(`${describeFootprint(footprint).join('\n')}\n`);
    if (!footprint.fits) throw new NotionFootprintError(footprint);

    const envFile = values['env-file'] ?? config.notion.envFile;
    const print = printer();
    // The workers' limit, shared through Redis: run beside a busy worker, neither draws 429s.
    const limit = await openLimiter(config);
    try {
      const result = await provisionNotion({
        client: limitedNotionClient(config, limit, { maxRetries: 5 }),
        parentPageId,
        recorded: config.notion.recorded,
        envFile,
        timezone: config.reportTimezone,
        dryRun,
        onEvent: print,
      });
      const summary =
        result.changes === 0
          ? 'nothing to change: the workspace matches the catalogue'
          : `${result.changes} ${dryRun ? 'changes planned' : 'changes made'}`;
      process.stdout.write(`done: ${summary}\n`);
      if (!dryRun && resolve(envFile) !== resolve(config.notion.envFile)) {
        process.stdout.write(`note: the ids are in ${envFile}, but commands read them from NOTION_ENV_FILE (${config.notion.envFile}): set NOTION_ENV_FILE=${envFile}\n`);
      }
      return EXIT_OK;
    } catch (error) {
      process.stdout.write('stopped before the end; what is listed above was done and recorded. Run npm run setup:notion again to finish.\n');
      throw error;
    } finally {
      limit.close();
    }
  },
});
