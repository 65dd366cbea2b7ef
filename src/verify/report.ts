/**
 * The report page, for `npm run verify`: how its last refresh ended, as the
 * worker recorded it in Redis, so a page that is not being written says why.
 */
import type { Redis } from 'ioredis';
import { readReportOutcome } from '../jobs/report-outcome.js';
import { errorMessage, fail, pass, type CheckResult } from './check.js';

const NAME = 'report page';

/** Undefined when Redis does not answer: the redis group says that already. */
export async function checkReportPage(redis: Redis | undefined, queuePrefix: string): Promise<CheckResult | undefined> {
  if (!redis) return undefined;
  try {
    const outcome = await readReportOutcome(redis, queuePrefix);
    if (!outcome) return pass('notion', NAME, 'no refresh recorded yet: the worker writes it every REPORT_INTERVAL_MS');
    if (outcome.ok) return pass('notion', NAME, `last refreshed ${outcome.at}`);
    return fail(
      'notion',
      NAME,
      `the last refresh, at ${outcome.at}, failed: ${outcome.reason ?? 'no reason recorded'}`,
      'the worker retries each run, but what the reason names must be fixed first; `npm run job -- report` runs one refresh in the foreground and prints the whole error',
    );
  } catch (error) {
    return fail('notion', NAME, `cannot read how the last refresh ended: ${errorMessage(error)}`, 'check REDIS_URL and QUEUE_PREFIX: they must be the worker\'s');
  }
}
