/** What the global setup may clear: only names of this run's prefixes, and only old ones. */
import { describe, expect, it } from 'vitest';
import { isStaleName, isStaleQueuePrefix, STALE_AFTER_MS, TEST_DB_PREFIX, TEST_QUEUE_PREFIX, uniqueName, uniqueQueuePrefix } from './services.js';

const later = Date.now() + STALE_AFTER_MS + 60_000;

describe('test namespaces', () => {
  it('names databases, roles and queue prefixes under the configured prefixes', () => {
    expect(uniqueName('db')).toMatch(new RegExp(`^${TEST_DB_PREFIX}_db_[0-9a-z]+_${process.pid}_[0-9a-z]{6}$`));
    expect(uniqueQueuePrefix()).toMatch(new RegExp(`^${TEST_QUEUE_PREFIX}-[0-9a-z]+-[0-9a-z]{6}$`));
    expect(uniqueName('db')).not.toBe(uniqueName('db'));
  });

  it('calls a name stale only once it is older than STALE_AFTER_MS', () => {
    const name = uniqueName('tpl');
    const prefix = uniqueQueuePrefix();
    expect([isStaleName(name), isStaleQueuePrefix(prefix)]).toEqual([false, false]);
    expect([isStaleName(name, later), isStaleQueuePrefix(prefix, later)]).toEqual([true, true]);
  });

  it('never claims a name it did not make: other prefixes, the demo and CI databases', () => {
    for (const other of ['tokensync_demo', 'tokensync_ci_1764900000_4242', 'postgres', `${TEST_DB_PREFIX}x_db_abc_1_abcdef`, `other_${uniqueName('db')}`]) {
      expect(isStaleName(other, later)).toBe(false);
    }
    for (const other of ['tokensync', 'tokensync-demo', `${TEST_QUEUE_PREFIX}x-abc-abcdef`, `other-${uniqueQueuePrefix()}`]) {
      expect(isStaleQueuePrefix(other, later)).toBe(false);
    }
  });
});
