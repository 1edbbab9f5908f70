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
import { warn } from './log';
import { RATE_WINDOW_SECONDS, RATE_WINDOWS, type RateLimits, type RateWindow } from './rate-limits';
import { canonicalTime } from '../workflows/contracts/ids';
import { PgPauseStore, type PauseStore } from './db/pause-store';
import { classifyDatabaseError, RateLimitedError } from './errors';
import { recordPause } from './metrics';
import { backgroundLimits, type RecurringDemand } from './universe-plan';

export interface RateGate {
  /**
   * Resolves when one call may be made (and counts it). Throws `SourcePausedError` when the
   * source is paused, or the budget is exhausted, for longer than the inline wait allows.
   */
  acquire(signal: AbortSignal): Promise<void>;
  /**
   * Pause the whole source for `seconds` (extends an existing pause, never shortens it), at most
   * the gate's cap: a longer request is clamped and logged. Returns the seconds applied.
   */
  pause(seconds: number, reason: string, setBy: string): Promise<number>;
  /**
   * The API says this window of the quota is spent and resets in `resetSeconds`: mark it spent in
   * the fleet budget until it ends, so no worker spends a call on it (rejected calls count against
   * the quota too). Only where the budget's window is the API's (it keeps that window, and it ends
   * within a minute of the API's reset: the clocks agree); otherwise the pause alone holds.
   */
  spend(window: RateWindow, resetSeconds: number): Promise<void>;
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

/** The longest pause by default: a spent month quota can need 31 days; a bogus answer must not park a source for years. */
export const DEFAULT_MAX_PAUSE_SECONDS = 32 * 86_400;

/**
 * The pause to apply for a requested one: within [0, max]; a requested length that is not a number
 * at all is the default. `onClamp` hears of a request above the cap.
 */
export function clampPause(seconds: number, maxSeconds: number, onClamp: (requested: number) => void): number {
  if (Number.isNaN(seconds)) return Math.min(DEFAULT_PAUSE_SECONDS, maxSeconds);
  if (seconds > maxSeconds) {
    onClamp(seconds);
    return maxSeconds;
  }
  return Math.max(0, seconds);
}

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
  // The API's own report of a spent window: the budget keeps it spent, whatever an operator lifts.
  if (err.quota) await gate.spend(err.quota.window, err.quota.resetSeconds);
  const reason = `${source} answered: ${err.message}`;
  const seconds = await gate.pause(err.retryAfterSeconds ?? DEFAULT_PAUSE_SECONDS, reason, 'api');
  return { until: canonicalTime(Math.ceil(Date.now() / 1000 + seconds)), reason };
}

/** A gate that never waits (unit tests; sources configured with `…_RATE_LIMITS=off`). Pauses are still capped. */
export const OPEN_GATE: RateGate = {
  acquire: async () => undefined,
  pause: async (seconds, reason) =>
    clampPause(seconds, DEFAULT_MAX_PAUSE_SECONDS, (s) =>
      warn(`pause of ${s} s clamped to ${DEFAULT_MAX_PAUSE_SECONDS} s (${reason})`),
    ),
  spend: async () => undefined,
};

export interface PgRateGateOptions {
  /** Longest wait done inside one acquire before giving up with `SourcePausedError`. @default 20 s */
  readonly maxInlineWaitMs?: number;
  /** Longest pause; a longer one (a bogus `Retry-After` or cooldown) is clamped and logged. @default 32 days */
  readonly maxPauseSeconds?: number;
  /** Where a clamped pause is reported. @default the activity's logger, else stderr */
  readonly warn?: (message: string) => void;
  /**
   * No call is granted this close to the end of a window: a call granted then could reach the API
   * after the boundary and count in its next window, where the budget grants a full window again.
   * It covers the time from grant to the API's clock (network, a busy event loop). @default 500 ms
   */
  readonly boundaryGuardMs?: number;
}

export const DEFAULT_BOUNDARY_GUARD_MS = 500;

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

/** Longest a background caller held back for the syncs waits before it asks again (seconds). */
export const HELD_RECHECK_SECONDS = 3_600;

/** A grant this close to the end of its window (or past it) when it arrives is not used. */
const STALE_GRANT_MS = 100;

export class PgRateGate implements RateGate {
  /** Grants that arrived too late to be sent inside their window, so were not used (observability, tests). */
  staleGrants = 0;
  readonly #pool: pg.Pool;
  readonly #source: string;
  readonly #windows: number[];
  readonly #limits: number[];
  readonly #maxInlineWaitMs: number;
  readonly #maxPauseSeconds: number;
  readonly #warn: (message: string) => void;
  readonly #pauses: PauseStore;
  readonly #limitsByWindow: RateLimits;
  readonly #guardSeconds: number;

  constructor(pool: pg.Pool, source: string, limits: RateLimits, options: PgRateGateOptions = {}) {
    this.#pool = pool;
    this.#pauses = new PgPauseStore(pool);
    this.#source = source;
    this.#limitsByWindow = limits;
    const set = RATE_WINDOWS.filter((w) => limits[w] !== undefined);
    this.#windows = set.map((w) => RATE_WINDOW_SECONDS[w]);
    this.#limits = set.map((w) => limits[w]!);
    this.#maxInlineWaitMs = options.maxInlineWaitMs ?? 20_000;
    this.#maxPauseSeconds = options.maxPauseSeconds ?? DEFAULT_MAX_PAUSE_SECONDS;
    this.#warn = options.warn ?? warn;
    this.#guardSeconds = (options.boundaryGuardMs ?? DEFAULT_BOUNDARY_GUARD_MS) / 1000;
  }

  async acquire(signal: AbortSignal): Promise<void> {
    return this.#acquire(signal, this.#windows, this.#limits, undefined);
  }

  /**
   * The same budget for backfills and repairs, which yield to the syncs: each window grants them
   * only its limit less the syncs' need (`backgroundLimits` of the demand the sync ticks record),
   * re-read every `refreshMs`. Pauses and spent windows are the source's, shared.
   */
  background(demand: () => Promise<RecurringDemand[]>, refreshMs = 30_000): RateGate {
    let cached: { at: number; windows: number[]; limits: number[]; kept: string | undefined } | undefined;
    const current = async () => {
      if (cached === undefined || Date.now() - cached.at >= refreshMs) {
        const needs = await demand();
        const held = backgroundLimits(this.#limitsByWindow, needs);
        const set = RATE_WINDOWS.filter((w) => held[w] !== undefined);
        const kept = set
          .filter((w) => held[w]! < this.#limitsByWindow[w]!)
          .map((w) => `${this.#limitsByWindow[w]! - held[w]!}/${w}`);
        cached = {
          at: Date.now(),
          windows: set.map((w) => RATE_WINDOW_SECONDS[w]),
          limits: set.map((w) => held[w]!),
          kept: kept.length > 0 ? `kept for the syncs: ${kept.join(', ')}; re-checked hourly` : undefined,
        };
      }
      return cached;
    };
    return {
      acquire: async (signal) => {
        const c = await current();
        return this.#acquire(signal, c.windows, c.limits, c.kept);
      },
      pause: (seconds, reason, setBy) => this.pause(seconds, reason, setBy),
      spend: (window, resetSeconds) => this.spend(window, resetSeconds),
    };
  }

  async #acquire(signal: AbortSignal, windows: number[], limits: number[], kept: string | undefined): Promise<void> {
    const started = Date.now();
    for (;;) {
      let row: { granted: boolean; wait_seconds: number; reason: string | null; valid_seconds: number | null };
      const asked = Date.now();
      try {
        row = (
          await this.#pool.query<{
            granted: boolean;
            wait_seconds: number;
            reason: string | null;
            valid_seconds: number | null;
          }>(
            'SELECT granted, wait_seconds, reason, valid_seconds FROM rate_budget_acquire($1, $2::int[], $3::int[], $4::float8)',
            [this.#source, windows, limits, this.#guardSeconds],
          )
        ).rows[0]!;
      } catch (err) {
        throw classifyDatabaseError(err);
      }
      // A grant is good until its earliest window ends (at the latest `asked + valid`): one that
      // came back too late to be sent inside it (a stalled event loop, a slow database) is not
      // used; the API would count the call in its next window, which the budget grants anew.
      if (row.granted && (row.valid_seconds === null || Date.now() < asked + row.valid_seconds * 1000 - STALE_GRANT_MS))
        return;
      if (row.granted) {
        this.staleGrants++;
        continue;
      }
      const waitMs = Math.ceil(row.wait_seconds * 1000);
      const reason = `${row.reason ?? 'budget exhausted'}${kept && !row.reason?.startsWith('paused') ? ` (${kept})` : ''}`;
      if (Date.now() - started + waitMs > this.#maxInlineWaitMs) {
        // Held back for the syncs: look again within the hour (the syncs' need may have dropped:
        // a schedule removed or slowed), not only when a day or month window ends.
        const wait = kept ? Math.min(row.wait_seconds, HELD_RECHECK_SECONDS) : row.wait_seconds;
        throw new SourcePausedError(this.#source, Date.now() / 1000 + wait, reason);
      }
      // A little jitter so waiting workers do not all knock at the same instant.
      await abortableSleep(waitMs + 5 + Math.floor(Math.random() * 20), signal);
    }
  }

  async pause(seconds: number, reason: string, setBy: string): Promise<number> {
    const applied = clampPause(seconds, this.#maxPauseSeconds, (requested) =>
      this.#warn(
        `${this.#source}: a pause of ${requested} s was clamped to ${this.#maxPauseSeconds} s (INGEST_MAX_PAUSE_SECONDS): ${reason}`,
      ),
    );
    await this.#pauses.pause(this.#source, applied, reason, setBy);
    recordPause(this.#source, setBy);
    return applied;
  }

  async spend(window: RateWindow, resetSeconds: number): Promise<void> {
    const limit = this.#limitsByWindow[window];
    if (limit === undefined) return; // the budget does not keep this window: the pause covers it
    const seconds = RATE_WINDOW_SECONDS[window];
    try {
      await this.#pool.query(
        `WITH now AS (SELECT extract(epoch FROM clock_timestamp()) AS s)
         INSERT INTO rate_budget_windows AS w (source, window_seconds, window_start, used)
         SELECT $1, $2::int, floor(now.s / $2::int)::bigint * $2::int, $3::int FROM now
         WHERE abs(floor(now.s / $2::int) * $2::int + $2::int - (now.s + $4::float8)) <= 60
         ON CONFLICT (source, window_seconds) DO UPDATE SET
           used = CASE WHEN w.window_start >= EXCLUDED.window_start THEN greatest(w.used, EXCLUDED.used) ELSE EXCLUDED.used END,
           window_start = greatest(w.window_start, EXCLUDED.window_start)`,
        [this.#source, seconds, limit, resetSeconds],
      );
    } catch (err) {
      throw classifyDatabaseError(err);
    }
  }
}
