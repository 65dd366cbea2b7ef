/**
 * Notion ids come as dashed UUIDs, bare 32-hex strings, or inside a page URL
 * ("https://www.notion.so/Team-Reports-0123…cdef?pvs=4"). We keep the dashed form.
 */
const BARE_ID = /([0-9a-f]{32})(?![0-9a-f])/i;

export function parseNotionId(input: string): string | undefined {
  let candidate = input.trim();
  try {
    const url = new URL(candidate);
    // The page id is the last 32 hex characters of the path; query and hash hold view ids.
    candidate = url.pathname;
  } catch {
    // not a URL: a raw id
  }
  const compact = candidate.replace(/-/g, '');
  const matches = [...compact.matchAll(new RegExp(BARE_ID, 'gi'))];
  const hex = matches.at(-1)?.[1]?.toLowerCase();
  if (!hex) return undefined;
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The same id in any spelling compares equal. */
export function sameNotionId(a: string | undefined | null, b: string | undefined | null): boolean {
  return Boolean(a && b) && a!.replace(/-/g, '').toLowerCase() === b!.replace(/-/g, '').toLowerCase();
}

/** The address Notion answers for a page or database by id, in any workspace the reader can open. */
export function notionUrlOf(id: string): string {
  return `https://www.notion.so/${id.replace(/-/g, '')}`;
}
