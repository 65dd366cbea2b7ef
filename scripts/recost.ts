import { EXIT_OK, EXIT_USAGE, registerSecrets, runCommand } from '../src/cli/run.js';
import { loadConfig } from '../src/config/env.js';
import { createLogger } from '../src/logging/logger.js';
import { formatMicros } from '../src/sdk/money.js';
import { createPriceBook } from '../src/sdk/pricing/price-book.js';
import { DEFAULT_RECOST_BATCH_SIZE, recost, type RecostSummary, type RecostTotals } from '../src/sdk/recost.js';
import { followRecost, followUpSummary } from '../src/jobs/recost-follow-up.js';
import { createSupabaseSource, openTransport } from '../src/supabase/source.js';
import { createUsageStore } from '../src/supabase/usage-store.js';

const HELP = `Usage: npm run recost -- --from DATE [options]

Recomputes input_cost, output_cost and total_cost of logged calls after a price
change: each row is priced as of its own created_at, from model_pricing
overrides and the price catalogue (@pydantic/genai-prices), and only rows whose
costs differ are written. Rows whose costs the application gave itself
(metadata.pricing.source = 'given') are left as they are. A call on a model
with no price is counted at a fallback (PRICING_FALLBACK_MODELS, else its
provider's dearest known model) and flagged cost_estimated; once the model has
a price here, recost replaces the estimate and clears the flag. Reads in keyset pages.
Then what the new costs move is brought up to date in the same run: the
rollups of every day whose costs changed, each budget limit's spend, and the
alerts of every period they reach, past ones included (raised late, and sent
to ALERT_WEBHOOK_URL when set); a summary line says what moved. The Notion
pages and the report page follow on the worker's next runs.

Options:
  --from DATE        rows created at or after DATE (YYYY-MM-DD, UTC midnight, or an ISO instant) (required)
  --to DATE          …and before DATE (default: no end)
  --model MODEL      only rows of this model (exact name as logged)
  --dry-run          compute and summarise; write nothing
  --batch-size N     rows per page (default ${DEFAULT_RECOST_BATCH_SIZE}, at most 10000)
  -h, --help         show this help

Environment:
  DATABASE_URL, or SUPABASE_URL and SUPABASE_SERVICE_ROLE_KEY (see .env.example)
  PRICING_FALLBACK_MODELS  what a model still without a price is estimated at
  REPORT_TIMEZONE          the days and months of rollups, budgets and alerts
  ALERT_WEBHOOK_URL        where new alerts are posted

Exit codes: 0 done, 1 the database failed, 2 bad usage or configuration.
`;

/** A date or instant as an ISO instant; a bare date is UTC midnight. */
function instant(value: string): string | undefined {
  const date = new Date(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

function usage(message: string): number {
  process.stderr.write(`recost: ${message}\nRun with --help for usage.\n`);
  return EXIT_USAGE;
}

const usd = (micros: number) => `${micros < 0 ? '-' : ''}$${formatMicros(Math.abs(micros))}`;
const signedUsd = (micros: number) => `${micros > 0 ? '+' : ''}${usd(micros)}`;

function progressLine(t: RecostTotals, dryRun: boolean): string {
  return `  ${t.scanned} rows read, ${t.changed} ${dryRun ? 'would change' : 'changed'}`;
}

function summary(s: RecostSummary, dryRun: boolean): string {
  const lines = [
    dryRun ? 'Dry run: nothing was written.' : 'Done.',
    `  rows read            ${s.scanned}`,
    `  costs ${dryRun ? 'would change' : 'changed     '}   ${s.changed}`,
    `  unchanged            ${s.unchanged}`,
    `  caller-given (kept)  ${s.skippedGiven}`,
    `  unknown price after  ${s.unknownAfter}`,
    `  estimates replaced   ${s.estimatesReplaced}`,
    `  still estimated      ${s.estimatedAfter}`,
    `  total before         ${usd(s.totalBeforeMicros)}`,
    `  total after          ${usd(s.totalAfterMicros)}`,
    `  difference           ${signedUsd(s.totalAfterMicros - s.totalBeforeMicros)}`,
  ];
  const moved = s.byModel.filter((m) => m.changed > 0).slice(0, 20);
  if (moved.length > 0) {
    lines.push('  by model (rows changed / rows, difference):');
    for (const m of moved) lines.push(`    ${m.model}: ${m.changed}/${m.rows}, ${signedUsd(m.afterMicros - m.beforeMicros)}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Progress at most once a second: a million rows should not print a thousand lines. */
const PROGRESS_INTERVAL_MS = 1_000;

await runCommand({
  name: 'recost',
  help: HELP,
  options: {
    from: { type: 'string' },
    to: { type: 'string' },
    model: { type: 'string' },
    'dry-run': { type: 'boolean', default: false },
    'batch-size': { type: 'string' },
  },
  async run(values) {
    if (!values.from) return usage('--from DATE is required');
    const from = instant(values.from);
    if (!from) return usage(`--from ${JSON.stringify(values.from)} is not a date; use YYYY-MM-DD or an ISO instant`);
    const to = values.to === undefined ? undefined : instant(values.to);
    if (values.to !== undefined && !to) return usage(`--to ${JSON.stringify(values.to)} is not a date; use YYYY-MM-DD or an ISO instant`);
    if (to && to <= from) return usage('--to must be after --from');
    const batchSize = values['batch-size'] === undefined ? DEFAULT_RECOST_BATCH_SIZE : Number(values['batch-size']);
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000) {
      return usage(`--batch-size must be a whole number from 1 to 10000, got ${values['batch-size']}`);
    }
    if (values.model !== undefined && values.model.trim() === '') return usage('--model must not be empty');

    const config = loadConfig();
    registerSecrets(config.secrets);
    const transport = openTransport(config);
    const store = createUsageStore(transport);
    const dryRun = values['dry-run'];
    try {
      const logger = createLogger({ level: config.logLevel, format: config.logFormat, secrets: config.secrets, name: 'recost' });
      const overrides = await createPriceBook({ load: store.modelPricing, logger }).current();
      process.stdout.write(
        `Re-costing rows from ${from}${to ? ` to ${to}` : ''}${values.model ? ` of model ${values.model}` : ''} ` +
          `(${overrides.length} model_pricing override${overrides.length === 1 ? '' : 's'})${dryRun ? ', dry run' : ''}\n`,
      );
      let lastProgress = -Infinity;
      const result = await recost({
        store,
        overrides,
        fallbackModels: config.pricing.fallbackModels,
        from,
        to,
        model: values.model,
        dryRun,
        batchSize,
        onProgress(totals) {
          const now = performance.now();
          if (now - lastProgress < PROGRESS_INTERVAL_MS) return;
          lastProgress = now;
          process.stdout.write(`${progressLine(totals, dryRun)}\n`);
        },
      });
      process.stdout.write(summary(result, dryRun));
      if (!dryRun && result.changed > 0) {
        // Triggers marked the hours of every row written; rollups, budget spend and alerts follow now, not on the worker's next runs.
        const followUp = await followRecost(createSupabaseSource(transport, { timezone: config.reportTimezone }), {
          timezone: config.reportTimezone,
          logger,
          webhook: config.reporting.alertWebhookUrl ? { url: config.reporting.alertWebhookUrl } : undefined,
        });
        process.stdout.write(followUpSummary(followUp));
      } else {
        process.stdout.write(dryRun ? 'Moved: nothing (dry run).\n' : 'Moved: nothing (no cost changed).\n');
      }
      return EXIT_OK;
    } finally {
      await transport.close();
    }
  },
});
