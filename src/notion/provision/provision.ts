/**
 * npm run setup:notion, as a function: check access, then for each database of
 * the catalogue find or create it, repair its schema, create or restore its
 * views and dashboard, and record the ids. Idempotent: a second run on an
 * unchanged workspace sends reads only.
 */
import type { Client } from '@notionhq/client';
import { DATASETS, notionIdVariables, type Dataset } from '../../datasets.js';
import { localDate } from '../../local-time.js';
import { CATALOGUE, type DatabaseSpec, type PropertyIdOf, type ViewContext } from '../catalogue/index.js';
import { notionCall, NotionRequestError } from '../client.js';
import { createDatabaseRequest, readLiveProperties, type LiveProperty } from '../schema.js';
import { upsertEnvFile } from './env-file.js';
import { readLiveSchema, readLiveViews } from './live.js';
import { checkParentPage, checkToken, childDatabases, locateDatabase, type ChildDatabase } from './locate.js';
import { describeSchemaChange, describeSchemaNote, planSchema, schemaUpdateRequest, type SchemaChange } from './plan-schema.js';
import { describeViewChange, planViews, type PlanViewsOptions, type ViewBody, type ViewChange } from './plan-views.js';

export interface NotionIdsOf {
  databaseId: string;
  dataSourceId: string;
}

export type ProvisionEvent =
  | { kind: 'access'; message: string }
  | { kind: 'database'; title: string; message: string }
  | { kind: 'change'; title: string; message: string }
  | { kind: 'note'; title: string; message: string }
  | { kind: 'recorded'; file: string; keys: string[] };

export interface ProvisionOptions {
  client: Client;
  parentPageId: string;
  recorded: Record<Dataset, { databaseId: string | undefined; dataSourceId: string | undefined }>;
  /** Where to record ids; nothing is recorded when undefined. */
  envFile: string | undefined;
  timezone: string;
  dryRun?: boolean;
  now?: Date;
  onEvent?: (event: ProvisionEvent) => void;
}

export interface ProvisionResult {
  databases: Partial<Record<Dataset, NotionIdsOf>>;
  /** Writes made (or, in a dry run, that would be made). */
  changes: number;
}

/** First day of the month of `now` in `timeZone`, as YYYY-MM-DD. */
export function monthStartIn(now: Date, timeZone: string): string {
  return `${localDate(now, timeZone).slice(0, 7)}-01`;
}

export async function provisionNotion(options: ProvisionOptions): Promise<ProvisionResult> {
  const { client, parentPageId } = options;
  const emit = options.onEvent ?? (() => undefined);
  const result: ProvisionResult = { databases: {}, changes: 0 };
  const context: ViewContext = { monthStart: monthStartIn(options.now ?? new Date(), options.timezone) };

  const botName = await checkToken(client);
  emit({ kind: 'access', message: `token accepted (integration “${botName}”)` });
  await checkParentPage(client, parentPageId, botName);
  emit({ kind: 'access', message: `parent page ${parentPageId} is shared with the integration` });

  const children = await childDatabases(client, parentPageId);
  const steps: DatabaseStep[] = [];
  try {
    for (const spec of CATALOGUE) {
      // Ids are kept as soon as the database is known, so a later failure still records them.
      const step = new DatabaseStep(client, spec, options, context, emit, (ids) => (result.databases[spec.dataset] = ids));
      steps.push(step);
      try {
        await step.run(children);
      } finally {
        result.changes += step.changes;
      }
    }
    // Retired views go only once every database and view of today's catalogue is in place.
    for (const step of steps) {
      try {
        await step.retire();
      } finally {
        result.changes += step.retired;
      }
    }
  } finally {
    // Whatever was found or created is recorded, also when a later step failed.
    if (!options.dryRun && options.envFile) await recordIds(options.envFile, result.databases, emit);
  }
  return result;
}

async function recordIds(file: string, databases: Partial<Record<Dataset, NotionIdsOf>>, emit: (e: ProvisionEvent) => void) {
  const values: Record<string, string> = {};
  for (const dataset of DATASETS) {
    const ids = databases[dataset];
    if (!ids) continue;
    const names = notionIdVariables(dataset);
    values[names.databaseId] = ids.databaseId;
    values[names.dataSourceId] = ids.dataSourceId;
  }
  const { changed } = await upsertEnvFile(file, values);
  emit({ kind: 'recorded', file, keys: changed });
}

/** One database: locate or create, repair the schema, reconcile the views. */
class DatabaseStep {
  changes = 0;
  retired = 0;
  /** Views to remove once every database is provisioned, with their ids. */
  private retirements: Extract<ViewChange, { kind: 'delete' }>[] = [];

  constructor(
    private readonly client: Client,
    private readonly spec: DatabaseSpec,
    private readonly options: ProvisionOptions,
    private readonly context: ViewContext,
    private readonly emit: (event: ProvisionEvent) => void,
    private readonly located: (ids: NotionIdsOf) => void,
  ) {}

  private change(message: string) {
    this.changes += 1;
    this.emit({ kind: 'change', title: this.spec.title, message: this.options.dryRun ? `would ${message}` : message });
  }

  /** Removes the retired views found by run(); a view already gone counts as removed. */
  async retire(): Promise<void> {
    for (const change of this.retirements) {
      if (!this.options.dryRun) {
        try {
          await notionCall(`remove view ${change.name} from ${this.spec.title}`, () => this.client.views.delete({ view_id: change.viewId }));
        } catch (error) {
          if (!(error instanceof NotionRequestError) || error.notionCode !== 'object_not_found') throw error;
        }
      }
      this.retired += 1;
      this.emit({ kind: 'change', title: this.spec.title, message: `${this.options.dryRun ? 'would ' : ''}${describeViewChange(change)}` });
    }
    this.retirements = [];
  }

  async run(children: ChildDatabase[]): Promise<void> {
    const { spec, options } = this;
    const { located, notes } = await locateDatabase(this.client, spec, options.parentPageId, options.recorded[spec.dataset], children);
    notes.forEach((message) => this.emit({ kind: 'note', title: spec.title, message }));

    if (!located && options.dryRun) {
      this.change(`create the database with ${spec.properties.length} properties and ${spec.views.length} views${spec.dashboard ? ' and a dashboard' : ''}`);
      return;
    }
    const ids = located ?? (await this.createDatabase());
    this.located({ databaseId: ids.databaseId, dataSourceId: ids.dataSourceId });
    if (located) this.emit({ kind: 'database', title: spec.title, message: `found by ${located.how} (${located.databaseId})` });

    const idOf = await this.repairSchema(ids.dataSourceId);
    await this.reconcileViews(ids, idOf, { adoptDefaultView: !located });
  }

  private async createDatabase(): Promise<NotionIdsOf> {
    const { spec } = this;
    const created = (await notionCall(`create database ${spec.title}`, () =>
      this.client.databases.create(createDatabaseRequest(spec, this.options.parentPageId) as never),
    )) as { id: string; data_sources?: { id: string }[] };
    const dataSourceId = created.data_sources?.[0]?.id;
    if (!dataSourceId) throw new Error(`Notion created database ${spec.title} (${created.id}) without a data source`);
    this.change(`create the database (${created.id}) with ${spec.properties.length} properties`);
    return { databaseId: created.id, dataSourceId };
  }

  private async repairSchema(dataSourceId: string): Promise<PropertyIdOf> {
    const { spec } = this;
    let live = await readLiveSchema(this.client, dataSourceId, spec.title);
    const plan = planSchema(spec, live);
    plan.notes.forEach((note) => this.emit({ kind: 'note', title: spec.title, message: describeSchemaNote(note) }));
    if (this.options.dryRun) plan.changes.forEach((change) => this.change(describeSchemaChange(change)));
    else if (plan.changes.length > 0) live = await this.applySchemaChanges(dataSourceId, plan.changes);
    const after = this.options.dryRun ? plan.ids : planSchema(spec, live).ids;
    return (key) => {
      const id = after.get(key);
      if (!id) throw new Error(`property ${key} of ${spec.title} has no id${this.options.dryRun ? ' yet (dry run)' : ''}`);
      return id;
    };
  }

  private async updateSchema(dataSourceId: string, changes: SchemaChange[]) {
    const updated = (await notionCall(`repair the schema of ${this.spec.title}`, () =>
      this.client.dataSources.update({ data_source_id: dataSourceId, properties: schemaUpdateRequest(changes) as never }),
    )) as { properties: Record<string, unknown> };
    changes.forEach((change) => this.change(describeSchemaChange(change)));
    return readLiveProperties(updated.properties);
  }

  /**
   * All changes in one update. Notion refuses some type changes; then the rest
   * is applied and each type change is tried alone, a refusal reported, not fatal.
   */
  private async applySchemaChanges(dataSourceId: string, changes: SchemaChange[]): Promise<LiveProperty[]> {
    try {
      return await this.updateSchema(dataSourceId, changes);
    } catch (error) {
      const refusable = error instanceof NotionRequestError && error.notionCode === 'validation_error';
      if (!refusable || !changes.some((c) => c.kind === 'retype')) throw error;
    }
    const retypes = changes.filter((c) => c.kind === 'retype');
    let live = await this.updateSchema(dataSourceId, changes.filter((c) => c.kind !== 'retype'));
    for (const retype of retypes) {
      try {
        live = await this.updateSchema(dataSourceId, [retype]);
      } catch (error) {
        if (!(error instanceof NotionRequestError) || error.notionCode !== 'validation_error') throw error;
        const said = error.cause instanceof Error ? error.cause.message : error.message;
        this.emit({
          kind: 'note',
          title: this.spec.title,
          message: `Notion refused to ${describeSchemaChange(retype)}: “${said}” (request ${error.requestId ?? 'unknown'}); change it by hand`,
        });
      }
    }
    return live;
  }

  private async reconcileViews(ids: NotionIdsOf, idOf: PropertyIdOf, options: PlanViewsOptions): Promise<void> {
    const live = await readLiveViews(this.client, ids.databaseId, this.spec.title);
    let changes: ViewChange[];
    try {
      changes = planViews(this.spec, live, idOf, this.context, options);
    } catch (error) {
      // A dry run on a schema that is not repaired yet cannot resolve every property.
      if (this.options.dryRun) return this.emit({ kind: 'note', title: this.spec.title, message: 'views are planned after the schema is repaired' });
      throw error;
    }
    this.retirements = changes.filter((c) => c.kind === 'delete');
    const retiredIds = new Set(this.retirements.map((c) => c.viewId));
    let dashboardId = live.find((v) => v.type === 'dashboard' && !retiredIds.has(v.id))?.id;
    for (const change of changes.filter((c) => c.kind !== 'delete')) {
      // Reported once done, so after a failure the output lists only what happened.
      if (!this.options.dryRun) dashboardId = (await this.applyViewChange(change, ids, dashboardId)) ?? dashboardId;
      this.change(describeViewChange(change));
    }
  }

  /** Returns the new dashboard's id when it creates one. */
  private async applyViewChange(change: ViewChange, ids: NotionIdsOf, dashboardId: string | undefined): Promise<string | undefined> {
    const views = this.client.views;
    // A view belongs to exactly one of a database or (as a widget) a dashboard view.
    const create = (what: string, body: Record<string, unknown>, placedIn: { database_id: string } | { view_id: string }) =>
      notionCall(`${what} in ${this.spec.title}`, () =>
        views.create({ data_source_id: ids.dataSourceId, ...placedIn, ...body } as never),
      ) as Promise<{ id: string }>;
    const inDatabase = { database_id: ids.databaseId };
    switch (change.kind) {
      case 'create':
        await create(`create view ${change.body.name}`, { ...change.body }, inDatabase);
        return undefined;
      case 'create-dashboard':
        return (await create(`create dashboard ${change.name}`, { name: change.name, type: 'dashboard' }, inDatabase)).id;
      case 'create-widget':
        if (!dashboardId) throw new Error(`dashboard ${change.dashboardName} of ${this.spec.title} has no id`);
        await create(`add ${change.body.name} to the dashboard`, { ...(change.body as ViewBody), placement: { type: 'new_row' } }, { view_id: dashboardId });
        return undefined;
      case 'update':
        await notionCall(`update view ${change.body.name} in ${this.spec.title}`, () =>
          views.update({ view_id: change.viewId, ...change.body } as never),
        );
        return undefined;
      case 'delete':
        throw new Error(`view ${change.name} of ${this.spec.title} is removed by retire(), after every database is provisioned`);
    }
  }
}
