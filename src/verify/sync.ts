/**
 * Sync checks: per lane, whether the sync keeps up. A lane whose oldest change
 * not yet in Notion is older than its limit (LANE_MAX_LAG_*_MS), or that has
 * rows the sync gave up on, is a warning with what to do, not a failure: the
 * installation is sound, it is behind (and CI runs verify on idle systems).
 */
import type { Config } from '../config/env.js';
import { failedWarnings, formatSeconds, laneBacklogs, readBacklog, type LaneBacklog } from '../sync/backlog.js';
import type { SupabaseSource } from '../supabase/source.js';
import { errorMessage, fail, pass, warn, type CheckResult } from './check.js';

const BEHIND_FIX =
  'make sure npm run worker is running (npm run sync -- --status shows what waits); ' +
  'if it is and the lane stays behind, Notion cannot take the load at NOTION_REQUESTS_PER_SECOND: ' +
  'lower what reaches this lane (a smaller raw-log window) or raise the limit LANE_MAX_LAG_*_MS';
const FAILED_FIX =
  'see the reasons in the dead-letters failed set (or the worker log, "row not synced"); ' +
  'fix the rows or the Notion schema (npm run setup:notion), then the next change to a row writes it';

function laneCheck(lane: LaneBacklog): CheckResult {
  const name = `lane ${lane.lane}`;
  const waiting = `${lane.capped ? 'at least ' : ''}${lane.pending} to write, oldest waiting ${formatSeconds(lane.oldestPendingSeconds)} (limit ${formatSeconds(lane.limitSeconds)})`;
  if (lane.behind) return warn('sync', name, `behind: ${waiting}`, BEHIND_FIX);
  if (lane.failed > 0) return warn('sync', name, failedWarnings([lane])[0]!.replace(/^lane \w+: /, ''), FAILED_FIX);
  return pass('sync', name, lane.pending === 0 ? 'nothing to write' : `keeps up: ${waiting}`);
}

export async function checkSync(source: SupabaseSource, config: Config): Promise<CheckResult[]> {
  try {
    const report = await readBacklog(source, { tokenLogWindowDays: config.sync.tokenLogWindowDays });
    return laneBacklogs(report, config.sync.laneMaxLagMs).map(laneCheck);
  } catch (error) {
    return [fail('sync', 'backlog', errorMessage(error), 'run the supabase checks (npm run verify -- --only supabase) and apply what they say')];
  }
}
