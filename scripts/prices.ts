import { readFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { join, resolve } from 'node:path';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, registerSecrets, runCommand } from '../src/cli/run.js';
import { loadConfig } from '../src/config/env.js';
import { CATALOGUE_PACKAGE, catalogueAgeDays, catalogueInfo } from '../src/sdk/pricing/catalogue-info.js';
import { diffCatalogues } from '../src/sdk/pricing/catalogue-diff.js';
import { checkPriceFile } from '../src/sdk/pricing/price-file.js';
import { openTransport } from '../src/supabase/source.js';
import { createPriceStore } from '../src/supabase/price-store.js';

const DAY_MS = 86_400_000;
const DEFAULT_SEEN_DAYS = 90;

function catalogueLine(now: Date): string {
  const info = catalogueInfo();
  const age = catalogueAgeDays(info, now);
  return info.publishedOn
    ? `${CATALOGUE_PACKAGE} ${info.version}, published ${info.publishedOn} (${age} days ago)`
    : `${CATALOGUE_PACKAGE} ${info.version} (its date is not recorded in src/sdk/pricing/catalogue-info.ts)`;
}

const HELP = `Usage: npm run prices -- [--diff --against DIR [--days N]] [--apply FILE --effective-from DATE [--dry-run]]

The price catalogue bundled with tokensync: ${catalogueLine(new Date())}.
Without options, prints that line. PRICING_CATALOGUE_MAX_AGE_DAYS sets the age
from which npm run verify warns. Prices the catalogue lacks or gets wrong are
in src/sdk/pricing/published.ts; negotiated or newer prices go in model_pricing.

  --diff            what a newer catalogue would change, rate by rate, for the
                    models the logs have seen in the last --days days; both
                    sides as billed at this instant (published.ts applied),
                    package changes a correction overrides listed apart
  --against DIR     the newer package, installed apart, e.g.
                    npm install --no-save --prefix /tmp/newer ${CATALOGUE_PACKAGE}@latest
                    then --against /tmp/newer/node_modules/${CATALOGUE_PACKAGE}
  --days N          how far back the logs are read for --diff (default ${DEFAULT_SEEN_DAYS})
  --apply FILE      add model_pricing rows from a JSON file: an array of
                    {provider, model, input_per_mtok, output_per_mtok,
                    cache_read_per_mtok?, cache_write_per_mtok?, reasoning_per_mtok?,
                    long_context?: {above_input_tokens, input_per_mtok, output_per_mtok, …},
                    notes?}, USD per million tokens; the whole file is checked
                    before anything is written; a row already there for the
                    same provider, model and date is left as it is
  --effective-from DATE  when the prices apply (YYYY-MM-DD, UTC midnight, or an
                    ISO instant); required with --apply
  --dry-run         with --apply: check the file and print the rows; write nothing
  -h, --help        show this help

After --apply, npm run recost -- --from DATE re-prices the calls since then.

Environment (--diff, --apply):
  DATABASE_URL, or SUPABASE_URL and SUPABASE_SERVICE_ROLE_KEY (see .env.example)

Exit codes: 0 done, 1 the database or the --against package failed, 2 bad usage or configuration.
`;

function usage(message: string): number {
  process.stderr.write(`prices: ${message}\nRun with --help for usage.\n`);
  return EXIT_USAGE;
}

/** A date or instant as an ISO instant; a bare date is UTC midnight. */
function instant(value: string): string | undefined {
  const date = new Date(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

/** The newer package's calcPrice, imported from its directory (its data is read only as numbers). */
async function newerCatalogue(dir: string) {
  const manifest = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as { name?: unknown; version?: unknown; module?: unknown; main?: unknown };
  if (manifest.name !== CATALOGUE_PACKAGE) throw new Error(`${dir} is not ${CATALOGUE_PACKAGE} (its package.json names ${String(manifest.name)})`);
  const entry = typeof manifest.module === 'string' ? manifest.module : 'dist/index.js';
  const module = (await import(pathToFileURL(resolve(dir, entry)).href)) as { calcPrice?: unknown };
  if (typeof module.calcPrice !== 'function') throw new Error(`${dir} has no calcPrice export`);
  return { version: String(manifest.version), calcPrice: module.calcPrice as typeof import('@pydantic/genai-prices').calcPrice };
}

async function diff(against: string, days: number): Promise<number> {
  let newer;
  try {
    newer = await newerCatalogue(against);
  } catch (error) {
    process.stderr.write(`prices: cannot read the newer catalogue: ${(error as Error).message}\n`);
    return EXIT_FAILURE;
  }
  const config = loadConfig();
  registerSecrets(config.secrets);
  const transport = openTransport(config);
  try {
    const now = new Date();
    const seen = await createPriceStore(transport).modelsSeen(new Date(now.getTime() - days * DAY_MS).toISOString());
    process.stdout.write(`${catalogueInfo().version} → ${newer.version}, for the ${seen.length} models seen in the last ${days} days:\n`);
    const changes = diffCatalogues(newer.calcPrice, seen, now);
    let changed = 0;
    for (const [i, change] of changes.entries()) {
      if (change.changes.length === 0) continue;
      changed++;
      process.stdout.write(`  ${change.provider}/${change.model} (${seen[i]!.calls} calls): ${change.changes.join('; ')}\n`);
    }
    process.stdout.write(changed === 0 ? '  no price changes\n' : `${changed} of ${seen.length} models would change; rates are USD per million tokens\n`);
    const corrected = changes.filter((c) => c.underCorrection.length > 0);
    if (corrected.length > 0) {
      process.stdout.write('Package changes a published correction overrides (billing unchanged; retire the correction once they agree):\n');
      for (const c of corrected) process.stdout.write(`  ${c.provider}/${c.model}: ${c.underCorrection.join('; ')}\n`);
    }
    return EXIT_OK;
  } finally {
    await transport.close();
  }
}

async function apply(file: string, effectiveFrom: string, dryRun: boolean): Promise<number> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    return usage(`cannot read ${file} as JSON: ${(error as Error).message}`);
  }
  const checked = checkPriceFile(json, effectiveFrom);
  if (!checked.ok) return usage(`${file}: ${checked.reason}`);
  for (const row of checked.rows) {
    process.stdout.write(`  ${row.provider}/${row.model} from ${row.effective_from}: input ${row.input_per_mtok}, output ${row.output_per_mtok}\n`);
  }
  if (dryRun) {
    process.stdout.write(`Dry run: ${checked.rows.length} rows checked, nothing written.\n`);
    return EXIT_OK;
  }
  const config = loadConfig();
  registerSecrets(config.secrets);
  const transport = openTransport(config);
  try {
    const result = await createPriceStore(transport).applyModelPricing(checked.rows);
    process.stdout.write(`${result.inserted} rows added to model_pricing, ${result.existing} already there (left as they were).\n`);
    return EXIT_OK;
  } finally {
    await transport.close();
  }
}

await runCommand({
  name: 'prices',
  help: HELP,
  options: {
    diff: { type: 'boolean', default: false },
    against: { type: 'string' },
    days: { type: 'string' },
    apply: { type: 'string' },
    'effective-from': { type: 'string' },
    'dry-run': { type: 'boolean', default: false },
  },
  async run(values) {
    if (values.diff && values.apply !== undefined) return usage('--diff and --apply are separate runs');
    if (values.diff) {
      if (!values.against) return usage('--diff needs --against DIR, the newer package installed apart');
      const days = values.days === undefined ? DEFAULT_SEEN_DAYS : Number(values.days);
      if (!Number.isInteger(days) || days < 1 || days > 3650) return usage(`--days must be a whole number from 1 to 3650, got ${values.days}`);
      return diff(values.against, days);
    }
    if (values.apply !== undefined) {
      if (!values['effective-from']) return usage('--apply needs --effective-from DATE');
      const from = instant(values['effective-from']);
      if (!from) return usage(`--effective-from ${JSON.stringify(values['effective-from'])} is not a date; use YYYY-MM-DD or an ISO instant`);
      return apply(values.apply, from, values['dry-run']);
    }
    if (values.against || values.days || values['effective-from'] || values['dry-run']) return usage('--against and --days go with --diff; --effective-from and --dry-run with --apply');
    process.stdout.write(`${catalogueLine(new Date())}\n`);
    return EXIT_OK;
  },
});
