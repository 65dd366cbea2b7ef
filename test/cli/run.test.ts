import { afterEach, describe, expect, it, vi } from 'vitest';
import { runCommand, withVerboseOption } from '../../src/cli/run.js';
import { DatabaseError } from '../../src/errors.js';

function captureStderr() {
  const chunks: string[] = [];
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    chunks.push(String(chunk));
    return true;
  });
  return () => chunks.join('');
}

const failing = (error: unknown) => ({
  name: 'example',
  help: 'Usage: example\n\nOptions:\n  -h, --help   show this help\n',
  options: {},
  run: () => Promise.reject(error),
});

afterEach(() => {
  vi.restoreAllMocks();
  process.exitCode = undefined;
});

describe('runCommand error output', () => {
  const expected = new DatabaseError('connect: PostgreSQL does not answer at db:5432; is it running?', { cause: new Error('ECONNREFUSED') });

  it('prints an expected failure as one line, exit 1, without its stack', async () => {
    const stderr = captureStderr();
    await runCommand(failing(expected), []);
    expect(stderr()).toBe('error: connect: PostgreSQL does not answer at db:5432; is it running?\n');
    expect(process.exitCode).toBe(1);
  });

  it('adds the stack of the error and of its cause with --verbose', async () => {
    const stderr = captureStderr();
    await runCommand(failing(expected), ['--verbose']);
    expect(stderr()).toMatch(/^error: connect: .*\nDatabaseError: connect: .*\n\s+at .*[\s\S]*\ncaused by: Error: ECONNREFUSED\n\s+at /);
    expect(process.exitCode).toBe(1);
  });

  it('always prints the stack of an error it did not expect: that is a bug', async () => {
    const stderr = captureStderr();
    await runCommand(failing(new TypeError('cannot read properties of undefined')), []);
    expect(stderr()).toMatch(/^unexpected error: TypeError: cannot read properties of undefined\n\s+at /);
    expect(process.exitCode).toBe(1);
  });
});

describe('withVerboseOption', () => {
  it('lists --verbose above -h, --help, aligned with it, once', () => {
    const help = withVerboseOption('Options:\n  --dry-run     change nothing\n  -h, --help    show this help\n');
    expect(help).toBe(
      'Options:\n  --dry-run     change nothing\n  --verbose     on failure, also print the stack trace (and of its causes)\n  -h, --help    show this help\n',
    );
    expect(withVerboseOption(help)).toBe(help);
  });

  it('adds an Options section to a help that has none', () => {
    expect(withVerboseOption('Usage: x\n')).toBe(
      'Usage: x\n\nOptions:\n  --verbose    on failure, also print the stack trace (and of its causes)\n  -h, --help   show this help\n',
    );
  });
});
