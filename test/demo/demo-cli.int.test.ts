/** npm run demo's command line: help, bad usage, and the one line a missing Redis deserves. */
import { describe, expect, it } from 'vitest';
import { runScript } from '../support/cli.js';

function demo(args: string[], env: Record<string, string> = {}) {
  return runScript('demo', args, { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 30_000 });
}

// A test starts the CLI up to three times, each with its own 30 s guard.
describe('npm run demo (command line)', { timeout: 120_000 }, () => {
  it('prints help and exits 0; exits 2 on bad usage, naming the option', async () => {
    const help = await demo(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: npm run demo/);
    const days = await demo(['--days', 'many']);
    expect(days.code).toBe(2);
    expect(days.stderr).toMatch(/--days must be a whole number from 1 to 90, got many/);
    expect((await demo(['--colour'])).code).toBe(2);
  });

  it('without Redis: one line that says how to start one, exit 1, no stack trace', async () => {
    const down = await demo(['--exit'], { REDIS_URL: 'redis://127.0.0.1:9' });
    expect(down.code).toBe(1);
    expect(down.stderr.trim()).toMatch(/^error: Redis does not answer at 127\.0\.0\.1:9 \(REDIS_URL\)\. Start one — `redis-server --daemonize yes`.*or set REDIS_URL\.$/);
  });

  it('refuses to write made-up usage into a Supabase project', async () => {
    const refused = await demo(['--exit'], { SUPABASE_URL: 'https://example.supabase.co', SUPABASE_SERVICE_ROLE_KEY: 'service-role-key-not-a-real-one' });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/the demo never writes made-up usage into a Supabase project/);
    expect(refused.stderr).not.toContain('service-role-key-not-a-real-one');
  });
});
