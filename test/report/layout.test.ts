import { describe, expect, it } from 'vitest';
import { LINES_PER_BLOCK, findRegion, fitToRegion, layoutOf, planEdits, slotsOf, type PageBlock, type Slot } from '../../src/report/layout.js';
import type { ReportContent } from '../../src/report/render.js';

const content = (lines: Record<string, number>, header = 'LLM costs at a glance · updated 2026-12-04 10:00 (UTC)'): ReportContent => ({
  header,
  notices: [],
  sections: Object.entries(lines).map(([title, n]) => ({ title, lines: Array.from({ length: n }, (_, i) => `${title} line ${i}`), empty: 'None.' })),
});

/** The page as a listing would show it after the layout was written: ids b0, b1, … */
function pageOf(slots: Slot[], extra: PageBlock[] = []): PageBlock[] {
  return [...slots.map((s, i) => ({ id: `b${i}`, type: s.type, hasChildren: false, runs: s.runs })), ...extra];
}

const note: PageBlock = { id: 'note', type: 'paragraph', hasChildren: false, runs: [{ content: 'Notes from finance', bold: false }] };

describe('the report layout', () => {
  it('is a header, a heading and paragraphs per section (≤ 100 lines each), and a divider', () => {
    const layout = layoutOf(content({ Spend: 3, Budgets: LINES_PER_BLOCK + 1, Alerts: 0 }));
    expect(slotsOf(layout).map((s) => s.type)).toEqual(['callout', 'heading_3', 'paragraph', 'heading_3', 'paragraph', 'paragraph', 'heading_3', 'paragraph', 'divider']);
    expect(layout.sections[1]!.bodies.map((b) => b.runs.length)).toEqual([LINES_PER_BLOCK, 1]);
    expect(layout.sections[0]!.bodies[0]!.runs.map((r) => r.content)).toEqual(['• Spend line 0', '\n• Spend line 1', '\n• Spend line 2']);
    expect(layout.sections[2]!.bodies[0]!.runs).toEqual([{ content: 'None.', bold: false }]);
  });

  it('finds the report up to its divider, leaving what people added below (and the old one-callout report) alone', () => {
    const slots = slotsOf(layoutOf(content({ Spend: 2 })));
    const region = findRegion(pageOf(slots, [note]))!;
    expect(region.sections).toHaveLength(1);
    expect(region.end?.id).toBe(`b${slots.length - 1}`);
    expect(findRegion([{ id: 'old', type: 'callout', hasChildren: true, runs: [{ content: 'LLM costs at a glance · updated …', bold: false }] }, note])).toBeUndefined();
  });

  it('plans nothing for unchanged content and one update per changed block, never an append', () => {
    const before = layoutOf(content({ Spend: 2, Budgets: 3 }));
    const region = findRegion(pageOf(slotsOf(before), [note]))!;
    expect(planEdits(region, before)).toEqual({ updates: [], appends: [] });

    const after = layoutOf(content({ Spend: 2, Budgets: 4 }, 'LLM costs at a glance · updated 2026-12-04 11:00 (UTC)'));
    const edits = planEdits(region, after);
    expect(edits.appends).toEqual([]);
    expect(edits.updates.map((u) => u.id)).toEqual(['b0', 'b4']);
  });

  it('appends only what a section outgrew, after its last paragraph, and blanks surplus paragraphs instead of deleting them', () => {
    const small = layoutOf(content({ Spend: 1, Budgets: 1 }));
    const region = findRegion(pageOf(slotsOf(small)))!;
    const grown = planEdits(region, layoutOf(content({ Spend: 1, Budgets: 2 * LINES_PER_BLOCK + 1 })));
    expect(grown.appends).toEqual([{ afterId: 'b4', slots: [expect.objectContaining({ type: 'paragraph' }), expect.objectContaining({ type: 'paragraph' })] }]);

    const big = layoutOf(content({ Spend: 1, Budgets: 2 * LINES_PER_BLOCK }));
    const bigRegion = findRegion(pageOf(slotsOf(big)))!;
    const shrunk = planEdits(bigRegion, small);
    expect(shrunk.appends).toEqual([]);
    expect(shrunk.updates.find((u) => u.id === 'b5')).toEqual({ id: 'b5', slot: { type: 'paragraph', runs: [] } });
  });

  it('adds a missing section and a lost divider after the report’s last block, in order', () => {
    const one = layoutOf(content({ Spend: 1 }));
    const withoutDivider = slotsOf(one).slice(0, -1);
    const edits = planEdits(findRegion(pageOf(withoutDivider))!, layoutOf(content({ Spend: 1, Alerts: 1 })));
    expect(edits.appends).toEqual([{ afterId: 'b2', slots: [expect.objectContaining({ type: 'heading_3' }), expect.objectContaining({ type: 'paragraph' }), expect.objectContaining({ type: 'divider' })] }]);
  });

  it('fits into the blocks that exist when none can be created, saying how many lines it left out', () => {
    const region = findRegion(pageOf(slotsOf(layoutOf(content({ Spend: 1, Budgets: 1 })))))!;
    const { layout, truncated } = fitToRegion(layoutOf(content({ Spend: 1, Budgets: LINES_PER_BLOCK + 20, Alerts: 1 })), region, (n) => `${n} more`);
    expect(truncated).toBe(true);
    expect(layout.sections).toHaveLength(2);
    const budget = layout.sections[1]!.bodies;
    expect(budget).toHaveLength(1);
    expect(budget[0]!.runs).toHaveLength(LINES_PER_BLOCK);
    expect(budget[0]!.runs.at(-1)).toEqual({ content: '\n21 more', bold: true });
    expect(planEdits(region, layout).appends).toEqual([]);
  });
});
