/**
 * The model_pricing overrides a long-running process prices with: loaded from
 * the database, kept for a while, reloaded when stale. A call is never priced
 * from the catalogue just because its override could not be read: until the
 * first load succeeds, pricing waits (the writer retries); after that a failed
 * reload keeps the last rows it read and says so.
 */
import type { Logger } from '../../logging/logger.js';
import { priceOverrideRow, type PriceOverride } from './overrides.js';

export const DEFAULT_PRICING_REFRESH_MS = 5 * 60_000;

export interface PriceBookOptions {
  /** Reads every model_pricing row (tokensync_model_pricing()). */
  load: () => Promise<unknown[]>;
  /** How long loaded overrides are used before they are read again (default 5 minutes). */
  refreshMs?: number;
  logger: Logger;
}

export interface PriceBook {
  /** Overrides to price with now; throws when they have never been loaded and cannot be. */
  current(): Promise<readonly PriceOverride[]>;
}

export function createPriceBook(options: PriceBookOptions): PriceBook {
  const refreshMs = options.refreshMs ?? DEFAULT_PRICING_REFRESH_MS;
  let overrides: readonly PriceOverride[] | undefined;
  let loadedAt = -Infinity;
  let loading: Promise<readonly PriceOverride[]> | undefined;

  async function load(): Promise<readonly PriceOverride[]> {
    const rows = await options.load();
    const parsed: PriceOverride[] = [];
    for (const row of rows) {
      const result = priceOverrideRow.safeParse(row);
      // The table's constraints make this rare; one bad row must not stop pricing with the others.
      if (result.success) parsed.push(result.data);
      else options.logger.error({ row, issue: result.error.issues[0]?.message }, 'ignoring a model_pricing row that cannot be read');
    }
    overrides = parsed;
    loadedAt = performance.now();
    return parsed;
  }

  return {
    async current() {
      if (overrides && performance.now() - loadedAt < refreshMs) return overrides;
      loading ??= load().finally(() => {
        loading = undefined;
      });
      try {
        return await loading;
      } catch (error) {
        if (!overrides) throw error;
        options.logger.warn({ err: error }, 'could not reload model_pricing; pricing with the overrides read before');
        loadedAt = performance.now();
        return overrides;
      }
    },
  };
}
