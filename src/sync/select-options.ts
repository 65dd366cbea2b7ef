/**
 * Open selects (model, provider, service, tier) against Notion's 100 options.
 *
 * Notion creates an option when a page names a new one and refuses the page
 * that would make the 101st. Which values get an option is decided once per
 * value, in Postgres (tokensync_select_options), shared by every process: while
 * a select has room, a new value gets one; past SELECT_OPTION_CAPACITY its pages
 * show the overflow option ("Other") and the exact value in "<name> (exact)".
 * When a batch brings more new values than there is room for, the most used
 * (calls in the last seven days) get the options. A decision never changes, so
 * passes never move a page between option and overflow: options are never
 * taken back, so a full select stays full, and from then on every new value
 * overflows without asking Postgres (only options are remembered: memory and
 * the table stay bounded however many distinct values arrive).
 *
 * Names are compared as Notion does, ignoring case: "GPT-4o" shows as the
 * option "gpt-4o" when that came first, with its exact spelling beside it.
 */
import type { Dataset } from '../datasets.js';
import { NOTION_MAX_SELECT_OPTIONS, OVERFLOW_OPTION, type DatabaseSpec } from '../notion/catalogue/index.js';
import { optionNameOf, type ChooseOption } from './mapping.js';

export { NOTION_MAX_SELECT_OPTIONS };
/** Options the sync leaves for people to add by hand in Notion. */
export const OPTIONS_LEFT_TO_PEOPLE = 5;
/** Options the sync gives values of one select, the overflow option included. */
export const SELECT_OPTION_CAPACITY = NOTION_MAX_SELECT_OPTIONS - OPTIONS_LEFT_TO_PEOPLE;
export const OVERFLOW_OPTION_NAME = OVERFLOW_OPTION.name;

/** How Notion matches option names. */
export const foldOptionName = (name: string): string => name.toLowerCase();

export interface OptionName {
  name: string;
  folded: string;
}

export interface OptionRequest extends OptionName {
  /** The column's value, by which calls are counted. */
  raw: string;
}

/** Decides values of one select: folded name → the option it shows as, or null when it overflows. */
export type DecideOptions = (
  dataset: Dataset,
  property: string,
  live: readonly OptionName[],
  values: readonly OptionRequest[],
  capacity: number,
) => Promise<Map<string, string | null>>;

export interface SelectOptions {
  /** The options Notion's schema has now, by our key (from a schema read). */
  setLive(options: ReadonlyMap<string, readonly string[]>): void;
  /** Decides the values of `rows` not decided yet: one call per open select that has some. */
  admit(rows: readonly Record<string, unknown>[]): Promise<void>;
  /** For the mapping: the option a select value shows as. */
  readonly choose: ChooseOption;
}

/** The keys of a spec's open selects: those with an "(exact)" property beside them. */
export function openSelectKeys(spec: DatabaseSpec): string[] {
  return spec.properties.flatMap((p) => (p.exactOf ? [p.exactOf] : []));
}

export function createSelectOptions(dataset: Dataset, spec: DatabaseSpec, decide: DecideOptions): SelectOptions {
  const keys = openSelectKeys(spec);
  /** Per select: folded value → the option it shows as (values with an option only). */
  const options = new Map<string, Map<string, string>>(keys.map((k) => [k, new Map()]));
  /** Selects that had no room for a value: every value without an option overflows. */
  const full = new Set<string>();
  let live = new Map<string, readonly string[]>();

  /** Live options plus the overflow option, when Notion has it or room for it. */
  function liveNames(key: string): OptionName[] {
    const names = [...(live.get(key) ?? [])];
    const hasOverflow = names.some((n) => foldOptionName(n) === foldOptionName(OVERFLOW_OPTION_NAME));
    if (!hasOverflow && names.length < NOTION_MAX_SELECT_OPTIONS) names.push(OVERFLOW_OPTION_NAME);
    return names.map((name) => ({ name, folded: foldOptionName(name) }));
  }

  const overflowShown = (key: string) =>
    liveNames(key).some((n) => n.folded === foldOptionName(OVERFLOW_OPTION_NAME)) ? OVERFLOW_OPTION_NAME : null;

  return {
    setLive(schema) {
      live = new Map(schema);
      // What Notion has is an option (someone may have added it by hand), as the ledger records it.
      for (const [key, names] of live) {
        const known = options.get(key);
        for (const name of names) if (known && !known.has(foldOptionName(name))) known.set(foldOptionName(name), name);
      }
    },

    async admit(rows) {
      for (const key of keys) {
        if (full.has(key)) continue;
        const known = options.get(key)!;
        const wanted = new Map<string, OptionRequest>();
        for (const row of rows) {
          const raw = row[key];
          const name = optionNameOf(raw);
          if (name === null) continue;
          const folded = foldOptionName(name);
          if (!known.has(folded) && !wanted.has(folded)) wanted.set(folded, { name, folded, raw: String(raw) });
        }
        if (wanted.size === 0) continue;
        const decided = await decide(dataset, key, liveNames(key), [...wanted.values()], SELECT_OPTION_CAPACITY);
        for (const [folded, option] of decided) {
          if (option === null) full.add(key);
          else known.set(folded, option);
        }
      }
    },

    choose(key, name) {
      const known = options.get(key);
      if (!known) return name; // not an open select
      const option = known.get(foldOptionName(name));
      if (option !== undefined) return option;
      return full.has(key) ? overflowShown(key) : name;
    },
  };
}
