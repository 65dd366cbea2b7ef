import { userInfo } from 'node:os';
import { BUDGET_OPTIONS, BudgetUsageError, DEFAULT_AUDIT_ROWS, MAX_AUDIT_ROWS, parseBudgetRequest, type BudgetRequest } from '../src/cli/budget-args.js';
import { describeAudit, describeLimit, describeOverview, describePause, describeZoneChange, describeZones } from '../src/cli/budget-format.js';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, registerSecrets, runCommand } from '../src/cli/run.js';
import { loadConfig } from '../src/config/env.js';
import { DatabaseError } from '../src/errors.js';
import { createBudgetAdmin, ENTITY_TYPES, type BudgetAdmin } from '../src/supabase/budget-admin.js';
import { openTransport } from '../src/supabase/source.js';

const HELP = `Usage: npm run budget -- <subcommand> [arguments] [options]

Administers budget limits and agent pauses through the SQL admin functions, by
either transport. Every change is audited (public.budget_audit) with its actor:
cli:<your OS user>, or --actor.

Subcommands:
  set <entity_type> <entity_id> [options]
                     create a limit, or change only the settings given:
    --daily USD        limit per local day
    --monthly USD      limit per calendar month
    --session USD      limit per session
    --action alert|block   on breach: warn, or deny calls (new limits: alert)
    --grace PCT        a blocking limit admits up to PCT % more, 0..100 (new: 10)
    --fail-mode open|closed  when the budget cannot be asked (new: open)
    --active, --inactive   switch the limit on or off
  reset <entity_type> <entity_id> [--period daily|monthly|both]
                     spend before now stops counting toward the period (default both)
  pause <agent_id> [--until ISO] [--reason TEXT]
                     deny the agent's calls until ISO (default: until unpaused)
  unpause <agent_id> lift the agent's pause
  show [<entity_type> <entity_id>]
                     limits with spend and utilisation (resets honoured), and paused agents
  audit [--entity type:id] [--limit N]
                     the newest audit rows first (default ${DEFAULT_AUDIT_ROWS}, at most ${MAX_AUDIT_ROWS})
  zone set <organization> <IANA zone>
                     the organization's days and months, for its limits, its users'
                     and agents' limits and every figure, in that zone (e.g. Asia/Tokyo);
                     its calls' days are rolled up again
  zone unset <organization>
                     the organization follows REPORT_TIMEZONE again
  zone list          the organizations with a zone of their own

Entity types: ${ENTITY_TYPES.join(', ')}.

Options:
  --actor NAME       who acts, for the audit (set, reset, pause, unpause; default cli:<OS user>)
  --json             show, audit and zone: the result as JSON
  -h, --help         show this help

Examples:
  npm run budget -- set agent support-bot --daily 5 --monthly 100 --action block --grace 5
  npm run budget -- set feature summarise --monthly 40 --fail-mode closed
  npm run budget -- set service workflow --inactive
  npm run budget -- reset agent support-bot --period daily
  npm run budget -- pause support-bot --until 2026-12-31T18:00:00Z --reason "runaway loop"
  npm run budget -- unpause support-bot
  npm run budget -- show agent support-bot
  npm run budget -- audit --entity agent:support-bot --limit 50
  npm run budget -- zone set acme America/New_York
  npm run budget -- zone list

Environment:
  DATABASE_URL, or SUPABASE_URL and SUPABASE_SERVICE_ROLE_KEY; REPORT_TIMEZONE
  for days and months of organizations without a zone of their own, services,
  tiers and features (see .env.example)

Exit codes: 0 done, 1 the database failed or refused (e.g. no such limit),
            2 bad usage or configuration.
`;

function usage(message: string): number {
  process.stderr.write(`budget: ${message}\nRun with --help for usage.\n`);
  return EXIT_USAGE;
}

/** The OS user names the actor when --actor does not; a system without one still has an actor. */
function defaultActor(): string {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return 'cli:unknown user';
  }
}

const print = (text: string) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);

async function perform(admin: BudgetAdmin, request: BudgetRequest, timezone: string): Promise<number> {
  switch (request.command) {
    case 'set':
      print(`Limit set:\n${describeLimit(await admin.setLimit(request.entity, request.settings, request.actor ?? defaultActor()))}`);
      return EXIT_OK;
    case 'reset':
      print(`Spend reset (${request.period}):\n${describeLimit(await admin.resetSpend(request.entity, request.period, request.actor ?? defaultActor()))}`);
      return EXIT_OK;
    case 'pause':
      print(describePause(await admin.pauseAgent(request.agentId, request.until, request.reason, request.actor ?? defaultActor())));
      return EXIT_OK;
    case 'unpause': {
      const { unpaused } = await admin.unpauseAgent(request.agentId, request.actor ?? defaultActor());
      print(unpaused ? `agent ${request.agentId} unpaused` : `agent ${request.agentId} was not paused; nothing to lift`);
      return EXIT_OK;
    }
    case 'show': {
      const overview = await admin.overview(request.entity, { timezone });
      print(request.json ? JSON.stringify(overview, null, 2) : describeOverview(overview, timezone));
      if (request.entity && overview.limits.length === 0 && overview.pauses.length === 0) {
        process.stderr.write(`budget: no budget limit for ${request.entity.type} ${JSON.stringify(request.entity.id)}; create one with npm run budget -- set ${request.entity.type} ${request.entity.id} --daily USD\n`);
        return EXIT_FAILURE;
      }
      return EXIT_OK;
    }
    case 'audit': {
      const rows = await admin.audit(request.entity, request.limit);
      print(request.json ? JSON.stringify(rows, null, 2) : describeAudit(rows));
      return EXIT_OK;
    }
    case 'zone': {
      if (request.action === 'list') {
        const zones = await admin.organizationZones(timezone);
        print(request.json ? JSON.stringify(zones, null, 2) : describeZones(zones));
        return EXIT_OK;
      }
      const change = await admin.setOrganizationZone(request.organizationId, request.action === 'set' ? request.timeZone : null, timezone);
      print(request.json ? JSON.stringify(change, null, 2) : describeZoneChange(change, timezone));
      return EXIT_OK;
    }
  }
}

/** A zone Postgres does not know (22023 from organization_settings): say the database's message and the fix. */
function unknownZone(error: unknown, request: BudgetRequest): number | undefined {
  if (!(error instanceof DatabaseError && error.sqlState === '22023' && request.command === 'zone' && request.action === 'set')) return undefined;
  process.stderr.write(
    `error: ${error.message}; use an IANA name such as Europe/Paris or America/New_York (select name from pg_timezone_names)\n`,
  );
  return EXIT_FAILURE;
}

/** "No such limit" is the caller's to fix: say which and how, without a stack. */
function notFound(error: unknown, request: BudgetRequest): number | undefined {
  if (!(error instanceof DatabaseError && error.sqlState === 'P0002' && 'entity' in request && request.entity)) return undefined;
  const { type, id } = request.entity;
  process.stderr.write(`error: no budget limit for ${type} ${JSON.stringify(id)}; create one first: npm run budget -- set ${type} ${id} --daily USD\n`);
  return EXIT_FAILURE;
}

await runCommand({
  name: 'budget',
  help: HELP,
  options: BUDGET_OPTIONS,
  positionals: true,
  async run(values, positionals) {
    let request: BudgetRequest;
    try {
      request = parseBudgetRequest(positionals, values);
    } catch (error) {
      if (error instanceof BudgetUsageError) return usage(error.message);
      throw error;
    }
    const config = loadConfig();
    registerSecrets(config.secrets);
    const transport = openTransport(config);
    try {
      return await perform(createBudgetAdmin(transport), request, config.reportTimezone);
    } catch (error) {
      const code = notFound(error, request) ?? unknownZone(error, request);
      if (code !== undefined) return code;
      throw error;
    } finally {
      await transport.close();
    }
  },
});
