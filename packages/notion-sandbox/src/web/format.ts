/**
 * Property values as a person reads them in Notion: numbers in their format
 * (dollar, percent, with commas), dates, ticks, coloured select chips, formulas
 * evaluated as the fake's API returns them.
 */
import { parseIsoDate } from '../dates.js';
import type { PageRecord, PropertySchema, Store } from '../store.js';
import { isRecord, type JsonObject } from '../validation.js';
import { readValue } from '../values.js';
import { html, safeHref, type Html } from './html.js';
import { richText } from './rich-text.js';

const CURRENCIES: Record<string, string> = {
  dollar: 'USD', australian_dollar: 'AUD', canadian_dollar: 'CAD', singapore_dollar: 'SGD', euro: 'EUR', pound: 'GBP',
  yen: 'JPY', ruble: 'RUB', rupee: 'INR', won: 'KRW', yuan: 'CNY', real: 'BRL', lira: 'TRY', rupiah: 'IDR', franc: 'CHF',
  hong_kong_dollar: 'HKD', new_zealand_dollar: 'NZD', krona: 'SEK', norwegian_krone: 'NOK', mexican_peso: 'MXN', rand: 'ZAR',
  new_taiwan_dollar: 'TWD', danish_krone: 'DKK', zloty: 'PLN', baht: 'THB', forint: 'HUF', koruna: 'CZK', shekel: 'ILS',
  chilean_peso: 'CLP', philippine_peso: 'PHP', dirham: 'AED', colombian_peso: 'COP', riyal: 'SAR', ringgit: 'MYR', leu: 'RON',
  argentine_peso: 'ARS', uruguayan_peso: 'UYU', peruvian_sol: 'PEN',
};

const formatters = new Map<string, Intl.NumberFormat>();

function formatter(key: string, options: Intl.NumberFormatOptions): Intl.NumberFormat {
  let found = formatters.get(key);
  if (!found) {
    found = new Intl.NumberFormat('en-US', options);
    formatters.set(key, found);
  }
  return found;
}

/** Sub-dollar amounts keep four decimals: one LLM call often costs a fraction of a cent. */
const fractionDigits = (value: number) => (value !== 0 && Math.abs(value) < 1 ? 4 : 2);

export function formatNumber(value: number, format: string | undefined): string {
  const digits = fractionDigits(value);
  const currency = CURRENCIES[format ?? ''];
  if (currency) {
    return formatter(`${currency}:${digits}`, { style: 'currency', currency, minimumFractionDigits: 2, maximumFractionDigits: digits }).format(value);
  }
  if (format === 'percent') return formatter('percent', { style: 'percent', maximumFractionDigits: 2 }).format(value);
  if (format === 'number_with_commas') return formatter(`commas:${digits}`, { maximumFractionDigits: digits }).format(value);
  return formatter(`plain:${digits}`, { maximumFractionDigits: digits, useGrouping: false }).format(value);
}

/** Full precision without float noise: 0.1 + 0.2 is written 0.3, 123.456789 stays 123.456789. */
export function precise(value: number): string {
  return String(Number(value.toPrecision(15)));
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** "Nov 20, 2026", or "Nov 20, 2026 10:04" for a date-time (shown in UTC, the fake's clock). */
export function formatDate(iso: string): string {
  const parsed = parseIsoDate(iso) ?? (Number.isNaN(Date.parse(iso)) ? undefined : { ms: Date.parse(iso), dateOnly: false });
  if (!parsed) return iso;
  const d = new Date(parsed.ms);
  const day = `${MONTHS[d.getUTCMonth()]} ${d.getUTCDate()}, ${d.getUTCFullYear()}`;
  if (parsed.dateOnly) return day;
  return `${day} ${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`;
}

function dateRange(value: unknown): Html {
  if (!isRecord(value) || typeof value.start !== 'string') return html``;
  const end = typeof value.end === 'string' ? html` → <time datetime="${value.end}">${formatDate(value.end)}</time>` : '';
  return html`<time datetime="${value.start}">${formatDate(value.start)}</time>${end}`;
}

export function chip(name: string, color: unknown): Html {
  const known = typeof color === 'string' && /^[a-z]+$/.test(color) ? color : 'default';
  return html`<span class="chip c-${known}">${name}</span>`;
}

function checkbox(checked: boolean): Html {
  return checked ? html`<span class="check on" data-checked="true">✓</span>` : html`<span class="check" data-checked="false"></span>`;
}

const number = (value: number, format: string | undefined) => html`<span class="num">${formatNumber(value, format)}</span>`;

function formulaValue(result: JsonObject): Html {
  const inner = result[String(result.type)];
  if (typeof inner === 'number') return number(inner, undefined);
  if (typeof inner === 'boolean') return checkbox(inner);
  if (isRecord(inner)) return dateRange(inner);
  return html`${typeof inner === 'string' ? inner : ''}`;
}

function link(url: unknown, prefix = ''): Html {
  if (typeof url !== 'string') return html``;
  const href = safeHref(prefix + url);
  return href ? html`<a href="${href}">${url}</a>` : html`${url}`;
}

/** One cell: the value of `property` on `page`, formatted by its type. */
export function propertyValue(store: Store, schema: readonly PropertySchema[], page: PageRecord, property: PropertySchema): Html {
  const value = readValue(store, schema, page, property);
  switch (property.type) {
    case 'title':
    case 'rich_text':
      return richText(store, value);
    case 'number':
      return typeof value === 'number' ? number(value, property.config.format) : html``;
    case 'select':
      return isRecord(value) ? chip(String(value.name), value.color) : html``;
    case 'multi_select':
      return html`${(Array.isArray(value) ? value : []).filter(isRecord).map((o) => chip(String(o.name), o.color))}`;
    case 'date':
      return dateRange(value);
    case 'checkbox':
      return checkbox(value === true);
    case 'url':
      return link(value);
    case 'email':
      return link(value, 'mailto:');
    case 'formula':
      return isRecord(value) ? formulaValue(value) : html``;
    case 'created_time':
    case 'last_edited_time':
      return dateRange({ start: value });
    case 'created_by':
    case 'last_edited_by':
      return html`${isRecord(value) && value.id === store.bot.id ? store.bot.name : 'Someone'}`;
    default:
      return html`${typeof value === 'string' ? value : ''}`;
  }
}
