/**
 * The naive baseline as a process of its own (bench/naive.ts), so two of them can
 * share a token as two workers do, and so its memory is measured alone. Options
 * come as one JSON argument; it runs passes until `seconds` have passed (or one
 * pass when 0) and prints its totals as one JSON line.
 */
import { createNaiveSync, type NaiveOptions } from './naive.js';

const options = JSON.parse(process.argv[2] ?? '{}') as NaiveOptions & { seconds: number; pauseMs?: number };
const sync = createNaiveSync(options);
const totals = { passes: 0, rows: 0, created: 0, updated: 0 };
const deadline = Date.now() + options.seconds * 1000;
let stopping = false;
process.on('SIGTERM', () => {
  stopping = true;
});
try {
  do {
    const pass = await sync.pass();
    totals.passes += 1;
    totals.rows += pass.rows;
    totals.created += pass.created;
    totals.updated += pass.updated;
    if (pass.rows === 0) await new Promise((r) => setTimeout(r, options.pauseMs ?? 1000));
  } while (!stopping && Date.now() < deadline);
} finally {
  await sync.close();
}
process.stdout.write(`${JSON.stringify(totals)}\n`);
