/** Runs the project's commands as their own processes, the way a user would. */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';

const run = promisify(execFile);

const npmScripts = (JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> }).scripts;

/** Options that only make sense for TypeScript sources: tsx, and the packages resolved to their sources. */
const SOURCE_ONLY = /^--(import|conditions)(=|$)/;

/** The node options the command's npm script gives it (`--liftoff-only` for the demo, a heap cap for the worker). */
function nodeOptionsOf(script: string): string[] {
  const line = Object.values(npmScripts).find((command) => command.includes(`scripts/${script}.ts`));
  const words = line?.split(/\s+/) ?? [];
  return words.slice(words.indexOf('node') + 1).filter((word) => word.startsWith('--') && !SOURCE_ONLY.test(word));
}

/**
 * `node dist/scripts/<script>.js`, with its npm script's node options: the compiled command,
 * as production runs it (test/support/build-setup.ts builds dist/ before the run).
 */
export function scriptCommand(script: string): string[] {
  return [process.execPath, ...nodeOptionsOf(script), `dist/scripts/${script}.js`];
}

export interface ScriptResult {
  /** The exit code; null when the process was killed (e.g. by the timeout). */
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the compiled `scripts/<script>.ts` and answers how it ended, never throwing
 * for a non-zero exit. `timeout` only keeps a process that never exits from hanging the
 * suite: it then ends with code null.
 */
export function runScript(script: string, args: readonly string[], options: { env: NodeJS.ProcessEnv; timeout?: number }): Promise<ScriptResult> {
  const [node, ...nodeArgs] = scriptCommand(script);
  return run(node!, [...nodeArgs, ...args], { env: options.env, timeout: options.timeout ?? 0 }).then(
    ({ stdout, stderr }) => ({ code: 0 as number | null, stdout, stderr }),
    (error: ScriptResult) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
  );
}
