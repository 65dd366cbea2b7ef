/**
 * Records values in an env file (.env.local by default): existing keys are
 * replaced where they stand, new ones appended, every other line kept as it was.
 * The file holds ids next to secrets people keep there, so it is written 0600,
 * atomically, and only when something changed.
 */
import { chmod, readFile, rename, writeFile } from 'node:fs/promises';

const HEADER = '# Written by npm run setup:notion';

export async function upsertEnvFile(path: string, values: Record<string, string>): Promise<{ changed: string[] }> {
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
