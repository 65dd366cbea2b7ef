/**
 * A long-lived service (the worker, the usage API) run until a signal stops it.
 * Signals are handled from the start: one that comes while the service starts
 * stops it once started (and as PID 1 in a container, a signal nobody handles
 * is ignored). A second signal forces the exit; the deadline bounds the stop.
 */
import type { Logger } from '../logging/logger.js';
import { EXIT_FAILURE, EXIT_OK } from './run.js';
import { stopOnSignal } from './signals.js';

/** Beyond the service's own shutdown timeout: time to close queues, pools and connections before the exit is forced. */
const STOP_MARGIN_MS = 5000;

export interface Stoppable {
  stop(): Promise<unknown>;
}

/**
 * Resolves with the exit code once the service has stopped: 0, or 1 when
 * stopping failed. Rejects, as `starting` does, when it fails to start.
 * `shutdownTimeoutMs` is what the service gives work in flight; the exit is
 * forced a margin after it.
 */
export async function serveUntilStopped(starting: Promise<Stoppable>, options: { shutdownTimeoutMs: number; logger: Logger }): Promise<number> {
  const { logger } = options;
  let stopped!: (code: number) => void;
  const exitCode = new Promise<number>((resolve) => (stopped = resolve));
  stopOnSignal({
    stop: () =>
      starting
        .then(
          (service) => service.stop(),
          () => undefined, // it did not start: nothing to stop, and the error is reported by the caller
        )
        .then(
          () => stopped(EXIT_OK),
          (error: unknown) => {
            logger.error({ err: error }, 'stop failed');
            stopped(EXIT_FAILURE);
          },
        ),
    deadlineMs: options.shutdownTimeoutMs + STOP_MARGIN_MS,
    exitCode: EXIT_FAILURE,
    report: (event) => {
      if (event.kind === 'stopping') logger.info({ signal: event.signal }, 'stopping');
      else if (event.kind === 'forced') logger.warn({ signal: event.signal }, 'second signal: exiting now');
      else logger.error({ deadlineMs: event.deadlineMs }, 'not stopped within the deadline: exiting now');
    },
  });
  await starting;
  return exitCode;
}
