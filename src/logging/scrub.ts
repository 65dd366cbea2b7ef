/**
 * Removes secrets from text before it leaves the process (log lines, CLI errors).
 *
 * Known secret values are replaced wherever they appear, also JSON-escaped and
 * URL-encoded; well-known credential shapes are replaced even when the value is
 * not known (a token pasted into a URL, a key inside an upstream error message).
 */
export const REDACTED = '[redacted]';

/** The placeholder our own hints print, e.g. postgres://postgres:PASSWORD@host. */
const PASSWORD_PLACEHOLDER = 'PASSWORD';

const CREDENTIAL_PATTERNS: readonly [RegExp, string | ((match: string, ...groups: string[]) => string)][] = [
  // user:password@ in any URL
  [
    /([a-z][a-z0-9+.-]*:\/\/[^\s:/@"']*:)([^\s@"'/]+)@/gi,
    (match, prefix, password) => (password === PASSWORD_PLACEHOLDER ? match : `${prefix}${REDACTED}@`),
  ],
  // Notion integration tokens
  [/\b(?:secret|ntn)_[A-Za-z0-9]{20,}/g, REDACTED],
  // Supabase secret API keys and JWTs (service_role keys)
  [/\bsb_secret_[A-Za-z0-9_-]{8,}/g, REDACTED],
  [/\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g, REDACTED],
  [/\b(Bearer\s+)[A-Za-z0-9._~+/=-]{8,}/gi, `$1${REDACTED}`],
];

function escapeRegExp(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function variantsOf(secret: string): string[] {
  return [...new Set([secret, JSON.stringify(secret).slice(1, -1), encodeURIComponent(secret)])];
}

export type Scrubber = (text: string) => string;

/** A scrubber for these secret values (shorter than 4 characters they are ignored: too many false hits). */
export function createScrubber(secrets: readonly string[] = []): Scrubber {
  const known = secrets.filter((s) => s.length >= 4).flatMap(variantsOf);
  // Longest first, so a secret that contains another is replaced whole.
  known.sort((a, b) => b.length - a.length);
  const knownPattern = known.length > 0 ? new RegExp(known.map(escapeRegExp).join('|'), 'g') : undefined;

  return (text) => {
    let result = knownPattern ? text.replace(knownPattern, REDACTED) : text;
    for (const [pattern, replacement] of CREDENTIAL_PATTERNS) {
      result = result.replace(pattern, replacement as (match: string, ...groups: string[]) => string);
    }
    return result;
  };
}
