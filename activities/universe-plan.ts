/**
 * The arithmetic of a universe plan (pure, no I/O): what the steady state costs a source in API
 * calls per rate window, which window binds, the headroom, and how long the pending backfills take
 * on what the steady state leaves over. `crypto-ingest universe plan` feeds it the same config,
 * reference snapshots and checkpoints the workflows use (docs/universe.md, "The plan").
 *
 * The model, stated once:
 * - A **recurring demand** makes `callsPerTick` calls every `everySeconds` (a sync schedule, the
 *   universe refresh with its reference snapshots). Its need in a window is its average rate over
 *   the window: `callsPerTick × windowSeconds / everySeconds`. A tick rarer than the window (a daily
 *   sync against the minute window) is a burst that the rate gate spreads over the following
 *   windows; it fits when its average does.
 * - A **sync tick** asks, per backfilled series, for the periods since the last tick, the lookback
 *   and the open period, at most `cap` periods a call and at most `maxPagesPerSeries` calls.
 * - A **backfill** asks for `ceil(periods / cap)` calls (the pipeline's windows of `cap` periods).
 * - The daily repair's audit reads the database only: it costs no call. Repairing a hole costs
 *   the hole's backfill calls, which no plan can know in advance (none are counted).
 * - **Backfills** get what the steady state leaves: per window `limit − need`; the slowest of those
 *   rates (calls per second) binds. They run one after another at that rate, in the given order.
 * - At run time the same rule holds them to it (**syncs first**): a backfill or repair call is
 *   granted only within `backgroundLimits`, each window's limit less the syncs' need in it.
 */
import { RATE_WINDOWS, RATE_WINDOW_SECONDS, type RateLimits, type RateWindow } from './rate-limits';

/** Calls made every `everySeconds` (a schedule's tick). */
export interface RecurringDemand {
  /** What makes the calls, for people: `sync spot-ohlcv 1m (120 series)`. */
  readonly what: string;
  readonly callsPerTick: number;
  readonly everySeconds: number;
}

export interface WindowNeed {
  readonly window: RateWindow;
  readonly windowSeconds: number;
  /** Calls the steady state needs per window (average rate × window). */
  readonly need: number;
  /** The plan's limit for the window; undefined: not limited. */
  readonly limit: number | undefined;
  /** need ÷ limit (1 = all of it); undefined when not limited. */
  readonly share: number | undefined;
  /** limit − need (negative: short by that much); undefined when not limited. */
  readonly headroom: number | undefined;
}

/** Calls one sync tick makes for one backfilled series. */
export function syncCallsPerSeries(args: {
  readonly everySeconds: number;
  readonly stepSeconds: number;
  readonly lookbackPeriods: number;
  readonly cap: number;
  readonly maxPagesPerSeries: number;
}): number {
  const periods = Math.ceil(args.everySeconds / args.stepSeconds) + args.lookbackPeriods + 1; // + the open period
  return Math.min(args.maxPagesPerSeries, Math.ceil(periods / args.cap));
}

/** The steady state's need in every window, against `limits`. */
export function needPerWindow(demands: readonly RecurringDemand[], limits: RateLimits): WindowNeed[] {
  return RATE_WINDOWS.map((window) => {
    const windowSeconds = RATE_WINDOW_SECONDS[window];
    const need = demands.reduce((n, d) => n + (d.callsPerTick * windowSeconds) / d.everySeconds, 0);
    const limit = limits[window];
    return {
      window,
      windowSeconds,
      need,
      limit,
      share: limit === undefined ? undefined : limit === 0 ? (need > 0 ? Infinity : 0) : need / limit,
      headroom: limit === undefined ? undefined : limit - need,
    };
  });
}

/** The limited window the steady state uses the largest share of (undefined: nothing is limited). */
export function bindingWindow(needs: readonly WindowNeed[]): WindowNeed | undefined {
  let binding: WindowNeed | undefined;
  for (const n of needs) if (n.share !== undefined && (binding === undefined || n.share > binding.share!)) binding = n;
  return binding;
}

/** Whether the steady state fits every limited window. */
export const fits = (needs: readonly WindowNeed[]): boolean =>
  needs.every((n) => n.share === undefined || n.share <= 1);

/** Calls a backfill of [fromTs, toTs) makes, `cap` periods a call. */
export function backfillCalls(fromTs: number, toTs: number, stepSeconds: number, cap: number): number {
  if (toTs <= fromTs) return 0;
  return Math.ceil(Math.ceil((toTs - fromTs) / stepSeconds) / cap);
}

/**
 * What the steady state leaves for backfills, in calls per second: the slowest window's
 * `(limit − need) / windowSeconds` (0 when a window has nothing left; Infinity when none is limited).
 */
export function leftoverRate(needs: readonly WindowNeed[]): { callsPerSecond: number; window: RateWindow | undefined } {
  let best: { callsPerSecond: number; window: RateWindow | undefined } = {
    callsPerSecond: Infinity,
    window: undefined,
  };
  for (const n of needs) {
    if (n.headroom === undefined) continue;
    const rate = Math.max(0, n.headroom) / n.windowSeconds;
    if (rate < best.callsPerSecond) best = { callsPerSecond: rate, window: n.window };
  }
  return best;
}

export interface BackfillEta<K> {
  readonly key: K;
  readonly calls: number;
  /** Seconds from now until this backfill is complete (Infinity: never, at this rate). */
  readonly doneInSeconds: number;
}

/** Backfills one after another, in order, at `callsPerSecond`: when each is complete. */
export function backfillEtas<K>(
  backfills: ReadonlyArray<{ readonly key: K; readonly calls: number }>,
  callsPerSecond: number,
): Array<BackfillEta<K>> {
  let done = 0;
  return backfills.map((b) => {
    done += b.calls;
    const doneInSeconds = done === 0 ? 0 : callsPerSecond > 0 ? done / callsPerSecond : Infinity;
    return { key: b.key, calls: b.calls, doneInSeconds };
  });
}

/**
 * The limits backfills and repairs are held to so the syncs keep their need (syncs first): per
 * limited window, the limit less the steady state's need in it, rounded up, but at least 1 while the
 * need is below the limit (a sliver of need, e.g. a daily sync against a 1-a-second window, must not
 * hold the whole window); 0 when the syncs need all of it. Windows the limits do not name stay
 * unlimited.
 */
export function backgroundLimits(limits: RateLimits, demands: readonly RecurringDemand[]): RateLimits {
  const out: Partial<Record<RateWindow, number>> = {};
  for (const n of needPerWindow(demands, limits)) {
    if (n.limit === undefined) continue;
    const kept = n.need >= n.limit ? n.limit : Math.min(Math.ceil(n.need - 1e-9), n.limit - 1);
    out[n.window] = Math.max(0, n.limit - kept);
  }
  return out;
}
