/**
 * The documentation (README.md, docs/*.md and the packages' READMEs) against the project, so that none of it
 * goes stale: every relative link reaches a file (and heading), every command it shows
 * names an npm script and flags its command accepts, and the configuration table lists
 * exactly the variables the program reads.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ENV_VARIABLES } from '../../src/config/env.js';
import { scriptCommand } from '../support/cli.js';

const run = promisify(execFile);

const DOCS = [
  'README.md',
  ...readdirSync('docs').filter((name) => name.endsWith('.md')).map((name) => `docs/${name}`),
  ...readdirSync('packages').map((name) => `packages/${name}/README.md`),
];

/**
 * The Notion sandbox is moving from src/sandbox/notion to the workspace package
 * packages/notion-sandbox/. Until that lands, a link to the package's README counts when the
 * README is still at its old place; once it has landed this is never consulted and can go.
 */

interface Block {
  lang: string;
  /** 1-based line of the first line inside the fence. */
  line: number;
  lines: string[];
}

interface Parsed {
  /** Lines outside fenced code, with their 1-based numbers. */
  prose: { line: number; text: string }[];
  blocks: Block[];
  /** A fence opened and never closed: everything after it would render as code. */
  unclosed?: Block;
}

function parse(text: string): Parsed {
  const prose: Parsed['prose'] = [];
  const blocks: Block[] = [];
  let open: Block | undefined;
  text.split('\n').forEach((raw, index) => {
    const fence = /^\s*```(\S*)/.exec(raw);
    if (fence) {
      if (open) {
        blocks.push(open);
        open = undefined;
      } else {
        open = { lang: fence[1]!, line: index + 2, lines: [] };
      }
      return;
    }
    if (open) open.lines.push(raw);
    else prose.push({ line: index + 1, text: raw });
  });
  return { prose, blocks, unclosed: open };
}

/** GitHub's heading anchors (github-slugger): the heading's text, lower-cased, punctuation dropped, spaces as hyphens. */
function anchorsOf(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const { text } of parse(markdown).prose) {
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(text);
    if (!heading) continue;
    const plain = heading[1]!.replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1').replace(/[`*]/g, '');
    const slug = plain.toLowerCase().replace(/[^\p{L}\p{M}\p{N}\p{Pc}\- ]/gu, '').replace(/ /g, '-');
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

/** Inline code spans of a line, and the line without them (where links are looked for). */
function codeSpans(text: string): { spans: string[]; rest: string } {
  const spans: string[] = [];
  const rest = text.replace(/(`+)(.+?)\1/g, (_, _ticks: string, code: string) => {
    spans.push(code.trim());
    return ' ';
  });
  return { spans, rest };
}

/** Every problem with the relative links of one file: `file:line: target: what is wrong`. */
function brokenLinks(file: string, markdown: string): string[] {
  const problems: string[] = [];
  for (const { line, text } of parse(markdown).prose) {
    for (const match of codeSpans(text).rest.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
      const target = match[1]!;
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:
      const [path = '', anchor] = target.split('#', 2) as [string, string | undefined];
      let resolved = path === '' ? file : normalize(join(dirname(file), decodeURIComponent(path)));
      const where = `${file}:${line}: ${target}`;
      if (relative('.', resolved).startsWith('..')) {
        problems.push(`${where}: outside the repository`);
        continue;
      }
      if (!existsSync(resolved)) {
        problems.push(`${where}: no such file`);
        continue;
      }
      if (anchor === undefined) continue;
      if (!resolved.endsWith('.md') || statSync(resolved).isDirectory()) {
        problems.push(`${where}: an anchor into a file that is not Markdown`);
      } else if (!anchorsOf(readFileSync(resolved, 'utf8')).has(anchor)) {
        problems.push(`${where}: ${resolved} has no heading #${anchor}`);
      }
    }
  }
  return problems;
}

/** A command the documentation shows, where it is shown. */
interface Command {
  where: string;
  text: string;
}

const COMMAND_START = /^(?:[A-Z_][A-Z0-9_]*=\S*\s+)*(?:npm (?:run|test|start)\b|npx )|\bnode (?:--\S+ )*dist\/scripts\//;

/** The commands of one file: shell lines of sh/bash blocks, `$ ` lines of console blocks, `run:` steps of YAML, and code spans in prose. */
function commandsOf(file: string, markdown: string): Command[] {
  const { prose, blocks } = parse(markdown);
  const commands: Command[] = [];
  for (const block of blocks) {
    let pending = '';
    block.lines.forEach((raw, index) => {
      let line: string | undefined;
      if (['sh', 'bash', 'shell', 'zsh'].includes(block.lang)) line = raw;
      else if (block.lang === 'console') line = /^\s*\$ (.*)$/.exec(raw)?.[1];
      else if (['yaml', 'yml'].includes(block.lang)) line = /^\s*-?\s*run:\s*(.*)$/.exec(raw)?.[1];
      if (line === undefined) return;
      const joined = pending + line.replace(/(^|\s)#.*$/, '').trim();
      if (joined.endsWith('\\')) {
        pending = `${joined.slice(0, -1).trim()} `;
        return;
      }
      pending = '';
      if (joined) commands.push({ where: `${file}:${block.line + index}`, text: joined });
    });
  }
  for (const { line, text } of prose) {
    for (const span of codeSpans(text).spans) {
      if (COMMAND_START.test(span)) commands.push({ where: `${file}:${line}`, text: span });
    }
  }
  return commands;
}

interface Manifest {
  name: string;
  scripts: Record<string, string>;
  bin?: Record<string, string>;
}

const packageJson = JSON.parse(readFileSync('package.json', 'utf8')) as Manifest;

/** The workspace's packages by name, with their folder. */
const workspaces = new Map(
  readdirSync('packages').map((folder) => {
    const manifest = JSON.parse(readFileSync(`packages/${folder}/package.json`, 'utf8')) as Manifest;
    return [manifest.name, { folder: `packages/${folder}`, manifest }] as const;
  }),
);

/** The commands the workspace's packages install (`npx notion-sandbox`), as the compiled file each runs. */
const workspaceBins = new Map(
  [...workspaces.values()].flatMap(({ folder, manifest }) => Object.entries(manifest.bin ?? {}).map(([bin, file]) => [bin, join(folder, file)] as const)),
);

/**
 * The command behind an npm script: `scripts/<name>.ts` compiled to dist/scripts/<name>.js,
 * or the benchmarks' entry (never compiled, run from its TypeScript source), if it is one.
 */
function entryOf(script: string): string | undefined {
  const command = packageJson.scripts[script] ?? '';
  return /\b(?:dist\/)?scripts\/([\w-]+)\.(?:ts|js)\b/.exec(command)?.[1] ?? /\bbench\/index\.ts\b/.exec(command)?.[0];
}

/** What a command asks of a script: the script, the command file behind it, and the arguments it is given. */
interface Invocation {
  where: string;
  command: string;
  /** The npm script, when run through npm. */
  script?: string;
  /** The command whose --help lists its flags: scripts/<entry>.ts, the benchmarks' bench/index.ts, or a package's compiled bin (a .js path). */
  entry?: string;
  args: string[];
}

/** Splits a command into what it invokes; every problem it can see without running anything goes to `problems`. */
function invocationsOf(command: Command, problems: string[]): Invocation[] {
  const invocations: Invocation[] = [];
  for (const segment of command.text.split(/&&|\|\||;|\|/)) {
    const words = segment.trim().split(/\s+/).filter(Boolean);
    const at = words.findIndex((word) => ['npm', 'npx', 'node'].includes(word));
    if (at < 0) continue;
    const [tool, ...rest] = words.slice(at);
    const where = `${command.where}: ${command.text}`;
    if (tool === 'npm') {
      const [verb, ...after] = rest;
      let script: string | undefined;
      let args: string[] = [];
      const workspace = after[after.findIndex((word) => word === '-w' || word === '--workspace') + 1];
      if (after.some((word) => word === '-w' || word === '--workspace')) {
        const target = workspace === undefined ? undefined : workspaces.get(workspace);
        const name = verb === 'run' ? after.find((word) => !word.startsWith('-') && word !== workspace) : verb;
        if (!target) problems.push(`${where}: no workspace package named ${workspace}`);
        else if (name === undefined || !(name in target.manifest.scripts)) problems.push(`${where}: ${workspace} has no script "${name}"`);
        continue;
      }
      if (verb === 'test' || verb === 'start') {
        script = verb;
        args = after;
      } else if (verb === 'run') {
        script = after[0];
        if (script === undefined || script === '…') continue; // "the `npm run` scripts"
        args = after.slice(1);
      } else {
        continue; // npm's own commands: ci, install, prune, update
      }
      if (!(script in packageJson.scripts)) {
        problems.push(`${where}: package.json has no script "${script}"`);
        continue;
      }
      const separator = args.indexOf('--');
      invocations.push({ where, command: command.text, script, entry: entryOf(script), args: separator < 0 ? [] : args.slice(separator + 1) });
    } else if (tool === 'npx') {
      const [bin, ...args] = rest;
      const packaged = bin === undefined ? undefined : workspaceBins.get(bin);
      if (packaged) {
        invocations.push({ where, command: command.text, entry: packaged, args });
        continue;
      }
      if (!bin || !existsSync(join('node_modules/.bin', bin))) problems.push(`${where}: no ${bin} in node_modules/.bin (a dependency of package.json)`);
      for (const file of args.filter((arg) => /^[\w.-]+\/[\w./-]+\.(?:ts|js|sql)$/.test(arg))) {
        if (!existsSync(file)) problems.push(`${where}: ${file} does not exist`);
      }
    } else {
      const file = rest.find((word) => !word.startsWith('-'));
      const entry = /^dist\/scripts\/([\w-]+)\.js$/.exec(file ?? '')?.[1];
      if (file === undefined || !file.startsWith('dist/')) continue;
      if (entry === undefined || file.includes('<')) continue; // node dist/scripts/<name>.js
      if (!existsSync(`scripts/${entry}.ts`)) {
        problems.push(`${where}: scripts/${entry}.ts does not exist, so ${file} is never built`);
        continue;
      }
      invocations.push({ where, command: command.text, entry, args: rest.slice(rest.indexOf(file) + 1) });
    }
  }
  return invocations;
}

/** The flags an invocation uses, and its first argument when that is a word (a task name, say). */
function wordsToCheck(args: readonly string[]): { flags: string[]; task?: string } {
  const flags = args
    .map((arg) => arg.replace(/^\[|\]$/g, ''))
    .filter((arg) => /^--[a-z]/.test(arg))
    .map((arg) => arg.replace(/=.*$/, '').replace(/\]$/, ''));
  const task = args[0] !== undefined && /^[a-z][a-z-]*$/.test(args[0]) ? args[0] : undefined;
  return { flags, task };
}

/** Checks invocations against the --help of the commands they run (help texts by entry). */
function unknownArguments(invocations: readonly Invocation[], help: ReadonlyMap<string, string>): string[] {
  const problems: string[] = [];
  for (const invocation of invocations) {
    const { flags, task } = wordsToCheck(invocation.args);
    if (flags.length === 0 && task === undefined) continue;
    if (invocation.entry === undefined) {
      problems.push(`${invocation.where}: npm run ${invocation.script} is not a command under scripts/ (nor the benchmarks), so its arguments cannot be checked`);
      continue;
    }
    const text = help.get(invocation.entry) ?? '';
    const command = /\.(?:js|ts)$/.test(invocation.entry) ? invocation.entry : `scripts/${invocation.entry}.ts`;
    for (const flag of flags) {
      if (!new RegExp(`(^|[\\s,\\[])${flag}(?![\\w-])`, 'm').test(text)) problems.push(`${invocation.where}: ${flag} is not in the --help of ${command}`);
    }
    if (task !== undefined && !new RegExp(`(^|\\s)${task}(?![\\w-])`, 'm').test(text)) {
      problems.push(`${invocation.where}: "${task}" is not in the --help of ${command}`);
    }
  }
  return problems;
}

/** `--help` of each compiled command (dist/ is built before the run), side by side. */
async function helpOf(entries: Iterable<string>): Promise<Map<string, string>> {
  const texts = await Promise.all(
    [...entries].map(async (entry) => {
      const [node, ...args] = entry.endsWith('.js')
        ? [process.execPath, entry]
        : entry.endsWith('.ts')
          ? [process.execPath, '--conditions=tokensync-source', '--import', 'tsx', entry]
          : scriptCommand(entry);
      const { stdout } = await run(node!, [...args, '--help'], { timeout: 20_000 });
      return [entry, stdout] as const;
    }),
  );
  return new Map(texts);
}

/** The first column of each row of the table under "## Variables", and every variable-shaped name the table mentions. */
function configurationTable(markdown: string): { listed: Set<string>; mentioned: Set<string> } {
  const section = /^## Variables\n([\s\S]*?)(?=^#|(?![\s\S]))/m.exec(markdown)?.[1] ?? '';
  const rows = section.split('\n').filter((line) => line.startsWith('|') && !/^\|\s*-/.test(line)).slice(1);
  const names = (text: string) => [...text.matchAll(/`([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)`/g)].map((match) => match[1]!);
  return {
    listed: new Set(rows.flatMap((row) => names(row.split('|')[1] ?? ''))),
    mentioned: new Set(rows.flatMap((row) => names(row))),
  };
}

describe('the documentation', () => {
  it('closes every code block it opens', () => {
    const unclosed = DOCS.flatMap((file) => {
      const block = parse(readFileSync(file, 'utf8')).unclosed;
      return block ? [`${file}:${block.line - 1}: this fence is never closed`] : [];
    });
    expect(unclosed).toEqual([]);
  });

  it('links only to files and headings that exist', () => {
    const problems = DOCS.flatMap((file) => brokenLinks(file, readFileSync(file, 'utf8')));
    expect(problems).toEqual([]);
  });

  it('shows only commands that exist, with flags they accept', async () => {
    const problems: string[] = [];
    const commands = DOCS.flatMap((file) => commandsOf(file, readFileSync(file, 'utf8')));
    const invocations = commands.flatMap((command) => invocationsOf(command, problems));
    const withArguments = invocations.filter(({ args }) => {
      const { flags, task } = wordsToCheck(args);
      return flags.length > 0 || task !== undefined;
    });
    const entries = new Set(withArguments.flatMap((invocation) => invocation.entry ?? []));
    problems.push(...unknownArguments(invocations, await helpOf(entries)));
    expect(problems).toEqual([]);
    // What is checked: a change that drops every command from the parse cannot pass silently.
    expect(invocations.length).toBeGreaterThan(30);
  }, 30_000);

  it('lists in docs/configuration.md and .env.example exactly the variables the program reads', () => {
    const { listed, mentioned } = configurationTable(readFileSync('docs/configuration.md', 'utf8'));
    const read = new Set<string>(ENV_VARIABLES);
    const example = new Set([...readFileSync('.env.example', 'utf8').matchAll(/^([A-Z][A-Z0-9_]*)=/gm)].map((match) => match[1]!));
    expect({
      'read but not in the table': [...read].filter((name) => !listed.has(name)),
      'in the table but never read': [...mentioned].filter((name) => !read.has(name)),
      'read but not in .env.example': [...read].filter((name) => !example.has(name)),
      'in .env.example but never read': [...example].filter((name) => !read.has(name)),
    }).toEqual({
      'read but not in the table': [],
      'in the table but never read': [],
      'read but not in .env.example': [],
      'in .env.example but never read': [],
    });
  });
});
