/**
 * What happened to recorded calls: counted as it happens, handed out by
 * flush()/close() (since the previous report) and stats() (since start).
 */

/** Rejections listed in one report; the count covers them all. */
const MAX_LISTED_REJECTIONS = 100;

export interface Rejection {
  requestId: string | null;
  reason: string;
}

export interface FlushReport {
  /** Rows inserted. */
  written: number;
  /**
   * Rows whose request_id was already stored, so nothing was written: a call
   * recorded twice, or a batch retried after its first answer was lost.
   */
  duplicates: number;
  /** Records refused: invalid input, or a row the database would not take. */
  rejected: number;
  /** The first rejections, with their reasons. */
  rejections: Rejection[];
  /** Records lost: the buffer was full (database unreachable too long) or close() ran out of time. */
  dropped: number;
  /** Records still waiting to be written (flush timed out). */
  pending: number;
  /** The last write failure since the previous report, if any. */
  lastError: string | null;
}

export interface TrackerStats extends Omit<FlushReport, 'rejections'> {
  /** Records accepted by record(). */
  recorded: number;
  /** Write attempts that failed and were retried. */
  failedWrites: number;
}

interface Tally {
  written: number;
  duplicates: number;
  rejected: number;
  dropped: number;
  failedWrites: number;
}

const zero = (): Tally => ({ written: 0, duplicates: 0, rejected: 0, dropped: 0, failedWrites: 0 });

export class UsageReport {
  private sinceReport = zero();
  private total = zero();
  private rejections: Rejection[] = [];
  private lastError: string | null = null;
  recorded = 0;

  private add(field: keyof Tally, count: number): void {
    this.sinceReport[field] += count;
    this.total[field] += count;
  }

  written(inserted: number, duplicates: number): void {
    this.add('written', inserted);
    this.add('duplicates', duplicates);
  }

  rejected(rejection: Rejection): void {
    this.add('rejected', 1);
    if (this.rejections.length < MAX_LISTED_REJECTIONS) this.rejections.push(rejection);
  }

  dropped(count: number): void {
    this.add('dropped', count);
  }

  failedWrite(message: string): void {
    this.add('failedWrites', 1);
    this.lastError = message;
  }

  /** The report since the previous one; starts the next. */
  take(pending: number): FlushReport {
    const { written, duplicates, rejected, dropped } = this.sinceReport;
    const report = { written, duplicates, rejected, rejections: this.rejections, dropped, pending, lastError: this.lastError };
    this.sinceReport = zero();
    this.rejections = [];
    this.lastError = null;
    return report;
  }

  stats(pending: number): TrackerStats {
    return { ...this.total, recorded: this.recorded, pending, lastError: this.lastError };
  }
}
