import { expect, it } from 'vitest';
import { checkRedis } from '../../src/verify/redis.js';

const reader = (version: string, policy: string) => ({
  info: async (section: string) =>
    section === 'server' ? `# Server\r\nredis_version:${version}\r\nredis_mode:standalone\r\n` : `# Memory\r\nmaxmemory_policy:${policy}\r\n`,
});

it('passes Redis 7 with noeviction', async () => {
  expect((await checkRedis(reader('7.2.4', 'noeviction'), 'cache:6379')).every((r) => r.ok)).toBe(true);
});

it('fails an evicting policy and an old version, each with its fix', async () => {
  const results = await checkRedis(reader('6.0.16', 'allkeys-lru'), 'cache:6379');
  expect(results.filter((r) => !r.ok)).toEqual([
    expect.objectContaining({ name: 'version', detail: '6.0.16 is older than 6.2.0', fix: 'upgrade Redis to 6.2 or newer' }),
    expect.objectContaining({ name: 'maxmemory-policy', fix: expect.stringContaining('CONFIG SET maxmemory-policy noeviction') }),
  ]);
});

it('accepts 6.2.0 exactly and 10.0', async () => {
  for (const version of ['6.2.0', '10.0.1']) {
    expect((await checkRedis(reader(version, 'noeviction'), 'x')).find((r) => r.name === 'version')?.ok).toBe(true);
  }
});
