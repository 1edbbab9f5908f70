/**
 * The fleet-wide request budget of one source. Every request first acquires a call from
 * `rate_budget_acquire` in PostgreSQL: fixed, epoch-aligned windows (second … month) on the
 * database's clock, shared by every worker process, so the API's windows hold for the whole fleet,
 * not per process. A source can also be paused (429, quota body, ban, an exhausted window in the
 * API's headers, or an operator): no worker calls it until the pause ends.
 *
 * Short waits happen inline (the activity keeps heartbeating); a longer wait surfaces as
 * `SourcePausedError`, which the ingest activity turns into a durable pause of its workflow.
 */
import type pg from 'pg';
import { RATE_WINDOW_SECONDS, RATE_WINDOWS, type RateLimits } from './rate-limits';
import { canonicalTime } from '../workflows/contracts/ids';
import { PgPauseStore, type PauseStore } from './db/pause-store';
import { classifyDatabaseError, RateLimitedError } from './errors';

export interface RateGate {
  /**
   * Resolves when one call may be made (and counts it). Throws `SourcePausedError` when the
   * source is paused, or the budget is exhausted, for longer than the inline wait allows.
   */
  acquire(signal: AbortSignal): Promise<void>;
  /** Pause the whole source for `seconds` (extends an existing pause, never shortens it). */
  pause(seconds: number, reason: string, setBy: string): Promise<void>;
}

/**
 * The source may not be called before `untilSeconds`. A `RateLimitedError` (retryable after the
 * wait) wherever it is not handled as a pause.
 */
export class SourcePausedError extends RateLimitedError {
  readonly untilSeconds: number;
  readonly reason: string;

  constructor(source: string, untilSeconds: number, reason: string, nowSeconds = Date.now() / 1000) {
    super(
      `${source} is paused until ${new Date(untilSeconds * 1000).toISOString()} (${reason})`,
      untilSeconds - nowSeconds,
      {
        details: { source, pausedUntil: new Date(untilSeconds * 1000).toISOString(), reason },
      },
    );
    this.untilSeconds = untilSeconds;
    this.reason = reason;
  }
}

/** How long to pause when a rate-limit answer does not say how long. */
export const DEFAULT_PAUSE_SECONDS = 60;

/** A pause as activities return it to their workflow: until when (ISO, rounded up to the second) and why. */
export interface SourcePause {
  readonly until: string;
  readonly reason: string;
}

/**
 * A rate limit is not a failure: the source is paused fleet-wide (so no other worker hits the API
 * meanwhile) and the workflow waits. Returns the pause, or undefined for any other error.
 */
export async function pauseFor(err: unknown, gate: RateGate, source: string): Promise<SourcePause | undefined> {
  if (err instanceof SourcePausedError)
    return { until: canonicalTime(Math.ceil(err.untilSeconds)), reason: err.reason };
  if (!(err instanceof RateLimitedError)) return undefined;
  const seconds = err.retryAfterSeconds ?? DEFAULT_PAUSE_SECONDS;
  const reason = `${source} answered: ${err.message}`;
  await gate.pause(seconds, reason, 'api');
  return { until: canonicalTime(Math.ceil(Date.now() / 1000 + seconds)), reason };
}

/** A gate that never waits (unit tests; sources configured with `…_RATE_LIMITS=off`). */
export const OPEN_GATE: RateGate = {
  acquire: async () => undefined,
  pause: async () => undefined,
};

export interface PgRateGateOptions {
  /** Longest wait done inside one acquire before giving up with `SourcePausedError`. @default 20 s */
  readonly maxInlineWaitMs?: number;
}

const abortableSleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });

export class PgRateGate implements RateGate {
  readonly #pool: pg.Pool;
  readonly #source: string;
  readonly #windows: number[];
  readonly #limits: number[];
  readonly #maxInlineWaitMs: number;
  readonly #pauses: PauseStore;

  constructor(pool: pg.Pool, source: string, limits: RateLimits, options: PgRateGateOptions = {}) {
    this.#pool = pool;
    this.#pauses = new PgPauseStore(pool);
    this.#source = source;
    const set = RATE_WINDOWS.filter((w) => limits[w] !== undefined);
    this.#windows = set.map((w) => RATE_WINDOW_SECONDS[w]);
    this.#limits = set.map((w) => limits[w]!);
    this.#maxInlineWaitMs = options.maxInlineWaitMs ?? 20_000;
  }

  async acquire(signal: AbortSignal): Promise<void> {
    const started = Date.now();
    for (;;) {
      let row: { granted: boolean; wait_seconds: number; reason: string | null };
      try {
        row = (
          await this.#pool.query<{ granted: boolean; wait_seconds: number; reason: string | null }>(
            'SELECT granted, wait_seconds, reason FROM rate_budget_acquire($1, $2::int[], $3::int[])',
            [this.#source, this.#windows, this.#limits],
          )
        ).rows[0]!;
      } catch (err) {
        throw classifyDatabaseError(err);
      }
      if (row.granted) return;
      const waitMs = Math.ceil(row.wait_seconds * 1000);
      const reason = row.reason ?? 'budget exhausted';
      if (Date.now() - started + waitMs > this.#maxInlineWaitMs) {
        throw new SourcePausedError(this.#source, Date.now() / 1000 + row.wait_seconds, reason);
      }
      // A little jitter so waiting workers do not all knock at the same instant.
      await abortableSleep(waitMs + 5 + Math.floor(Math.random() * 20), signal);
    }
  }

  async pause(seconds: number, reason: string, setBy: string): Promise<void> {
    await this.#pauses.pause(this.#source, seconds, reason, setBy);
  }
}
