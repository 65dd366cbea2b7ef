/**
 * Whether Notion still lets tokensync create pages and blocks. After the
 * workspace's block limit answers a create (see NotionBlockLimitError), creation
 * stops for every process (recorded in Postgres, tokensync.notion_creation):
 * pages are still updated in place, rows that need a new page are held back and
 * counted, and once per retry interval one create finds out whether the
 * workspace was upgraded. When one succeeds, creation resumes and the held
 * rows are read again (migration 20261204000600_notion_block_limit.sql).
 */
import { z } from 'zod';
import type { Dataset } from '../datasets.js';
import type { Logger } from '../logging/logger.js';
import { BLOCK_LIMIT_FIX, type NotionBlockLimitError } from '../notion/client.js';
import type { KeysetCursor } from '../supabase/source.js';
import { callFunction, type SqlFunctionTransport } from '../supabase/transport.js';

/** How often, while creation is stopped, one create checks whether the workspace can create again. */
export const DEFAULT_BLOCK_LIMIT_RETRY_MS = 3_600_000;
/** How long a process trusts "creation works" before asking Postgres again. */
export const CREATION_CHECK_CACHE_MS = 5_000;

export interface CreationStatus {
  stopped: boolean;
  stoppedAt: string | null;
  requestId: string | null;
  message: string | null;
  /** Creates Notion refused for the block limit, over all processes. */
  refused: number;
  /** Datasets with rows held back until creation resumes. */
  heldDatasets: string[];
}

export interface CreationGate {
  /**
   * Whether a pass of `dataset` may send creates: yes while creation works;
   * while it is stopped, only one pass per retry interval, whose held rows are
   * read again and whose first create checks for an upgrade.
   */
  mayCreate(dataset: Dataset): Promise<boolean>;
  /** Notion refused a create for the block limit: stop creation everywhere. */
  stopped(error: NotionBlockLimitError): Promise<void>;
  /** A create succeeded after mayCreate() allowed a check: creation resumes, held rows are read again. */
  created(): Promise<void>;
  /** Rows of `dataset` after `cursor` (null: from the start) were held back. */
  hold(dataset: Dataset, cursor: KeysetCursor | null): Promise<void>;
  status(): Promise<CreationStatus>;
}

const status = z
  .object({
    stopped: z.boolean(),
    stopped_at: z.string().nullable(),
    request_id: z.string().nullable(),
    message: z.string().nullable(),
    refused: z.number(),
    held_datasets: z.array(z.string()),
  })
  .transform((s): CreationStatus => ({
    stopped: s.stopped,
    stoppedAt: s.stopped_at,
    requestId: s.request_id,
    message: s.message,
    refused: s.refused,
    heldDatasets: s.held_datasets,
  }));

/** Reads whether creation is stopped, for verify, metrics and the report. */
export function readCreationStatus(transport: SqlFunctionTransport): Promise<CreationStatus> {
  return callFunction(transport, 'tokensync_notion_creation_status', {}, status);
}

export interface CreationGateOptions {
  transport: SqlFunctionTransport;
  logger: Logger;
  retryMs?: number;
  now?: () => number;
}

export function createCreationGate(options: CreationGateOptions): CreationGate {
  const { transport, logger } = options;
  const retryMs = options.retryMs ?? DEFAULT_BLOCK_LIMIT_RETRY_MS;
  const now = options.now ?? Date.now;
  /** Until when this process takes "creation works" for granted. */
  let worksUntil = 0;
  /** This process was allowed a create while creation was stopped: its success means the limit is gone. */
  let checking = false;

  return {
    async mayCreate(dataset) {
      if (now() < worksUntil) return true;
      const answer = await callFunction(
        transport,
        'tokensync_notion_creation_may_create',
        { p_dataset: dataset, p_every_ms: Math.ceil(retryMs) },
        z.enum(['works', 'check', 'stopped']),
      );
      if (answer === 'works') worksUntil = now() + CREATION_CHECK_CACHE_MS;
      if (answer === 'check') checking = true;
      return answer !== 'stopped';
    },

    async stopped(error) {
      worksUntil = 0;
      checking = false;
      const after = await callFunction(
        transport,
        'tokensync_notion_creation_stop',
        { p_request_id: error.requestId ?? null, p_message: error.message },
        status,
      );
      if (after.refused === 1) {
        logger.error({ err: error, requestId: error.requestId }, `Notion refuses to create blocks (workspace block limit): creation stopped, pages are still updated in place; fix: ${BLOCK_LIMIT_FIX}`);
      } else {
        logger.warn({ requestId: error.requestId, refused: after.refused }, 'Notion still refuses to create blocks (workspace block limit)');
      }
    },

    async created() {
      if (!checking) return;
      checking = false;
      const result = await callFunction(
        transport,
        'tokensync_notion_creation_resume',
        {},
        z.object({ resumed: z.boolean(), datasets: z.array(z.string()) }),
      );
      worksUntil = now() + CREATION_CHECK_CACHE_MS;
      if (result.resumed) logger.info({ datasets: result.datasets }, 'Notion creates blocks again: creation resumed, held rows are synced again');
    },

    async hold(dataset, cursor) {
      await callFunction(
        transport,
        'tokensync_notion_creation_hold',
        { p_dataset: dataset, p_after_updated_at: cursor?.updatedAt ?? null, p_after_id: cursor?.id ?? null },
        z.unknown(),
      );
    },

    status: () => readCreationStatus(transport),
  };
}
