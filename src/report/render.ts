/**
 * The report as Notion blocks: one callout that holds everything, so a refresh
 * replaces one block (two requests) however long the report is. No tables:
 * a table inside the callout would nest three levels, one more than an append allows.
 */
import type { ReportFigures, SpendLeader } from '../supabase/source.js';
import { explain } from './explain.js';
import { change, dayOfMonth, daysUntil, localTime, usd } from './format.js';

export const REPORT_TITLE = 'LLM Cost Report';
export const REPORT_HEADER = 'LLM costs at a glance';

type Block = Record<string, unknown>;
const text = (content: string) => [{ type: 'text', text: { content } }];
const bullet = (content: string): Block => ({ type: 'bulleted_list_item', bulleted_list_item: { rich_text: text(content) } });
const heading = (content: string): Block => ({ type: 'heading_3', heading_3: { rich_text: text(content) } });
const paragraph = (content: string): Block => ({ type: 'paragraph', paragraph: { rich_text: text(content) } });

function spendLines(f: ReportFigures): string[] {
  const lines = [
    `Month to date: ${usd(f.month.spent)}`,
    ...(f.month.projected === null ? [] : [`Projected month end: ${usd(f.month.projected)}`]),
    `Today: ${usd(f.today.spent)} (yesterday by this time ${usd(f.today.yesterday_same_time)}, all of yesterday ${usd(f.today.yesterday_total)})`,
    `This week: ${usd(f.week.spent)} (last week over the same days ${usd(f.week.last_week_same_span)}, ${change(f.week.spent, f.week.last_week_same_span)})`,
  ];
  for (const b of f.organization_budgets) {
    const left = b.exhausted_on
      ? `; at this pace it runs out around ${dayOfMonth(b.exhausted_on)} (${daysUntil(f.generated_at, b.exhausted_on, f.timezone)})`
      : '';
    lines.push(`Organization ${b.organization}: ${usd(b.spent)} of ${usd(b.monthly_limit)} monthly budget (${b.utilisation_pct ?? 0}%)${left}`);
  }
  return lines;
}

const leaderLine = (l: SpendLeader) => `${l.name}: ${usd(l.spent)} (${change(l.spent, l.previous)} vs last week, same days)`;

function section(title: string, lines: string[], empty: string): Block[] {
  return [heading(title), ...(lines.length > 0 ? lines.map(bullet) : [paragraph(empty)])];
}

export function renderReport(f: ReportFigures): Block[] {
  const budgetLines = f.budgets.map(
    (b) => `${b.entityType} ${b.entityId} · ${b.period}: ${usd(b.spent)} of ${usd(b.limitAmount)}${b.utilisationPct === null ? '' : ` (${b.utilisationPct}%)`}`,
  );
  const children: Block[] = [
    ...section('What changed', explain(f), ''),
    ...section('Spend', spendLines(f), ''),
    ...section('Top services this week', f.top_services.map(leaderLine), 'No spend this week.'),
    ...section('Top models this week', f.top_models.map(leaderLine), 'No spend this week.'),
    ...section('Top users this week', f.top_users.map(leaderLine), 'No spend this week.'),
    ...section('Budget utilisation', budgetLines, 'No active budget limits.'),
    ...section('Open critical alerts', f.open_critical_alerts.map((a) => a.message), 'None.'),
  ];
  return [
    {
      type: 'callout',
      callout: {
        rich_text: text(`${REPORT_HEADER} · updated ${localTime(f.generated_at, f.timezone)} (${f.timezone})`),
        icon: { type: 'emoji', emoji: '📊' },
        color: 'gray_background',
        children,
      },
    },
  ];
}
