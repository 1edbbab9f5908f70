/**
 * `GET /admin/v2/rate/limit` (api-wire-reference §3.9): the caller's usage and limits per window.
 * The call itself counts (USED includes it, as in the documented example).
 *
 * The core passes the caller's usage (after counting this call) on the request.
 */
import type { RateWindow, SimRequest, SimResponse } from '../../types';
import { RATE_WINDOWS } from '../../types';
import { okResponse } from './http';

/** Usage after the current call, as the core counted it. */
function currentUsage(req: SimRequest): { used: Record<RateWindow, number>; max: Record<RateWindow, number> } {
  const used = {} as Record<RateWindow, number>;
  const max = {} as Record<RateWindow, number>;
  for (const w of RATE_WINDOWS) {
    used[w] = req.usage!.callsMade[w];
    max[w] = req.usage!.maxCalls[w];
  }
  return { used, max };
}

/** [inferred] The AUTH_KEY block (another credential type the simulator does not model): the free tier's limits, unused. */
const AUTH_KEY_MAX: Record<RateWindow, number> = {
  second: 20,
  minute: 1_000,
  hour: 10_000,
  day: 40_000,
  month: 200_000,
};

function block(used: Record<RateWindow, number>, max: Record<RateWindow, number>, softCap: number) {
  return {
    TYPE: '3001',
    USED: {
      TYPE: '3002',
      SECOND: used.second,
      MINUTE: used.minute,
      HOUR: used.hour,
      DAY: used.day,
      MONTH: used.month,
    },
    MAX: {
      TYPE: '3003',
      MONTH: max.month,
      DAY: max.day,
      HOUR: max.hour,
      MINUTE: max.minute,
      SECOND: max.second,
      SOFT_CAP_ALLOWANCE_MULTIPLIER: softCap,
    },
    REMAINING: {
      TYPE: '3004',
      SECOND: Math.max(0, max.second - used.second),
      MINUTE: Math.max(0, max.minute - used.minute),
      HOUR: Math.max(0, max.hour - used.hour),
      DAY: Math.max(0, max.day - used.day),
      MONTH: Math.max(0, max.month - used.month),
    },
  };
}

/** `GET /admin/v2/rate/limit`. */
export function rateLimitRoute(req: SimRequest): SimResponse {
  const { used, max } = currentUsage(req);
  const zero: Record<RateWindow, number> = { second: 0, minute: 0, hour: 0, day: 0, month: 0 };
  return okResponse({
    TYPE: '3000',
    API_KEY: block(used, max, 1.1),
    AUTH_KEY: block(zero, AUTH_KEY_MAX, 1.2),
  });
}
