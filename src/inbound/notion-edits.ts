/**
 * The edits stakeholders may make in Notion, carried back to Supabase: ticking
 * Acknowledged on a Cost Alerts page, and changing a Budget Limits page's daily,
 * monthly or session limit, Active, Grace or Fail Mode, or clearing an agent's
 * Paused Until (Pause Reason, for a pause without an end) to unpause it. Nothing
 * else flows back. The SQL audits each change as notion:<editor>.
 *
 * Pages edited since the last poll are read (data source query on
 * last_edited_time, never search), and each page's values are compared with its
 * row by the SQL functions, which decide: applied, unchanged, superseded (the row
 * changed after the page), rejected (invalid: the page is put back to the row's
 * values) or gone. Our own writes make a page equal its row, so they never come
 * back as edits.
 */
import { collectPaginatedAPI, type Client } from '@notionhq/client';
import type { Dataset } from '../datasets.js';
import type { Logger } from '../logging/logger.js';
import { specOf } from '../notion/catalogue/index.js';
import { notionCall } from '../notion/client.js';
import { readLiveSchema } from '../notion/provision/live.js';
import { planSchema } from '../notion/provision/plan-schema.js';
import type { BudgetEdit, EditOutcome, NotionEdit, SupabaseSource } from '../supabase/source.js';

export type EditableDataset = Extract<Dataset, 'cost_alerts' | 'budget_limits'>;

export interface PollEditsOptions {
  client: Client;
  /** Data source ids of the two editable databases. */
  dataSources: Record<EditableDataset, string>;
  logger: Logger;
  /** What one poll learned that the next may reuse (createPollMemory); without it every poll reads afresh. */
  memory?: PollMemory;
}

/** Editors' names are read again after this long: a renamed person shows the new name within the hour. */
const EDITOR_NAME_TTL_MS = 3_600_000;

/**
 * Kept by the worker between polls, so a poll under load does not read each
 * data source's schema and its own integration's name again every minute.
 * Property ids are reused only while the pages read carry every one of them
 * with the type the catalogue expects: a property deleted and re-created in
 * Notion has a new id, and the schema is read again before any value is used.
 */
export interface PollMemory {
  ids: Partial<Record<EditableDataset, Map<string, string>>>;
  editors: Map<string, { name: Promise<string>; at: number }>;
}

export function createPollMemory(): PollMemory {
  return { ids: {}, editors: new Map() };
}

export type EditCounts = Record<EditOutcome['outcome'], number>;

type Page = {
  id: string;
  last_edited_time: string;
  last_edited_by?: { id: string };
  properties: Record<string, { id: string; type: string; [key: string]: unknown }>;
};

const LIMIT_KEYS = ['daily_limit', 'monthly_limit', 'session_limit'] as const;

function valueOf(page: Page, propertyId: string | undefined): unknown {
  const property = Object.values(page.properties).find((p) => p.id === propertyId);
  if (!property) return undefined;
  const value = property[property.type];
  if (property.type === 'rich_text' || property.type === 'title') {
    return (value as { plain_text: string }[]).map((t) => t.plain_text).join('');
  }
  return value;
}

/** Reads each editor's name once (per poll, or per hour with memory); a person's name reads better than an id in Supabase. */
function editorNames(client: Client, memory: PollMemory['editors']) {
  return (userId: string | undefined): Promise<string | null> => {
    if (!userId) return Promise.resolve(null);
    const known = memory.get(userId);
    if (known && Date.now() - known.at < EDITOR_NAME_TTL_MS) return known.name;
    const name = client.users.retrieve({ user_id: userId }).then(
      (u) => u.name ?? userId,
      () => {
        memory.delete(userId); // not kept: asked again next time
        return userId;
      },
    );
    memory.set(userId, { name, at: Date.now() });
    return name;
  };
}

/** Whether every page carries each remembered property id with the type the catalogue gives its key. */
function idsStillHold(dataset: EditableDataset, ids: Map<string, string>, pages: Page[]): boolean {
  const types = new Map(specOf(dataset).properties.map((p) => [p.key, p.type]));
  return pages.every((page) => {
    const byId = new Map(Object.values(page.properties).map((p) => [p.id, p.type]));
    return [...ids].every(([key, id]) => byId.get(id) === types.get(key));
  });
}

/** Property ids for reading these pages: remembered ones while the pages prove them current, else the schema read now. */
async function propertyIdsFor(client: Client, dataset: EditableDataset, dataSourceId: string, pages: Page[], memory: PollMemory['ids']): Promise<Map<string, string>> {
  const remembered = memory[dataset];
  if (remembered && idsStillHold(dataset, remembered, pages)) return remembered;
  const spec = specOf(dataset);
  const ids = planSchema(spec, await readLiveSchema(client, dataSourceId, spec.title)).ids;
  // Only a complete set is kept: a property missing now is looked for again at the next poll.
  if (ids.size === spec.properties.length) memory[dataset] = ids;
  else delete memory[dataset];
  return ids;
}

async function editedPages(client: Client, dataSourceId: string, after: string | null): Promise<Page[]> {
  // Notion reports edit times to the minute, so the cursor's own minute is read again.
  const filter = after ? { timestamp: 'last_edited_time', last_edited_time: { on_or_after: after } } : undefined;
  return (await notionCall('read edited pages', () =>
    collectPaginatedAPI(client.dataSources.query, {
      data_source_id: dataSourceId,
      ...(filter ? { filter: filter as never } : {}),
      sorts: [{ timestamp: 'last_edited_time', direction: 'ascending' }],
      page_size: 100,
    }),
  )) as unknown as Page[];
}

async function putBack(client: Client, page: Page, ids: Map<string, string>, current: Record<string, unknown>) {
  const properties: Record<string, unknown> = {};
  for (const key of LIMIT_KEYS) properties[ids.get(key)!] = { number: current[key] ?? null };
  properties[ids.get('is_active')!] = { checkbox: current.is_active === true };
  // Properties a workspace provisioned before them lacks are not written.
  const grace = ids.get('grace_pct');
  if (grace && current.grace_pct !== undefined) properties[grace] = { number: Number(current.grace_pct) };
  const failMode = ids.get('fail_mode');
  if (failMode && typeof current.fail_mode === 'string') properties[failMode] = { select: { name: current.fail_mode } };
  await notionCall('put a rejected edit back', () => client.pages.update({ page_id: page.id, properties: properties as never }));
}

/** A select's option name, or null when empty. */
const selectName = (value: unknown): string | null => (value as { name?: string } | null | undefined)?.name ?? null;

/**
 * The editable fields a Budget Limits page shows. Grace, Fail Mode and the pause
 * are sent only when the data source has them (setup:notion adds them to older
 * workspaces): a field that is not there is no edit. Nor is an empty Grace or
 * Fail Mode: pages written before the properties existed have them empty until
 * the sync rewrites them, and an edit of a limit there must not be refused for it.
 */
function budgetChangesOf(page: Page, ids: Map<string, string>): BudgetEdit {
  const changes: BudgetEdit = { is_active: valueOf(page, ids.get('is_active')) === true };
  for (const key of LIMIT_KEYS) changes[key] = (valueOf(page, ids.get(key)) as number | null | undefined) ?? null;
  const present = (key: string) => ids.has(key) && valueOf(page, ids.get(key)) !== undefined;
  const grace = valueOf(page, ids.get('grace_pct')) as number | null | undefined;
  if (grace !== undefined && grace !== null) changes.grace_pct = grace;
  const failMode = selectName(valueOf(page, ids.get('fail_mode')));
  if (failMode !== null) changes.fail_mode = failMode;
  if (present('paused_until')) changes.paused_until = (valueOf(page, ids.get('paused_until')) as { start?: string } | null)?.start ?? null;
  if (present('pause_reason')) changes.pause_reason = valueOf(page, ids.get('pause_reason')) as string;
  return changes;
}

/** Pages per call to the database: one round trip for a poll's worth of edits. */
const EDITS_PER_CALL = 500;

function editOf(page: Page, rowId: string, editor: string | null): NotionEdit {
  return { rowId, pageId: page.id, editor, editedAt: page.last_edited_time };
}

/** Every page's values, applied in as few calls as pages allow; outcomes in page order. */
async function applyPages(dataset: EditableDataset, pages: { page: Page; edit: NotionEdit }[], ids: Map<string, string>, source: SupabaseSource) {
  const outcomes: EditOutcome[] = [];
  for (let i = 0; i < pages.length; i += EDITS_PER_CALL) {
    const chunk = pages.slice(i, i + EDITS_PER_CALL);
    if (dataset === 'cost_alerts') {
      outcomes.push(...(await source.applyAcknowledgements(
        chunk.map(({ page, edit }) => ({ ...edit, acknowledged: valueOf(page, ids.get('acknowledged')) === true })),
      )));
    } else {
      outcomes.push(...(await source.applyBudgetEdits(
        chunk.map(({ page, edit }) => ({ ...edit, changes: budgetChangesOf(page, ids) })),
      )));
    }
  }
  return outcomes;
}

export async function pollNotionEdits(source: SupabaseSource, options: PollEditsOptions): Promise<Record<EditableDataset, EditCounts>> {
  const { client, logger } = options;
  const memory = options.memory ?? createPollMemory();
  const editor = editorNames(client, memory.editors);
  const result = {} as Record<EditableDataset, EditCounts>;
  for (const dataset of ['cost_alerts', 'budget_limits'] as const) {
    const counts: EditCounts = { unchanged: 0, applied: 0, superseded: 0, rejected: 0, gone: 0 };
    const pages = await editedPages(client, options.dataSources[dataset], await source.editCursor(dataset));
    if (pages.length === 0) {
      result[dataset] = counts;
      continue;
    }
    const ids = await propertyIdsFor(client, dataset, options.dataSources[dataset], pages, memory.ids);
    const ours: { page: Page; edit: NotionEdit }[] = [];
    for (const page of pages) {
      const rowId = String(valueOf(page, ids.get('id')) ?? '');
      if (!/^[0-9a-f-]{36}$/i.test(rowId)) continue; // a page people added by hand: not ours to read
      ours.push({ page, edit: editOf(page, rowId, await editor(page.last_edited_by?.id)) });
    }
    const outcomes = await applyPages(dataset, ours, ids, source);
    for (const [i, { page, edit }] of ours.entries()) {
      const outcome = outcomes[i]!;
      counts[outcome.outcome] += 1;
      if (outcome.outcome === 'unchanged') continue;
      const log = { dataset, rowId: edit.rowId, pageId: page.id, editor: edit.editor, outcome: outcome.outcome, reason: outcome.reason, overwritten: outcome.overwritten };
      if (outcome.outcome === 'rejected') {
        logger.warn(log, 'edit in Notion rejected; putting the Supabase value back');
        if (outcome.current) await putBack(client, page, ids, outcome.current);
      } else {
        logger.info(log, `edit in Notion ${outcome.outcome}`);
      }
    }
    const last = pages.at(-1);
    if (last) await source.setEditCursor(dataset, last.last_edited_time);
    result[dataset] = counts;
  }
  return result;
}
