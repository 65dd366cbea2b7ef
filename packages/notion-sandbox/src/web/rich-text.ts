/**
 * Rich text as Notion shows it: annotations, colours, links. Mentions of pages
 * and databases link to their page here, under their current title, since the
 * fake stores no title in the mention itself.
 */
import { normalizeId } from '../ids.js';
import { COLORS } from '../rich-text.js';
import { pageTitle } from '../serialize.js';
import { plainText } from '../rich-text.js';
import type { Store } from '../store.js';
import { isRecord, type JsonObject } from '../validation.js';
import { html, safeHref, type Html } from './html.js';

/** CSS class of a Notion colour ("red" → tc-red, "red_background" → bg-red); unknown colours get none. */
export function colorClass(color: unknown): string {
  if (typeof color !== 'string' || color === 'default' || !(COLORS as readonly string[]).includes(color)) return '';
  return color.endsWith('_background') ? `bg-${color.replace('_background', '')}` : `tc-${color}`;
}

function mentionTarget(store: Store, mention: JsonObject): { href: string; label: string } | undefined {
  for (const kind of ['page', 'database'] as const) {
    const target = isRecord(mention[kind]) ? normalizeId((mention[kind] as JsonObject).id) : undefined;
    if (!target || store.isTrashed(target) || !store.isVisible(target)) continue;
    const page = store.pages.get(target);
    if (kind === 'page' && page) return { href: `/pages/${target}`, label: pageTitle(store, page) || 'Untitled' };
    const database = store.databases.get(target);
    if (kind === 'database' && database) return { href: `/databases/${target}`, label: plainText(database.title) || 'Untitled' };
  }
  return undefined;
}

function annotate(content: Html, a: JsonObject): Html {
  let out = content;
  if (a.code === true) out = html`<code>${out}</code>`;
  if (a.bold === true) out = html`<strong>${out}</strong>`;
  if (a.italic === true) out = html`<em>${out}</em>`;
  if (a.strikethrough === true) out = html`<s>${out}</s>`;
  if (a.underline === true) out = html`<u>${out}</u>`;
  const color = colorClass(a.color);
  return color ? html`<span class="${color}">${out}</span>` : out;
}

function item(store: Store, raw: unknown): Html {
  if (!isRecord(raw)) return html``;
  const mention = raw.type === 'mention' && isRecord(raw.mention) ? mentionTarget(store, raw.mention) : undefined;
  const text = mention?.label ?? (typeof raw.plain_text === 'string' ? raw.plain_text : '');
  const href = mention?.href ?? safeHref(typeof raw.href === 'string' ? raw.href : undefined);
  const content = annotate(html`${text}`, isRecord(raw.annotations) ? raw.annotations : {});
  return href ? html`<a href="${href}">${content}</a>` : content;
}

export function richText(store: Store, items: unknown): Html {
  return html`${Array.isArray(items) ? items.map((i) => item(store, i)) : []}`;
}
