/**
 * GET /pages/:id — a page: icon, title, its properties when it is a database
 * row, and its blocks.
 */
import { schemaForPage } from '../serialize.js';
import type { PageRecord, Store } from '../store.js';
import { renderBlocks } from './blocks.js';
import { propertyValue } from './format.js';
import { html, type Html } from './html.js';
import type { Entry } from './workspace.js';

function properties(store: Store, page: PageRecord): Html {
  if (page.parent.type !== 'data_source_id') return html``;
  const schema = schemaForPage(store, page);
  const rows = schema.filter((p) => p.type !== 'title').map((p) => html`<dt>${p.name}</dt><dd data-property="${p.name}">${propertyValue(store, schema, page, p)}</dd>`);
  return html`<dl class="props">${rows}</dl>`;
}

export function renderPage(store: Store, page: PageRecord, entry: Entry): Html {
  return html`<article class="page" data-page="${entry.title}" data-page-id="${page.id}">
${entry.icon ? html`<div class="page-icon">${entry.icon}</div>` : ''}
<h1 class="page-title">${entry.title}</h1>
${properties(store, page)}
<div class="blocks">${renderBlocks(store, page.id)}</div></article>`;
}
