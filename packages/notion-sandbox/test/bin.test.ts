import { Client } from '@notionhq/client';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../dist/bin/notion-sandbox.js', import.meta.url));
const run = promisify(execFile);
const PAGE_ID = '3f1e2d3c-4b5a-4968-8776-655443322110';

let child: ChildProcess | undefined;
afterEach(() => {
  child?.kill('SIGKILL');
  child = undefined;
});

/** Starts the bin and waits for the line that says where it listens. */
async function start(args: string[]): Promise<{ url: string; output: () => string }> {
  child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  for (let waited = 0; waited < 10_000; waited += 50) {
    const url = /listening on (http:\/\/\S+)/.exec(output)?.[1];
    if (url && output.includes('new Client(')) return { url, output: () => output };
    if (child.exitCode !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`notion-sandbox did not start:\n${output}`);
}

describe('notion-sandbox (the bin)', () => {
  it('serves the API on the port it prints, with the token and page it was given, until SIGTERM', async () => {
    const { url, output } = await start(['--port', '0', '--token', 'secret_cli', '--page', `${PAGE_ID}=Reports`, '--rate-limit', '0']);
    expect(output()).toContain(`${PAGE_ID}  Reports`);
    const notion = new Client({ auth: 'secret_cli', baseUrl: url, notionVersion: '2025-09-03', logger: () => undefined });
    const page = (await notion.pages.retrieve({ page_id: PAGE_ID })) as { id: string };
    expect(page.id).toBe(PAGE_ID);
    const other = new Client({ auth: 'secret_fake_notion_token', baseUrl: url, notionVersion: '2025-09-03', logger: () => undefined });
    await expect(other.users.me({})).rejects.toMatchObject({ code: 'unauthorized' });
    const home = await fetch(`${url}/`);
    expect(home.headers.get('content-type')).toContain('text/html');

    child!.kill('SIGTERM');
    const [code] = (await once(child!, 'exit')) as [number | null];
    expect(code).toBe(0);
  });

  it('limits requests per second as asked, answering 429 with Retry-After', async () => {
    const { url } = await start(['--port', '0', '--rate-limit', '1']);
    const statuses = await Promise.all(
      Array.from({ length: 15 }, () => fetch(`${url}/v1/users/me`, { headers: { authorization: 'Bearer secret_fake_notion_token', 'notion-version': '2025-09-03' } })),
    );
    const limited = statuses.filter((response) => response.status === 429);
    expect(limited.length).toBeGreaterThan(0);
    expect(Number(limited[0]!.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('prints its help, and refuses a bad option with the fix', async () => {
    const help = await run(process.execPath, [BIN, '--help']);
    expect(help.stdout).toMatch(/Usage: notion-sandbox/);
    expect(help.stdout).toContain('--rate-limit');
    const bad = await run(process.execPath, [BIN, '--port', 'eighty']).catch((error: { code: number; stderr: string }) => error);
    expect(bad).toMatchObject({ code: 2 });
    expect((bad as { stderr: string }).stderr).toContain('--port must be a whole number');
    const page = await run(process.execPath, [BIN, '--page', 'Reports']).catch((error: { code: number; stderr: string }) => error);
    expect(page).toMatchObject({ code: 2 });
    expect((page as { stderr: string }).stderr).toContain('--page takes ID=TITLE');
  });
});
