/**
 * Which catalogue is bundled, and how old its data is. The package says its
 * version but not its date: the date is its npm publish date
 * (`npm view @pydantic/genai-prices time --json`), recorded here for each version
 * used. A test fails when the installed version has no date here, so updating
 * the package means recording its date.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const CATALOGUE_PACKAGE = '@pydantic/genai-prices';

/** Version → npm publish date (UTC day), from `npm view @pydantic/genai-prices time --json`. */
export const CATALOGUE_PUBLISHED: Readonly<Record<string, string>> = {
  '0.1.7': '2026-09-16',
  '0.1.8': '2026-09-23',
};

export interface CatalogueInfo {
  version: string;
  /** The version's publish date (YYYY-MM-DD), or null when not recorded above. */
  publishedOn: string | null;
}

/** The installed package's version, read from its package.json next to its entry point. */
export function installedCatalogueVersion(): string {
  const entry = fileURLToPath(import.meta.resolve(CATALOGUE_PACKAGE));
  const manifest = new URL('../package.json', `file://${entry}`);
  const parsed = JSON.parse(readFileSync(manifest, 'utf8')) as { version?: unknown };
  if (typeof parsed.version !== 'string') throw new Error(`${CATALOGUE_PACKAGE}'s package.json has no version`);
  return parsed.version;
}

export function catalogueInfo(version: string = installedCatalogueVersion()): CatalogueInfo {
  return { version, publishedOn: CATALOGUE_PUBLISHED[version] ?? null };
}

const DAY_MS = 86_400_000;

/** Whole days from the catalogue's date to `now`; null when its date is unknown. */
export function catalogueAgeDays(info: CatalogueInfo, now: Date): number | null {
  if (!info.publishedOn) return null;
  return Math.floor((now.getTime() - Date.parse(`${info.publishedOn}T00:00:00Z`)) / DAY_MS);
}
