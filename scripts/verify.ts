import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, registerSecrets, runCommand } from '../src/cli/run.js';
import { loadConfig, readEnvironmentLayers } from '../src/config/env.js';
import { ConfigError } from '../src/errors.js';
import { CHECK_GROUPS, type CheckGroup, type CheckResult } from '../src/verify/check.js';
import { runChecks } from '../src/verify/run-checks.js';

const HELP = `Usage: npm run verify -- [--json] [--only GROUPS] [--env-file PATH]

Read-only checks for CI and operations, one line each (✓ or ✗, with the fix):
  config    every environment variable valid; which file the Notion ids are read
            from (NOTION_ENV_FILE, where setup:notion records them)
  supabase  reachable; every migration applied; functions present; RLS on every table
  redis     reachable; version 6.2+; maxmemory-policy noeviction
  notion    token; parent page shared; each database, property type and view
            against the catalogue
  sync      per lane (alerts, rollups, logs): the oldest change not yet in Notion
            within LANE_MAX_LAG_*_MS, and no row failed for good; otherwise a
            warning (!) with the fix, which does not change the exit code

Options:
  --only GROUPS     comma-separated subset of supabase,redis,notion,sync (config always runs)
  --json            one JSON document instead of lines
  --env-file PATH   settings from this file, over the environment and .env files
                    (e.g. .env.demo, which npm run demo writes)
  -h, --help        show this help

Exit codes: 0 every selected check passed (warnings included), 1 a check failed, 2 bad usage.
`;

const TITLES: Record<CheckGroup, string> = { config: 'Configuration', supabase: 'Supabase', redis: 'Redis', notion: 'Notion', sync: 'Sync lanes' };

function parseGroups(only: string | undefined): CheckGroup[] | undefined {
  if (!only) return [...CHECK_GROUPS];
  const wanted = only.split(',').map((g) => g.trim()).filter(Boolean);
  const unknown = wanted.filter((g) => !CHECK_GROUPS.includes(g as CheckGroup) || g === 'config');
  return unknown.length > 0 ? undefined : (wanted as CheckGroup[]);
}

function printLines(results: CheckResult[]): void {
  let group: CheckGroup | undefined;
  for (const r of results) {
    if (r.group !== group) {
      group = r.group;
      process.stdout.write(`${TITLES[group]}\n`);
    }
    process.stdout.write(`  ${!r.ok ? '✗' : r.warning ? '!' : '✓'} ${r.name}: ${r.detail}\n`);
    if ((!r.ok || r.warning) && r.fix) process.stdout.write(`      fix: ${r.fix}\n`);
  }
  const failed = results.filter((r) => !r.ok).length;
  const warned = results.filter((r) => r.warning).length;
  const warnings = warned === 0 ? '' : `, ${warned} with a warning`;
  process.stdout.write(failed === 0 ? `all ${results.length} checks passed${warnings}\n` : `${failed} of ${results.length} checks failed${warnings}\n`);
}

await runCommand({
  name: 'verify',
  help: HELP,
  options: { json: { type: 'boolean', default: false }, only: { type: 'string' }, 'env-file': { type: 'string' } },
  async run(values) {
    const groups = parseGroups(values.only);
    if (!groups) {
      process.stderr.write(`verify: --only takes a comma-separated subset of supabase,redis,notion,sync, got "${values.only}"\n`);
      return EXIT_USAGE;
    }
    const layers = readEnvironmentLayers(process.cwd(), process.env, values['env-file']);
    const env = layers.values;
    try {
      registerSecrets(loadConfig(env).secrets);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error; // reported as failed checks below
    }
    const results = await runChecks({ groups, env, layers });
    if (values.json) process.stdout.write(`${JSON.stringify({ ok: results.every((r) => r.ok), checks: results }, null, 2)}\n`);
    else printLines(results);
    return results.every((r) => r.ok) ? EXIT_OK : EXIT_FAILURE;
  },
});
