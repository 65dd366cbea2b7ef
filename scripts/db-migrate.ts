import { runCommand, registerSecrets, EXIT_OK } from '../src/cli/run.js';
import { loadConfig, requireDatabaseUrl } from '../src/config/env.js';
import { DEFAULT_MIGRATIONS_DIR, DEFAULT_SEED_FILE, migrate, type MigrationEvent } from '../src/supabase/migrator.js';

const HELP = `Usage: npm run db:migrate -- [options]

Applies supabase/migrations/*.sql to DATABASE_URL in file order, each file in
its own transaction. Applied files are recorded in
supabase_migrations.schema_migrations (the Supabase CLI's table), so running it
again, or after \`supabase db push\`, changes nothing (and \`supabase db push\`
after it). On plain Postgres the first migration creates the roles Supabase
provides (anon, authenticated, service_role).

Options:
  --seed        also apply ${DEFAULT_SEED_FILE} (idempotent: existing limits are kept)
  --dry-run     list the files that would be applied; change nothing
  --dir DIR     migrations folder (default ${DEFAULT_MIGRATIONS_DIR})
  -h, --help    show this help

Environment:
  DATABASE_URL  postgres://user:password@host:5432/database (required)
`;

function describe(event: MigrationEvent): string {
  switch (event.kind) {
    case 'applying':
      return `applying ${event.file.fileName} …`;
    case 'applied':
      return `applied  ${event.file.fileName} (${Math.round(event.durationMs)} ms)`;
    case 'seeding':
      return `seeding  ${event.fileName} …`;
    case 'seeded':
      return `seeded   ${event.fileName} (${Math.round(event.durationMs)} ms)`;
  }
}

await runCommand({
  name: 'db:migrate',
  help: HELP,
  options: {
    seed: { type: 'boolean', default: false },
    'dry-run': { type: 'boolean', default: false },
    dir: { type: 'string', default: DEFAULT_MIGRATIONS_DIR },
  },
  async run(values) {
    const config = loadConfig();
    registerSecrets(config.secrets);
    const result = await migrate({
      databaseUrl: requireDatabaseUrl(config, 'db:migrate'),
      migrationsDir: values.dir,
      seedFile: values.seed ? DEFAULT_SEED_FILE : undefined,
      dryRun: values['dry-run'],
      onEvent: (event) => process.stdout.write(`${describe(event)}\n`),
    });
    if (values['dry-run']) {
      const lines = result.pending.length > 0 ? result.pending.map((f) => `  would apply ${f}`) : ['  nothing to apply'];
      process.stdout.write(`${lines.join('\n')}\n${result.alreadyApplied} already applied\n`);
    } else {
      process.stdout.write(
        `${result.applied.length} applied, ${result.alreadyApplied} already applied${result.seeded ? ', seed applied' : ''}\n`,
      );
    }
    return EXIT_OK;
  },
});
