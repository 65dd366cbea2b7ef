/**
 * The page shell: one self-contained HTML document (inline CSS, inline SVG
 * favicon, no script, nothing fetched from elsewhere), a workspace sidebar and
 * a breadcrumb, so every page reads like Notion and works offline.
 */
import type { Store } from '../store.js';
import { html, trusted, type Html } from './html.js';
import { STYLES } from './styles.js';
import { ancestors, hrefOf, sidebar, type Entry } from './workspace.js';

const FAVICON = "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 32 32'%3E%3Crect width='32' height='32' rx='6' fill='%23191919'/%3E%3Ctext x='16' y='23' font-size='20' font-family='Georgia,serif' fill='white' text-anchor='middle'%3EN%3C/text%3E%3C/svg%3E";

export interface Shell {
  title: string;
  /** The page or database shown, for the sidebar highlight and the breadcrumb. */
  current?: Entry;
  body: Html;
  wide?: boolean;
}

function breadcrumb(store: Store, current: Entry | undefined): Html {
  if (!current) return html``;
  const trail = [...ancestors(store, current.id), current];
  const links = trail.map((e, i) =>
    i === trail.length - 1 ? html`<span class="crumb current">${e.icon} ${e.title}</span>` : html`<a class="crumb" href="${hrefOf(e)}">${e.icon} ${e.title}</a>`,
  );
  return html`<nav class="breadcrumb" aria-label="Breadcrumb">${links.map((l, i) => (i === 0 ? l : html`<span class="sep">/</span>${l}`))}</nav>`;
}

export function documentOf(store: Store, shell: Shell): Html {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${shell.title} · Notion sandbox</title>
<link rel="icon" href="${trusted(FAVICON)}">
<style>${trusted(STYLES)}</style></head>
<body><div class="app">${sidebar(store, shell.current?.id)}
<div class="main"><header class="topbar">${breadcrumb(store, shell.current)}<span class="badge">sandbox</span></header>
<main class="content${shell.wide ? ' wide' : ''}">${shell.body}</main></div></div></body></html>`;
}
