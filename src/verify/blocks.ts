/**
 * Notion's block budget, for `npm run verify`: whether the configured
 * footprint fits the workspace plan, and whether Notion has refused to create
 * blocks (recorded in Postgres by whichever process met the refusal).
 */
import type { Config } from '../config/env.js';
import { BLOCK_LIMIT_FIX } from '../notion/client.js';
import { computeFootprint, footprintInputOf } from '../sync/footprint.js';
import type { CreationStatus } from '../sync/creation.js';
import { errorMessage, fail, pass, type CheckResult } from './check.js';

export function checkFootprint(config: Config): CheckResult {
  const footprint = computeFootprint(footprintInputOf(config));
  if (footprint.allowance === null) return pass('notion', 'block footprint', `${footprint.total} blocks (paid workspace: no block limit)`);
  if (footprint.fits) return pass('notion', 'block footprint', `${footprint.total} of the ${footprint.allowance} blocks a Free workspace leaves tokensync`);
  return fail('notion', 'block footprint', `${footprint.total} blocks: more than the ${footprint.allowance} a Free workspace leaves tokensync`, footprint.fix!);
}

export async function checkBlockCreation(read: () => Promise<CreationStatus>): Promise<CheckResult> {
  let status: CreationStatus;
  try {
    status = await read();
  } catch (error) {
    return fail('notion', 'block creation', `could not read whether Notion refuses new blocks: ${errorMessage(error)}`, 'run npm run db:migrate');
  }
  if (!status.stopped) return pass('notion', 'block creation', 'Notion creates pages and blocks');
  const held = status.heldDatasets.length > 0 ? `; rows that need a new page are held in ${status.heldDatasets.join(', ')}` : '';
  return fail(
    'notion',
    'block creation',
    `Notion refuses to create blocks (the workspace block limit) since ${status.stoppedAt}${status.requestId ? `, request ${status.requestId}` : ''}: pages are only updated in place${held}`,
    BLOCK_LIMIT_FIX,
  );
}
