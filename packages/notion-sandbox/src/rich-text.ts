/**
 * Rich text: request items (text, mention, equation) are checked against the
 * size limits and turned into the response form Notion returns, with
 * annotations filled in, `plain_text` and `href`.
 */
import { compactId, normalizeId } from './ids.js';
import { notionErrors } from './errors.js';
import {
  LIMITS, expectArray, expectObject, expectString, fail, isRecord, maxItems, maxLength, type JsonObject,
} from './validation.js';

export interface Annotations {
  bold: boolean;
  italic: boolean;
  strikethrough: boolean;
  underline: boolean;
  code: boolean;
  color: string;
}

export type RichTextItem = JsonObject & {
  type: 'text' | 'mention' | 'equation';
  annotations: Annotations;
  plain_text: string;
  href: string | null;
};

export const COLORS = [
  'default', 'gray', 'brown', 'orange', 'yellow', 'green', 'blue', 'purple', 'pink', 'red',
  'default_background', 'gray_background', 'brown_background', 'orange_background', 'yellow_background',
  'green_background', 'blue_background', 'purple_background', 'pink_background', 'red_background',
] as const;

function annotationsOf(path: string, raw: unknown): Annotations {
  const base: Annotations = { bold: false, italic: false, strikethrough: false, underline: false, code: false, color: 'default' };
  if (raw === undefined) return base;
  const a = expectObject(path, raw);
  for (const key of ['bold', 'italic', 'strikethrough', 'underline', 'code'] as const) {
    if (a[key] === undefined) continue;
    if (typeof a[key] !== 'boolean') fail(`${path}.${key}`, 'should be a boolean', a[key]);
    base[key] = a[key] as boolean;
  }
  if (a.color !== undefined) {
    if (typeof a.color !== 'string' || !(COLORS as readonly string[]).includes(a.color)) fail(`${path}.color`, 'should be a valid color', a.color);
    base.color = a.color as string;
  }
  return base;
}

function textItem(path: string, item: JsonObject, annotations: Annotations): RichTextItem {
  const text = expectObject(`${path}.text`, item.text);
  const content = expectString(`${path}.text.content`, text.content);
  maxLength(`${path}.text.content`, content, LIMITS.richTextContent);
  let link: { url: string } | null = null;
  if (text.link !== undefined && text.link !== null) {
    const url = expectString(`${path}.text.link.url`, expectObject(`${path}.text.link`, text.link).url);
    maxLength(`${path}.text.link.url`, url, LIMITS.richTextContent);
    link = { url };
  }
  return { type: 'text', text: { content, link }, annotations, plain_text: content, href: link?.url ?? null };
}

function mentionItem(path: string, item: JsonObject, annotations: Annotations): RichTextItem {
  const mention = expectObject(`${path}.mention`, item.mention);
  const kind = ['user', 'date', 'page', 'database', 'link_preview'].find((k) => mention[k] !== undefined);
  if (!kind) fail(`${path}.mention`, 'should have one of `user`, `date`, `page`, `database`, `link_preview`', mention);
  const value = expectObject(`${path}.mention.${kind}`, mention[kind]);
  let body: JsonObject;
  let plain: string;
  let href: string | null = null;
  if (kind === 'date') {
    const start = expectString(`${path}.mention.date.start`, value.start);
    body = { start, end: typeof value.end === 'string' ? value.end : null, time_zone: typeof value.time_zone === 'string' ? value.time_zone : null };
    plain = start;
  } else if (kind === 'link_preview') {
    const url = expectString(`${path}.mention.link_preview.url`, value.url);
    body = { url };
    plain = url;
    href = url;
  } else {
    const id = normalizeId(value.id);
    if (!id) fail(`${path}.mention.${kind}.id`, 'should be a valid uuid', value.id);
    body = kind === 'user' ? { object: 'user', id } : { id };
    plain = kind === 'user' ? '@user' : 'Untitled';
    if (kind !== 'user') href = `https://www.notion.so/${compactId(id)}`;
  }
  return { type: 'mention', mention: { type: kind, [kind]: body }, annotations, plain_text: plain, href };
}

function equationItem(path: string, item: JsonObject, annotations: Annotations): RichTextItem {
  const expression = expectString(`${path}.equation.expression`, expectObject(`${path}.equation`, item.equation).expression);
  maxLength(`${path}.equation.expression`, expression, LIMITS.equationExpression);
  return { type: 'equation', equation: { expression }, annotations, plain_text: expression, href: null };
}

/** Validates a rich text array at `path` (≤ 100 items, ≤ 2000 characters each) and converts it. */
export function parseRichText(path: string, raw: unknown): RichTextItem[] {
  const items = expectArray(path, raw);
  maxItems(path, items, LIMITS.arrayItems);
  return items.map((value, i) => {
    const itemPath = `${path}[${i}]`;
    const item = expectObject(itemPath, value);
    const annotations = annotationsOf(`${itemPath}.annotations`, item.annotations);
    const type = item.type ?? (item.text !== undefined ? 'text' : item.mention !== undefined ? 'mention' : item.equation !== undefined ? 'equation' : undefined);
    switch (type) {
      case 'text':
        return textItem(itemPath, item, annotations);
      case 'mention':
        return mentionItem(itemPath, item, annotations);
      case 'equation':
        return equationItem(itemPath, item, annotations);
      default:
        throw notionErrors.bodyValidation(itemPath, `should have one of \`text\`, \`mention\`, \`equation\`, instead was ${JSON.stringify(item)}`);
    }
  });
}

/** Rich text from a plain string (seeded titles, option names and the like). */
export function richTextOf(content: string): RichTextItem[] {
  if (content === '') return [];
  return [textItem('seed', { text: { content } }, annotationsOf('seed', undefined))];
}

export function plainText(items: readonly { plain_text?: unknown }[] | undefined): string {
  return (items ?? []).map((i) => (typeof i.plain_text === 'string' ? i.plain_text : '')).join('');
}

export function isRichTextArray(value: unknown): value is RichTextItem[] {
  return Array.isArray(value) && value.every((v) => isRecord(v) && typeof v.plain_text === 'string');
}
