/**
 * A chart view as a figure: a one-line summary (the total, when values add up),
 * the SVG, and a legend. `data-total` on the figure is the sum of every value
 * the chart aggregates, for tests to compare with what they inserted.
 */
import type { Store, ViewRecord } from '../store.js';
import { chartData, type ChartData } from './chart-data.js';
import { donutChart } from './chart-donut.js';
import { barChart, colorOf, columnChart, lineChart } from './chart-geometry.js';
import type { Group } from './groups.js';
import { formatNumber, precise } from './format.js';
import { html, type Html } from './html.js';
import type { Selection } from './rows.js';

const sumOf = (values: (number | null | undefined)[]) => values.reduce<number>((a, v) => a + (v ?? 0), 0);

function describe(data: ChartData): string {
  const x = data.xTitle ? ` by ${data.xTitle}` : '';
  const stacked = data.stackTitle ? `, ${data.type === 'line' ? 'one line per' : 'stacked by'} ${data.stackTitle}` : '';
  return `${data.yTitle}${x}${stacked}${data.plotted !== data.cells ? ' · running total' : ''}`;
}

function legendItem(group: Group, index: number, value: number, data: ChartData, share?: number): Html {
  const shown = data.additive ? html`<span class="legend-value">${formatNumber(value, data.format)}</span>` : '';
  const pct = share === undefined ? '' : html`<span class="legend-share">${Math.round(share * 100)}%</span>`;
  return html`<li class="legend-item" data-series="${group.label}" data-value="${precise(value)}"><span class="swatch" style="background:${colorOf(group, index)}"></span><span class="legend-label">${group.label}</span>${shown}${pct}</li>`;
}

function legend(data: ChartData): Html {
  if (data.type === 'donut') {
    const items = data.groups.map((g, i) => legendItem(g, i, data.cells[i]?.[0] ?? 0, data, data.total === 0 ? 0 : (data.cells[i]?.[0] ?? 0) / data.total));
    return html`<ul class="legend side">${items}</ul>`;
  }
  // Without stack_by the one series is the y axis, already named in the summary.
  if (!data.stackTitle) return html``;
  return html`<ul class="legend">${data.series.map((s, i) => legendItem(s, i, sumOf(data.cells.map((row) => row[i])), data))}</ul>`;
}

function drawing(data: ChartData, label: string): Html {
  switch (data.type) {
    case 'donut':
      return donutChart(data, label);
    case 'bar':
      return barChart(data, label);
    case 'line':
      return lineChart(data, label);
    case 'number':
      return html`<div class="big-number">${formatNumber(data.total, data.format)}</div>`;
    default:
      return columnChart(data, label);
  }
}

export function renderChart(store: Store, view: ViewRecord, selection: Selection): Html {
  const data = chartData(store, view, selection);
  if (typeof data === 'string') return html`<p class="problem">${data}</p>`;
  const total = data.additive ? html`<span class="big">${formatNumber(data.total, data.format)}</span>` : '';
  const body = selection.rows.length === 0 ? html`<p class="empty">No data</p>` : html`<div class="chart-body ${data.type}">${drawing(data, `${view.name}: ${describe(data)}`)}${legend(data)}</div>`;
  return html`<figure class="chart" data-chart-type="${data.type}" data-total="${precise(data.total)}" data-groups="${data.groups.length}">
<figcaption class="chart-summary">${total}<span class="muted">${describe(data)}</span></figcaption>
${body}</figure>`;
}
