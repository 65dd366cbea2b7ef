/**
 * Starts the slowest files first, so that the run does not end with one worker
 * busy on a long file while the other has nothing left. Vitest does this by
 * itself from the durations of an earlier run; a fresh clone (CI) has none, and
 * vitest then orders by file size, which says little about time here.
 */
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/** The slowest files, slowest first (seconds on a 2-core machine, three files at a time, for whoever updates this). */
export const LONG_FILES = [
  'test/worker/fault-matrix.int.test.ts', // ~145 (mostly waiting: nine faults, one a 61-s Retry-After)
  'test/worker/processes.int.test.ts', // ~50–70 (mostly waiting on its workers)
  'test/sync/free-workspace.int.test.ts', // ~35–50
  'test/cli/signals.int.test.ts', // ~20–30
  'test/cli/errors.int.test.ts', // ~17–22
  'test/project/typecheck.test.ts', // ~15–20, one core
  'test/jobs/job-cli.int.test.ts', // ~12–18
  'test/sync/engine.int.test.ts', // ~17
  'test/sync/sync-cli.int.test.ts', // ~10–17
  'test/sdk/tracker.int.test.ts', // ~8–14
  'packages/pglite-server/test/data-dir.test.ts', // ~10
  'test/sync/log-window.int.test.ts', // ~6–12
  'test/demo/demo-cli.int.test.ts', // ~6–9
  'test/demo/demo.int.test.ts', // ~6–9
  'test/notion/setup-notion.test.ts', // ~5–8
];

const rank = (spec: TestSpecification) => {
  const index = LONG_FILES.findIndex((file) => spec.moduleId.endsWith(file));
  return index === -1 ? LONG_FILES.length : index;
};

export default class LongFilesFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const groupOrder = (spec: TestSpecification) => spec.project.config.sequence.groupOrder;
    // Array.prototype.sort is stable: within a rank, vitest's own order stays.
    return sorted.sort((a, b) => groupOrder(a) - groupOrder(b) || rank(a) - rank(b));
  }
}
