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
