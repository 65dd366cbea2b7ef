/**
 * A donut: one arc per x-axis group, drawn as dashed strokes of one circle (no
 * arc maths, and a single 100% slice still closes), the total in the middle.
 */
import type { ChartData } from './chart-data.js';
import { colorOf } from './chart-geometry.js';
import { formatNumber, precise } from './format.js';
import { html, px, type Html } from './html.js';

const SIZE = 240;
const RADIUS = 88;
const STROKE = 34;

export function donutChart(data: ChartData, label: string): Html {
  const values = data.plotted.map((row) => row[0] ?? 0);
  const positive = values.reduce((a, v) => a + Math.max(0, v), 0);
  const circumference = 2 * Math.PI * RADIUS;
  const c = SIZE / 2;
  let offset = 0;
  const arcs = data.groups.map((group, i) => {
    const value = values[i]!;
    if (value <= 0 || positive === 0) return '';
    const length = (circumference * value) / positive;
    const arc = html`<circle class="slice" cx="${c}" cy="${c}" r="${RADIUS}" fill="none" stroke="${colorOf(group, i)}" stroke-width="${STROKE}" stroke-dasharray="${px(length)} ${px(circumference - length)}" stroke-dashoffset="${px(-offset)}" transform="rotate(-90 ${c} ${c})" data-x="${group.key}" data-value="${precise(value)}"><title>${group.label}: ${formatNumber(value, data.format)} (${Math.round((value / positive) * 100)}%)</title></circle>`;
    offset += length;
    return arc;
  });
  const track = html`<circle cx="${c}" cy="${c}" r="${RADIUS}" fill="none" stroke="#f1f1ef" stroke-width="${STROKE}"/>`;
  const centre = html`<text class="donut-total" x="${c}" y="${c + 2}" text-anchor="middle">${formatNumber(data.total, data.format)}</text>
<text class="donut-caption" x="${c}" y="${c + 22}" text-anchor="middle">${data.additive ? 'Total' : data.yTitle}</text>`;
  return html`<svg class="chart-svg donut" viewBox="0 0 ${SIZE} ${SIZE}" width="${SIZE}" height="${SIZE}" role="img" aria-label="${label}" xmlns="http://www.w3.org/2000/svg">${track}${arcs}${centre}</svg>`;
}
