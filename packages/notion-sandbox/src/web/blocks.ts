/**
 * Block children of a page, as Notion lays them out: text blocks, headings,
 * lists (consecutive items share one list), callouts and toggles with their
 * children, dividers, tables, code, and links to child pages and databases.
 */
import type { BlockRecord, Store } from '../store.js';
import { isRecord, type JsonObject } from '../validation.js';
import { databaseCard } from './database-page.js';
import { html, safeHref, type Html } from './html.js';
import { colorClass, richText } from './rich-text.js';
import { emojiOf, entryOf, hrefOf } from './workspace.js';

/** Deeper than Notion lets an append nest, and still bounded should a parent loop. */
const MAX_DEPTH = 12;

function childrenOf(store: Store, parentId: string): BlockRecord[] {
  return (store.children.get(parentId) ?? []).flatMap((id) => {
    const block = store.blocks.get(id);
    return block && !store.isTrashed(id) ? [block] : [];
  });
}

function classes(...names: string[]): string {
  return names.filter(Boolean).join(' ');
}

/** ` class="…"`, or nothing when no class applies. */
function classAttr(...names: string[]): Html {
  const value = classes(...names);
  return value ? html` class="${value}"` : html``;
}

function tableBlock(store: Store, block: BlockRecord): Html {
  const header = block.content.has_column_header === true;
  const rowHeader = block.content.has_row_header === true;
  const rows = childrenOf(store, block.id).filter((b) => b.type === 'table_row').map((row, r) => {
    const cells = (Array.isArray(row.content.cells) ? row.content.cells : []).map((cell, c) =>
      (header && r === 0) || (rowHeader && c === 0) ? html`<th>${richText(store, cell)}</th>` : html`<td>${richText(store, cell)}</td>`,
    );
    return html`<tr>${cells}</tr>`;
  });
  return html`<table class="simple-table" data-block="table">${rows}</table>`;
}

function childLink(store: Store, block: BlockRecord): Html {
  const entry = entryOf(store, block.id);
  if (!entry) return html``;
  if (entry.kind === 'database') return databaseCard(store, block.id);
  return html`<a class="link-card" href="${hrefOf(entry)}" data-block="child_page"><span class="icon">${entry.icon || '📄'}</span><span class="title">${entry.title}</span></a>`;
}

function textOf(store: Store, content: JsonObject): Html {
  return richText(store, content.rich_text);
}

function linkBlock(store: Store, block: BlockRecord, label: string): Html {
  const url = typeof block.content.url === 'string' ? block.content.url : isRecord(block.content.external) ? String(block.content.external.url) : '';
  const href = safeHref(url);
  const caption = richText(store, block.content.caption);
  return html`<p class="block" data-block="${block.type}">${label}: ${href ? html`<a class="row-link" href="${href}">${url}</a>` : url} ${caption}</p>`;
}

function single(store: Store, block: BlockRecord, depth: number): Html {
  const c = block.content;
  const color = colorClass(c.color);
  const nested = depth < MAX_DEPTH ? renderBlocks(store, block.id, depth + 1) : html``;
  switch (block.type) {
    case 'paragraph':
      return html`<p class="${classes('block', color)}" data-block="paragraph">${textOf(store, c)}</p>${nested}`;
    case 'heading_1':
    case 'heading_2':
    case 'heading_3': {
      const level = Number(block.type.slice(-1));
      const tag = ['h2', 'h3', 'h4'][level - 1]!;
      return html`<${tag} class="${classes(`block-h${level}`, color)}" data-block="${block.type}">${textOf(store, c)}</${tag}>${nested}`;
    }
    case 'callout':
      return html`<div class="${classes('callout', color || 'bg-gray')}" data-block="callout"><div class="callout-icon">${emojiOf(isRecord(c.icon) ? c.icon : null) || '💡'}</div>
<div class="callout-body"><p class="callout-text">${textOf(store, c)}</p>${nested}</div></div>`;
    case 'quote':
      return html`<blockquote${classAttr(color)} data-block="quote">${textOf(store, c)}${nested}</blockquote>`;
    case 'to_do':
      return html`<div class="${classes('todo', c.checked === true ? 'done' : '', color)}" data-block="to_do"><span class="${classes('check', c.checked === true ? 'on' : '')}">${c.checked === true ? '✓' : ''}</span><span class="todo-text">${textOf(store, c)}</span></div>${nested}`;
    case 'toggle':
      return html`<details class="${classes('toggle', color)}" data-block="toggle"><summary>${textOf(store, c)}</summary>${nested}</details>`;
    case 'divider':
      return html`<hr class="divider" data-block="divider">`;
    case 'code':
      return html`<pre class="code" data-block="code"><code>${textOf(store, c)}</code></pre>`;
    case 'equation':
      return html`<p class="block" data-block="equation"><code>${String(c.expression ?? '')}</code></p>`;
    case 'table':
      return tableBlock(store, block);
    case 'child_page':
    case 'child_database':
      return childLink(store, block);
    case 'bookmark':
    case 'embed':
    case 'image':
      // Nothing is loaded from elsewhere: images and embeds become links.
      return linkBlock(store, block, block.type.charAt(0).toUpperCase() + block.type.slice(1));
    default:
      return html``;
  }
}

const LISTS: Record<string, string> = { bulleted_list_item: 'ul', numbered_list_item: 'ol' };

function listItem(store: Store, block: BlockRecord, depth: number): Html {
  const nested = depth < MAX_DEPTH ? renderBlocks(store, block.id, depth + 1) : html``;
  return html`<li${classAttr(colorClass(block.content.color))} data-block="${block.type}">${textOf(store, block.content)}${nested}</li>`;
}

/** The children of a page or block, recursively; runs of list items become one list. */
export function renderBlocks(store: Store, parentId: string, depth = 0): Html {
  const out: Html[] = [];
  const blocks = childrenOf(store, parentId);
  for (let i = 0; i < blocks.length; ) {
    const tag = LISTS[blocks[i]!.type];
    if (!tag) {
      out.push(single(store, blocks[i]!, depth));
      i += 1;
      continue;
    }
    const type = blocks[i]!.type;
    const items: Html[] = [];
    for (; i < blocks.length && blocks[i]!.type === type; i += 1) items.push(listItem(store, blocks[i]!, depth));
    out.push(html`<${tag} class="block-list">${items}</${tag}>`);
  }
  return html`${out}`;
}
