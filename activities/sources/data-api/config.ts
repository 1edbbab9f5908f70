/**
 * Data API settings from the worker's environment (`DATA_API_*`). Without a key the API serves
 * keyless (IP-based) quotas. The default budget is the free tier's (api-wire-reference §3.9): safe
 * by default; set `DATA_API_RATE_LIMITS` to your plan's.
 */
import type { RateLimits } from '../../rate-limits';
import { httpSourceConfigSchema, type HttpSourceConfig } from '../http-config';

export const DATA_API_FREE_TIER: RateLimits = { second: 20, minute: 300, hour: 3_000, day: 7_500, month: 11_000 };

export const dataApiConfigSchema = httpSourceConfigSchema(
  'DATA_API',
  'https://data-api.coindesk.com',
  DATA_API_FREE_TIER,
);

export type DataApiConfig = HttpSourceConfig;
