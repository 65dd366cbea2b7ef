/**
 * Cursor paging for lists and queries: `start_cursor` / `page_size` (≤ 100) in,
 * `next_cursor` / `has_more` out. A cursor is the id of the next item, as in
 * Notion; the fake also remembers each cursor's position, so paging goes on
 * when that item has meanwhile left the result set.
 */
import { notionErrors } from './errors.js';
import { shown } from './validation.js';

export interface Paged<T> {
  results: T[];
  next_cursor: string | null;
  has_more: boolean;
}

export class Cursors {
  private readonly positions = new Map<string, number>();

  private key(scope: string, cursor: string): string {
    return `${scope}\u0000${cursor}`;
  }

  /** The index a cursor starts at within `ids`. */
  start(scope: string, cursor: unknown, ids: readonly string[], where: 'body' | 'query'): number {
    if (cursor === undefined || cursor === null || cursor === '') return 0;
    if (typeof cursor !== 'string') {
      throw notionErrors.validation(`${where} failed validation: ${where}.start_cursor should be a string, instead was ${shown(cursor)}.`);
    }
    const index = ids.indexOf(cursor);
    if (index >= 0) return index;
    const remembered = this.positions.get(this.key(scope, cursor));
    if (remembered !== undefined) return remembered;
    throw notionErrors.validation(`The start_cursor provided is invalid: ${cursor}`);
  }

  issue(scope: string, cursor: string, position: number): string {
    this.positions.set(this.key(scope, cursor), position);
    return cursor;
  }
}

/**
 * One page of `items` (already capped, in order). `scope` names the list (e.g.
 * a data source and its filter), so cursors of different lists do not mix.
 */
export function paginate<T extends { id: string }>(
  cursors: Cursors,
  scope: string,
  items: readonly T[],
  startCursor: unknown,
  pageSize: number,
  where: 'body' | 'query',
): Paged<T> {
  const ids = items.map((i) => i.id);
  const start = Math.min(cursors.start(scope, startCursor, ids, where), items.length);
  const results = items.slice(start, start + pageSize);
  const end = start + results.length;
  const next = items[end];
  return {
    results,
    has_more: next !== undefined,
    next_cursor: next ? cursors.issue(scope, next.id, end) : null,
  };
}
