/**
 * Contracts between the generic simulator core (`simulator/`) and the per-source twins
 * (`simulator/sources/<id>/`, registered in `simulator/sources/index.ts`). The core knows nothing
 * about any API's wire format: it owns the HTTP server, the clock, fault switches, rate-limit
 * windows and counters. A twin owns its routes, its wire format and its deterministic series.
 */
import type { IncomingMessage } from 'node:http';
import { RATE_WINDOWS, RATE_WINDOW_SECONDS, type RateLimits, type RateWindow } from '../activities/rate-limits';

// The windows are production's vocabulary (the simulator enforces what the client budgets for).
export { RATE_WINDOWS, RATE_WINDOW_SECONDS, type RateLimits, type RateWindow };

export interface RateUsage {
  /** Calls counted in the current window of each kind (rejected calls count too, as on the real APIs). */
  readonly callsMade: Record<RateWindow, number> & { total_calls: number };
  readonly maxCalls: Record<RateWindow, number>;
  /** Calls left in each window (never negative). */
  readonly remaining: Record<RateWindow, number>;
  /** Seconds until each window resets. */
  readonly resetSeconds: Record<RateWindow, number>;
}

/** Fault kinds the core can switch on. A source module decides what each looks like on its wire. */
export const FAULT_KINDS = [
  'rate-limit', // over quota: Data API 429 + Err.type 99; min-api HTTP 200 + Type 99
  'server-error', // HTTP 500 with the API's error body
  'slow', // delay the response by `delayMs`
  'malformed', // a 200 whose body is not valid JSON (truncated)
  'ban', // a temporary ban with a cooldown (`retryAfterSeconds`)
  'hard-block', // Data API "hard blocked" body; min-api Cooldown body
  'reset', // destroy the socket without a response
  'drift-new-field', // every row gains an unknown field
  'drift-missing-field', // every row loses a required field
  'bad-row', // one row breaks an invariant; `badRow` says which
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export const BAD_ROW_KINDS = [
  'high-below-low',
  'negative-volume',
  'misaligned-ts',
  'ms-timestamp',
  'nan-string',
] as const;
export type BadRowKind = (typeof BAD_ROW_KINDS)[number];

export interface FaultSpec {
  readonly kind: FaultKind;
  /** Source id the fault applies to (the mount prefix), e.g. the first path segment. Omitted: any source. */
  readonly source?: string;
  /** Applies only to requests whose path (after the source prefix) starts with this. */
  readonly pathPrefix?: string;
  /** Applies only to requests whose query has all these values (e.g. `{ instrument: 'BTC-USD' }`). */
  readonly params?: Readonly<Record<string, string>>;
  /** How many matching requests the fault affects; omitted = until cleared. */
  readonly count?: number;
  /** For `slow`. */
  readonly delayMs?: number;
  /** For `rate-limit`, `ban`, `hard-block`: what `Retry-After` / cooldown to announce. */
  readonly retryAfterSeconds?: number;
  /** For `bad-row`. */
  readonly badRow?: BadRowKind;
}

export interface ActiveFault extends FaultSpec {
  readonly id: string;
  /** Matching requests that this fault has affected so far. */
  readonly hits: number;
}

/** What the core hands a source route. */
export interface SimRequest {
  readonly method: string;
  /** Path after the source prefix, e.g. `/spot/v1/historical/hours`. */
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingMessage['headers'];
  /** API key from `authorization: Apikey <k>` / `Bearer <k>` / `x-api-key` / `api_key` / `apiKey`, if any. */
  readonly apiKey: string | undefined;
  /** Simulator clock, in Unix seconds (frozen or offset via the control API). */
  readonly nowSeconds: number;
  /** The fault (already counted) that applies to this request, if any, other than the ones the core handles itself. */
  readonly fault: ActiveFault | undefined;
  /** The caller's quota usage after counting this request (for routes that report it). */
  readonly usage?: RateUsage;
}

export interface SimResponse {
  readonly status: number;
  /** Serialized body; the core writes it byte for byte. */
  readonly body: string;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface SourceSimulator {
  /** Mount prefix and rate-limit bucket id: the source id. */
  readonly id: string;
  /** Default per-window limits for this API (overridable through the control API). */
  readonly defaultLimits: RateLimits;
  /** Handle one request. Return undefined when no route matches (the source's "path does not exist"). */
  handle(req: SimRequest): SimResponse | Promise<SimResponse>;
  /** The body and status this API sends when a quota window is exhausted. */
  renderRateLimited(usage: RateUsage, req: SimRequest): SimResponse;
  /** The body this API sends for a server error / ban / hard block. */
  renderFault(kind: 'server-error' | 'ban' | 'hard-block', fault: ActiveFault, req: SimRequest): SimResponse;
  /** Rate-limit headers for a response given the current usage (may be empty for APIs that send none). */
  rateLimitHeaders(usage: RateUsage, req: SimRequest): Record<string, string>;
  /** Reset any runtime state (added instruments, etc.) to the deterministic default. */
  reset?(): void;
  /**
   * Extra control routes under `/__sim/<id>/...` (e.g. listing a new instrument). `path` is the part
   * after `/__sim/<id>`; `body` the parsed JSON body (undefined when none). Return undefined for an
   * unknown route (the core answers 404).
   */
  control?(path: string, body: unknown, ctx: SimControlContext): SimResponse | undefined;
}

/** What the core hands a source's control route besides path and body. */
export interface SimControlContext {
  /** HTTP method of the control call (`GET`, `POST`, `PUT`, `DELETE`). */
  readonly method: string;
  /** Simulator clock, in Unix seconds. */
  readonly nowSeconds: number;
}
