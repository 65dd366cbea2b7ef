/** How figures read on the report: dollars to the cent, signed percentages, local dates. */
import { localDate } from '../local-time.js';

const USD = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD', minimumFractionDigits: 2, maximumFractionDigits: 2 });

export const usd = (amount: number) => USD.format(amount);

/** +38% / −12%; "new" when there was nothing before. */
export function change(now: number, before: number): string {
  if (before === 0) return now === 0 ? 'no change' : 'new';
  const pct = ((now - before) / before) * 100;
  const rounded = Math.round(Math.abs(pct));
  if (rounded === 0) return 'no change';
  return `${pct > 0 ? '+' : '−'}${rounded}%`;
}

/** "November 25" */
export function dayOfMonth(isoDate: string): string {
  return new Intl.DateTimeFormat('en-US', { month: 'long', day: 'numeric', timeZone: 'UTC' }).format(new Date(`${isoDate}T00:00:00Z`));
}

/** "2026-11-19 12:00" in the report's time zone. */
export function localTime(iso: string, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hour12: false })
    .formatToParts(new Date(iso));
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')} ${get('hour')}:${get('minute')}`;
}

/** "in 6 days", "today", "already" — from `fromIso` (an instant) to a local date, in the report's time zone. */
export function daysUntil(fromIso: string, isoDate: string, timeZone: string): string {
  const today = localDate(new Date(fromIso), timeZone);
  const days = Math.round((Date.parse(`${isoDate}T00:00:00Z`) - Date.parse(`${today}T00:00:00Z`)) / 86_400_000);
  if (days < 0) return 'already';
  if (days === 0) return 'today';
  return days === 1 ? 'in 1 day' : `in ${days} days`;
}
