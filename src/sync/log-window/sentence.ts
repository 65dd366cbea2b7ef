/** What the report page says about calls left out of Token Usage Logs: never a silent gap. */
import type { LogWindowStatus } from '../../supabase/results.js';

const count = new Intl.NumberFormat('en-US');
const calls = (n: number) => `${count.format(n)} ${n === 1 ? 'call' : 'calls'}`;

/**
 * One sentence for the report page, e.g. "12,345 calls not mirrored to Token
 * Usage Logs today (failed and costliest shown first; 80,000 in all)"; null
 * when every call was mirrored.
 */
export function leftOutSentence(status: Pick<LogWindowStatus, 'leftOutToday' | 'leftOutTotal'>): string | null {
  if (status.leftOutTotal === 0 && status.leftOutToday === 0) return null;
  const total = status.leftOutTotal > status.leftOutToday ? `; ${count.format(status.leftOutTotal)} in all` : '';
  return `${calls(status.leftOutToday)} not mirrored to Token Usage Logs today (failed and costliest shown first${total}). Every call is in Supabase and in the totals.`;
}
