/**
 * Where the Notion ids every command uses come from: setup:notion records them
 * in NOTION_ENV_FILE, which every command reads back; verify names that file,
 * and warns when another source overrides what setup recorded.
 */
import type { Config, LayeredEnvironment } from '../config/env.js';
import { DATASETS, notionIdVariables } from '../datasets.js';
import { pass, warn, type CheckResult } from './check.js';

const originName = (origin: string, idsFile: string) =>
  origin === 'environment' ? 'the process environment' : origin === idsFile ? `${origin} (NOTION_ENV_FILE)` : origin;

export function checkRecordedIds(config: Config, layers: LayeredEnvironment | undefined): CheckResult {
  const idsFile = layers?.notionEnvFile.path ?? config.notion.envFile;
  const recorded = DATASETS.filter((d) => config.notion.recorded[d].dataSourceId !== undefined);
  // Informational: the notion group and every sync say what is missing where it matters.
  if (recorded.length === 0) {
    return pass('config', 'notion ids', `none recorded yet; setup:notion records them in ${idsFile} (NOTION_ENV_FILE)${layers && !layers.notionEnvFile.exists ? ', which does not exist yet' : ''}`);
  }
  const variables = DATASETS.flatMap((d) => Object.values(notionIdVariables(d)));
  const count = `${recorded.length} of ${DATASETS.length} data source ids`;
  if (!layers) return pass('config', 'notion ids', `${count}; NOTION_ENV_FILE is ${idsFile}`);

  const origins = [...new Set(variables.map((v) => layers.origins[v]).filter((o): o is string => o !== undefined))];
  const from = `${count}, read from ${origins.map((o) => originName(o, idsFile)).join(' and ')}`;
  // Setup wrote one id, something above the ids file says another: the commands use the other.
  const overridden = variables.filter((v) => {
    const written = layers.notionEnvFile.values[v];
    return written !== undefined && written.trim() !== '' && layers.origins[v] !== idsFile && layers.values[v] !== written;
  });
  if (overridden.length > 0) {
    const by = [...new Set(overridden.map((v) => originName(layers.origins[v]!, idsFile)))].join(' and ');
    return warn(
      'config',
      'notion ids',
      `${from}; ${overridden.length} of them differ from what setup:notion recorded in ${idsFile} (${overridden[0]}…), and ${by} wins`,
      `remove ${overridden.length === 1 ? overridden[0] : 'the NOTION_*_ID variables'} from ${by} so the recorded ids are used`,
    );
  }
  return pass('config', 'notion ids', from);
}
