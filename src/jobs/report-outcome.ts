/**
 * How the last refresh of the report page ended, kept beside the report's hash
 * in the worker's Redis, so that `npm run verify` can say why a page is not
 * being written (the job's retries and its failed-jobs metric say that it is not).
 */
import type { TaskMemory } from './tasks.js';

export interface ReportOutcome {
  /** ISO instant the refresh ended. */
  at: string;
  ok: boolean;
  /** Why it failed: the error's message, scrubbed of the configuration's secrets. */
  reason?: string;
}

export const reportOutcomeKey = (queuePrefix: string) => `${queuePrefix}:report-outcome`;

export function recordReportOutcome(memory: TaskMemory, queuePrefix: string, outcome: ReportOutcome): Promise<unknown> {
  return memory.set(reportOutcomeKey(queuePrefix), JSON.stringify(outcome));
}

/** Undefined when no refresh has ended yet, or what is kept is not an outcome. */
export async function readReportOutcome(memory: Pick<TaskMemory, 'get'>, queuePrefix: string): Promise<ReportOutcome | undefined> {
  const kept = await memory.get(reportOutcomeKey(queuePrefix));
  if (!kept) return undefined;
  try {
    const parsed = JSON.parse(kept) as ReportOutcome;
    return typeof parsed.at === 'string' && typeof parsed.ok === 'boolean' ? parsed : undefined;
  } catch {
    return undefined;
  }
}
