import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SIGNAL_ECHO_MS, signalExitCode, stopOnSignal, type StopEvent, type StopOnSignalOptions } from '../../src/cli/signals.js';

/** The handlers stopOnSignal added, called directly: no real signal reaches the test runner. */
let added: { signal: 'SIGTERM' | 'SIGINT'; handler: (signal: string) => void }[] = [];
function install(options: Partial<StopOnSignalOptions> = {}) {
  const before = { SIGTERM: process.listeners('SIGTERM'), SIGINT: process.listeners('SIGINT') };
  const events: StopEvent[] = [];
  const stop = vi.fn();
  const handling = stopOnSignal({ stop, deadlineMs: 10_000, exitCode: 1, report: (e) => events.push(e), ...options });
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    for (const handler of process.listeners(signal)) if (!before[signal].includes(handler)) added.push({ signal, handler: handler as (s: string) => void });
  }
  const send = (signal: 'SIGTERM' | 'SIGINT') => added.find((a) => a.signal === signal)!.handler(signal);
  return { events, stop, handling, send };
}

let exit: ReturnType<typeof vi.spyOn>;
beforeEach(() => {
  vi.useFakeTimers();
  exit = vi.spyOn(process, 'exit').mockImplementation((() => undefined) as never);
});
afterEach(() => {
  for (const { signal, handler } of added) process.off(signal, handler);
  added = [];
  exit.mockRestore();
  vi.useRealTimers();
});

describe('stopOnSignal', () => {
  it('starts the shutdown once; copies of the signal within the echo window are the same request', async () => {
    const { events, stop, handling, send } = install();
    send('SIGTERM');
    send('SIGTERM');
    vi.advanceTimersByTime(SIGNAL_ECHO_MS - 10);
    send('SIGINT');
    await vi.advanceTimersByTimeAsync(0);
    expect(stop).toHaveBeenCalledTimes(1);
    expect(stop).toHaveBeenCalledWith('SIGTERM');
    expect(handling.received).toBe('SIGTERM');
    expect(events).toEqual([{ kind: 'stopping', signal: 'SIGTERM' }]);
    expect(exit).not.toHaveBeenCalled();
  });

  it('a signal after the window forces the exit', () => {
    const { events, send } = install({ exitCode: 7 });
    send('SIGINT');
    vi.advanceTimersByTime(SIGNAL_ECHO_MS);
    send('SIGINT');
    expect(events).toEqual([{ kind: 'stopping', signal: 'SIGINT' }, { kind: 'forced', signal: 'SIGINT' }]);
    expect(exit).toHaveBeenCalledWith(7);
  });

  it('exits at the deadline if the shutdown has not ended the process', () => {
    const { events, send } = install({ deadlineMs: 5_000 });
    send('SIGTERM');
    vi.advanceTimersByTime(4_999);
    expect(exit).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(events.at(-1)).toEqual({ kind: 'deadline', deadlineMs: 5_000 });
    expect(exit).toHaveBeenCalledWith(1);
  });

  it('names the conventional exit codes', () => {
    expect(signalExitCode('SIGTERM')).toBe(143);
    expect(signalExitCode('SIGINT')).toBe(130);
  });
});
