/**
 * Inline SVG for column, line and bar charts: a value scale with round ticks,
 * gridlines, tick labels and axis titles, stacked segments, reference lines.
 * Every drawn value carries `data-value` (full precision) and a hover title.
 */
import type { ChartData, ReferenceLine } from './chart-data.js';
import { formatNumber, precise } from './format.js';
import type { Group } from './groups.js';
import { html, px, type Html } from './html.js';

/** Notion's option colours, strong enough for bars and lines on white. */
const STRONG: Record<string, string> = {
  default: '#9b9a97', gray: '#9b9a97', brown: '#a27763', orange: '#e9973f', yellow: '#dfab01', green: '#4dab9a',
  blue: '#529cca', purple: '#9a6dd7', pink: '#e255a1', red: '#e16259',
};
const PALETTE = ['#529cca', '#4dab9a', '#e9973f', '#9a6dd7', '#e255a1', '#dfab01', '#a27763', '#e16259', '#9b9a97'];

export function colorOf(group: Group, index: number): string {
  return (group.color && STRONG[group.color]) ?? PALETTE[index % PALETTE.length]!;
}

/** On an axis big numbers are shortened (12K); labels elsewhere keep the full format. */
function tickLabel(value: number, format: string | undefined): string {
  if (Math.abs(value) < 10_000 || format === 'percent') return formatNumber(value, format);
  const compact = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 }).format(value);
  return format === 'dollar' ? `$${compact}` : compact;
}

interface Scale {
  min: number;
  max: number;
  ticks: number[];
}

/** A scale from `lo` to `hi` on round steps (1, 2, 2.5 or 5 times a power of ten). */
export function niceScale(lo: number, hi: number, count = 5): Scale {
  if (hi - lo < 1e-12) hi = lo + (lo === 0 ? 1 : Math.abs(lo));
  const rough = (hi - lo) / count;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const step = ([1, 2, 2.5, 5, 10].find((m) => rough / magnitude <= m) ?? 10) * magnitude;
  const min = Math.floor(lo / step) * step;
  const max = Math.ceil(hi / step) * step;
  const ticks: number[] = [];
  for (let i = 0; min + i * step <= max + step / 1e6; i += 1) ticks.push(Number((min + i * step).toPrecision(12)));
  return { min, max, ticks };
}

interface Segment {
  series: number;
  from: number;
  to: number;
  value: number;
}

/** Positive values stack up from zero, negative ones down. */
function stack(row: readonly (number | null)[]): { segments: Segment[]; top: number; bottom: number; total: number } {
  let up = 0;
  let down = 0;
  const segments = row.flatMap((value, series) => {
    if (value === null || value === 0) return [];
    const from = value > 0 ? up : down;
    if (value > 0) up += value;
    else down += value;
    return [{ series, from, to: from + value, value }];
  });
  return { segments, top: up, bottom: down, total: up + down };
}

const W = 720;
const H = 300;
const M = { top: 28, right: 24, bottom: 56, left: 76 };

function valueRange(data: ChartData, rows: ReturnType<typeof stack>[]): Scale {
  const values = data.type === 'line' ? data.plotted.flat().filter((v): v is number => v !== null) : rows.flatMap((r) => [r.top, r.bottom]);
  const references = data.referenceLines.map((l) => l.value);
  return niceScale(Math.min(0, ...values, ...references), Math.max(0, ...values, ...references));
}

function hint(data: ChartData, group: Group, series: number, value: number): string {
  const name = data.series.length > 1 ? ` · ${data.series[series]!.label}` : '';
  return `${group.label}${name}: ${formatNumber(value, data.format)}`;
}

interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** One stacked segment of a column or bar, with its value for tests and a hover title for people. */
function segmentRect(data: ChartData, group: Group, segment: Segment, box: Box): Html {
  const series = data.series[segment.series]!;
  return html`<rect class="bar" x="${px(box.x)}" y="${px(box.y)}" width="${px(box.width)}" height="${px(box.height)}" fill="${colorOf(series, segment.series)}" data-x="${group.key}" data-series="${series.label}" data-value="${precise(segment.value)}"><title>${hint(data, group, segment.series, segment.value)}</title></rect>`;
}

function yAxis(scale: Scale, y: (v: number) => number, data: ChartData): Html {
  const ticks = scale.ticks.map((t) => html`<line class="grid" x1="${M.left}" x2="${W - M.right}" y1="${px(y(t))}" y2="${px(y(t))}"/>
<text class="tick" x="${M.left - 8}" y="${px(y(t) + 4)}" text-anchor="end">${tickLabel(t, data.format)}</text>`);
  const midY = M.top + (H - M.top - M.bottom) / 2;
  return html`${ticks}<text class="axis-title" transform="translate(16 ${px(midY)}) rotate(-90)" text-anchor="middle">${data.yTitle}</text>`;
}

function xLabels(data: ChartData, band: number): Html {
  const every = Math.max(1, Math.ceil(60 / band));
  const labels = data.groups.map((g, i) =>
    i % every === 0 ? html`<text class="tick" x="${px(M.left + band * (i + 0.5))}" y="${H - M.bottom + 18}" text-anchor="middle">${g.label}</text>` : '',
  );
  return html`${labels}<text class="axis-title" x="${px(M.left + (W - M.left - M.right) / 2)}" y="${H - 10}" text-anchor="middle">${data.xTitle}</text>`;
}

function referenceLine(line: ReferenceLine, from: [number, number], to: [number, number], labelAt: [number, number]): Html {
  const stroke = STRONG[line.color] ?? STRONG.red!;
  return html`<g class="reference" data-reference="${line.value}"><line x1="${px(from[0])}" y1="${px(from[1])}" x2="${px(to[0])}" y2="${px(to[1])}" stroke="${stroke}" stroke-width="1.5"${line.dashed ? html` stroke-dasharray="5 4"` : ''}/>
<text class="reference-label" x="${px(labelAt[0])}" y="${px(labelAt[1])}" fill="${stroke}">${line.label}</text></g>`;
}

function svg(width: number, height: number, label: string, body: Html): Html {
  return html`<svg class="chart-svg" viewBox="0 0 ${width} ${height}" width="100%" role="img" aria-label="${label}" xmlns="http://www.w3.org/2000/svg">${body}</svg>`;
}

export function columnChart(data: ChartData, label: string): Html {
  const rows = data.plotted.map(stack);
  const scale = valueRange(data, rows);
  const plotH = H - M.top - M.bottom;
  const y = (v: number) => M.top + (plotH * (scale.max - v)) / (scale.max - scale.min);
  const band = (W - M.left - M.right) / Math.max(1, data.groups.length);
  const barW = Math.min(48, band * 0.72);
  const bars = rows.map((row, i) => {
    const group = data.groups[i]!;
    const x = M.left + band * i + (band - barW) / 2;
    const rects = row.segments.map((s) => segmentRect(data, group, s, { x, y: y(Math.max(s.from, s.to)), width: barW, height: Math.abs(y(s.from) - y(s.to)) }));
    const total = band >= 44 && row.segments.length > 0 ? html`<text class="value-label" x="${px(x + barW / 2)}" y="${px(y(row.top) - 6)}" text-anchor="middle">${formatNumber(row.total, data.format)}</text>` : '';
    return html`<g class="column">${rects}${total}</g>`;
  });
  const refs = data.referenceLines.map((l) => referenceLine(l, [M.left, y(l.value)], [W - M.right, y(l.value)], [W - M.right - 4, y(l.value) - 5]));
  return svg(W, H, label, html`${yAxis(scale, y, data)}<line class="axis" x1="${M.left}" x2="${W - M.right}" y1="${px(y(0))}" y2="${px(y(0))}"/>${bars}${refs}${xLabels(data, band)}`);
}

interface Point {
  x: number;
  y: number;
  value: number;
  group: Group;
}

/** A polyline through the points, broken where a day has no value (an average of nothing). */
function linePath(points: readonly (Point | null)[]): string {
  let path = '';
  let pen = 'M';
  for (const p of points) {
    if (!p) {
      pen = 'M';
      continue;
    }
    path += `${pen}${px(p.x)} ${px(p.y)} `;
    pen = 'L';
  }
  return path.trim();
}

function seriesLine(data: ChartData, s: number, points: (Point | null)[], baseline: number): Html {
  const series = data.series[s]!;
  const color = colorOf(series, s);
  const drawn = points.filter((p): p is Point => p !== null);
  const first = drawn[0];
  const last = drawn.at(-1);
  // One line gets a soft area and its last value; several would only clutter.
  const alone = data.series.length === 1 && first && last;
  const area = alone && drawn.length > 1 ? html`<path class="area" d="${linePath(points)} L${px(last.x)} ${px(baseline)} L${px(first.x)} ${px(baseline)} Z" fill="${color}"/>` : '';
  const end = alone ? html`<text class="value-label" x="${px(last.x)}" y="${px(last.y - 10)}" text-anchor="end">${formatNumber(last.value, data.format)}</text>` : '';
  const dots = drawn.map((p) => html`<circle class="point" cx="${px(p.x)}" cy="${px(p.y)}" r="3" fill="${color}" data-x="${p.group.key}" data-series="${series.label}" data-value="${precise(p.value)}"><title>${hint(data, p.group, s, p.value)}</title></circle>`);
  return html`<g class="series" data-series="${series.label}">${area}<path class="line" d="${linePath(points)}" stroke="${color}"/>${dots}${end}</g>`;
}

export function lineChart(data: ChartData, label: string): Html {
  const scale = valueRange(data, []);
  const plotH = H - M.top - M.bottom;
  const y = (v: number) => M.top + (plotH * (scale.max - v)) / (scale.max - scale.min);
  const band = (W - M.left - M.right) / Math.max(1, data.groups.length);
  const baseline = y(Math.max(0, scale.min));
  const lines = data.series.map((_, s) => {
    const points = data.plotted.map((row, i) => {
      const value = row[s];
      return value === null || value === undefined ? null : { x: M.left + band * (i + 0.5), y: y(value), value, group: data.groups[i]! };
    });
    return seriesLine(data, s, points, baseline);
  });
  return svg(W, H, label, html`${yAxis(scale, y, data)}<line class="axis" x1="${M.left}" x2="${W - M.right}" y1="${px(baseline)}" y2="${px(baseline)}"/>${lines}${xLabels(data, band)}`);
}

const BAR = { row: 32, bar: 18, label: 150, top: 30, bottom: 46, right: 80 };

function shorten(text: string, max = 22): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

export function barChart(data: ChartData, label: string): Html {
  const rows = data.plotted.map(stack);
  const scale = valueRange(data, rows);
  const height = BAR.top + BAR.bottom + BAR.row * Math.max(1, data.groups.length);
  const plotW = W - BAR.label - BAR.right;
  const x = (v: number) => BAR.label + (plotW * (v - scale.min)) / (scale.max - scale.min);
  const bottom = height - BAR.bottom;
  const grid = scale.ticks.map((t) => html`<line class="grid" x1="${px(x(t))}" x2="${px(x(t))}" y1="${BAR.top - 6}" y2="${bottom}"/>
<text class="tick" x="${px(x(t))}" y="${bottom + 16}" text-anchor="middle">${tickLabel(t, data.format)}</text>`);
  const bars = rows.map((row, i) => {
    const group = data.groups[i]!;
    const top = BAR.top + BAR.row * i + (BAR.row - BAR.bar) / 2;
    const rects = row.segments.map((s) => segmentRect(data, group, s, { x: x(Math.min(s.from, s.to)), y: top, width: Math.abs(x(s.to) - x(s.from)), height: BAR.bar }));
    const end = html`<text class="value-label" x="${px(x(row.top) + 6)}" y="${px(top + BAR.bar / 2 + 4)}">${row.segments.length > 0 ? formatNumber(row.total, data.format) : ''}</text>`;
    return html`<g class="bar-row"><text class="tick category" x="${BAR.label - 10}" y="${px(top + BAR.bar / 2 + 4)}" text-anchor="end">${shorten(group.label)}<title>${group.label}</title></text>${rects}${end}</g>`;
  });
  const refs = data.referenceLines.map((l) => referenceLine(l, [x(l.value), BAR.top - 10], [x(l.value), bottom], [x(l.value) + 4, BAR.top - 14]));
  const title = html`<text class="axis-title" x="${px(BAR.label + plotW / 2)}" y="${height - 8}" text-anchor="middle">${data.yTitle}</text>`;
  return svg(W, height, label, html`${grid}<line class="axis" x1="${px(x(Math.max(0, scale.min)))}" x2="${px(x(Math.max(0, scale.min)))}" y1="${BAR.top - 6}" y2="${bottom}"/>${bars}${refs}${title}`);
}
