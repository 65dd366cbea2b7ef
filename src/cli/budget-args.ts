/**
 * `npm run budget -- <subcommand> …` as a typed request, or a usage problem that
 * names the option (or argument) at fault and what it accepts. Pure: no I/O.
 */
import { ENTITY_TYPES, type Entity, type EntityType, type LimitSettings, type ResetPeriod } from '../supabase/budget-admin.js';

export const BUDGET_SUBCOMMANDS = ['set', 'reset', 'pause', 'unpause', 'show', 'audit', 'zone'] as const;
export type BudgetSubcommand = (typeof BUDGET_SUBCOMMANDS)[number];

/** Every option the command accepts, as parseArgs declares them. */
export const BUDGET_OPTIONS = {
  daily: { type: 'string' },
  monthly: { type: 'string' },
  session: { type: 'string' },
  action: { type: 'string' },
  grace: { type: 'string' },
  'fail-mode': { type: 'string' },
  inactive: { type: 'boolean' },
  active: { type: 'boolean' },
  period: { type: 'string' },
  until: { type: 'string' },
  reason: { type: 'string' },
  entity: { type: 'string' },
  limit: { type: 'string' },
  actor: { type: 'string' },
  json: { type: 'boolean' },
} as const;

export type BudgetOptionName = keyof typeof BUDGET_OPTIONS;
export type BudgetValues = Partial<Record<BudgetOptionName, string | boolean | undefined>>;

/** Which options each subcommand takes (--actor and --json are checked separately). */
const OPTIONS_OF: Record<BudgetSubcommand, readonly BudgetOptionName[]> = {
  set: ['daily', 'monthly', 'session', 'action', 'grace', 'fail-mode', 'inactive', 'active', 'actor'],
  reset: ['period', 'actor'],
  pause: ['until', 'reason', 'actor'],
  unpause: ['actor'],
  show: ['json'],
  audit: ['entity', 'limit', 'json'],
  zone: ['json'],
};

export const DEFAULT_AUDIT_ROWS = 20;
export const MAX_AUDIT_ROWS = 1000;

export type BudgetRequest =
  | { command: 'set'; entity: Entity; settings: LimitSettings; actor?: string }
  | { command: 'reset'; entity: Entity; period: ResetPeriod; actor?: string }
  | { command: 'pause'; agentId: string; until: string | null; reason?: string; actor?: string }
  | { command: 'unpause'; agentId: string; actor?: string }
  | { command: 'show'; entity: Entity | null; json: boolean }
  | { command: 'audit'; entity: Entity | null; limit: number; json: boolean }
  /** An organization's time zone: its days and months for every figure; unset follows REPORT_TIMEZONE again. */
  | { command: 'zone'; action: 'set'; organizationId: string; timeZone: string; json: boolean }
  | { command: 'zone'; action: 'unset'; organizationId: string; json: boolean }
  | { command: 'zone'; action: 'list'; json: boolean };

/** Bad usage: the message names what is wrong and what would be right. */
export class BudgetUsageError extends Error {
  override readonly name = 'BudgetUsageError';
}

const fail = (message: string): never => {
  throw new BudgetUsageError(message);
};

const isSubcommand = (word: string | undefined): word is BudgetSubcommand => BUDGET_SUBCOMMANDS.includes(word as BudgetSubcommand);

function entityOf(type: string | undefined, id: string | undefined, what: string): Entity {
  if (type === undefined || id === undefined) return fail(`${what} needs <entity_type> <entity_id>, e.g. agent support-bot`);
  if (!ENTITY_TYPES.includes(type as EntityType)) return fail(`unknown entity type ${JSON.stringify(type)}; use one of ${ENTITY_TYPES.join(', ')}`);
  if (id.trim() === '') return fail('<entity_id> must not be empty');
  return { type: type as EntityType, id };
}

/** `type:id` as --entity gives it (the id may itself contain colons). */
function entityOption(value: string): Entity {
  const at = value.indexOf(':');
  if (at < 0) return fail(`--entity must be type:id, e.g. agent:support-bot, got ${JSON.stringify(value)}`);
  return entityOf(value.slice(0, at), value.slice(at + 1), '--entity');
}

function usd(value: string, option: string): number {
  const amount = /^\d+(\.\d{1,6})?$/.test(value.trim()) ? Number(value) : Number.NaN;
  if (!Number.isFinite(amount)) return fail(`${option} must be an amount in USD, 0 or more (up to 6 decimals), e.g. 25 or 12.50; got ${JSON.stringify(value)}`);
  return amount;
}

function oneOf<T extends string>(value: string, allowed: readonly T[], option: string): T {
  if (!allowed.includes(value as T)) return fail(`${option} must be ${allowed.join(' or ')}, got ${JSON.stringify(value)}`);
  return value as T;
}

function settingsOf(values: BudgetValues): LimitSettings {
  const s: LimitSettings = {};
  const text = (name: BudgetOptionName) => values[name] as string | undefined;
  if (text('daily') !== undefined) s.dailyLimit = usd(text('daily')!, '--daily');
  if (text('monthly') !== undefined) s.monthlyLimit = usd(text('monthly')!, '--monthly');
  if (text('session') !== undefined) s.sessionLimit = usd(text('session')!, '--session');
  if (text('action') !== undefined) s.breachAction = oneOf(text('action')!, ['alert', 'block'] as const, '--action');
  if (text('fail-mode') !== undefined) s.failMode = oneOf(text('fail-mode')!, ['open', 'closed'] as const, '--fail-mode');
  if (text('grace') !== undefined) {
    const grace = /^\d+(\.\d{1,2})?$/.test(text('grace')!.trim()) ? Number(text('grace')) : Number.NaN;
    if (!(grace >= 0 && grace <= 100)) fail(`--grace must be a percentage from 0 to 100 (up to 2 decimals), got ${JSON.stringify(text('grace'))}`);
    s.gracePct = grace;
  }
  if (values.active && values.inactive) fail('--active and --inactive contradict each other; give one');
  if (values.active) s.isActive = true;
  if (values.inactive) s.isActive = false;
  if (Object.keys(s).length === 0) fail('set needs at least one of --daily, --monthly, --session, --action, --grace, --fail-mode, --active, --inactive');
  return s;
}

function untilOf(value: string | undefined, now: Date): string | null {
  if (value === undefined) return null;
  const at = new Date(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(at.getTime())) {
    return fail(`--until must be an ISO date or instant, e.g. 2026-12-31 or 2026-12-31T18:00:00Z; got ${JSON.stringify(value)}`);
  }
  if (at.getTime() <= now.getTime()) return fail(`--until ${value} is not in the future; leave it out to pause until unpaused`);
  return at.toISOString();
}

function auditLimit(value: string | undefined): number {
  if (value === undefined) return DEFAULT_AUDIT_ROWS;
  const n = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!(n >= 1 && n <= MAX_AUDIT_ROWS)) return fail(`--limit must be a whole number from 1 to ${MAX_AUDIT_ROWS}, got ${JSON.stringify(value)}`);
  return n;
}

function checkArity(command: BudgetSubcommand, args: readonly string[], allowed: readonly number[], shape: string): void {
  if (!allowed.includes(args.length)) fail(`${command} takes ${shape}; got ${args.length === 0 ? 'nothing' : args.map((a) => JSON.stringify(a)).join(' ')}`);
}

function checkOptions(command: BudgetSubcommand, values: BudgetValues): void {
  for (const [name, value] of Object.entries(values)) {
    if (value === undefined || value === false) continue;
    if (!OPTIONS_OF[command].includes(name as BudgetOptionName)) fail(`--${name} is not an option of ${command}; see --help`);
  }
  if (values.actor !== undefined && String(values.actor).trim() === '') fail('--actor must not be empty');
}

/** The request the command line asks for; throws BudgetUsageError. `now` decides whether --until is in the future. */
export function parseBudgetRequest(positionals: readonly string[], values: BudgetValues, now = new Date()): BudgetRequest {
  const [command, ...args] = positionals;
  if (command === undefined) return fail(`name a subcommand: ${BUDGET_SUBCOMMANDS.join(', ')}`);
  if (!isSubcommand(command)) return fail(`unknown subcommand ${JSON.stringify(command)}; use one of ${BUDGET_SUBCOMMANDS.join(', ')}`);
  checkOptions(command, values);
  const actor = values.actor === undefined ? {} : { actor: String(values.actor) };
  switch (command) {
    case 'set':
      checkArity(command, args, [2], '<entity_type> <entity_id>');
      return { command, entity: entityOf(args[0], args[1], command), settings: settingsOf(values), ...actor };
    case 'reset':
      checkArity(command, args, [2], '<entity_type> <entity_id>');
      return {
        command,
        entity: entityOf(args[0], args[1], command),
        period: values.period === undefined ? 'both' : oneOf(String(values.period), ['daily', 'monthly', 'both'] as const, '--period'),
        ...actor,
      };
    case 'pause':
      checkArity(command, args, [1], '<agent_id>');
      if (args[0]!.trim() === '') fail('<agent_id> must not be empty');
      if (values.reason !== undefined && String(values.reason).trim() === '') fail('--reason must not be empty; leave it out for the default');
      return {
        command,
        agentId: args[0]!,
        until: untilOf(values.until as string | undefined, now),
        ...(values.reason === undefined ? {} : { reason: String(values.reason) }),
        ...actor,
      };
    case 'unpause':
      checkArity(command, args, [1], '<agent_id>');
      return { command, agentId: args[0]!, ...actor };
    case 'show':
      checkArity(command, args, [0, 2], 'nothing, or <entity_type> <entity_id>');
      return { command, entity: args.length === 2 ? entityOf(args[0], args[1], command) : null, json: values.json === true };
    case 'audit':
      checkArity(command, args, [0], 'no arguments (filter with --entity type:id)');
      return {
        command,
        entity: values.entity === undefined ? null : entityOption(String(values.entity)),
        limit: auditLimit(values.limit as string | undefined),
        json: values.json === true,
      };
    case 'zone':
      return zoneRequest(args, values.json === true);
  }
}

const ZONE_SHAPE = 'set <organization> <IANA zone>, unset <organization> or list';

/** `zone set <organization> <IANA zone>`, `zone unset <organization>`, `zone list`. The database judges the zone's name. */
function zoneRequest(args: readonly string[], json: boolean): BudgetRequest {
  const [action, organizationId, timeZone] = args;
  const organization = (id: string | undefined) => {
    if (id === undefined || id.trim() === '') return fail(`zone ${action} needs <organization>, e.g. zone ${action} acme${action === 'set' ? ' Europe/Paris' : ''}`);
    return id;
  };
  switch (action) {
    case 'set':
      checkArity('zone', args, [3], 'set <organization> <IANA zone>, e.g. zone set acme Europe/Paris');
      if (timeZone!.trim() === '') fail('<IANA zone> must not be empty, e.g. Europe/Paris or America/New_York');
      return { command: 'zone', action, organizationId: organization(organizationId), timeZone: timeZone!.trim(), json };
    case 'unset':
      checkArity('zone', args, [2], 'unset <organization>');
      return { command: 'zone', action, organizationId: organization(organizationId), json };
    case 'list':
      checkArity('zone', args, [1], 'list, with no more arguments');
      return { command: 'zone', action, json };
    default:
      return fail(
        action === undefined
          ? `zone takes ${ZONE_SHAPE}`
          : `unknown zone action ${JSON.stringify(action)}; zone takes ${ZONE_SHAPE}`,
      );
  }
}
