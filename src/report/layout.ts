/**
 * The report page's layout: a fixed sequence of blocks that a refresh edits in
 * place (blocks.update), so that in steady state a refresh creates no block.
 *
 *   callout    "LLM costs at a glance · updated …" and any notices
 *   heading_3  a section's title        ┐ once per section
 *   paragraph  up to 100 of its lines   ┘ (one more per further 100 lines)
 *   divider    the end of the report: what people add below it stays theirs
 *
 * A section's lines share one paragraph (one rich-text item per line, ≤ 100
 * items per block), so a report costs a few blocks whatever its length, and a
 * refresh one update per block whose text changed. Blocks are appended only
 * when a section outgrows its paragraphs; surplus paragraphs are blanked and
 * kept for later, since deleting a block never gives it back.
 *
 * This module is pure: it plans the edits; publish.ts reads the page and sends them.
 */
import type { ReportContent, ReportSection } from './render.js';

export const REPORT_TITLE = 'LLM Cost Report';
export const REPORT_HEADER = 'LLM costs at a glance';
/** Notion: a rich-text array holds at most 100 items, one item at most 2,000 characters. */
export const LINES_PER_BLOCK = 100;
const MAX_LINE_CHARS = 1990;
/** The report's blocks, besides the page itself, at one paragraph per section. */
export const REPORT_BASE_BLOCKS = (sections: number) => 1 + sections * 2 + 1;

export type Block = Record<string, unknown>;
/** A rich-text item as compared: content, boldness and link (all the report uses). */
type Run = { content: string; bold: boolean; link?: string | undefined };

export interface Slot {
  type: 'callout' | 'heading_3' | 'paragraph' | 'divider';
  runs: Run[];
}

export interface Layout {
  header: Slot;
  sections: { heading: Slot; bodies: Slot[] }[];
  end: Slot;
}

/** A top-level block of the page as listed. */
export interface PageBlock {
  id: string;
  type: string;
  hasChildren: boolean;
  runs: Run[];
}

export interface Region {
  header: PageBlock;
  sections: { heading: PageBlock; bodies: PageBlock[] }[];
  /** The divider that closes the report, if it is still there. */
  end: PageBlock | undefined;
}

export interface Edits {
  updates: { id: string; slot: Slot }[];
  /** Blocks to add after `afterId`, in order. */
  appends: { afterId: string; slots: Slot[] }[];
}

const clip = (line: string) => (line.length > MAX_LINE_CHARS ? `${line.slice(0, MAX_LINE_CHARS - 1)}…` : line);

/** A line of a section as shown: bulleted or not, linked or not. */
interface Line {
  text: string;
  bulleted: boolean;
  link?: string | undefined;
}

/** Lines as one paragraph's runs: a line per item, each after the first on a new line. */
function paragraphRuns(lines: readonly Line[]): Run[] {
  return lines.map((line, i) => ({
    content: `${i > 0 ? '\n' : ''}${line.bulleted ? '• ' : ''}${clip(line.text)}`,
    bold: false,
    ...(line.link ? { link: line.link } : {}),
  }));
}

/** A section's lines: its own, bulleted, then its "and N more" line (linked to where they all are); or its empty text. */
function sectionLines(section: ReportSection): Line[] {
  const lines: Line[] = section.lines.map((text) => ({ text, bulleted: true }));
  if (section.more) lines.push({ text: section.more.text, bulleted: false, link: section.more.link });
  if (lines.length === 0 && section.empty) lines.push({ text: section.empty, bulleted: false });
  return lines;
}

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export function layoutOf(content: ReportContent): Layout {
  const header: Run[] = [
    { content: clip(content.header), bold: false },
    ...content.notices.map((n) => ({ content: `\n⚠ ${clip(n)}`, bold: true })),
  ];
  return {
    header: { type: 'callout', runs: header.slice(0, LINES_PER_BLOCK) },
    sections: content.sections.map((s) => {
      const lines = sectionLines(s);
      return {
        heading: { type: 'heading_3', runs: [{ content: s.title, bold: false }] },
        bodies: (lines.length > 0 ? chunks(lines, LINES_PER_BLOCK) : [[]]).map((chunk) => ({ type: 'paragraph' as const, runs: paragraphRuns(chunk) })),
      };
    }),
    end: { type: 'divider', runs: [] },
  };
}

/** A slot as the API takes it, for a create, an append or an update. */
export function blockOf(slot: Slot): Block {
  if (slot.type === 'divider') return { type: 'divider', divider: {} };
  const rich_text = slot.runs.map((r) => ({
    type: 'text',
    text: { content: r.content, ...(r.link ? { link: { url: r.link } } : {}) },
    ...(r.bold ? { annotations: { bold: true } } : {}),
  }));
  if (slot.type === 'callout') return { type: 'callout', callout: { rich_text, icon: { type: 'emoji', emoji: '📊' }, color: 'gray_background' } };
  return { type: slot.type, [slot.type]: { rich_text } };
}

export function slotsOf(layout: Layout): Slot[] {
  return [layout.header, ...layout.sections.flatMap((s) => [s.heading, ...s.bodies]), layout.end];
}

/** The whole report as blocks, for the page create. */
export function reportBlocks(content: ReportContent): Block[] {
  return slotsOf(layoutOf(content)).map(blockOf);
}

/** A listed block's text as runs. */
export function runsOf(block: Record<string, unknown>): Run[] {
  type Item = { plain_text?: string; href?: string | null; text?: { content: string; link?: { url: string } | null }; annotations?: { bold?: boolean } };
  const body = block[String(block.type)] as { rich_text?: Item[] } | undefined;
  return (body?.rich_text ?? []).map((t) => {
    const link = t.text?.link?.url ?? t.href ?? undefined;
    return { content: t.plain_text ?? t.text?.content ?? '', bold: Boolean(t.annotations?.bold), ...(link ? { link } : {}) };
  });
}

const sameRun = (a: Run, b: Run) => a.content === b.content && a.bold === b.bold && (a.link ?? '') === (b.link ?? '');
const sameRuns = (a: Run[], b: Run[]) => a.length === b.length && a.every((r, i) => sameRun(r, b[i]!));
const plain = (runs: Run[]) => runs.map((r) => r.content).join('');

/**
 * The report among the page's top-level blocks: our header callout (without
 * children: the one-callout report of earlier versions had them), then
 * headings with their paragraphs, up to the divider. Undefined when absent.
 */
export function findRegion(blocks: readonly PageBlock[]): Region | undefined {
  const start = blocks.findIndex((b) => b.type === 'callout' && !b.hasChildren && plain(b.runs).startsWith(REPORT_HEADER));
  if (start < 0) return undefined;
  const region: Region = { header: blocks[start]!, sections: [], end: undefined };
  for (const block of blocks.slice(start + 1)) {
    if (block.type === 'divider') {
      region.end = block;
      break;
    }
    if (block.type === 'heading_3') region.sections.push({ heading: block, bodies: [] });
    else if (block.type === 'paragraph' && region.sections.length > 0) region.sections.at(-1)!.bodies.push(block);
    // Anything else (a block someone put inside the report) is left alone.
  }
  return region;
}

/** Whether the listing so far holds the whole report (its closing divider). */
export const regionComplete = (blocks: readonly PageBlock[]) => findRegion(blocks)?.end !== undefined;

const BLANK: Slot = { type: 'paragraph', runs: [] };

/**
 * Fits the layout into the blocks that exist, for when none can be created:
 * a section keeps as many paragraphs as it has, its last line saying how many
 * were left out; sections with no blocks left are dropped.
 */
export function fitToRegion(layout: Layout, region: Region, leftOutNote: (n: number) => string): { layout: Layout; truncated: boolean } {
  let truncated = false;
  const sections = layout.sections.slice(0, region.sections.length).map((section, i) => {
    const capacity = region.sections[i]!.bodies.length;
    if (section.bodies.length <= capacity) return section;
    truncated = true;
    if (capacity === 0) return { heading: section.heading, bodies: [] };
    const lines = section.bodies.flatMap((b) => b.runs);
    const kept = lines.slice(0, capacity * LINES_PER_BLOCK - 1);
    const note = { content: `\n${leftOutNote(lines.length - kept.length)}`, bold: true };
    return { heading: section.heading, bodies: chunks([...kept, note], LINES_PER_BLOCK).map((runs) => ({ type: 'paragraph' as const, runs })) };
  });
  if (layout.sections.length > region.sections.length) truncated = true;
  return { layout: { ...layout, sections }, truncated };
}

/**
 * The edits that turn the region into the layout: an update for each block
 * whose text differs, appends only where the layout has more blocks than the
 * region (a section grew past its paragraphs, a new section, a lost divider),
 * and surplus blocks blanked.
 */
export function planEdits(region: Region, layout: Layout): Edits {
  const updates: Edits['updates'] = [];
  const appends: Edits['appends'] = [];
  const put = (block: PageBlock, slot: Slot) => {
    if (!sameRuns(block.runs, slot.runs)) updates.push({ id: block.id, slot });
  };
  // New blocks after the same existing one go in one append, in order.
  const add = (afterId: string, slots: Slot[]) => {
    const previous = appends.at(-1);
    if (previous?.afterId === afterId) previous.slots.push(...slots);
    else appends.push({ afterId, slots });
  };
  put(region.header, layout.header);
  let last = region.header.id;
  layout.sections.forEach((section, i) => {
    const existing = region.sections[i];
    if (!existing) {
      add(last, [section.heading, ...section.bodies]);
      return;
    }
    put(existing.heading, section.heading);
    section.bodies.forEach((body, j) => {
      if (existing.bodies[j]) put(existing.bodies[j]!, body);
    });
    existing.bodies.slice(section.bodies.length).forEach((surplus) => put(surplus, BLANK));
    last = existing.bodies.at(-1)?.id ?? existing.heading.id;
    const missing = section.bodies.slice(existing.bodies.length);
    if (missing.length > 0) add(last, missing);
  });
  for (const extra of region.sections.slice(layout.sections.length)) {
    put(extra.heading, { type: 'heading_3', runs: [] });
    extra.bodies.forEach((b) => put(b, BLANK));
    last = extra.bodies.at(-1)?.id ?? extra.heading.id;
  }
  if (!region.end) add(last, [layout.end]);
  return { updates, appends };
}
