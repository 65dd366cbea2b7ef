/**
 * Notion's Free-workspace block limit, as the API enforces it
 * (https://developers.notion.com/reference/workspace-block-limits): a workspace
 * has a number of lifetime blocks; every page (database rows included),
 * database and appended block is one; deleting gives none back. The write that
 * first reaches the limit succeeds and starts a grace period (three days);
 * after it, every request that would create a block fails with 403
 * `restricted_resource` and `additional_data.block_limit`, while reads, deletes
 * and edits that create no block still work.
 *
 * Blocks are counted whether or not a limit is configured, so tests and the
 * benchmark can read the footprint of any run.
 */
import type { BlockDraft } from './block-content.js';
import { notionErrors } from './errors.js';

export const DEFAULT_BLOCK_GRACE_MS = 3 * 86_400_000;

export interface BlockLimitOptions {
  /** Lifetime blocks of the workspace (Notion: 1,000 for a Free workspace with more than one member). */
  lifetime: number;
  /** How long creation still works after the limit is reached. Default three days, as Notion. */
  graceMs?: number;
  /** Blocks the workspace had already used before the fake started. Default 0. */
  used?: number;
}

export interface BlockUsage {
  /** Blocks created so far (plus `used`), never decremented. */
  created: number;
  /** The configured lifetime, or null without a limit. */
  lifetime: number | null;
  /** When the limit was first reached (ms, the fake's clock), if it was. */
  graceStartedAt: number | null;
  /** Whether requests that create blocks are refused now. */
  blocked: boolean;
  /** Requests refused for the limit so far. */
  refused: number;
}

/** Blocks a request's drafts create: each one and everything nested in it. */
export function countBlocks(drafts: readonly BlockDraft[]): number {
  return drafts.reduce((n, d) => n + 1 + countBlocks(d.children), 0);
}

export class BlockLimit {
  private limit: { lifetime: number; graceMs: number } | undefined;
  private created = 0;
  private graceStartedAt: number | null = null;
  private refused = 0;

  constructor(options: BlockLimitOptions | false | undefined, private readonly clock: () => number) {
    this.configure(options ?? false);
  }

  /** Sets (or with `false` removes) the limit; the count of blocks created so far is kept, the grace starts over. */
  configure(options: BlockLimitOptions | false): void {
    this.graceStartedAt = null;
    if (options === false) {
      this.limit = undefined;
      return;
    }
    if (!(options.lifetime >= 0) || (options.graceMs !== undefined && !(options.graceMs >= 0))) {
      throw new Error('blockLimit needs lifetime ≥ 0 and graceMs ≥ 0');
    }
    this.limit = { lifetime: options.lifetime, graceMs: options.graceMs ?? DEFAULT_BLOCK_GRACE_MS };
    if (options.used !== undefined) this.created = Math.max(this.created, options.used);
    this.noteReached();
  }

  private isBlocked(): boolean {
    return this.limit !== undefined && this.graceStartedAt !== null && this.clock() >= this.graceStartedAt + this.limit.graceMs;
  }

  /** Throws Notion's block-limit error when a request that creates blocks must be refused. */
  assertCanCreate(): void {
    if (!this.isBlocked()) return;
    this.refused += 1;
    throw notionErrors.blockLimit();
  }

  /** Counts blocks a request created; reaching the limit starts the grace period. */
  record(count: number): void {
    this.created += count;
    this.noteReached();
  }

  private noteReached(): void {
    if (this.limit && this.graceStartedAt === null && this.created >= this.limit.lifetime) this.graceStartedAt = this.clock();
  }

  usage(): BlockUsage {
    return {
      created: this.created,
      lifetime: this.limit?.lifetime ?? null,
      graceStartedAt: this.limit ? this.graceStartedAt : null,
      blocked: this.isBlocked(),
      refused: this.refused,
    };
  }
}
