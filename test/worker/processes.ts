/** `npm run worker` (or another command) as a child process, its JSON log lines, and waits on them. */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { scriptCommand } from '../support/cli.js';

export interface WorkerProcess {
  child: ChildProcess;
  lines: Record<string, unknown>[];
  /** Resolves with the first log line (past or future) that `match` accepts. */
  waitForLine(match: (line: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
  /** Resolves with the exit code once the process has exited and its output is read. */
  exited: Promise<number | null>;
  /** What it wrote to stderr so far. */
  stderr(): string;
  port(): Promise<number>;
}

export interface SpawnOptions {
  /** What to run (default: the compiled worker, as `npm start` runs it); e.g. `['npm', 'run', 'worker']`. */
  command?: readonly string[];
  /** In a process group of its own (its pid is the group's id), to signal the group as a terminal or `timeout` would. */
  detached?: boolean;
}

export function spawnWorker(env: Record<string, string>, options: SpawnOptions = {}): WorkerProcess {
  const [command, ...args] = options.command ?? scriptCommand('worker');
  const child = spawn(command!, args, {
    env: { PATH: process.env.PATH ?? '', LOG_FORMAT: 'json', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.detached ?? false,
  });
  const lines: Record<string, unknown>[] = [];
  const waiters: { match: (line: Record<string, unknown>) => boolean; resolve: (line: Record<string, unknown>) => void }[] = [];
  createInterface({ input: child.stdout! }).on('line', (text) => {
    let line: Record<string, unknown>;
    try {
      line = JSON.parse(text) as Record<string, unknown>;
    } catch {
      line = { msg: text };
    }
    lines.push(line);
    for (const waiter of [...waiters]) {
      if (waiter.match(line)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(line);
      }
    }
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  // 'close', not 'exit': by then every line it (and any process sharing its pipes) wrote has been read.
  const exited = new Promise<number | null>((resolve) =>
    child.on('close', (code) => {
      if (code !== 0 && code !== null && stderr) process.stderr.write(`worker stderr: ${stderr}\n`);
      resolve(code);
    }),
  );
  const waitForLine = (match: (line: Record<string, unknown>) => boolean) => {
    const seen = lines.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise<Record<string, unknown>>((resolve, reject) => {
      waiters.push({ match, resolve });
      void exited.then((code) => reject(new Error(`worker exited (${code}) before the line came: ${stderr.slice(0, 2000)}`)));
    });
  };
  return {
    child,
    lines,
    waitForLine,
    exited,
    stderr: () => stderr,
    port: async () => Number((await waitForLine((l) => l.msg === 'worker started')).port),
  };
}

/** Resolves once `check` holds, testing it whenever `poke` is called and every `everyMs`. */
export function waitUntil(check: () => boolean | Promise<boolean>, everyMs = 50, timeoutMs = 60_000): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const started = Date.now();
    const tick = async () => {
      if (await check()) return resolve();
      if (Date.now() - started > timeoutMs) return reject(new Error('condition not met in time'));
      setTimeout(() => void tick(), everyMs);
    };
    void tick();
  });
}
