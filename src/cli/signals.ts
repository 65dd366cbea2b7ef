/**
 * How a command stops: SIGTERM or SIGINT starts its ordered shutdown, a second
 * signal forces the exit, and a deadline bounds the shutdown whatever happens.
 * And once a command's work is done, the process exits even if some handle was
 * left open.
 */
import { constants } from 'node:os';

/**
 * Signals closer together than this are one request to stop. A signal to the
 * process group (Ctrl-C in a terminal, `timeout`, `kill -- -PGID`) reaches node
 * directly and again through npm, which relays SIGINT and SIGTERM to its child:
 * that echo must not count as the operator's second signal.
 */
export const SIGNAL_ECHO_MS = 1000;
/** How long a command may keep running once its work is done, before it exits anyway. */
export const LINGER_LIMIT_MS = 3000;

const STOP_SIGNALS = ['SIGTERM', 'SIGINT'] as const;
export type StopSignal = (typeof STOP_SIGNALS)[number];

/** The conventional exit code of a process ended by `signal`: 143 for SIGTERM, 130 for SIGINT. */
export const signalExitCode = (signal: StopSignal): number => 128 + constants.signals[signal];

export type StopEvent =
  | { kind: 'stopping'; signal: StopSignal }
  /** A second signal: exiting now without finishing the shutdown. */
  | { kind: 'forced'; signal: StopSignal }
  /** The shutdown did not finish within the deadline: exiting now. */
  | { kind: 'deadline'; deadlineMs: number };

export interface StopOnSignalOptions {
  /** The ordered shutdown, started once, on the first signal. */
  stop: (signal: StopSignal) => unknown;
  /** Exit (with `exitCode`) if the process still runs this long after the first signal. */
  deadlineMs: number;
  /** The exit code of a forced exit (second signal or deadline). */
  exitCode: number;
  /** Says what is happening: the worker logs it, the CLIs print it. */
  report: (event: StopEvent) => void;
}

export interface SignalHandling {
  /** The first signal received, if any. */
  readonly received: StopSignal | undefined;
}

export function stopOnSignal(options: StopOnSignalOptions): SignalHandling {
  let first: { signal: StopSignal; at: number } | undefined;
  const onSignal = (signal: StopSignal) => {
    const now = Date.now();
    if (!first) {
      first = { signal, at: now };
      options.report({ kind: 'stopping', signal });
      // Unref'd: a shutdown that closed everything exits on its own, without waiting for the deadline.
      setTimeout(() => {
        options.report({ kind: 'deadline', deadlineMs: options.deadlineMs });
        process.exit(options.exitCode);
      }, options.deadlineMs).unref();
      // `stop` reports its own failures; the deadline still ends a stop that failed without exiting.
      void Promise.resolve()
        .then(() => options.stop(signal))
        .catch(() => undefined);
      return;
    }
    if (now - first.at < SIGNAL_ECHO_MS) return;
    options.report({ kind: 'forced', signal });
    process.exit(options.exitCode);
  };
  // Never removed: a copy of the signal relayed late must not end the process halfway through its last lines.
  // (A signal handler keeps nothing alive.)
  for (const signal of STOP_SIGNALS) process.on(signal, onSignal);
  return {
    get received() {
      return first?.signal;
    },
  };
}

/**
 * Called when a command's work is done: if something (a socket, a timer) still
 * keeps the event loop alive after `limitMs`, say what and exit with the
 * command's exit code rather than hang. The timer itself keeps nothing alive.
 */
export function exitWhenIdle(limitMs = LINGER_LIMIT_MS): void {
  setTimeout(() => {
    // This timer is one of the Timeouts listed; any other resource, or a second Timeout, is what kept the process.
    const open = process.getActiveResourcesInfo();
    process.stderr.write(`still running ${limitMs / 1000} s after the work was done (open: ${open.join(', ')}); exiting\n`);
    process.exit();
  }, limitMs).unref();
}
