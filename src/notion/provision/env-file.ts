/**
 * Records values in an env file (.env.local by default): existing keys are
 * replaced where they stand, new ones appended, every other line kept as it was.
 * The file holds ids next to secrets people keep there, so it is written 0600,
 * atomically, and only when something changed.
 *
 * Every command reads this file back as configuration, so a value is written
 * only when it is one plain word that dotenv reads back as itself: a newline
 * would add a variable of its own, a quote would swallow the lines after it,
 * `#` would cut the value short and `$` would expand another variable.
 */
import { chmod, readFile, rename, writeFile } from 'node:fs/promises';
import { EnvFileValueError } from '../../errors.js';

const HEADER = '# Written by npm run setup:notion';

const KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Printable ASCII without space, quotes, backslash, `#` or `$`. */
const PLAIN_VALUE = /^[!%&(-[\]-_a-~]*$/;

/** Refuses, naming the key and never the value (it may be a secret), anything that would not read back as written. */
function assertWritable(key: string, value: string): void {
  if (!KEY.test(key)) throw new EnvFileValueError(key, 'is not a variable name');
  if (!PLAIN_VALUE.test(value)) {
    const why = /[\r\n]/.test(value) ? 'holds a line break' : /[\x00-\x1f\x7f]/.test(value) ? 'holds a control character' : 'holds a space, quote, backslash, # or $ (or a character outside ASCII)';
    throw new EnvFileValueError(key, why);
  }
}

export async function upsertEnvFile(path: string, values: Record<string, string>): Promise<{ changed: string[] }> {
  for (const [key, value] of Object.entries(values)) assertWritable(key, value);
  const before = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return '';
    throw error;
  });
  const lines = before === '' ? [] : before.replace(/\n$/, '').split('\n');
  const changed: string[] = [];
  const remaining = new Map(Object.entries(values));

  const updated = lines.map((line) => {
    const key = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=/.exec(line)?.[1];
    if (!key || !remaining.has(key)) return line;
    const value = remaining.get(key)!;
    remaining.delete(key);
    const next = `${key}=${value}`;
    if (line.trim() !== next) changed.push(key);
    return next;
  });
  if (remaining.size > 0) {
    if (!updated.includes(HEADER)) updated.push(...(updated.length > 0 ? [''] : []), HEADER);
    for (const [key, value] of remaining) {
      updated.push(`${key}=${value}`);
      changed.push(key);
    }
  }
  if (changed.length === 0) return { changed };

  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, `${updated.join('\n')}\n`, { mode: 0o600 });
  await chmod(temporary, 0o600);
  await rename(temporary, path);
  return { changed };
}
