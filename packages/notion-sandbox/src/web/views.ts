/**
 * One view of a database as a section: a heading, what it filters and sorts
 * by, and its content (table, board, chart, or a dashboard of widget views).
 * Sections carry data-view, data-view-type and data-rows for tests.
 */
import { findProperty } from '../schema.js';
import type { PropertySchema, Store, ViewRecord } from '../store.js';
import { isRecord, type JsonObject } from '../validation.js';
import { renderBoard } from './board.js';
import { renderChart } from './chart.js';
import { html, type Html } from './html.js';
import { selectRows } from './rows.js';
import { renderTable } from './table.js';

const VIEW_GLYPHS: Record<string, string> = { table: '▦', board: '▥', chart: '◔', dashboard: '▣' };

function sortSummary(view: ViewRecord, schema: readonly PropertySchema[]): string {
  const parts = (view.sorts ?? []).map((s) => {
    const name = typeof s.property === 'string' ? findProperty(schema, s.property)?.name ?? s.property : String(s.timestamp ?? '');
    return `${name} ${s.direction === 'descending' ? '↓' : '↑'}`;
  });
  return parts.length > 0 ? `Sorted by ${parts.join(', ')}` : '';
}

function filterSummary(filter: JsonObject | null, schema: readonly PropertySchema[]): string {
  if (!filter) return '';
  const compound = Array.isArray(filter.and) ? filter.and : Array.isArray(filter.or) ? filter.or : undefined;
  if (compound) return `Filtered by ${compound.length} conditions`;
  const property = typeof filter.property === 'string' ? findProperty(schema, filter.property) : undefined;
  const condition = property && isRecord(filter[property.type]) ? (filter[property.type] as JsonObject) : undefined;
  const [op, operand] = condition ? Object.entries(condition)[0] ?? [] : [];
  if (!property || !op) return 'Filtered';
  if (property.type === 'checkbox' && typeof operand === 'boolean') {
    return `Filtered: ${property.name} is ${(op === 'equals') === operand ? 'checked' : 'unchecked'}`;
  }
  const shown = typeof operand === 'object' ? '' : ` ${String(operand)}`;
  return `Filtered: ${property.name} ${op.replace(/_/g, ' ')}${shown}`;
}

function content(store: Store, view: ViewRecord, selection: ReturnType<typeof selectRows>): Html {
  if (selection.problem) return html`<p class="problem">${selection.problem}</p>`;
  switch (view.type) {
    case 'board':
      return renderBoard(store, view, selection);
    case 'chart':
      return renderChart(store, view, selection);
    case 'table':
      return renderTable(store, view, selection);
    default:
      return html`<p class="note">The sandbox shows ${view.type} views as a table.</p>${renderTable(store, view, selection)}`;
  }
}

function dashboard(store: Store, view: ViewRecord): Html {
  const rows = (view.rows ?? []).map((row) => {
    const widgets = row.widgets.flatMap((w) => {
      const widget = store.views.get(w.view_id);
      return widget ? [html`<div class="widget">${renderView(store, widget, { widget: true })}</div>`] : [];
    });
    return html`<div class="dash-row">${widgets}</div>`;
  });
  return html`<section class="view view-dashboard" id="view-${view.id}" data-view="${view.name}" data-view-type="dashboard" data-view-id="${view.id}">
<h2 class="view-title"><span class="glyph">${VIEW_GLYPHS.dashboard}</span>${view.name}</h2>
<div class="dashboard">${rows.length > 0 ? rows : html`<p class="empty">No widgets</p>`}</div></section>`;
}

export function renderView(store: Store, view: ViewRecord, options: { widget?: boolean } = {}): Html {
  if (view.type === 'dashboard') return dashboard(store, view);
  const selection = selectRows(store, view);
  const meta = [filterSummary(view.filter, selection.schema), sortSummary(view, selection.schema)].filter(Boolean);
  const count = view.type === 'chart' ? '' : html`<span class="view-count">${selection.rows.length.toLocaleString('en-US')}</span>`;
  const heading = options.widget
    ? html`<h3 class="view-title">${view.name}${count}</h3>`
    : html`<h2 class="view-title"><span class="glyph">${viewGlyph(view.type)}</span>${view.name}${count}</h2>`;
  return html`<section class="view view-${view.type}" id="view-${view.id}" data-view="${view.name}" data-view-type="${view.type}" data-view-id="${view.id}" data-rows="${selection.rows.length}"${options.widget ? html` data-widget="true"` : ''}>
${heading}${meta.length > 0 ? html`<p class="view-meta">${meta.join(' · ')}</p>` : ''}
${content(store, view, selection)}</section>`;
}

/** The database's views in tab order; dashboard widgets appear inside their dashboard only. */
export function databaseViews(store: Store, databaseId: string): ViewRecord[] {
  const database = store.databases.get(databaseId);
  return (database?.viewIds ?? []).flatMap((id) => {
    const view = store.views.get(id);
    return view ? [view] : [];
  });
}

export function viewGlyph(type: string): string {
  return VIEW_GLYPHS[type] ?? '▦';
}
