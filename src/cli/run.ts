/**
 * What every command shares: --help, --verbose, strict argument parsing, and
 * errors printed for a human (scrubbed of secrets) with a meaningful exit code.
 *
 * An expected failure (a TokensyncError: bad configuration, a database or Notion
 * that refuses us) is one line that says what to do; its stack trace is noise
 * for the person running the command, so it is printed only with --verbose. An
 * error of any other kind is a bug: its stack is always printed.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ConfigError, TokensyncError } from '../errors.js';
import { createScrubber } from '../logging/scrub.js';
import { exitWhenIdle } from './signals.js';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
/** Bad usage or configuration: fix the command line or the environment. */
export const EXIT_USAGE = 2;

type Options = NonNullable<ParseArgsConfig['options']>;

export interface CommandSpec<O extends Options> {
  name: string;
  help: string;
  options: O;
  /** Words that are not options (a subcommand and its arguments) are allowed and handed to run; default: refused. */
  positionals?: boolean;
  run: (values: ReturnType<typeof parseArgs<{ options: O; strict: true }>>['values'], positionals: string[]) => Promise<number>;
}

let knownSecrets: readonly string[] = [];

/** Lets a command's error output scrub the secret values of its configuration. */
export function registerSecrets(secrets: readonly string[]): void {
  knownSecrets = secrets;
}

const VERBOSE_HELP = 'on failure, also print the stack trace (and of its causes)';

/** The stack of `error` and of each cause under it, for --verbose and for bugs. */
function stackTrace(error: unknown): string {
  const parts: string[] = [];
  for (let current: unknown = error, depth = 0; current !== undefined && depth < 5; depth++) {
    parts.push(current instanceof Error ? (current.stack ?? current.message) : String(current));
    current = current instanceof Error ? current.cause : undefined;
  }
  return parts.join('\ncaused by: ');
}

function printError(error: unknown, verbose: boolean): number {
  const scrub = createScrubber(knownSecrets);
  const trace = verbose ? `${scrub(stackTrace(error))}\n` : '';
  if (error instanceof ConfigError) {
    process.stderr.write(`${scrub(error.message)}\nSee .env.example for every variable and its default.\n${trace}`);
    return EXIT_USAGE;
  }
  if (error instanceof TokensyncError) {
    process.stderr.write(`error: ${scrub(error.message)}\n${trace}`);
    return EXIT_FAILURE;
  }
  process.stderr.write(`unexpected error: ${scrub(stackTrace(error))}\n`);
  return EXIT_FAILURE;
}

/** Every command's help lists --verbose, under its own -h, --help line and aligned with it. */
export function withVerboseOption(help: string): string {
  if (help.includes('--verbose')) return help;
  if (!/^ *-h, --help /m.test(help)) return `${help}\nOptions:\n  --verbose    ${VERBOSE_HELP}\n  -h, --help   show this help\n`;
  return help.replace(/^( *)(-h, --help)( +)(.*)$/m, (line, indent: string, flag: string, gap: string) => {
    const width = flag.length + gap.length;
    return `${indent}${'--verbose'.padEnd(Math.max(width, '--verbose'.length + 1))}${VERBOSE_HELP}\n${line}`;
  });
}

/**
 * node-postgres warns in nine lines, on every start, that it treats sslmode=require
 * as verify-full. Our commands say it in one, with what to write instead.
 */
const PG_SSLMODE_WARNING = /^SECURITY WARNING: The SSL modes 'prefer', 'require', and 'verify-ca'/;
const PG_SSLMODE_NOTE =
  'note: node-postgres treats sslmode=require in DATABASE_URL as verify-full (it checks the server certificate); write sslmode=verify-full to keep that, or sslmode=no-verify to encrypt without checking\n';

let pgSslWarningCondensed = false;

function condensePgSslWarning(): void {
  if (pgSslWarningCondensed) return;
  pgSslWarningCondensed = true;
  const emitWarning = process.emitWarning.bind(process) as (...args: unknown[]) => void;
  let noted = false;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    const message = typeof warning === 'string' ? warning : warning.message;
    if (!PG_SSLMODE_WARNING.test(message)) return emitWarning(warning, ...rest);
    if (!noted) process.stderr.write(PG_SSLMODE_NOTE);
    noted = true;
  }) as typeof process.emitWarning;
}

export async function runCommand<O extends Options>(spec: CommandSpec<O>, argv = process.argv.slice(2)): Promise<void> {
  // `command --help | head` closes the pipe early; that is not an error.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? EXIT_OK);
    throw error;
  });
  condensePgSslWarning();
  let values;
  let positionals: string[];
  try {
    const parsed = parseArgs({
      args: argv,
      options: { ...spec.options, help: { type: 'boolean', short: 'h' }, verbose: { type: 'boolean' } },
      strict: true,
      allowPositionals: spec.positionals === true,
    });
    values = parsed.values as Parameters<CommandSpec<O>['run']>[0] & { help?: boolean; verbose?: boolean };
    positionals = parsed.positionals;
  } catch (error) {
    process.stderr.write(`${spec.name}: ${(error as Error).message}\nRun with --help for usage.\n`);
    process.exitCode = EXIT_USAGE;
    return;
  }
  if (values.help) {
    process.stdout.write(withVerboseOption(spec.help));
    return;
  }
  try {
    process.exitCode = await spec.run(values, positionals);
  } catch (error) {
    process.exitCode = printError(error, values.verbose === true);
  }
  // The work is done or has failed: a connection left open must not keep the process running.
  exitWhenIdle();
}
