/**
 * The report as content: a header line, notices (e.g. that Notion refuses new
 * blocks) and sections of lines. layout.ts lays it out as a fixed set of
 * blocks that later refreshes edit in place (see publish.ts).
 */
import type { ReportFigures, SpendLeader } from '../supabase/source.js';
import { explain } from './explain.js';
import { change, dayOfMonth, daysUntil, localTime, usd } from './format.js';
import { REPORT_HEADER, reportBlocks } from './layout.js';

export { REPORT_HEADER, REPORT_TITLE } from './layout.js';

export interface ReportSection {
  title: string;
  /** One line each; shown as a bulleted line. */
  lines: string[];
  /** Shown, unbulleted, when there are no lines. */
  empty: string;
}

export interface ReportContent {
  /** "LLM costs at a glance · updated …": changes on every refresh, so it is left out of the content hash. */
  header: string;
  /** Lines shown under the header, marked, e.g. that Notion can create no more blocks. */
  notices: string[];
  sections: ReportSection[];
}

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

export function reportContent(f: ReportFigures, notices: readonly string[] = []): ReportContent {
  const budgetLines = f.budgets.map(
    (b) => `${b.entityType} ${b.entityId} · ${b.period}: ${usd(b.spent)} of ${usd(b.limitAmount)}${b.utilisationPct === null ? '' : ` (${b.utilisationPct}%)`}`,
  );
  return {
    header: `${REPORT_HEADER} · updated ${localTime(f.generated_at, f.timezone)} (${f.timezone})`,
    notices: [...notices],
    sections: [
      { title: 'What changed', lines: explain(f), empty: '' },
      { title: 'Spend', lines: spendLines(f), empty: '' },
      { title: 'Top services this week', lines: f.top_services.map(leaderLine), empty: 'No spend this week.' },
      { title: 'Top models this week', lines: f.top_models.map(leaderLine), empty: 'No spend this week.' },
      { title: 'Top users this week', lines: f.top_users.map(leaderLine), empty: 'No spend this week.' },
      { title: 'Budget utilisation', lines: budgetLines, empty: 'No active budget limits.' },
      { title: 'Open critical alerts', lines: f.open_critical_alerts.map((a) => a.message), empty: 'None.' },
    ],
  };
}

/** The report's blocks as a page create takes them (the first publish). */
export function renderReport(f: ReportFigures, notices: readonly string[] = []): Record<string, unknown>[] {
  return reportBlocks(reportContent(f, notices));
}
