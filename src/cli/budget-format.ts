/** What `npm run budget` prints for people: limits, pauses and audit rows, a line each where it can. */
import type { AuditRow, BudgetOverview, LimitRow, OrganizationZones, PauseRow, ZoneChange } from '../supabase/budget-admin.js';

/** Dollars with cents, and more decimals only when the amount has them (limits are kept to 6). */
export function usd(amount: number): string {
  const decimals = String(amount).split('.')[1]?.length ?? 0;
  return `$${amount.toFixed(Math.min(6, Math.max(2, decimals)))}`;
}

/** An instant to the second, in UTC: the same on every machine. */
export const when = (iso: string): string => `${new Date(iso).toISOString().slice(0, 19).replace('T', ' ')} UTC`;

const pct = (fraction: number) => `${(fraction * 100).toFixed(1)} %`;

type LimitLike = Pick<LimitRow, 'entity_type' | 'entity_id' | 'is_active' | 'breach_action' | 'grace_pct' | 'fail_mode'>;

const entityName = (l: Pick<LimitRow, 'entity_type' | 'entity_id'>) => `${l.entity_type} · ${l.entity_id}`;

function policyLine(l: LimitLike): string {
  const grace = l.breach_action === 'block' ? `, grace ${l.grace_pct} %` : '';
  return `${entityName(l)}  (${l.is_active ? 'active' : 'inactive'}, ${l.breach_action}${grace}, fails ${l.fail_mode})`;
}

/** One limit as `set` and `reset` leave it. */
export function describeLimit(l: LimitRow): string {
  const amounts = [
    l.daily_limit === null ? null : `daily ${usd(l.daily_limit)}`,
    l.monthly_limit === null ? null : `monthly ${usd(l.monthly_limit)}`,
    l.session_limit === null ? null : `session ${usd(l.session_limit)}`,
  ].filter((a) => a !== null);
  const resets = [
    l.daily_reset_at ? `daily spend counted from ${when(l.daily_reset_at)}` : null,
    l.monthly_reset_at ? `monthly spend counted from ${when(l.monthly_reset_at)}` : null,
  ].filter((r) => r !== null);
  return [policyLine(l), `  limits: ${amounts.length > 0 ? amounts.join(', ') : 'none'}`, ...resets.map((r) => `  ${r}`)].join('\n');
}

export function describePause(p: Pick<PauseRow, 'agent_id' | 'paused_until' | 'reason' | 'paused_by'> & { in_effect?: boolean }): string {
  const until = p.paused_until ? `until ${when(p.paused_until)}` : 'until unpaused';
  const effect = p.in_effect === false ? ' (ended; lifted at the next budgets run)' : '';
  return `agent ${p.agent_id} paused ${until}${effect}: ${p.reason} (by ${p.paused_by})`;
}

function spendLine(period: string, spent: number, limit: number | null, utilisation: number | null, resetAt: string | null): string {
  const of = limit === null ? ' (no limit)' : ` of ${usd(limit)}${utilisation === null ? '' : ` (${pct(utilisation)})`}`;
  const since = resetAt ? `, since the reset at ${when(resetAt)}` : '';
  return `  ${period.padEnd(8)} ${usd(spent)}${of}${since}`;
}

/** `show`: each limit with what it has spent, then the open pauses. */
export function describeOverview(o: BudgetOverview, timezone: string): string {
  const lines = [`Budget limits at ${when(o.at)} (days and months in ${timezone})`];
  if (o.limits.length === 0) lines.push('  none');
  for (const l of o.limits) {
    lines.push(policyLine(l) + (l.time_zone !== timezone ? `  days and months in ${l.time_zone}` : ''));
    lines.push(spendLine('today', l.daily_spend, l.daily_limit, l.daily_utilisation, l.daily_reset_at));
    lines.push(spendLine('month', l.monthly_spend, l.monthly_limit, l.monthly_utilisation, l.monthly_reset_at));
    if (l.session_limit !== null) lines.push(`  session  ${usd(l.session_limit)} per session`);
  }
  lines.push('Paused agents:');
  if (o.pauses.length === 0) lines.push('  none');
  for (const p of o.pauses) lines.push(`  ${describePause(p)}`);
  return `${lines.join('\n')}\n`;
}

/** `zone set` and `zone unset`: the organization's zone now, what it was, and the days its calls move between. */
export function describeZoneChange(c: ZoneChange, defaultZone: string): string {
  const zone = (z: string | null) => z ?? `the default (${defaultZone})`;
  if (!c.changed) return `organization ${c.organization_id}: days and months in ${zone(c.time_zone)}, as before; nothing changed`;
  return (
    `organization ${c.organization_id}: days and months in ${zone(c.time_zone)} (was ${zone(c.before)}); ` +
    `${c.days_to_roll_up} local ${c.days_to_roll_up === 1 ? 'day' : 'days'} of its calls to roll up again`
  );
}

/** `zone list`: the organizations with a zone of their own; every other follows the default. */
export function describeZones(z: OrganizationZones): string {
  const lines = [`Organization time zones (every other organization, and calls without one: ${z.default_time_zone})`];
  if (z.organizations.length === 0) lines.push('  none');
  for (const o of z.organizations) lines.push(`  ${o.organization_id}  ${o.time_zone}  (set ${when(o.updated_at)})`);
  return `${lines.join('\n')}\n`;
}

/** An audit row's details in a few words: what changed from what, or what the action carried. */
function detailsOf(row: AuditRow): string {
  const d = row.details;
  if (row.action === 'update_limit' || row.action === 'reset_spend') {
    return Object.entries(d)
      .filter(([key]) => key !== 'budget_limit_id')
      .map(([key, change]) => {
        const { from, to } = change as { from: unknown; to: unknown };
        return `${key} ${JSON.stringify(from)} → ${JSON.stringify(to)}`;
      })
      .join(', ');
  }
  if (row.action === 'pause_agent') return `until ${d.paused_until ? when(String(d.paused_until)) : 'unpaused'}: ${String(d.reason)}`;
  if (row.action === 'unpause_agent') return Number(d.lifted) > 0 ? 'lifted' : 'was not paused';
  if (row.action === 'create_limit') {
    return ['daily_limit', 'monthly_limit', 'session_limit', 'breach_action', 'grace_pct', 'fail_mode']
      .filter((key) => d[key] !== null && d[key] !== undefined)
      .map((key) => `${key} ${JSON.stringify(d[key])}`)
      .join(', ');
  }
  return '';
}

export function describeAudit(rows: readonly AuditRow[]): string {
  if (rows.length === 0) return 'No audit rows.\n';
  return `${rows
    .map((r) => {
      const entity = r.entity_type ? `${r.entity_type} · ${r.entity_id}` : '';
      const details = detailsOf(r);
      return `${when(r.at)}  ${r.actor}  ${r.action}  ${entity}${details ? `  ${details}` : ''}`;
    })
    .join('\n')}\n`;
}
