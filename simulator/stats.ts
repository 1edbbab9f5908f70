/**
 * Per-source request counters. Besides totals by status, they record, for every rate-limit window
 * kind, the largest number of *served* (not rate-limited) calls seen in any single window instance,
 * so a test can prove that a client fleet never exceeded a window.
 */
import { windowIndexOf } from './rate-limiter';
import { RATE_WINDOWS, type FaultKind, type RateWindow } from './types';

export interface WindowStats {
  /** The limit in force (null = unlimited). */
  readonly limit: number | null;
  /** Most served calls of one client identity in any single instance of this window. */
  readonly maxServed: number;
  /** Most served calls of all identities together in any single instance of this window. */
  readonly maxServedAllClients: number;
}

export interface SourceStats {
  readonly source: string;
  /** Every request that reached the source's mount (including rejected and reset ones). */
  readonly totalRequests: number;
  /** Responses by HTTP status; sockets destroyed by a `reset` fault are counted under `"reset"`. */
  readonly byStatus: Readonly<Record<string, number>>;
  /** Calls refused because a quota window was exhausted. */
  readonly rateLimitRejections: number;
  /** Calls answered by an injected `rate-limit` fault. */
  readonly injectedRateLimits: number;
  /** Calls that passed the rate limiter and were not refused by a rate-limit/ban/hard-block fault. */
  readonly served: number;
  /** How many requests each fault kind affected. */
  readonly faultHits: Readonly<Partial<Record<FaultKind, number>>>;
  readonly windows: Readonly<Record<RateWindow, WindowStats>>;
  /** The limits in force (null = unlimited). */
  readonly limits: Readonly<Record<RateWindow, number | null>>;
}

class WindowTracker {
  readonly index = new Map<RateWindow, number>();
  readonly count = new Map<RateWindow, number>();
  readonly max = new Map<RateWindow, number>();

  record(nowSeconds: number): void {
    for (const w of RATE_WINDOWS) {
      const idx = windowIndexOf(w, nowSeconds);
      const count = this.index.get(w) === idx ? (this.count.get(w) ?? 0) + 1 : 1;
      this.index.set(w, idx);
      this.count.set(w, count);
      if (count > (this.max.get(w) ?? 0)) this.max.set(w, count);
    }
  }
}

export class StatsCollector {
  totalRequests = 0;
  rateLimitRejections = 0;
  injectedRateLimits = 0;
  served = 0;
  readonly #byStatus = new Map<string, number>();
  readonly #faultHits = new Map<FaultKind, number>();
  readonly #perIdentity = new Map<string, WindowTracker>();
  readonly #all = new WindowTracker();
  readonly #maxPerIdentity = new Map<RateWindow, number>();

  constructor(readonly source: string) {}

  recordStatus(status: number | 'reset'): void {
    const key = String(status);
    this.#byStatus.set(key, (this.#byStatus.get(key) ?? 0) + 1);
  }

  recordFault(kind: FaultKind): void {
    this.#faultHits.set(kind, (this.#faultHits.get(kind) ?? 0) + 1);
  }

  recordServed(identity: string, nowSeconds: number): void {
    this.served += 1;
    let tracker = this.#perIdentity.get(identity);
    if (!tracker) {
      tracker = new WindowTracker();
      this.#perIdentity.set(identity, tracker);
    }
    tracker.record(nowSeconds);
    for (const w of RATE_WINDOWS) {
      const m = tracker.max.get(w) ?? 0;
      if (m > (this.#maxPerIdentity.get(w) ?? 0)) this.#maxPerIdentity.set(w, m);
    }
    this.#all.record(nowSeconds);
  }

  snapshot(limits: Record<RateWindow, number | null>): SourceStats {
    const windows = {} as Record<RateWindow, WindowStats>;
    for (const w of RATE_WINDOWS) {
      windows[w] = {
        limit: limits[w],
        maxServed: this.#maxPerIdentity.get(w) ?? 0,
        maxServedAllClients: this.#all.max.get(w) ?? 0,
      };
    }
    return {
      source: this.source,
      totalRequests: this.totalRequests,
      byStatus: Object.fromEntries([...this.#byStatus.entries()].sort(([a], [b]) => a.localeCompare(b))),
      rateLimitRejections: this.rateLimitRejections,
      injectedRateLimits: this.injectedRateLimits,
      served: this.served,
      faultHits: Object.fromEntries(this.#faultHits),
      windows,
      limits: { ...limits },
    };
  }
}
