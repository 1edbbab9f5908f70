/**
 * The environment every HTTP API source reads, under its own prefix:
 * `<P>_BASE_URL`, `<P>_KEY` (the API key, a `Secret`), `<P>_TIMEOUT_MS`, `<P>_RATE_LIMITS`,
 * `<P>_MAX_BODY_BYTES`.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { RateLimits } from '../rate-limits';
import { DEFAULT_MAX_BODY_BYTES } from '../http';
import { rateLimitsSchema } from '../rate-limits';
import { secretSchema, type Secret } from '../secret';

export interface HttpSourceConfig {
  readonly baseUrl: string;
  readonly apiKey: Secret | undefined;
  readonly timeoutMs: number;
  /** The plan's limits the whole fleet keeps to, or `off`. */
  readonly rateLimits: RateLimits | 'off';
  /** Largest response body read (`<P>_MAX_BODY_BYTES`). @default 64 MiB */
  readonly maxBodyBytes?: number;
}

/**
 * Budget key of an HTTP source: quotas are per API key, so each key gets its own budget and its
 * own pauses (`data-api` keyless, `data-api#3f2a9c1b7d0e` with a key: a fingerprint, never the key).
 */
export function httpSourceBudget(
  sourceId: string,
  config: HttpSourceConfig,
): { key: string; limits: RateLimits | 'off' } {
  const key = config.apiKey
    ? `${sourceId}#${createHash('sha256').update(config.apiKey.reveal()).digest('hex').slice(0, 12)}`
    : sourceId;
  return { key, limits: config.rateLimits };
}

export function httpSourceConfigSchema(prefix: string, defaultBaseUrl: string, defaultLimits: RateLimits) {
  return z
    .object({
      [`${prefix}_BASE_URL`]: z.url({ protocol: /^https?$/ }).default(defaultBaseUrl),
      [`${prefix}_KEY`]: secretSchema.optional(),
      [`${prefix}_TIMEOUT_MS`]: z.coerce.number().int().min(100).max(600_000).default(30_000),
      [`${prefix}_RATE_LIMITS`]: rateLimitsSchema.default(defaultLimits),
      [`${prefix}_MAX_BODY_BYTES`]: z.coerce
        .number()
        .int()
        .min(1_024)
        .max(2 ** 30)
        .default(DEFAULT_MAX_BODY_BYTES),
    })
    .transform((env): HttpSourceConfig => ({
      baseUrl: (env[`${prefix}_BASE_URL`] as string).replace(/\/+$/, ''),
      apiKey: env[`${prefix}_KEY`] as Secret | undefined,
      timeoutMs: env[`${prefix}_TIMEOUT_MS`] as number,
      rateLimits: env[`${prefix}_RATE_LIMITS`] as RateLimits | 'off',
      maxBodyBytes: env[`${prefix}_MAX_BODY_BYTES`] as number,
    }));
}
