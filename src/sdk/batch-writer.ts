/**
 * The buffer between record() and the database. Records wait here in order and
 * leave in batches: when a batch is full, or on an interval. One batch is in
 * flight at a time. A failed write keeps its batch at the head and is retried
 * with exponential backoff (the write is idempotent, so a retry after a lost
 * answer stores nothing twice); a batch the database refuses because of its
 * contents is split until the offending record is found and rejected alone.
 * Nothing here throws at the caller of add().
 */
import type { Logger } from '../logging/logger.js';
import type { UsageReport } from './report.js';

export interface BatchWriterOptions<T> {
  /** Writes one batch; throws when it did not (or may not have) happened. */
  write(batch: readonly T[]): Promise<{ inserted: number; duplicates: number }>;
  /** True when the error is about the rows themselves (a constraint), not the connection. */
  isRowProblem(error: unknown): boolean;
  /** Names a record in a rejection (its request id). */
  idOf(item: T): string;
  report: UsageReport;
  logger: Logger;
  batchSize: number;
  flushIntervalMs: number;
  maxBuffered: number;
  retryInitialDelayMs: number;
  retryMaxDelayMs: number;
}

interface Waiter {
  target: number;
  resolve: () => void;
}

/** Consumed slots are compacted away once they are this many and half the array. */
const COMPACT_AFTER = 4096;

export class BatchWriter<T> {
  private items: T[] = [];
  private head = 0;
  /** Records ever added, and records that have left the buffer (written, rejected or dropped). */
  private added = 0;
  private settled = 0;
  private waiters: Waiter[] = [];
  private draining = false;
  private drainScheduled = false;
  private stopped = false;
  private failures = 0;
  private wake: (() => void) | undefined;
  private readonly interval: NodeJS.Timeout;

  constructor(private readonly options: BatchWriterOptions<T>) {
    // unref: a tracker must not keep the application alive; close() flushes what is left.
    this.interval = setInterval(() => void this.drain(), options.flushIntervalMs).unref();
  }

  get pending(): number {
    return this.items.length - this.head;
  }

  /** Buffers one record; false when the buffer is full (the record is dropped). */
  add(item: T): boolean {
    if (this.pending >= this.options.maxBuffered) return false;
    this.items.push(item);
    this.added += 1;
    if (this.pending >= this.options.batchSize && !this.drainScheduled) {
      this.drainScheduled = true;
      setImmediate(() => {
        this.drainScheduled = false;
        void this.drain();
      });
    }
    return true;
  }

  /** Resolves true when every record added before the call has left the buffer, false on timeout. */
  async flush(timeoutMs: number): Promise<boolean> {
    const target = this.added;
    if (this.settled >= target) return true;
    this.failures = 0;
    this.wake?.();
    void this.drain();
    let timer: NodeJS.Timeout | undefined;
    const settledInTime = new Promise<boolean>((resolve) => this.waiters.push({ target, resolve: () => resolve(true) }));
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    try {
      return await Promise.race([settledInTime, timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Stops writing; what is still buffered is dropped and returned as a count. */
  stop(): number {
    this.stopped = true;
    clearInterval(this.interval);
    this.wake?.();
    const left = this.pending;
    this.take(left);
    return left;
  }

  private take(count: number): void {
    this.head += count;
    this.settled += count;
    if (this.head >= COMPACT_AFTER && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    this.waiters = this.waiters.filter((w) => (w.target <= this.settled ? (w.resolve(), false) : true));
  }

  private async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      while (!this.stopped && this.pending > 0) {
        const batch = this.items.slice(this.head, this.head + this.options.batchSize);
        try {
          await this.writeSplittingOnRowProblems(batch);
          if (this.stopped) return;
          this.failures = 0;
          this.take(batch.length);
        } catch (error) {
          if (this.stopped) return;
          await this.backOff(error);
        }
      }
    } finally {
      this.draining = false;
    }
  }

  private async writeSplittingOnRowProblems(batch: readonly T[]): Promise<void> {
    try {
      const { inserted, duplicates } = await this.options.write(batch);
      this.options.report.written(inserted, duplicates);
    } catch (error) {
      if (!this.options.isRowProblem(error)) throw error;
      if (batch.length === 1) {
        const reason = error instanceof Error ? error.message : String(error);
        const requestId = this.options.idOf(batch[0]!);
        this.options.report.rejected({ requestId, reason });
        this.options.logger.error({ requestId, reason }, 'the database refused a usage record; it is dropped');
        return;
      }
      const middle = Math.ceil(batch.length / 2);
      await this.writeSplittingOnRowProblems(batch.slice(0, middle));
      await this.writeSplittingOnRowProblems(batch.slice(middle));
    }
  }

  /** Full jitter between half and all of min(max, initial × 2^failures); flush() or stop() cut it short. */
  private async backOff(error: unknown): Promise<void> {
    this.failures += 1;
    const ceiling = Math.min(this.options.retryMaxDelayMs, this.options.retryInitialDelayMs * 2 ** (this.failures - 1));
    const delayMs = Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
    const message = error instanceof Error ? error.message : String(error);
    this.options.report.failedWrite(message);
    this.options.logger.warn(
      { err: error, attempt: this.failures, retryInMs: delayMs, pending: this.pending },
      'writing usage records failed; retrying',
    );
    await new Promise<void>((resolve) => {
      // unref: a retry alone does not keep the application alive (a pending flush() does).
      const timer = setTimeout(resolve, delayMs).unref();
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.wake = undefined;
  }
}
