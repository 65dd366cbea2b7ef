/**
 * One of the budget benchmark's load processes (bench/budget.ts): a tracker of
 * its own (direct Postgres, its own pool), reserve() + settle() in a loop with
 * `inFlight` calls at a time. Options come as one JSON argument. It prints
 * {"ready":true} once its pool is open, starts on SIGUSR2 (so that every
 * process starts together), stops after `seconds` and prints its totals as one
 * JSON line.
 */
import { loadConfig } from '../src/config/env.js';
import { createLogger } from '../src/logging/logger.js';
import { createTracker } from '../src/sdk/tracker.js';
import { quantile, reservation, settledCall } from './budget-calls.js';

export interface LoadOptions {
  databaseUrl: string;
  seconds: number;
  inFlight: number;
  hot: boolean;
  /** This process's number and how many there are: on distinct users, process p takes calls p, p + n, p + 2n, … */
  index: number;
  processes: number;
  prefix: string;
}

export interface LoadTotals {
  pairs: number;
  denied: number;
  /** Decisions the database did not make (timeouts failing open or closed). */
  notDecided: number;
  seconds: number;
  pairP50Ms: number;
  pairP99Ms: number;
}

const options = JSON.parse(process.argv[2] ?? '{}') as LoadOptions;
const tracker = createTracker({
  databaseUrl: options.databaseUrl,
  config: loadConfig({}),
  logger: createLogger({ level: 'silent' }),
  budget: { timeoutMs: 30_000 },
});

// Every connection of the pool opened before the start (read-only checks that hold nothing).
await Promise.all(
  Array.from({ length: options.inFlight + 1 }, (_, i) => tracker.checkBudget({ userId: `warm-up-${i}`, sessionId: null, serviceType: null, estimatedCost: 0 })),
);
await new Promise<void>((resolve) => {
  // A pending signal keeps no process alive (and the pool lets it exit when idle): a timer does.
  const waiting = setInterval(() => undefined, 60_000);
  process.once('SIGUSR2', () => {
    clearInterval(waiting);
    resolve();
  });
  process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
});

const totals: LoadTotals = { pairs: 0, denied: 0, notDecided: 0, seconds: 0, pairP50Ms: 0, pairP99Ms: 0 };
const latencies: number[] = [];
const started = performance.now();
const deadline = started + options.seconds * 1000;
let next = 0;
await Promise.all(
  Array.from({ length: options.inFlight }, async () => {
    while (performance.now() < deadline) {
      const k = options.index + options.processes * next++;
      const request = reservation(k, options.hot);
      const at = performance.now();
      const decision = await tracker.reserve(request);
      if (decision.source !== 'database') totals.notDecided += 1;
      if (!decision.allowed) {
        totals.denied += 1;
        continue;
      }
      const settled = await tracker.settle(decision.hold, settledCall(request, options.prefix, k));
      if (!settled.accepted || settled.via !== 'settled') throw new Error(`settle did not settle: ${JSON.stringify(settled)}`);
      latencies.push(performance.now() - at);
      totals.pairs += 1;
    }
  }),
);
totals.seconds = (performance.now() - started) / 1000;
latencies.sort((a, b) => a - b);
totals.pairP50Ms = quantile(latencies, 0.5);
totals.pairP99Ms = quantile(latencies, 0.99);
await tracker.close();
process.stdout.write(`${JSON.stringify(totals)}\n`);
