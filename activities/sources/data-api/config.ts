/**
 * Data API settings, from the worker's environment. Without a key the API serves keyless
 * (IP-based) quotas; the embedded default points the base URL at the local simulator.
 */
import { z } from 'zod';
import { secretSchema } from '../../secret';

export const dataApiConfigSchema = z
  .object({
    /** Base URL, e.g. `https://data-api.coindesk.com` or the simulator's `http://127.0.0.1:8299/data-api`. */
    DATA_API_BASE_URL: z.url({ protocol: /^https?$/ }).default('https://data-api.coindesk.com'),
    /** API key (sent as `authorization: Apikey <key>`, never in a URL). */
    DATA_API_KEY: secretSchema.optional(),
    /** Per-request timeout. */
    DATA_API_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(30_000),
  })
  .transform((env) => ({
    baseUrl: env.DATA_API_BASE_URL.replace(/\/+$/, ''),
    apiKey: env.DATA_API_KEY,
    timeoutMs: env.DATA_API_TIMEOUT_MS,
  }));

export type DataApiConfig = z.output<typeof dataApiConfigSchema>;
