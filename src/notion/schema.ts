/**
 * Between the catalogue and Notion's wire format: property specs become property
 * configurations for database create and data source update, and live property
 * schemas are read back in the few fields we compare.
 */
import type { DatabaseSpec, PropertySpec } from './catalogue/index.js';

export type PropertyConfig = Record<string, unknown>;

/** The configuration Notion expects for one property (create or update). */
export function propertyConfig(spec: PropertySpec): PropertyConfig {
  const description = spec.description;
  switch (spec.type) {
    case 'number':
      return { description, number: { format: spec.format } };
    case 'select':
      return { description, select: { options: spec.options.map((o) => ({ name: o.name, color: o.color })) } };
    case 'formula':
      return { description, formula: { expression: spec.expression } };
    default:
      return { description, [spec.type]: {} };
  }
}

export function schemaOf(spec: DatabaseSpec): Record<string, PropertyConfig> {
  return Object.fromEntries(spec.properties.map((p) => [p.name, propertyConfig(p)]));
}

const richText = (content: string) => [{ type: 'text', text: { content } }];

export function createDatabaseRequest(spec: DatabaseSpec, parentPageId: string) {
  return {
    parent: { type: 'page_id' as const, page_id: parentPageId },
    title: richText(spec.title),
    description: richText(spec.description),
    icon: { type: 'emoji' as const, emoji: spec.icon },
    initial_data_source: { properties: schemaOf(spec) },
  };
}

/** A property as a data source reports it, reduced to what we compare. */
export interface LiveProperty {
  id: string;
  name: string;
  type: string;
  description: string | null;
  numberFormat?: string;
  selectOptions?: { id?: string; name: string; color?: string }[];
}

export function readLiveProperties(properties: Record<string, unknown>): LiveProperty[] {
  return Object.entries(properties).map(([name, raw]) => {
    const p = raw as Record<string, any>;
    return {
      id: String(p.id),
      name: typeof p.name === 'string' ? p.name : name,
      type: String(p.type),
      description: typeof p.description === 'string' ? p.description : null,
      ...(p.type === 'number' ? { numberFormat: p.number?.format } : {}),
      ...(p.type === 'select' ? { selectOptions: p.select?.options ?? [] } : {}),
    };
  });
}
