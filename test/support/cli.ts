/** Runs the project's commands as their own processes, the way a user would. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface ScriptResult {
  /** The exit code; null when the process was killed (e.g. by the timeout). */
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `scripts/<script>.ts` under node with tsx and answers how it ended, never throwing
 * for a non-zero exit. `timeout` only keeps a process that never exits from hanging the
 * suite: it then ends with code null.
 */
export function runScript(script: string, args: readonly string[], options: { env: NodeJS.ProcessEnv; timeout?: number }): Promise<ScriptResult> {
  return run(process.execPath, ['--import', 'tsx', `scripts/${script}.ts`, ...args], { env: options.env, timeout: options.timeout ?? 0 }).then(
    ({ stdout, stderr }) => ({ code: 0 as number | null, stdout, stderr }),
    (error: ScriptResult) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
  );
}
