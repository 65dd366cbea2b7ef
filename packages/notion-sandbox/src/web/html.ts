/**
 * HTML as values: the `html` template tag escapes everything it interpolates
 * unless it is already `Html`, so page content (user data) cannot become markup
 * by forgetting a call. Only constant markup is ever wrapped with `trusted`.
 */

export class Html {
  constructor(readonly text: string) {}

  toString(): string {
    return this.text;
  }
}

export type Fragment = Html | string | number | null | undefined | false | readonly Fragment[];

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

function render(part: Fragment): string {
  if (part === null || part === undefined || part === false) return '';
  if (part instanceof Html) return part.text;
  if (Array.isArray(part)) return part.map(render).join('');
  return escapeHtml(String(part));
}

export function html(strings: TemplateStringsArray, ...values: Fragment[]): Html {
  let out = strings[0] ?? '';
  values.forEach((value, i) => {
    out += render(value) + (strings[i + 1] ?? '');
  });
  return new Html(out);
}

/** Markup written by this module, never data: the style sheet, an entity. */
export function trusted(text: string): Html {
  return new Html(text);
}

export function join(parts: readonly Fragment[], separator: Fragment = ''): Html {
  const sep = render(separator);
  return new Html(parts.map(render).filter((p) => p !== '').join(sep));
}

/**
 * A link target that cannot run script: our own paths, fragments, http(s) and
 * mailto. Anything else (javascript:, data:) is dropped and the text shown plain.
 */
export function safeHref(url: string | null | undefined): string | undefined {
  if (!url) return undefined;
  const value = url.trim();
  if (value.startsWith('/') && !value.startsWith('//')) return value;
  if (value.startsWith('#')) return value;
  return /^(https?:|mailto:)/i.test(value) ? value : undefined;
}

/** Numbers for attributes and SVG coordinates: short, and never "NaN". */
export function px(value: number): string {
  return Number.isFinite(value) ? String(Math.round(value * 100) / 100) : '0';
}
