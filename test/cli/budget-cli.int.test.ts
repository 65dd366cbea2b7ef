/**
 * `npm run budget -- …` as a real process against a throwaway database: each
 * subcommand does what it says, leaves an audit row naming who acted, and exits
 * 0 done, 1 refused by the database, 2 bad usage naming the option.
 */
import { userInfo } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { insertLogs } from '../support/fixtures.js';
import { runScript } from '../support/cli.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.drop());

const budget = (...args: string[]) =>
  runScript('budget', args, { env: { PATH: process.env.PATH ?? '', DATABASE_URL: db.url, REPORT_TIMEZONE: 'UTC' }, timeout: 30_000 });
const lastAudit = async () => (await db.pool.query(`select actor, action, entity_type, entity_id, details from budget_audit order by id desc limit 1`)).rows[0];
const limitOf = async (type: string, id: string) =>
  (await db.pool.query(`select * from budget_limits where entity_type = $1 and entity_id = $2`, [type, id])).rows[0];
const osActor = `cli:${userInfo().username}`;

describe('npm run budget', () => {
  it('--help lists every subcommand with examples, exit 0', async () => {
    const result = await budget('--help');
    expect(result.code).toBe(0);
    for (const word of ['set <entity_type>', 'reset <entity_type>', 'pause <agent_id>', 'unpause <agent_id>', 'show', 'audit', 'Examples:', '--fail-mode',
                        'zone set <organization> <IANA zone>', 'zone unset <organization>', 'zone list']) {
      expect(result.stdout).toContain(word);
    }
  });

  it.each([
    [['set', 'agent', 'bot', '--grace', '150'], '--grace must be a percentage from 0 to 100'],
    [['set', 'agent', 'bot', '--action', 'deny'], '--action must be alert or block'],
    [['set', 'agent', 'bot'], 'set needs at least one of --daily'],
    [['set', 'robot', 'bot', '--daily', '5'], 'unknown entity type "robot"'],
    [['reset', 'agent', 'bot', '--until', '2099-01-01'], '--until is not an option of reset'],
    [['pause', 'bot', '--until', '2001-01-01'], '--until 2001-01-01 is not in the future'],
    [['audit', '--entity', 'bot'], '--entity must be type:id'],
    [['frobnicate'], 'unknown subcommand "frobnicate"'],
    [['set', 'agent', 'bot', '--daily', '5', '--colour', 'red'], "Unknown option '--colour'"],
    [['zone'], 'zone takes set <organization> <IANA zone>, unset <organization> or list'],
    [['zone', 'move', 'acme'], 'unknown zone action "move"'],
    [['zone', 'set', 'acme'], 'zone takes set <organization> <IANA zone>'],
    [['zone', 'list', '--actor', 'ops:carol'], '--actor is not an option of zone'],
  ])('bad usage %j exits 2 and names the problem', async (args, message) => {
    const result = await budget(...args);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
    expect(result.stderr).toContain('--help');
  });

  it('set creates a limit, audited as cli:<OS user>; --actor names someone else', async () => {
    const created = await budget('set', 'agent', 'bot', '--daily', '1', '--monthly', '20', '--action', 'block', '--grace', '5', '--fail-mode', 'closed');
    expect(created.code).toBe(0);
    expect(created.stdout).toContain('agent · bot');
    expect(await limitOf('agent', 'bot')).toMatchObject({ breach_action: 'block', fail_mode: 'closed', is_active: true });
    expect(await lastAudit()).toMatchObject({ actor: osActor, action: 'create_limit', entity_type: 'agent', entity_id: 'bot' });

    expect((await budget('set', 'agent', 'bot', '--inactive', '--actor', 'ops:carol')).code).toBe(0);
    expect(await limitOf('agent', 'bot')).toMatchObject({ is_active: false, fail_mode: 'closed' });
    expect(await lastAudit()).toMatchObject({ actor: 'ops:carol', action: 'update_limit', details: { is_active: { from: true, to: false } } });
  });

  it('reset counts spend from now for the period, audited; a missing limit exits 1 and says how to create one', async () => {
    await insertLogs(db.pool, [{ agent_id: 'bot', created_at: new Date(Date.now() - 60_000).toISOString() }]);
    const reset = await budget('reset', 'agent', 'bot', '--period', 'daily');
    expect(reset.code).toBe(0);
    const limit = await limitOf('agent', 'bot');
    expect(limit.daily_reset_at).not.toBeNull();
    expect(limit.monthly_reset_at).toBeNull();
    expect(await lastAudit()).toMatchObject({ actor: osActor, action: 'reset_spend' });

    const missing = await budget('reset', 'agent', 'nobody');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no budget limit for agent "nobody"; create one first: npm run budget -- set agent nobody');
  });

  it('pause and unpause an agent, each audited', async () => {
    const paused = await budget('pause', 'bot', '--until', '2099-01-01T00:00:00Z', '--reason', 'runaway loop');
    expect(paused.code).toBe(0);
    expect(paused.stdout).toContain('agent bot paused until 2099-01-01 00:00:00 UTC: runaway loop');
    expect(await lastAudit()).toMatchObject({ actor: osActor, action: 'pause_agent', entity_id: 'bot', details: { reason: 'runaway loop' } });

    const unpaused = await budget('unpause', 'bot', '--actor', 'ops:carol');
    expect(unpaused.code).toBe(0);
    expect(unpaused.stdout).toContain('agent bot unpaused');
    expect(await lastAudit()).toMatchObject({ actor: 'ops:carol', action: 'unpause_agent', details: { lifted: 1 } });
    expect((await db.pool.query(`select count(*)::int as open from agent_pauses where lifted_at is null`)).rows[0].open).toBe(0);
  });

  it('show lists limits with spend since the reset and paused agents; an unknown entity exits 1', async () => {
    await budget('pause', 'bot', '--reason', 'on hold');
    const shown = await budget('show', 'agent', 'bot');
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/agent · bot {2}\(inactive, block, grace 5 %, fails closed\)/);
    expect(shown.stdout).toMatch(/today {4}\$0\.00 of \$1\.00 \(0\.0 %\), since the reset at /);
    expect(shown.stdout).toContain('month    $0.0045 of $20.00 (0.0 %)');
    expect(shown.stdout).toContain(`agent bot paused until unpaused: on hold (by ${osActor})`);

    const json = JSON.parse((await budget('show', '--json')).stdout) as { limits: unknown[]; pauses: unknown[] };
    expect(json.limits).toHaveLength(1);
    expect(json.pauses).toHaveLength(1);

    const unknown = await budget('show', 'feature', 'nothing-here');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no budget limit for feature "nothing-here"');
  });

  it('audit shows the newest rows first, filtered by --entity and cut by --limit', async () => {
    const result = await budget('audit', '--entity', 'agent:bot', '--limit', '2');
    expect(result.code).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toContain(`${osActor}  pause_agent  agent · bot  until unpaused: on hold`);
    expect(lines[1]).toContain('ops:carol  unpause_agent  agent · bot  lifted');
  });

  it('zone sets, lists and unsets an organization\'s zone; show reckons its limit there; an unknown zone exits 1 naming the fix', async () => {
    const london = (...args: string[]) =>
      runScript('budget', args, { env: { PATH: process.env.PATH ?? '', DATABASE_URL: db.url, REPORT_TIMEZONE: 'Europe/London' }, timeout: 30_000 });
    // Two calls of acme either side of Tokyo's latest midnight (15:00Z): a second before it, and at it.
    const tokyoMidnight = new Date(Math.floor((Date.now() + 9 * 3_600_000) / 86_400_000) * 86_400_000 - 9 * 3_600_000);
    await insertLogs(db.pool, [
      { organization_id: 'acme', total_cost: 1, created_at: new Date(tokyoMidnight.getTime() - 1_000).toISOString() },
      { organization_id: 'acme', total_cost: 2, created_at: tokyoMidnight.toISOString() },
    ]);

    const set = await london('zone', 'set', 'acme', 'Asia/Tokyo');
    expect(set.code).toBe(0);
    // Both calls were on London's date D-1 (15:00Z is 15:00 or 16:00 there); in Tokyo one is on D-1, the other on D: 2 days.
    expect(set.stdout).toContain('organization acme: days and months in Asia/Tokyo (was the default (Europe/London)); 2 local days of its calls to roll up again');
    expect((await db.pool.query(`select time_zone from organization_settings where organization_id = 'acme'`)).rows).toEqual([{ time_zone: 'Asia/Tokyo' }]);
    expect((await london('zone', 'set', 'acme', 'Asia/Tokyo')).stdout).toContain('organization acme: days and months in Asia/Tokyo, as before; nothing changed');

    const listed = await london('zone', 'list');
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain('Organization time zones (every other organization, and calls without one: Europe/London)');
    expect(listed.stdout).toMatch(/ {2}acme {2}Asia\/Tokyo {2}\(set \d{4}-\d{2}-\d{2} /);
    expect(JSON.parse((await london('zone', 'list', '--json')).stdout)).toMatchObject({
      default_time_zone: 'Europe/London',
      organizations: [{ organization_id: 'acme', time_zone: 'Asia/Tokyo' }],
    });

    // Today in Tokyo holds the $2 call only, at and after its midnight; the $1 call is yesterday's there.
    expect((await london('set', 'organization', 'acme', '--daily', '10')).code).toBe(0);
    const shown = await london('show', 'organization', 'acme');
    expect(shown.stdout).toContain('organization · acme  (active, alert, fails open)  days and months in Asia/Tokyo');
    expect(shown.stdout).toContain('today    $2.00 of $10.00 (20.0 %)');

    const unknown = await london('zone', 'set', 'acme', 'Mars/Olympus_Mons');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("'Mars/Olympus_Mons' is not a time zone name Postgres knows; use an IANA name such as Europe/Paris");
    expect((await db.pool.query(`select time_zone from organization_settings where organization_id = 'acme'`)).rows).toEqual([{ time_zone: 'Asia/Tokyo' }]);

    const unset = await london('zone', 'unset', 'acme');
    expect(unset.code).toBe(0);
    expect(unset.stdout).toContain('organization acme: days and months in the default (Europe/London) (was Asia/Tokyo)');
    expect((await london('zone', 'list')).stdout).toContain('  none');
  });

  it('a database that refuses exits 1 with one line, never the password', async () => {
    const result = await runScript('budget', ['show'], {
      env: { PATH: process.env.PATH ?? '', DATABASE_URL: 'postgres://someone:s3cret-pw@127.0.0.1:1/nowhere' },
      timeout: 30_000,
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: .*PostgreSQL does not answer/);
    expect(result.stderr).not.toContain('s3cret-pw');
  });
});
