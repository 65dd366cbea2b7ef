/** Requests served, counted by method, route pattern and status ('lost' when the response was dropped, 'stalled' when it stopped mid-body). */

/** An HTTP status, or how an answer was cut short: 'lost' (dropped), 'stalled' (stopped mid-body). */
export type RequestStatus = number | 'lost' | 'stalled';

export interface RequestStat {
  method: string;
  route: string;
  status: RequestStatus;
  count: number;
}

export interface StatsSnapshot {
  total: number;
  byStatus: Record<string, number>;
  entries: RequestStat[];
}

export interface StatsFilter {
  method?: string;
  route?: string;
  status?: RequestStatus;
}

/** Told of every request as it is answered, e.g. to time requests from outside. */
export type RequestListener = (method: string, route: string, status: RequestStatus) => void;

export class Stats {
  private readonly counts = new Map<string, RequestStat>();

  constructor(private readonly listener?: RequestListener) {}

  record(method: string, route: string, status: RequestStatus): void {
    this.listener?.(method, route, status);
    const key = `${method} ${route} ${status}`;
    const entry = this.counts.get(key) ?? { method, route, status, count: 0 };
    entry.count += 1;
    this.counts.set(key, entry);
  }

  count(filter: StatsFilter = {}): number {
    let n = 0;
    for (const e of this.counts.values()) {
      if (filter.method && filter.method.toUpperCase() !== e.method) continue;
      if (filter.route && filter.route !== e.route) continue;
      if (filter.status !== undefined && filter.status !== e.status) continue;
      n += e.count;
    }
    return n;
  }

  snapshot(): StatsSnapshot {
    const entries = [...this.counts.values()].map((e) => ({ ...e }));
    const byStatus: Record<string, number> = {};
    for (const e of entries) byStatus[String(e.status)] = (byStatus[String(e.status)] ?? 0) + e.count;
    return { total: entries.reduce((s, e) => s + e.count, 0), byStatus, entries };
  }

  reset(): void {
    this.counts.clear();
  }
}
