/**
 * min-api settings from the worker's environment (`MIN_API_*`). Without a key the API serves keyless
 * (IP-based) quotas. The default budget is the documented free tier (api-wire-reference §2.5): safe
 * by default; set `MIN_API_RATE_LIMITS` to your plan's.
 */
import type { RateLimits } from '../../rate-limits';
import { httpSourceConfigSchema, type HttpSourceConfig } from '../http-config';

/** Free / keyless maxima observed 2021–2024 (`max_calls` of the Type 99 body). */
export const MIN_API_FREE_TIER: RateLimits = { second: 20, minute: 300, hour: 3_000, day: 7_500, month: 50_000 };

export const minApiConfigSchema = httpSourceConfigSchema(
  'MIN_API',
  'https://min-api.cryptocompare.com',
  MIN_API_FREE_TIER,
);

export type MinApiConfig = HttpSourceConfig;
