/**
 * Compares a database spec with the live data source schema and says what to
 * change. Pure: no requests. Our properties are recognised by the marker in
 * their description (so a rename is seen as a rename), then by name.
 *
 * Repairs restore ours and never touch a person's own properties: a missing
 * property is added, a renamed one is named back, a wrong type or number
 * format is set back, missing select options are added next to theirs (as many
 * as Notion's 100 options leave room for).
 * Formula expressions are not compared: Notion rewrites them into its own form.
 */
import { keyInDescription, markerOf, NOTION_MAX_SELECT_OPTIONS, type DatabaseSpec, type PropertySpec } from '../catalogue/index.js';
import { propertyConfig, type LiveProperty, type PropertyConfig } from '../schema.js';

export type SchemaChange =
  | { kind: 'add'; spec: PropertySpec }
  | { kind: 'rename'; spec: PropertySpec; live: LiveProperty }
  | { kind: 'retype'; spec: PropertySpec; live: LiveProperty }
  | { kind: 'reformat'; spec: PropertySpec; live: LiveProperty }
  | { kind: 'add-options'; spec: PropertySpec; live: LiveProperty; options: string[] }
  | { kind: 'mark'; spec: PropertySpec; live: LiveProperty };

export type SchemaNote =
  | { kind: 'kept-theirs'; live: LiveProperty }
  | { kind: 'options-full'; spec: PropertySpec; live: LiveProperty; options: string[] }
  | { kind: 'rename-blocked'; spec: PropertySpec; live: LiveProperty };

export interface SchemaPlan {
  changes: SchemaChange[];
  notes: SchemaNote[];
  /** Our key → live property id, for every property that exists or will after the changes. */
  ids: Map<string, string>;
}

function findLive(spec: PropertySpec, live: LiveProperty[]): LiveProperty | undefined {
  if (spec.type === 'title') return live.find((p) => p.type === 'title');
  return live.find((p) => keyInDescription(p.description) === spec.key) ?? live.find((p) => p.name === spec.name);
}

function missingOptions(spec: PropertySpec, live: LiveProperty): string[] {
  if (spec.type !== 'select' || live.type !== 'select') return [];
  const have = new Set((live.selectOptions ?? []).map((o) => o.name.toLowerCase()));
  return spec.options.filter((o) => !have.has(o.name.toLowerCase())).map((o) => o.name);
}

function changesFor(spec: PropertySpec, live: LiveProperty, all: LiveProperty[]): { changes: SchemaChange[]; notes: SchemaNote[] } {
  const changes: SchemaChange[] = [];
  const notes: SchemaNote[] = [];
  if (live.name !== spec.name) {
    const holder = all.find((p) => p.name === spec.name);
    if (holder) notes.push({ kind: 'rename-blocked', spec, live });
    else changes.push({ kind: 'rename', spec, live });
  }
  if (live.type !== spec.type) {
    changes.push({ kind: 'retype', spec, live });
    return { changes, notes };
  }
  if (spec.type === 'number' && live.numberFormat !== spec.format) changes.push({ kind: 'reformat', spec, live });
  const missing = missingOptions(spec, live);
  // Notion refuses a select's 101st option: a select filled by values keeps them, and goes without ours.
  const room = Math.max(0, NOTION_MAX_SELECT_OPTIONS - (live.selectOptions?.length ?? 0));
  const options = missing.slice(0, room);
  if (options.length > 0) changes.push({ kind: 'add-options', spec, live, options });
  if (missing.length > options.length) notes.push({ kind: 'options-full', spec, live, options: missing.slice(options.length) });
  if (!live.description?.endsWith(markerOf(spec.key))) changes.push({ kind: 'mark', spec, live });
  return { changes, notes };
}

export function planSchema(spec: DatabaseSpec, live: LiveProperty[]): SchemaPlan {
  const plan: SchemaPlan = { changes: [], notes: [], ids: new Map() };
  const claimed = new Set<string>();
  for (const property of spec.properties) {
    const match = findLive(property, live);
    if (!match) {
      plan.changes.push({ kind: 'add', spec: property });
      continue;
    }
    claimed.add(match.id);
    plan.ids.set(property.key, match.id);
    const { changes, notes } = changesFor(property, match, live);
    plan.changes.push(...changes);
    plan.notes.push(...notes);
  }
  for (const other of live) {
    if (!claimed.has(other.id)) plan.notes.push({ kind: 'kept-theirs', live: other });
  }
  return plan;
}

/**
 * One data source update for all changes: properties keyed by id (or by name
 * for new ones), each change merged into that property's patch.
 */
export function schemaUpdateRequest(changes: SchemaChange[]): Record<string, PropertyConfig> {
  const patches: Record<string, PropertyConfig> = {};
  const patch = (key: string, fields: PropertyConfig) => {
    patches[key] = { ...patches[key], ...fields };
  };
  for (const change of changes) {
    const full = propertyConfig(change.spec);
    switch (change.kind) {
      case 'add':
        patch(change.spec.name, full);
        break;
      case 'rename':
        patch(change.live.id, { name: change.spec.name });
        break;
      case 'retype':
      case 'reformat':
      case 'mark':
        patch(change.live.id, full);
        break;
      case 'add-options': {
        // Notion replaces the option list, so theirs are sent back alongside ours.
        const theirs = (change.live.selectOptions ?? []).map((o) => (o.id ? { id: o.id } : { name: o.name }));
        const ours = change.spec.type === 'select' ? change.spec.options.filter((o) => change.options.includes(o.name)) : [];
        patch(change.live.id, { select: { options: [...theirs, ...ours] } });
        break;
      }
    }
  }
  return patches;
}

export function describeSchemaChange(change: SchemaChange): string {
  const { spec } = change;
  switch (change.kind) {
    case 'add':
      return `add property “${spec.name}” (${spec.type === 'number' ? `number, ${spec.format}` : spec.type})`;
    case 'rename':
      return `rename property “${change.live.name}” back to “${spec.name}”`;
    case 'retype':
      return `change property “${spec.name}” from ${change.live.type} back to ${spec.type}`;
    case 'reformat':
      return `set number format of “${spec.name}” back to ${spec.type === 'number' ? spec.format : ''} (was ${change.live.numberFormat})`;
    case 'add-options':
      return `add missing options to “${spec.name}”: ${change.options.join(', ')}`;
    case 'mark':
      return `restore the description of “${spec.name}”`;
  }
}

export function describeSchemaNote(note: SchemaNote): string {
  switch (note.kind) {
    case 'kept-theirs':
      return `kept “${note.live.name}” (${note.live.type}): not ours, left as it is`;
    case 'rename-blocked':
      return `“${note.live.name}” is our “${note.spec.name}”, but another property has that name; left both as they are`;
    case 'options-full':
      return `“${note.live.name}” has Notion's ${NOTION_MAX_SELECT_OPTIONS} options: no room for ${note.options.join(', ')}; values that would need another option are left empty there, the exact value beside it`;
  }
}
