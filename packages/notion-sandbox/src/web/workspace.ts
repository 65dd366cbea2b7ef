/**
 * The workspace as people browse it: top-level pages, and under each the
 * databases and pages it holds, in block order. Only what the integration can
 * see and what is not in the trash.
 */
import { plainText } from '../rich-text.js';
import { pageTitle } from '../serialize.js';
import { parentId, type Parent, type Store } from '../store.js';
import { isRecord, type JsonObject } from '../validation.js';
import { html, type Html } from './html.js';

export interface Entry {
  kind: 'page' | 'database';
  id: string;
  title: string;
  icon: string;
}

/** An emoji icon; icons that point at files are left out, as nothing external may load. */
export function emojiOf(icon: JsonObject | null | undefined): string {
  return isRecord(icon) && icon.type === 'emoji' && typeof icon.emoji === 'string' ? icon.emoji : '';
}

const shown = (store: Store, id: string) => store.isVisible(id) && !store.isTrashed(id);

export function entryOf(store: Store, id: string): Entry | undefined {
  if (!shown(store, id)) return undefined;
  const page = store.pages.get(id);
  if (page) return { kind: 'page', id, title: pageTitle(store, page) || 'Untitled', icon: emojiOf(page.icon) };
  const database = store.databases.get(id);
  if (database) return { kind: 'database', id, title: plainText(database.title) || 'Untitled', icon: emojiOf(database.icon) };
  return undefined;
}

export function topLevelPages(store: Store): Entry[] {
  return [...store.pages.values()]
    .filter((p) => p.parent.type === 'workspace')
    .sort((a, b) => a.seq - b.seq)
    .flatMap((p) => entryOf(store, p.id) ?? []);
}

/** Child pages and databases of a page, in the order of its blocks (nested blocks included). */
export function childEntries(store: Store, id: string, depth = 0): Entry[] {
  if (depth > 4) return [];
  return (store.children.get(id) ?? []).flatMap((child) => {
    const block = store.blocks.get(child);
    if (!block || store.isTrashed(child)) return [];
    if (block.type === 'child_page' || block.type === 'child_database') return entryOf(store, child) ?? [];
    return childEntries(store, child, depth + 1);
  });
}

export const hrefOf = (entry: Pick<Entry, 'kind' | 'id'>) => `/${entry.kind === 'page' ? 'pages' : 'databases'}/${entry.id}`;

function treeItem(store: Store, entry: Entry, current: string | undefined, depth: number): Html {
  const children = entry.kind === 'page' && depth < 3 ? childEntries(store, entry.id) : [];
  const nested = children.length > 0 ? html`<ul>${children.map((c) => treeItem(store, c, current, depth + 1))}</ul>` : '';
  const active = entry.id === current ? html` class="active" aria-current="page"` : '';
  return html`<li><a href="${hrefOf(entry)}"${active}><span class="icon">${entry.icon || (entry.kind === 'page' ? '📄' : '▦')}</span>${entry.title}</a>${nested}</li>`;
}

export function sidebar(store: Store, current?: string): Html {
  const pages = topLevelPages(store);
  return html`<nav class="sidebar" aria-label="Workspace">
<a class="workspace" href="/"><span class="ws-badge">${(store.bot.workspaceName || 'W').slice(0, 1)}</span>${store.bot.workspaceName}</a>
<p class="sidebar-label">Pages</p>
<ul class="tree">${pages.map((p) => treeItem(store, p, current, 0))}</ul>
<p class="sidebar-foot">Local Notion sandbox · read-only</p></nav>`;
}

function parentOf(store: Store, parent: Parent): string | undefined {
  const id = parentId(parent);
  if (!id) return undefined;
  const block = store.blocks.get(id);
  // A page inside a block (a callout, a column) belongs to the page above that block.
  if (block && block.type !== 'child_page' && block.type !== 'child_database') return parentOf(store, block.parent);
  const source = store.dataSources.get(id);
  return source ? source.databaseId : id;
}

/** Ancestors of a page or database, outermost first. */
export function ancestors(store: Store, id: string): Entry[] {
  const chain: Entry[] = [];
  let parent = store.pages.get(id)?.parent ?? store.databases.get(id)?.parent;
  for (let depth = 0; parent && depth < 16; depth += 1) {
    const above = parentOf(store, parent);
    const entry = above ? entryOf(store, above) : undefined;
    if (!above || !entry) break;
    chain.unshift(entry);
    parent = store.pages.get(above)?.parent ?? store.databases.get(above)?.parent;
  }
  return chain;
}
