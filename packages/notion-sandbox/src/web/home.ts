/**
 * GET / — the workspace at a glance: each top-level page with the databases
 * and pages under it as cards, so every database and the report are one
 * click away.
 */
import type { Store } from '../store.js';
import { databaseCard } from './database-page.js';
import { html, type Html } from './html.js';
import { childEntries, hrefOf, topLevelPages, type Entry } from './workspace.js';

function pageCard(entry: Entry): Html {
  return html`<a class="db-card" href="${hrefOf(entry)}" data-page-link="${entry.title}">
<div class="db-card-title"><span class="icon">${entry.icon || '📄'}</span>${entry.title}</div><div class="db-card-meta">Page</div></a>`;
}

function section(store: Store, page: Entry): Html {
  const children = childEntries(store, page.id);
  const cards = children.map((c) => (c.kind === 'database' ? databaseCard(store, c.id) : pageCard(c)));
  return html`<section class="index-page" data-top-page="${page.title}">
<h2><span class="icon">${page.icon || '📄'}</span><a class="row-link" href="${hrefOf(page)}">${page.title}</a></h2>
${cards.length > 0 ? html`<div class="cards">${cards}</div>` : html`<p class="empty">Nothing inside yet.</p>`}</section>`;
}

export function renderHome(store: Store): Html {
  const pages = topLevelPages(store);
  return html`<h1 class="page-title">${store.bot.workspaceName}</h1>
<p class="description">What the local Notion sandbox holds, read-only. It changes as the API is called; reload to see the latest.</p>
${pages.length > 0 ? pages.map((p) => section(store, p)) : html`<p class="empty">The workspace has no pages yet.</p>`}`;
}
