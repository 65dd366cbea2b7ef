/**
 * Before anything is written: is the token good, is the parent a page the
 * integration can see? And where are our databases already? (Recorded ids
 * first, then a database with our title under the parent page; never search,
 * whose index lags.)
 */
import { collectPaginatedAPI, isNotionClientError, type Client } from '@notionhq/client';
import { TokensyncError } from '../../errors.js';
import type { DatabaseSpec } from '../catalogue/index.js';
import { notionCall, toNotionRequestError } from '../client.js';
import { sameNotionId } from '../ids.js';

/** Setup cannot go on; the message says what to do. */
export class NotionSetupError extends TokensyncError {
  readonly code = 'notion_setup_failed';
}

const notionCode = (error: unknown) => (isNotionClientError(error) ? error.code : undefined);

export async function checkToken(client: Client): Promise<string> {
  try {
    const me = await client.users.me({});
    return me.name ?? 'the integration';
  } catch (error) {
    if (notionCode(error) === 'unauthorized') {
      throw new NotionSetupError(
        'NOTION_TOKEN was rejected by Notion (unauthorized). Copy the internal integration secret again from https://www.notion.so/profile/integrations and check NOTION_BASE_URL.',
        { cause: error },
      );
    }
    throw toNotionRequestError(error, 'check the token (users/me)');
  }
}

export async function checkParentPage(client: Client, parentPageId: string, botName: string): Promise<void> {
  let page: Record<string, unknown>;
  try {
    page = (await client.pages.retrieve({ page_id: parentPageId })) as Record<string, unknown>;
  } catch (error) {
    const code = notionCode(error);
    if (code !== 'object_not_found' && code !== 'validation_error') {
      throw toNotionRequestError(error, 'read the parent page');
    }
    if (await isDatabase(client, parentPageId)) {
      throw new NotionSetupError(
        `NOTION_PARENT_PAGE_ID (${parentPageId}) is a database, not a page. Point it at the page that should hold the tokensync databases.`,
        { cause: error },
      );
    }
    throw new NotionSetupError(
      `Notion cannot find page ${parentPageId}, or it is not shared with the integration. Open the page in Notion → ••• → Connections → add “${botName}”, and check NOTION_PARENT_PAGE_ID.`,
      { cause: error },
    );
  }
  if (page.in_trash === true || page.archived === true) {
    throw new NotionSetupError(`The parent page ${parentPageId} is in the trash. Restore it in Notion or choose another page.`);
  }
}

async function isDatabase(client: Client, id: string): Promise<boolean> {
  try {
    await client.databases.retrieve({ database_id: id });
    return true;
  } catch {
    return false;
  }
}

export interface ChildDatabase {
  id: string;
  title: string;
}

/** The databases that sit directly on the parent page, by title. */
export async function childDatabases(client: Client, parentPageId: string): Promise<ChildDatabase[]> {
  const blocks = await notionCall('list the parent page', () => collectPaginatedAPI(client.blocks.children.list, { block_id: parentPageId }));
  return blocks
    .map((b) => b as { id: string; type?: string; child_database?: { title: string }; in_trash?: boolean })
    .filter((b) => b.type === 'child_database' && !b.in_trash)
    .map((b) => ({ id: b.id, title: b.child_database!.title }));
}

export interface LocatedDatabase {
  databaseId: string;
  dataSourceId: string;
  how: 'recorded id' | 'title under the parent page';
}

function firstDataSource(database: Record<string, any>, preferred: string | undefined): string | undefined {
  const sources: { id: string }[] = database.data_sources ?? [];
  return (sources.find((s) => sameNotionId(s.id, preferred)) ?? sources[0])?.id;
}

/** Finds our database for a spec, or undefined when it must be created. */
export async function locateDatabase(
  client: Client,
  spec: DatabaseSpec,
  parentPageId: string,
  recorded: { databaseId: string | undefined; dataSourceId: string | undefined },
  children: ChildDatabase[],
): Promise<{ located?: LocatedDatabase; notes: string[] }> {
  const notes: string[] = [];
  if (recorded.databaseId) {
    const database = await client.databases.retrieve({ database_id: recorded.databaseId }).catch((error: unknown) => {
      if (notionCode(error) === 'object_not_found') return undefined;
      throw error;
    }) as Record<string, any> | undefined;
    const dataSourceId = database && firstDataSource(database, recorded.dataSourceId);
    if (database && !database.in_trash && sameNotionId(database.parent?.page_id, parentPageId) && dataSourceId) {
      return { located: { databaseId: database.id, dataSourceId, how: 'recorded id' }, notes };
    }
    notes.push(`the recorded database ${recorded.databaseId} is gone, in the trash or under another page; looking under the parent page`);
  }
  const sameTitle = children.filter((c) => c.title === spec.title);
  if (sameTitle.length > 1) notes.push(`${sameTitle.length} databases are titled “${spec.title}” under the parent page; using the first`);
  for (const child of sameTitle) {
    const database = (await notionCall(`read database ${spec.title}`, () => client.databases.retrieve({ database_id: child.id }))) as Record<string, any>;
    const dataSourceId = firstDataSource(database, undefined);
    if (dataSourceId) return { located: { databaseId: database.id, dataSourceId, how: 'title under the parent page' }, notes };
  }
  return { notes };
}
