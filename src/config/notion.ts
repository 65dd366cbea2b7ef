/** The Notion side: the integration, where setup:notion puts the databases, and the workspace's plan. */
import { z } from 'zod';
import { DATASETS, notionIdVariables, type Dataset } from '../datasets.js';
import { hasProtocol, millisecondsAtLeast, NOTION_PAGE_HINT, notionId, type Parsed } from './fields.js';
import { DEFAULT_NOTION_ENV_FILE } from './sources.js';

/** Written by setup:notion: where each dataset's database and data source live. */
const recordedNotionIds = Object.fromEntries(
  DATASETS.flatMap((dataset) =>
    Object.values(notionIdVariables(dataset)).map((name) => [name, notionId('a Notion id as written by npm run setup:notion').optional()]),
  ),
) as Record<string, z.ZodOptional<ReturnType<typeof notionId>>>;

export const notionVariables = {
  NOTION_TOKEN: z.string().min(10, "looks truncated; copy the integration's internal secret (ntn_…)").optional(),
  NOTION_PARENT_PAGE_ID: notionId(NOTION_PAGE_HINT).optional(),
  NOTION_BASE_URL: z
    .string()
    .refine((v) => hasProtocol(v, ['http:', 'https:']), 'must be an http(s) URL, e.g. https://api.notion.com')
    .default('https://api.notion.com'),
  NOTION_ENV_FILE: z.string().default(DEFAULT_NOTION_ENV_FILE),
  NOTION_WORKSPACE_PLAN: z.enum(['free', 'paid']).default('paid'),
  NOTION_BLOCK_LIMIT_RETRY_MS: millisecondsAtLeast(60_000, 3_600_000).default(3_600_000),
  NOTION_TIMEOUT_MS: millisecondsAtLeast(1000, 60_000).default(60_000),
  ...recordedNotionIds,
};

export interface NotionIds {
  databaseId: string | undefined;
  dataSourceId: string | undefined;
}

export interface NotionConfig {
  token: string | undefined;
  /** Dashed page id, parsed from an id or a page URL. */
  parentPageId: string | undefined;
  baseUrl: string;
  /** The file setup:notion records ids in. */
  envFile: string;
  /** Ids recorded by an earlier setup:notion, per dataset. */
  recorded: Record<Dataset, NotionIds>;
  /**
   * `free`: a Free workspace with more than one member, 1,000 lifetime blocks
   * (setup refuses budgets that do not fit); `paid`: no block limit. Notion's
   * API tells neither the plan nor the blocks used, so it is configured.
   */
  workspacePlan: 'free' | 'paid';
  /** While Notion refuses to create blocks, one create per this interval checks whether it still does. */
  blockLimitRetryMs: number;
  /**
   * How long one request may take, from sending it to the last byte of the
   * answer (the wait for the rate limit not counted); a request that does not
   * finish in time is retried like one that failed.
   */
  timeoutMs: number;
}

function recordedIds(e: Record<string, unknown>): Record<Dataset, NotionIds> {
  return Object.fromEntries(
    DATASETS.map((dataset) => {
      const names = notionIdVariables(dataset);
      return [dataset, { databaseId: e[names.databaseId] as string | undefined, dataSourceId: e[names.dataSourceId] as string | undefined }];
    }),
  ) as Record<Dataset, NotionIds>;
}

export const notionConfig = (e: Parsed<typeof notionVariables>): NotionConfig => ({
  token: e.NOTION_TOKEN,
  parentPageId: e.NOTION_PARENT_PAGE_ID,
  baseUrl: e.NOTION_BASE_URL,
  envFile: e.NOTION_ENV_FILE,
  workspacePlan: e.NOTION_WORKSPACE_PLAN,
  blockLimitRetryMs: e.NOTION_BLOCK_LIMIT_RETRY_MS,
  timeoutMs: e.NOTION_TIMEOUT_MS,
  recorded: recordedIds(e),
});
