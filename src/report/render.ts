/**
 * The report as content: a header line, notices (e.g. that Notion refuses new
 * blocks) and sections of lines. layout.ts lays it out as a fixed set of
 * blocks that later refreshes edit in place (see publish.ts).
 */
import type { ReportFigures, SpendLeader, UnpricedModel } from '../supabase/source.js';
import { explain } from './explain.js';
import { change, dayOfMonth, daysUntil, localTime, usd } from './format.js';
import { LINES_PER_BLOCK, REPORT_HEADER, reportBlocks } from './layout.js';

export { REPORT_HEADER, REPORT_TITLE } from './layout.js';

export interface ReportSection {
  title: string;
  /** One line each; shown as a bulleted line. */
  lines: string[];
  /** Shown, unbulleted, when there are no lines. */
  empty: string;
  /** The last line of a list cut short: how many more, and where they all are. */
  more?: MoreLine;
}

export interface MoreLine {
  text: string;
  /** A link to the Notion database that lists them all. */
  link: string | undefined;
}

/** Where the report may send a reader for a whole list: Notion URLs of the databases. */
export interface ReportLinks {
  budgetLimits?: string;
}

/**
 * A section shows at most this many lines (two blocks' worth, with its "and N
 * more" line): enough to read, and the page stays a few blocks long whatever the
 * number of budgets.
 */
export const MAX_SECTION_LINES = 2 * LINES_PER_BLOCK - 1;

export interface ReportContent {
  /** "LLM costs at a glance · updated …": changes on every refresh, so it is left out of the content hash. */
  header: string;
  /** Lines shown under the header, marked, e.g. that Notion can create no more blocks. */
  notices: string[];
  sections: ReportSection[];
}

/** Names longer than this are shortened, so that a line's figures always show (Notion cuts a text item at 2,000 characters). */
const MAX_NAME_CHARS = 120;
const short = (name: string) => (name.length > MAX_NAME_CHARS ? `${name.slice(0, MAX_NAME_CHARS - 1)}…` : name);

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
    lines.push(`Organization ${short(b.organization)}: ${usd(b.spent)} of ${usd(b.monthly_limit)} monthly budget (${b.utilisation_pct ?? 0}%)${left}`);
  }
  return lines;
}

const leaderLine = (l: SpendLeader) => `${short(l.name)}: ${usd(l.spent)} (${change(l.spent, l.previous)} vs last week, same days)`;

/**
 * A model with no price, counted at a fallback: what it cost so far and how to
 * price it. recost's --from is a UTC date, so the first call's UTC date.
 */
const unpricedLine = (m: UnpricedModel) =>
  `${short(`${m.provider}/${m.model}`)}: ${m.calls} ${m.calls === 1 ? 'call' : 'calls'}, ${usd(m.estimated_spend)} estimated — ` +
  `priced as ${m.priced_as ?? 'a fallback'} until priced; run npm run recost -- --from ${new Date(m.first_seen).toISOString().slice(0, 10)} after adding a price`;

/** Shown only while this month has calls on unpriced models; last, so that its coming and going moves no other section. */
function unpricedSection(f: ReportFigures): ReportSection[] {
  const models = f.unpriced_models ?? [];
  if (models.length === 0) return [];
  return [{ title: 'Unpriced models this month', ...capped(models.map(unpricedLine), notShown), empty: '' }];
}

/** The lines, cut to MAX_SECTION_LINES with a line that says how many more and where. */
function capped(lines: string[], more: (n: number) => MoreLine): Pick<ReportSection, 'lines' | 'more'> {
  if (lines.length <= MAX_SECTION_LINES) return { lines };
  return { lines: lines.slice(0, MAX_SECTION_LINES), more: more(lines.length - MAX_SECTION_LINES) };
}

const notShown = (n: number): MoreLine => ({ text: `… and ${n} more not shown`, link: undefined });

/** Most used first (a budget without a figure last), so that a list cut short keeps the ones that matter. */
const byUtilisation = (budgets: ReportFigures['budgets']) =>
  [...budgets].sort((a, b) => (b.utilisationPct ?? -Infinity) - (a.utilisationPct ?? -Infinity));

export function reportContent(f: ReportFigures, notices: readonly string[] = [], links: ReportLinks = {}): ReportContent {
  const budgetLines = byUtilisation(f.budgets).map(
    (b) => `${b.entityType} ${short(b.entityId)} · ${b.period}: ${usd(b.spent)} of ${usd(b.limitAmount)}${b.utilisationPct === null ? '' : ` (${b.utilisationPct}%)`}`,
  );
  const moreBudgets = (n: number): MoreLine => ({
    text: `… and ${n} more, less used: every limit is in the Budget Limits database`,
    link: links.budgetLimits,
  });
  return {
    header: `${REPORT_HEADER} · updated ${localTime(f.generated_at, f.timezone)} (${f.timezone})`,
    notices: [...notices],
    sections: [
      { title: 'What changed', ...capped(explain(f), notShown), empty: '' },
      { title: 'Spend', ...capped(spendLines(f), notShown), empty: '' },
      { title: 'Top services this week', ...capped(f.top_services.map(leaderLine), notShown), empty: 'No spend this week.' },
      { title: 'Top models this week', ...capped(f.top_models.map(leaderLine), notShown), empty: 'No spend this week.' },
      { title: 'Top users this week', ...capped(f.top_users.map(leaderLine), notShown), empty: 'No spend this week.' },
      { title: 'Budget utilisation', ...capped(budgetLines, moreBudgets), empty: 'No active budget limits.' },
      { title: 'Open critical alerts', ...capped(f.open_critical_alerts.map((a) => a.message), notShown), empty: 'None.' },
      ...unpricedSection(f),
    ],
  };
}

/** The report's blocks as a page create takes them (the first publish). */
export function renderReport(f: ReportFigures, notices: readonly string[] = [], links: ReportLinks = {}): Record<string, unknown>[] {
  return reportBlocks(reportContent(f, notices, links));
}
