/**
 * Fixed calendar-window rate limiting, as both real APIs do it: per source and per client identity
 * (the API key, or one shared "keyless" bucket), with second/minute/hour/day/month windows aligned
 * on the Unix epoch in UTC (the "month" is a 30-day window, see {@link RATE_WINDOW_SECONDS}).
 * A call is rejected when ANY window is already exhausted, and rejected calls count too.
 */
import { RATE_WINDOWS, RATE_WINDOW_SECONDS, type RateLimits, type RateUsage, type RateWindow } from './types';

/** Identity used for calls that carry no API key. */
export const KEYLESS = '\u0000keyless';

/** Limit used for a window that has no configured limit (the window never rejects). */
export const UNLIMITED = Number.MAX_SAFE_INTEGER;

type PerWindow = Record<RateWindow, number>;

interface Bucket {
  /** Index (start / window length) of the window instance each count belongs to. */
  readonly windowIndex: PerWindow;
  readonly counts: PerWindow;
  total: number;
}

function perWindow(value: number): PerWindow {
  return { second: value, minute: value, hour: value, day: value, month: value };
}

/** The window instance index containing `nowSeconds` for a window kind. */
export function windowIndexOf(window: RateWindow, nowSeconds: number): number {
  return Math.floor(nowSeconds / RATE_WINDOW_SECONDS[window]);
}

/** Effective limits: overrides win, then defaults; a window absent from both is unlimited. */
export function resolveLimits(defaults: RateLimits, overrides: RateLimits): Record<RateWindow, number> {
  const out = perWindow(UNLIMITED);
  for (const w of RATE_WINDOWS) out[w] = overrides[w] ?? defaults[w] ?? UNLIMITED;
  return out;
}

export interface RateDecision {
  readonly allowed: boolean;
  /** Usage after counting this call. */
  readonly usage: RateUsage;
  /** When rejected: the exhausted window with the longest wait (the one to wait for). */
  readonly exhausted: RateWindow | undefined;
}

export class RateLimiter {
  readonly #buckets = new Map<string, Bucket>();

  /** Counts one call for (source, identity) at `nowSeconds` and says whether it is allowed. */
  hit(source: string, identity: string, nowSeconds: number, limits: Record<RateWindow, number>): RateDecision {
    const bucket = this.#bucket(source, identity, nowSeconds);
    let exhausted: RateWindow | undefined;
    for (const w of RATE_WINDOWS) {
      if (bucket.counts[w] >= limits[w]) exhausted = w; // longest exhausted window wins (iteration order)
    }
    for (const w of RATE_WINDOWS) bucket.counts[w] += 1;
    bucket.total += 1;
    return { allowed: exhausted === undefined, usage: usageOf(bucket, nowSeconds, limits), exhausted };
  }

  /** Forgets every count of one source (all identities). */
  resetSource(source: string): void {
    const prefix = `${source}\u0000`;
    for (const key of [...this.#buckets.keys()]) if (key.startsWith(prefix)) this.#buckets.delete(key);
  }

  reset(): void {
    this.#buckets.clear();
  }

  #bucket(source: string, identity: string, nowSeconds: number): Bucket {
    const key = `${source}\u0000${identity}`;
    let bucket = this.#buckets.get(key);
    if (!bucket) {
      bucket = { windowIndex: perWindow(0), counts: perWindow(0), total: 0 };
      for (const w of RATE_WINDOWS) bucket.windowIndex[w] = windowIndexOf(w, nowSeconds);
      this.#buckets.set(key, bucket);
    }
    for (const w of RATE_WINDOWS) {
      const idx = windowIndexOf(w, nowSeconds);
      // A clock moved backwards (control API) starts a fresh window too.
      if (idx !== bucket.windowIndex[w]) {
        bucket.windowIndex[w] = idx;
        bucket.counts[w] = 0;
      }
    }
    return bucket;
  }
}

function usageOf(bucket: Bucket, nowSeconds: number, limits: Record<RateWindow, number>): RateUsage {
  const remaining = perWindow(0);
  const resetSeconds = perWindow(0);
  for (const w of RATE_WINDOWS) {
    remaining[w] = Math.max(0, limits[w] - bucket.counts[w]);
    const len = RATE_WINDOW_SECONDS[w];
    resetSeconds[w] = (windowIndexOf(w, nowSeconds) + 1) * len - nowSeconds;
  }
  return {
    callsMade: { ...bucket.counts, total_calls: bucket.total },
    maxCalls: { ...limits },
    remaining,
    resetSeconds,
  };
}

/**
 * A usage that looks exhausted in one window, for an injected `rate-limit` fault: the smallest window
 * whose reset is at least `retryAfterSeconds` away (the `second` window when no wait is announced).
 */
export function exhaustedUsage(usage: RateUsage, retryAfterSeconds: number | undefined): RateUsage {
  const wait = retryAfterSeconds ?? 0;
  const window = RATE_WINDOWS.find((w) => usage.resetSeconds[w] >= wait) ?? 'month';
  const callsMade = { ...usage.callsMade };
  callsMade[window] = Math.max(callsMade[window], usage.maxCalls[window]);
  const remaining = { ...usage.remaining, [window]: 0 };
  return { callsMade, maxCalls: usage.maxCalls, remaining, resetSeconds: usage.resetSeconds };
}
