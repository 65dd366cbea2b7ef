/**
 * GET /databases/:id — a database as Notion shows it: icon, title,
 * description, a tab strip, then every view in tab order, each a section.
 * Also the card that stands for a database on its parent page and the index.
 */
import { plainText } from '../rich-text.js';
import type { DatabaseRecord, Store } from '../store.js';
import { html, type Html } from './html.js';
import { databaseViews, renderView, viewGlyph } from './views.js';
import { emojiOf } from './workspace.js';

function rowCount(store: Store, database: DatabaseRecord): number {
  return database.dataSourceIds.reduce((n, id) => n + store.rowsOf(id).filter((p) => !store.isTrashed(p.id)).length, 0);
}

const plural = (n: number, word: string) => `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`;

/** A database on a page or the index: one click to the database's own page. */
export function databaseCard(store: Store, databaseId: string): Html {
  const database = store.databases.get(databaseId);
  if (!database) return html``;
  const views = databaseViews(store, databaseId);
  return html`<a class="db-card" href="/databases/${database.id}" data-database-link="${plainText(database.title)}">
<div class="db-card-title"><span class="icon">${emojiOf(database.icon) || '▦'}</span>${plainText(database.title) || 'Untitled'}</div>
<div class="db-card-desc">${plainText(database.description)}</div>
<div class="db-card-meta">${plural(rowCount(store, database), 'row')} · ${plural(views.length, 'view')}</div></a>`;
}

export function renderDatabasePage(store: Store, database: DatabaseRecord): Html {
  const views = databaseViews(store, database.id);
  const title = plainText(database.title) || 'Untitled';
  const tabs = views.map((v) => html`<a href="#view-${v.id}"><span class="glyph">${viewGlyph(v.type)}</span> ${v.name}</a>`);
  return html`<article class="database" data-database="${title}" data-database-id="${database.id}">
${emojiOf(database.icon) ? html`<div class="page-icon">${emojiOf(database.icon)}</div>` : ''}
<h1 class="page-title">${title}</h1>
<p class="description">${plainText(database.description)}</p>
<p class="stats"><span><strong>${rowCount(store, database).toLocaleString('en-US')}</strong> rows</span><span><strong>${views.length}</strong> views</span></p>
<nav class="tabs" aria-label="Views">${tabs}</nav>
${views.map((v) => renderView(store, v))}</article>`;
}
