import { describe, expect, it } from 'vitest';
import { ExclusiveScheduler } from '../src/scheduler.js';

describe('ExclusiveScheduler', () => {
  /** A task that runs until released, recording when it starts. */
  function gate(log: string[], name: string) {
    let open!: () => void;
    const released = new Promise<void>((resolve) => (open = resolve));
    return {
      task: async () => {
        log.push(name);
        await released;
      },
      open,
    };
  }

  it('runs one turn at a time, first come first served', async () => {
    const scheduler = new ExclusiveScheduler<object>();
    const [a, b, c] = [{}, {}, {}];
    const log: string[] = [];
    const first = gate(log, 'a');
    const runs = [
      scheduler.run(a, first.task, () => false),
      scheduler.run(b, async () => void log.push('b'), () => false),
      scheduler.run(c, async () => void log.push('c'), () => false),
    ];
    await Promise.resolve();
    expect(log).toEqual(['a']);
    expect(scheduler.waiting).toBe(2);
    first.open();
    await Promise.all(runs);
    expect(log).toEqual(['a', 'b', 'c']);
  });

  it('lets an owner that keeps the session go on while the others wait, until it lets go', async () => {
    const scheduler = new ExclusiveScheduler<object>();
    const [a, b] = [{}, {}];
    const log: string[] = [];
    let inTransaction = true;
    await scheduler.run(a, async () => void log.push('a: begin'), () => inTransaction);
    const other = scheduler.run(b, async () => void log.push('b'), () => false);
    await scheduler.run(a, async () => void log.push('a: insert'), () => inTransaction);
    expect(scheduler.holds(a)).toBe(true);
    inTransaction = false;
    await scheduler.run(a, async () => void log.push('a: commit'), () => inTransaction);
    await other;
    expect(log).toEqual(['a: begin', 'a: insert', 'a: commit', 'b']);
  });

  it('hands the session on when its holder releases it, or when a turn fails', async () => {
    const scheduler = new ExclusiveScheduler<object>();
    const [a, b] = [{}, {}];
    await scheduler.run(a, async () => undefined, () => true);
    const waiting = scheduler.run(b, async () => 'b ran', () => true);
    scheduler.release(a);
    expect(await waiting).toBe('b ran');

    const failing = scheduler.run(b, async () => {
      throw new Error('boom');
    }, () => {
      throw new Error('cannot tell');
    });
    await expect(failing).rejects.toThrow('boom');
    expect(scheduler.holds(b)).toBe(false);
    expect(await scheduler.run(a, async () => 'a ran', () => false)).toBe('a ran');
  });
});
