/**
 * A few plain sentences about the biggest changes, for people who will not read
 * the numbers below them. Every amount in them comes from the SQL figures.
 */
import type { ReportFigures } from '../supabase/source.js';
import { change, dayOfMonth, usd } from './format.js';

/** A driver is named when it explains at least this share of the week's change. */
const DRIVER_SHARE = 0.4;

function weekSentence(figures: ReportFigures): string | undefined {
  const { spent, last_week_same_span: before } = figures.week;
  if (spent === 0 && before === 0) return undefined;
  if (before === 0) return `Spend this week so far is ${usd(spent)}; there was none over the same days last week.`;
  const pct = Math.round(((spent - before) / before) * 100);
  if (pct === 0) return `Spend this week is level with last week (${usd(spent)} over the same days).`;
  return `Spend is ${pct > 0 ? 'up' : 'down'} ${Math.abs(pct)}% week over week (${usd(spent)} against ${usd(before)} over the same days).`;
}

function driverSentence(figures: ReportFigures): string | undefined {
  const total = figures.week.spent - figures.week.last_week_same_span;
  const top = figures.drivers[0];
  if (!top || total === 0 || Math.sign(top.change) !== Math.sign(total)) return undefined;
  const share = top.change / total;
  if (share < DRIVER_SHARE) return undefined;
  const movedIn = top.previous === 0 ? ` (new this week)` : '';
  return `${Math.round(Math.min(share, 1) * 100)}% of the ${total > 0 ? 'increase' : 'decrease'} comes from ${top.service} on ${top.model}${movedIn}: ${top.change > 0 ? '+' : '−'}${usd(Math.abs(top.change))}.`;
}

function budgetSentences(figures: ReportFigures): string[] {
  return figures.organization_budgets.map((b) => {
    if (b.spent >= b.monthly_limit) {
      return `Organization ${b.organization} has spent ${usd(b.spent)}, over its ${usd(b.monthly_limit)} monthly budget.`;
    }
    if (b.projected === null) return `Organization ${b.organization} has used ${usd(b.spent)} of its ${usd(b.monthly_limit)} monthly budget.`;
    if (b.exhausted_on) {
      return `At this pace organization ${b.organization} ends the month at ${usd(b.projected)}, over its ${usd(b.monthly_limit)} budget, which runs out around ${dayOfMonth(b.exhausted_on)}.`;
    }
    return `At this pace organization ${b.organization} ends the month at ${usd(b.projected)}, ${Math.round((b.projected / b.monthly_limit) * 100)}% of its ${usd(b.monthly_limit)} budget.`;
  });
}

function todaySentence(figures: ReportFigures): string | undefined {
  const { spent, yesterday_same_time: before } = figures.today;
  if (spent === 0 && before === 0) return undefined;
  return `Today so far: ${usd(spent)} (${change(spent, before)} against yesterday by this time).`;
}

function alertSentence(figures: ReportFigures): string | undefined {
  const open = figures.open_critical_alerts.length;
  if (open === 0) return undefined;
  return `${open === 1 ? 'One critical alert is' : `${open} critical alerts are`} open and not acknowledged.`;
}

export function explain(figures: ReportFigures): string[] {
  const sentences = [weekSentence(figures), driverSentence(figures), ...budgetSentences(figures), todaySentence(figures), alertSentence(figures)];
  const said = sentences.filter((s): s is string => Boolean(s));
  return said.length > 0 ? said : ['No LLM spend recorded yet this month.'];
}
