/**
 * The product's bar: for random sets of calls, the Notion rollups, the SQL
 * rollups and the report figures all equal the exact sum of the calls' prices,
 * in three time zones (UTC; America/New_York, whose 1 November 2026 is 25 hours
 * long; Asia/Kolkata, a half-hour offset), across two month ends (31 Oct / 1 Nov
 * 2026 and 28 Feb / 1 Mar 2027).
 *
 * Each run draws its calls from a seeded generator (the seed is in the test's
 * name: rerun one with `-t "Kolkata', seed 3"`). Costs come from computeCost on the
 * catalogue's models, batch calls among them, so many have fractions of a
 * micro-dollar and of a nano-dollar; a few calls are unpriced. The expected
 * figures are summed here as bigint atto-dollars, by local dates and wall-clock
 * times read with Intl.DateTimeFormat: nothing of the product's own time code.
 *
 *   SQL:    daily_cost_breakdown after tokensync_rollup_daily_costs in the zone,
 *           per day and per day × service × provider × model: exactly.
 *   Notion: the Daily Costs pages after a sync pass, per day and per page: the
 *           exact sum to the micro-dollar (Notion numbers are doubles).
 *   Report: tokensync_report_figures at instants just after local midnight and
 *           a few hours into a day, read with numbers as their exact text: today,
 *           yesterday (whole and by this time), this week, last week (whole and
 *           same span), month to date, the leaders, the drivers, the organisation
 *           budget and the budget status: exactly. Each is "as of" its instant,
 *           the instant included, and some calls fall exactly on one.
 *
 * A second set of runs gives organizations their own zones (org-a in
 * Asia/Tokyo, org-b in America/New_York; org-c and calls with no organization
 * in the default, Asia/Kolkata): a call's day is then its own organization's
 * local date, the report's "today" the default zone's date, and org-a's budget
 * is reckoned in Tokyo.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { seeded } from '../../src/demo/synthetic.js';
import { computeCost } from '../../src/sdk/pricing/compute.js';
import { formatExact, parseExactUsd } from '../../src/sdk/money.js';
import { insertLimits, insertLogs, type Row } from '../support/fixtures.js';
import { plainOf, startSyncHarness, type SyncHarness } from './harness.js';

const ZONES = ['UTC', 'America/New_York', 'Asia/Kolkata'] as const;
const SEEDS = [1, 2, 3, 4];
const CALLS = 300;

const PRICED = [
  ['openai', 'gpt-4o'],
  ['openai', 'gpt-4o-mini'],
  ['openai', 'gpt-4.1-nano'],
  ['anthropic', 'claude-sonnet-4'],
  ['anthropic', 'claude-3-5-haiku'],
  ['google', 'gemini-2.5-flash'],
] as const;
const SERVICES = ['workflow', 'virtual_panel', '1:1_conversation'];
const USERS = ['user-1', 'user-2', 'user-3'];
const ORGANIZATIONS: readonly (string | null)[] = ['org-a', 'org-b'];
/** Organizations in their own zones; org-c and calls without one follow the default zone. */
const ORGANIZATION_ZONES: Readonly<Record<string, string>> = { 'org-a': 'Asia/Tokyo', 'org-b': 'America/New_York' };
const MIXED_ORGANIZATIONS: readonly (string | null)[] = ['org-a', 'org-b', 'org-c', null];
const MIXED_DEFAULT_ZONE = 'Asia/Kolkata';

/** The two stretches of time the calls fall in, each across a month end (UTC instants, wide enough for every zone). */
const STRETCHES = [
  { from: Date.parse('2026-10-29T00:00:00Z'), to: Date.parse('2026-11-03T12:00:00Z'), days: ['2026-10-30', '2026-10-31', '2026-11-01', '2026-11-02'] },
  { from: Date.parse('2027-02-26T00:00:00Z'), to: Date.parse('2027-03-02T12:00:00Z'), days: ['2027-02-27', '2027-02-28', '2027-03-01'] },
];
const ROLLUP_RANGE = { from: '2026-10-27', to: '2027-03-04' };

// ---------------------------------------------------------------------------
// Local dates and wall-clock times, from Intl alone.
// ---------------------------------------------------------------------------
const formatters = new Map<string, Intl.DateTimeFormat>();
function wallClock(ms: number, zone: string): { date: string; msOfDay: number } {
  let format = formatters.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-CA', {
      timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23',
    });
    formatters.set(zone, format);
  }
  const p = Object.fromEntries(format.formatToParts(new Date(ms)).map((part) => [part.type, part.value]));
  return { date: `${p.year}-${p.month}-${p.day}`, msOfDay: ((Number(p.hour) * 60 + Number(p.minute)) * 60 + Number(p.second)) * 1000 + (ms % 1000) };
}

/** The instant a local wall-clock time of `date` in `zone` happened (the zones' offsets are whole minutes). */
function instantOf(date: string, msOfDay: number, zone: string): number {
  const wall = Date.parse(`${date}T00:00:00Z`) + msOfDay;
  let guess = wall;
  for (let i = 0; i < 3; i++) {
    const seen = wallClock(guess, zone);
    guess += wall - (Date.parse(`${seen.date}T00:00:00Z`) + seen.msOfDay);
  }
  const check = wallClock(guess, zone);
  if (check.date !== date || check.msOfDay !== msOfDay) throw new Error(`${date} +${msOfDay} ms does not exist in ${zone}`);
  return guess;
}

const addDays = (date: string, days: number) => new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
/** The Monday of the ISO week `date` is in. */
const mondayOf = (date: string) => addDays(date, -((new Date(`${date}T00:00:00Z`).getUTCDay() + 6) % 7));

// ---------------------------------------------------------------------------
// The calls.
// ---------------------------------------------------------------------------
interface Call {
  at: number;
  service: string;
  provider: string;
  model: string;
  user: string;
  organization: string | null;
  /** Exact cost in atto-dollars; null when unpriced. */
  cost: bigint | null;
  row: Row;
}

function tokens(random: () => number): number {
  const kind = random();
  if (kind < 0.3) return Math.floor(random() * 4); // 0–3 tokens
  if (kind < 0.6) return 1 + Math.floor(random() * 300);
  return Math.floor(random() * 120_000);
}

interface Setting {
  /** The default zone (REPORT_TIMEZONE). */
  zone: string;
  organizations: readonly (string | null)[];
  /** Organizations with a zone of their own. */
  organizationZones: Readonly<Record<string, string>>;
}

/** The zone a call's day is reckoned in: its organization's, else the default. */
const zoneOfCall = (setting: Setting, c: Pick<Call, 'organization'>) => (c.organization && setting.organizationZones[c.organization]) || setting.zone;

function drawCalls(seed: number, setting: Setting): Call[] {
  const zones = [...new Set([setting.zone, ...Object.values(setting.organizationZones)])];
  const random = seeded(seed * 7919 + setting.zone.length + zones.length * 101);
  const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)]!;
  // Right at local midnight in every zone in use, a millisecond either side of it.
  const edges = STRETCHES.flatMap((s) => s.days.flatMap((day) => zones.flatMap((zone) => {
    const midnight = instantOf(day, 0, zone);
    return [midnight - 1, midnight, midnight + 1];
  })));
  const instants = [
    ...edges,
    ...Array.from({ length: CALLS - edges.length }, () => {
      const s = pick(STRETCHES);
      return s.from + Math.floor(random() * (s.to - s.from));
    }),
  ];
  return instants.map((at, i) => {
    const service = pick(SERVICES);
    const user = pick(USERS);
    const organization = pick(setting.organizations);
    const base = {
      request_id: `seed-${seed}-${i}`,
      created_at: new Date(at).toISOString(),
      service_type: service,
      user_id: user,
      organization_id: organization,
      success: random() > 0.1,
    };
    if (i % 23 === 5) {
      // Unpriced: its cost is unknown, so it is in no sum.
      const row = { ...base, provider: 'openai', model: 'unpriced-model', prompt_tokens: 10, completion_tokens: 5, cached_tokens: 0,
        input_cost: null, output_cost: null, total_cost: null, metadata: {} };
      return { at, service, provider: 'openai', model: 'unpriced-model', user, organization, cost: null, row };
    }
    const [provider, model] = pick(PRICED);
    const promptTokens = tokens(random);
    const completionTokens = tokens(random);
    const cachedTokens = random() < 0.3 ? Math.floor(random() * (promptTokens + 1)) : 0;
    const serviceTier = provider !== 'google' && random() < 0.4 ? 'batch' : null;
    const cost = computeCost({ provider, model, promptTokens, completionTokens, cachedTokens, serviceTier }, { at: new Date(at) });
    if (!cost.known || cost.estimate) throw new Error(`${provider}/${model} should be priced by the catalogue`);
    const row = {
      ...base, provider, model, prompt_tokens: promptTokens, completion_tokens: completionTokens, cached_tokens: cachedTokens,
      input_cost: cost.inputUsd, output_cost: cost.outputUsd, total_cost: cost.totalUsd,
      metadata: serviceTier ? { service_tier: serviceTier } : {},
    };
    return { at, service, provider, model, user, organization, cost: cost.exact.total, row };
  });
}

const sum = (calls: readonly Call[]) => calls.reduce((total, c) => total + (c.cost ?? 0n), 0n);

function groupSums(calls: readonly Call[], key: (c: Call) => string): Map<string, bigint> {
  const sums = new Map<string, bigint>();
  for (const c of calls) sums.set(key(c), (sums.get(key(c)) ?? 0n) + (c.cost ?? 0n));
  return sums;
}

const ONE_MICRO = 10n ** 12n; // atto-dollars
/** |notion − exact| < 0.5 µ$, in exact arithmetic on the double Notion holds. */
function agreesToTheMicro(notion: number, exact: bigint): boolean {
  const shown = parseExactUsd(String(notion))!;
  const diff = shown > exact ? shown - exact : exact - shown;
  return 2n * diff < ONE_MICRO;
}

// ---------------------------------------------------------------------------
// The report, read with every number as its exact text.
// ---------------------------------------------------------------------------
async function reportFigures(h: SyncHarness, at: number, zone: string): Promise<Record<string, any>> {
  const { rows } = await h.db.pool.query<{ f: string }>(`select public.tokensync_report_figures($1::timestamptz, $2, 100)::text as f`, [
    new Date(at).toISOString(),
    zone,
  ]);
  // JSON.parse's reviver sees each number's source text (ES2025): no double in between.
  const reviver = (_key: string, value: unknown, context?: { source?: string }) => (typeof value === 'number' ? context!.source! : value);
  return JSON.parse(rows[0]!.f, reviver as (key: string, value: unknown) => unknown) as Record<string, any>;
}

const exactOf = (text: string | null | undefined) => (text === undefined ? undefined : parseExactUsd(text));

/**
 * The windows the report defines, as sets of calls chosen by local date and
 * wall-clock time alone: "today" is the default zone's date at `at`; each call
 * is placed by its own local date and time (its organization's zone). Every
 * window is as of `at`, the instant included.
 */
function expectedWindows(calls: readonly Call[], at: number, setting: Setting) {
  const now = wallClock(at, setting.zone);
  const local = calls.filter((c) => c.at <= at).map((c) => ({ c, ...wallClock(c.at, zoneOfCall(setting, c)) }));
  const today = now.date;
  const yesterday = addDays(today, -1);
  const monday = mondayOf(today);
  const lastMonday = addDays(monday, -7);
  const sameWeekdayLastWeek = addDays(today, -7);
  const pick = (rows: typeof local) => rows.map((l) => l.c);
  return {
    today: pick(local.filter((l) => l.date === today)),
    yesterdayTotal: pick(local.filter((l) => l.date === yesterday)),
    yesterdaySameTime: pick(local.filter((l) => l.date === yesterday && l.msOfDay <= now.msOfDay)),
    week: pick(local.filter((l) => l.date >= monday && l.date <= today)),
    lastWeekTotal: pick(local.filter((l) => l.date >= lastMonday && l.date < monday)),
    lastWeekSameSpan: pick(local.filter((l) => l.date >= lastMonday && (l.date < sameWeekdayLastWeek || (l.date === sameWeekdayLastWeek && l.msOfDay <= now.msOfDay)))),
    month: pick(local.filter((l) => l.date.slice(0, 7) === today.slice(0, 7) && l.date <= today)),
  };
}

/** An organization's own day and month to date at `at`, in its zone (its budgets). */
function organizationPeriods(calls: readonly Call[], at: number, setting: Setting, organization: string) {
  const zone = zoneOfCall(setting, { organization });
  const now = wallClock(at, zone);
  const own = calls.filter((c) => c.organization === organization && c.at <= at).map((c) => ({ c, ...wallClock(c.at, zone) }));
  return {
    day: own.filter((l) => l.date === now.date).map((l) => l.c),
    month: own.filter((l) => l.date.slice(0, 7) === now.date.slice(0, 7)).map((l) => l.c),
  };
}

/** Leaders by a dimension as the report lists them: every name with a call in either span. */
function leaders(now: readonly Call[], previous: readonly Call[], name: (c: Call) => string) {
  const spent = groupSums(now, name);
  const prev = groupSums(previous, name);
  const names = new Set([...spent.keys(), ...prev.keys()]);
  return new Map([...names].map((n) => [n, { spent: spent.get(n) ?? 0n, previous: prev.get(n) ?? 0n }]));
}

function shownLeaders(list: { name: string; spent: string; previous: string; change: string }[]) {
  for (const l of list) expect(exactOf(l.change), `change of ${l.name}`).toBe(exactOf(l.spent)! - exactOf(l.previous)!);
  return new Map(list.map((l) => [l.name, { spent: exactOf(l.spent)!, previous: exactOf(l.previous)! }]));
}

// ---------------------------------------------------------------------------
// The runs.
// ---------------------------------------------------------------------------
let h: SyncHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const RUNS = ZONES.flatMap((zone) => SEEDS.map((seed) => ({ zone, seed })));
const MIXED_RUNS = SEEDS.slice(0, 3).map((seed) => ({ zone: MIXED_DEFAULT_ZONE, seed }));

describe('Notion rollups = SQL rollups = report figures = the exact sum of the calls', () => {
  it.each(RUNS)('$zone, seed $seed', async ({ zone, seed }) => {
    await figuresAgree(seed, { zone, organizations: ORGANIZATIONS, organizationZones: {} });
  }, 60_000);
});

describe('… with organizations in their own zones (org-a Asia/Tokyo, org-b America/New_York, the rest the default)', () => {
  it.each(MIXED_RUNS)('default $zone, seed $seed', async ({ zone, seed }) => {
    await figuresAgree(seed, { zone, organizations: MIXED_ORGANIZATIONS, organizationZones: ORGANIZATION_ZONES });
  }, 60_000);
});

async function figuresAgree(seed: number, setting: Setting): Promise<void> {
  const zone = setting.zone;
  const calls = drawCalls(seed, setting);
  h = await startSyncHarness();
  for (const [organization, time] of Object.entries(setting.organizationZones)) {
    await h.db.pool.query('select public.tokensync_set_organization_time_zone($1, $2, $3)', [organization, time, zone]);
  }
  await insertLogs(h.db.pool, calls.map((c) => c.row));
  const [limit] = await insertLimits(h.db.pool, [
    { entity_type: 'organization', entity_id: 'org-a', daily_limit: 1000, monthly_limit: 5000, breach_action: 'alert' },
  ]);

  const priced = calls.filter((c) => c.cost !== null);
  expect(priced.length).toBeLessThan(calls.length);
  // Batch calls and cached reads give fractions of a nano-dollar: the sums below are not micro-dollar sums.
  expect(priced.some((c) => c.cost! % 10n ** 9n !== 0n)).toBe(true);

  const dayOf = (c: Call) => wallClock(c.at, zoneOfCall(setting, c)).date;
  const byDay = groupSums(calls, dayOf); // a day with only unpriced calls has a row (and a page) of $0
  const keyOf = (date: string, service: string, provider: string, model: string) => [date, service, provider, model].join(' · ');
  const byKey = groupSums(calls, (c) => keyOf(dayOf(c), c.service, c.provider, c.model));
  const unpricedByKey = groupSums(calls.map((c) => ({ ...c, cost: c.cost === null ? 1n : 0n })), (c) => keyOf(dayOf(c), c.service, c.provider, c.model));
  const requestsByKey = groupSums(calls.map((c) => ({ ...c, cost: 1n })), (c) => keyOf(dayOf(c), c.service, c.provider, c.model));

  // (1) SQL: the rollup in this zone, per day and per row, exactly.
  await h.source.rollupDailyCosts({ ...ROLLUP_RANGE, timezone: zone });
  const perDay = await h.db.pool.query<{ date: string; total: string }>(
    `select metric_date::text as date, sum(total_cost)::text as total from public.daily_cost_breakdown group by 1 order by 1`,
  );
  expect(new Map(perDay.rows.map((r) => [r.date, parseExactUsd(r.total)!])), 'SQL total per local day').toEqual(byDay);
  const perRow = await h.db.pool.query<{ key: string; total: string; input: string; output: string; requests: number; unpriced: number }>(
    `select concat_ws(' · ', metric_date::text, service_type, provider, model) as key, total_cost::text as total,
            input_cost::text as input, output_cost::text as output, requests, unpriced_requests as unpriced
       from public.daily_cost_breakdown`,
  );
  expect(new Map(perRow.rows.map((r) => [r.key, parseExactUsd(r.total)!])), 'SQL total per row').toEqual(byKey);
  for (const r of perRow.rows) {
    expect(parseExactUsd(r.input)! + parseExactUsd(r.output)!, `input + output of ${r.key}`).toBe(parseExactUsd(r.total));
    expect(BigInt(r.requests), `requests of ${r.key}`).toBe(requestsByKey.get(r.key));
    expect(BigInt(r.unpriced), `unpriced requests of ${r.key}`).toBe(unpricedByKey.get(r.key));
  }

  // (2) Notion: the Daily Costs pages after a sync pass, to the micro-dollar.
  expect((await h.engine().runPass('daily_cost_breakdown')).failed).toEqual([]);
  const pages = h.fake.state.pages(h.dataSources.daily_cost_breakdown) as Record<string, any>[];
  expect(pages).toHaveLength(byKey.size);
  const notionByDay = new Map<string, number>();
  for (const page of pages) {
    const date = String(plainOf(page.properties.Date));
    const total = plainOf(page.properties['Total Cost']) as number;
    const name = String(plainOf(page.properties.Name));
    expect(agreesToTheMicro(total, byKey.get(name)!), `Notion page ${name}: ${total} vs ${formatExact(byKey.get(name)!)}`).toBe(true);
    expect(BigInt(plainOf(page.properties.Unpriced) as number), `Notion unpriced calls of ${name}`).toBe(unpricedByKey.get(name));
    notionByDay.set(date, (notionByDay.get(date) ?? 0) + total);
  }
  expect([...notionByDay.keys()].sort(), 'Notion days').toEqual([...byDay.keys()].sort());
  for (const [date, exact] of byDay) {
    expect(agreesToTheMicro(notionByDay.get(date)!, exact), `Notion total of ${date}: ${notionByDay.get(date)} vs ${formatExact(exact)}`).toBe(true);
  }

  // (3) The report, at instants around the month ends, exactly.
  const moments = [
    instantOf('2026-11-01', 5 * 3_600_000 + 17 * 60_000, zone), // a few hours into the new month (New York: after the repeated hour)
    instantOf('2026-11-01', 90 * 60_000, zone), // 01:30 (New York: in the hour that happens twice)
    instantOf('2026-11-02', 1, zone), // just after midnight: yesterday is 1 November (25 h in New York)
    instantOf('2026-10-31', 23 * 3_600_000 + 59 * 60_000 + 59_999, zone), // the last millisecond of October
    instantOf('2027-02-28', 13 * 3_600_000, zone), // the last afternoon of February
    instantOf('2027-03-01', 1, zone), // just after midnight: today is a Monday and a new month
  ];
  for (const at of moments) {
    const when = `${zone} at ${new Date(at).toISOString()}`;
    const f = await reportFigures(h, at, zone);
    const w = expectedWindows(calls, at, setting);
    expect(exactOf(f.today.spent), `today, ${when}`).toBe(sum(w.today));
    expect(exactOf(f.today.yesterday_total), `yesterday, ${when}`).toBe(sum(w.yesterdayTotal));
    expect(exactOf(f.today.yesterday_same_time), `yesterday by this time, ${when}`).toBe(sum(w.yesterdaySameTime));
    expect(exactOf(f.week.spent), `this week, ${when}`).toBe(sum(w.week));
    expect(exactOf(f.week.last_week_total), `last week, ${when}`).toBe(sum(w.lastWeekTotal));
    expect(exactOf(f.week.last_week_same_span), `last week by this time, ${when}`).toBe(sum(w.lastWeekSameSpan));
    expect(exactOf(f.month.spent), `month to date, ${when}`).toBe(sum(w.month));
    expect(wallClock(Date.parse(f.today.start), zone), `today's start, ${when}`).toEqual({ date: wallClock(at, zone).date, msOfDay: 0 });
    expect(wallClock(Date.parse(f.month.start), zone), `the month's start, ${when}`).toEqual({ date: `${wallClock(at, zone).date.slice(0, 7)}-01`, msOfDay: 0 });

    expect(shownLeaders(f.top_services), `top services, ${when}`).toEqual(leaders(w.week, w.lastWeekSameSpan, (c) => c.service));
    expect(shownLeaders(f.top_models), `top models, ${when}`).toEqual(leaders(w.week, w.lastWeekSameSpan, (c) => c.model));
    expect(shownLeaders(f.top_users), `top users, ${when}`).toEqual(leaders(w.week, w.lastWeekSameSpan, (c) => c.user));
    const pairs = leaders(w.week, w.lastWeekSameSpan, (c) => `${c.service} · ${c.model}`);
    expect(f.drivers).toHaveLength(Math.min(3, pairs.size));
    for (const d of f.drivers as { service: string; model: string; spent: string; previous: string; change: string }[]) {
      expect({ spent: exactOf(d.spent), previous: exactOf(d.previous) }, `driver ${d.service} · ${d.model}, ${when}`).toEqual(pairs.get(`${d.service} · ${d.model}`));
      expect(exactOf(d.change)).toBe(exactOf(d.spent)! - exactOf(d.previous)!);
    }

    // org-a's budget, in org-a's zone: the month to date of its calls, and its day and month in the budget status.
    const own = organizationPeriods(calls, at, setting, 'org-a');
    expect(f.organization_budgets.map((b: { organization: string; spent: string }) => [b.organization, exactOf(b.spent)]), `organisation budget, ${when}`)
      .toEqual([['org-a', sum(own.month)]]);
    const status = (f.budgets as { budget_limit_id: string; period: string; spent: string }[]).filter((b) => b.budget_limit_id === limit!.id);
    expect(Object.fromEntries(status.map((b) => [b.period, exactOf(b.spent)])), `budget status, ${when}`).toEqual({
      daily: sum(own.day),
      monthly: sum(own.month),
    });
  }
}
