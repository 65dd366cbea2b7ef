import { describe, expect, it } from 'vitest';
import { explain } from '../../src/report/explain.js';
import { change, daysUntil, usd } from '../../src/report/format.js';
import type { ReportFigures } from '../../src/supabase/source.js';

function figures(overrides: Partial<ReportFigures> = {}): ReportFigures {
  return {
    generated_at: '2026-11-19T11:00:00+00:00',
    timezone: 'UTC',
    today: { start: '', spent: 0, yesterday_same_time: 0, yesterday_total: 0 },
    week: { start: '', spent: 0, last_week_same_span: 0, last_week_total: 0 },
    month: { start: '', spent: 0, days_elapsed: 18.5, days_in_month: 30, projected: null },
    organization_budgets: [],
    top_services: [],
    top_models: [],
    top_users: [],
    drivers: [],
    budgets: [],
    open_critical_alerts: [],
    ...overrides,
  };
}

describe('explain', () => {
  it('says the week-over-week change and the pair that drives it', () => {
    const sentences = explain(
      figures({
        week: { start: '', spent: 138, last_week_same_span: 100, last_week_total: 160 },
        drivers: [{ service: 'workflow', model: 'gpt-4o', spent: 30, previous: 3.4, change: 26.6 }],
      }),
    );
    expect(sentences.slice(0, 2)).toEqual([
      'Spend is up 38% week over week ($138.00 against $100.00 over the same days).',
      '70% of the increase comes from workflow on gpt-4o: +$26.60.',
    ]);
  });

  it('names no driver that explains too little, or one that moved the other way', () => {
    const small = figures({ week: { start: '', spent: 200, last_week_same_span: 100, last_week_total: 100 }, drivers: [{ service: 'a', model: 'm', spent: 30, previous: 0, change: 30 }] });
    expect(explain(small).some((s) => s.includes('comes from'))).toBe(false);
    const opposite = figures({ week: { start: '', spent: 50, last_week_same_span: 100, last_week_total: 100 }, drivers: [{ service: 'a', model: 'm', spent: 90, previous: 10, change: 80 }] });
    expect(explain(opposite).some((s) => s.includes('comes from'))).toBe(false);
  });

  it('says where the month is heading against each organization budget', () => {
    const over = explain(figures({ organization_budgets: [{ organization: 'mvp', monthly_limit: 500, spent: 400, utilisation_pct: 80, projected: 648.648648, exhausted_on: '2026-11-24' }] }));
    expect(over).toContain('At this pace organization mvp ends the month at $648.65, over its $500.00 budget, which runs out around November 24.');
    const under = explain(figures({ organization_budgets: [{ organization: 'mvp', monthly_limit: 500, spent: 100, utilisation_pct: 20, projected: 162.16, exhausted_on: null }] }));
    expect(under).toContain('At this pace organization mvp ends the month at $162.16, 32% of its $500.00 budget.');
    const spent = explain(figures({ organization_budgets: [{ organization: 'mvp', monthly_limit: 500, spent: 512.5, utilisation_pct: 102.5, projected: 831, exhausted_on: '2026-11-19' }] }));
    expect(spent).toContain('Organization mvp has spent $512.50, over its $500.00 monthly budget.');
  });

  it('mentions open critical alerts, and says so when there is no spend at all', () => {
    expect(explain(figures({ open_critical_alerts: [{ message: 'x', raised_at: '', entity_type: 'service', entity_id: 'w', period: 'daily' }] }))).toEqual([
      'One critical alert is open and not acknowledged.',
    ]);
    expect(explain(figures())).toEqual(['No LLM spend recorded yet this month.']);
  });
});

describe('format', () => {
  it('writes dollars to the cent and changes as signed percentages', () => {
    expect([usd(1234.5), usd(0.004), usd(0.005), usd(-2)]).toEqual(['$1,234.50', '$0.00', '$0.01', '-$2.00']);
    expect([change(138, 100), change(50, 100), change(5, 0), change(0, 0), change(100.2, 100)]).toEqual(['+38%', '−50%', 'new', 'no change', 'no change']);
    // Days are counted in the report's time zone: 23:30 UTC on the 19th is already the 20th in Tokyo.
    expect(daysUntil('2026-11-19T23:30:00Z', '2026-11-25', 'UTC')).toBe('in 6 days');
    expect(daysUntil('2026-11-19T23:30:00Z', '2026-11-25', 'Asia/Tokyo')).toBe('in 5 days');
    expect([daysUntil('2026-11-19T10:00:00Z', '2026-11-19', 'UTC'), daysUntil('2026-11-19T10:00:00Z', '2026-11-18', 'UTC')]).toEqual(['today', 'already']);
  });
});
