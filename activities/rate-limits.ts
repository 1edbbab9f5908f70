/**
 * The rate-limit vocabulary: the APIs' fixed calendar windows (second … month, UTC, not rolling),
 * a plan's limits per window, and their `…_RATE_LIMITS` text form. Production owns these words; the
 * simulator imports them from here to enforce the same windows.
 */
import { z } from 'zod';

/** Fixed calendar rate-limit windows, as both real APIs count them (UTC, not rolling). */
export const RATE_WINDOWS = ['second', 'minute', 'hour', 'day', 'month'] as const;
export type RateWindow = (typeof RATE_WINDOWS)[number];

/** Window length in seconds ("month" is modelled as 30 days, as the APIs' headers report it). */
export const RATE_WINDOW_SECONDS: Record<RateWindow, number> = {
  second: 1,
  minute: 60,
  hour: 3_600,
  day: 86_400,
  month: 2_592_000,
};

const WINDOW_OF_SECONDS = new Map<number, RateWindow>(RATE_WINDOWS.map((w) => [RATE_WINDOW_SECONDS[w], w]));

/** The window of this length in seconds (as `rate_budget_windows` stores it), if it is one of ours. */
export const rateWindowOfSeconds = (seconds: number): RateWindow | undefined => WINDOW_OF_SECONDS.get(seconds);

/** Most calls allowed per window (an absent window is not limited). */
export type RateLimits = Partial<Record<RateWindow, number>>;

/**
 * `second=20,minute=300,hour=3000,day=7500,month=11000` (any subset), or `off` (no budget).
 * Windows are fixed and epoch-aligned (a "month" is 30 days, as the APIs' headers declare it).
 */
export const rateLimitsSchema = z
  .string()
  .trim()
  .transform((v, ctx): RateLimits | 'off' => {
    if (v.toLowerCase() === 'off') return 'off';
    const out: Partial<Record<RateWindow, number>> = {};
    for (const part of v
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean)) {
      const m = /^(second|minute|hour|day|month)\s*=\s*(\d+)$/.exec(part);
      if (!m || Number(m[2]) < 1) {
        ctx.addIssue({
          code: 'custom',
          message: `'${part}' is not <window>=<positive integer> (windows: ${RATE_WINDOWS.join(', ')}; or 'off')`,
        });
        return z.NEVER;
      }
      out[m[1] as RateWindow] = Number(m[2]);
    }
    return out;
  });

export function formatRateLimits(limits: RateLimits | 'off'): string {
  if (limits === 'off') return 'off';
  return RATE_WINDOWS.filter((w) => limits[w] !== undefined)
    .map((w) => `${w}=${limits[w]}`)
    .join(',');
}

/**
 * End (Unix seconds) of the fixed UTC window of this kind that contains `atSeconds`: second …
 * day are epoch-aligned (a day ends at 00:00 UTC); a month ends on the 1st of the next UTC month,
 * as the APIs reset their quotas on calendar windows (api-wire-reference §2.5).
 */
export function windowEnd(window: RateWindow, atSeconds: number): number {
  if (window === 'month') {
    const d = new Date(atSeconds * 1000);
    return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1) / 1000;
  }
  const len = RATE_WINDOW_SECONDS[window];
  return Math.floor(atSeconds / len) * len + len;
}

/** A quota window the API reports spent. */
export interface SpentWindow {
  readonly window: RateWindow;
  readonly callsMade: number;
  readonly maxCalls: number;
  /** Seconds from the report's instant until the window resets. */
  readonly resetSeconds: number;
}

const usageSchema = z.record(z.string(), z.unknown());

/**
 * The API's own quota report (`{calls_made, max_calls}` per window, as both APIs send with a quota
 * answer) read as the longest window spent (`calls_made ≥ max_calls`), with the seconds until it
 * resets measured on the server's clock (`atSeconds`, from its `Date`). Undefined when no window is
 * spent or the report cannot be read: the caller then falls back to headers or a default.
 */
export function spentWindow(report: unknown, atSeconds: number): SpentWindow | undefined {
  const parsed = z.object({ calls_made: usageSchema, max_calls: usageSchema }).safeParse(report);
  if (!parsed.success) return undefined;
  const { calls_made: made, max_calls: max } = parsed.data;
  for (const window of [...RATE_WINDOWS].reverse()) {
    const callsMade = made[window];
    const maxCalls = max[window];
    if (typeof callsMade !== 'number' || typeof maxCalls !== 'number') continue;
    if (!Number.isFinite(callsMade) || !Number.isFinite(maxCalls) || maxCalls <= 0) continue;
    if (callsMade >= maxCalls) {
      return { window, callsMade, maxCalls, resetSeconds: windowEnd(window, atSeconds) - atSeconds };
    }
  }
  return undefined;
}
