/**
 * What every command shares: --help, strict argument parsing, and errors printed
 * for a human (scrubbed of secrets) with a meaningful exit code.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ConfigError, TokensyncError } from '../errors.js';
import { createScrubber } from '../logging/scrub.js';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
/** Bad usage or configuration: fix the command line or the environment. */
export const EXIT_USAGE = 2;

type Options = NonNullable<ParseArgsConfig['options']>;

export interface CommandSpec<O extends Options> {
  name: string;
  help: string;
  options: O;
  run: (values: ReturnType<typeof parseArgs<{ options: O; strict: true }>>['values']) => Promise<number>;
}

let knownSecrets: readonly string[] = [];

/** Lets a command's error output scrub the secret values of its configuration. */
export function registerSecrets(secrets: readonly string[]): void {
  knownSecrets = secrets;
}

function printError(error: unknown): number {
  const scrub = createScrubber(knownSecrets);
  if (error instanceof ConfigError) {
    process.stderr.write(`${scrub(error.message)}\nSee .env.example for every variable and its default.\n`);
    return EXIT_USAGE;
  }
  if (error instanceof TokensyncError) {
    process.stderr.write(`error: ${scrub(error.message)}\n`);
    return EXIT_FAILURE;
  }
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.stderr.write(`unexpected error: ${scrub(detail)}\n`);
  return EXIT_FAILURE;
}

export async function runCommand<O extends Options>(spec: CommandSpec<O>, argv = process.argv.slice(2)): Promise<void> {
  // `command --help | head` closes the pipe early; that is not an error.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? EXIT_OK);
    throw error;
  });
  let values;
  try {
    values = parseArgs({ args: argv, options: { ...spec.options, help: { type: 'boolean', short: 'h' } }, strict: true })
      .values as Parameters<CommandSpec<O>['run']>[0] & { help?: boolean };
  } catch (error) {
    process.stderr.write(`${spec.name}: ${(error as Error).message}\nRun with --help for usage.\n`);
    process.exitCode = EXIT_USAGE;
    return;
  }
  if (values.help) {
    process.stdout.write(spec.help);
    return;
  }
  try {
    process.exitCode = await spec.run(values);
  } catch (error) {
    process.exitCode = printError(error);
  }
}
