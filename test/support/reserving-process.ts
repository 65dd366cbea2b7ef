/**
 * A process of its own with a tracker of its own (direct Postgres, its own pool),
 * for test/sdk/reservations-processes.int.test.ts, which
 * forks it. Per round it is told what to reserve; it says `ready` once its pool
 * is open, waits for `go` (so that every process starts at the same moment),
 * reserves every call at once, settles each one admitted, and answers with what
 * it got.
 */
import { loadConfig } from '../../src/config/env.js';
import { createLogger } from '../../src/logging/logger.js';
import type { ReserveRequest } from '../../src/sdk/reservations.js';
import { createTracker } from '../../src/sdk/tracker.js';
import type { UsageEvent } from '../../src/sdk/usage-event.js';

export interface RoundSpec {
  /** Reservations this process makes, all at once. */
  calls: number;
  request: ReserveRequest;
  /** The call each admitted reservation settles with; requestId is `${requestIdPrefix}-${i}`. */
  event: Omit<UsageEvent, 'requestId'>;
  requestIdPrefix: string;
}

export interface RoundResult {
  admitted: number;
  denied: number;
  /** Where each decision came from: anything but `database` means the database was not asked in time. */
  sources: Record<string, number>;
  /** settle() outcomes of the admitted calls, by `via` (or `refused`). */
  settled: Record<string, number>;
  /** When the first reservation was sent and the last answer came, in ms since the epoch. */
  startedAt: number;
  finishedAt: number;
}

export type ToChild = { round: RoundSpec } | { go: true } | { close: true };
export type FromChild = { ready: true } | { result: RoundResult } | { error: string };

const databaseUrl = process.argv[2];
if (!databaseUrl || !process.send) throw new Error('usage: fork(reserving-process.ts, [databaseUrl]) with an IPC channel');
const send = (message: FromChild) => process.send!(message);

// Decisions wait on each other's locks: a short timeout would fail open and make the count meaningless.
const tracker = createTracker({
  databaseUrl,
  config: loadConfig({}),
  logger: createLogger({ level: 'silent' }),
  budget: { timeoutMs: 60_000, cacheTtlMs: 0 },
});

/** Opens every connection of the pool before the race (read-only checks for nobody in particular). */
async function warmUp(): Promise<void> {
  await Promise.all(
    Array.from({ length: 8 }, (_, i) => tracker.checkBudget({ userId: `warm-up-${process.pid}-${i}`, sessionId: null, serviceType: null, estimatedCost: 0 })),
  );
}

const count = (tally: Record<string, number>, key: string) => {
  tally[key] = (tally[key] ?? 0) + 1;
};

async function race(spec: RoundSpec): Promise<RoundResult> {
  const result: RoundResult = { admitted: 0, denied: 0, sources: {}, settled: {}, startedAt: Date.now(), finishedAt: 0 };
  await Promise.all(
    Array.from({ length: spec.calls }, async (_, i) => {
      const decision = await tracker.reserve(spec.request);
      count(result.sources, decision.source);
      if (!decision.allowed) {
        result.denied += 1;
        return;
      }
      result.admitted += 1;
      const settled = await tracker.settle(decision.hold, { ...spec.event, requestId: `${spec.requestIdPrefix}-${i}` } as UsageEvent);
      count(result.settled, settled.accepted ? settled.via : 'refused');
    }),
  );
  result.finishedAt = Date.now();
  return result;
}

let round: RoundSpec | undefined;
process.on('message', (message: ToChild) => {
  void (async () => {
    try {
      if ('round' in message) {
        round = message.round;
        await warmUp();
        send({ ready: true });
      } else if ('go' in message) {
        send({ result: await race(round!) });
      } else {
        await tracker.close();
        process.disconnect();
      }
    } catch (error) {
      send({ error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
    }
  })();
});
