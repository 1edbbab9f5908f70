/**
 * HTTP for sources: one GET with a timeout and cancellation, network failures classified once,
 * rate-limit headers parsed, URLs redacted before they reach a log line or lineage row.
 * Uses Node's built-in `fetch` (undici): no extra dependency.
 */
import { createHash } from 'node:crypto';
import { MalformedResponseError, SourceUnavailableError } from './errors';

export interface HttpResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly body: string;
  /** Redacted URL (no secrets), for messages and lineage. */
  readonly url: string;
  readonly sha256: string;
  /** Server clock from the `Date` header, Unix seconds. */
  readonly serverTime: number | undefined;
}

export interface GetOptions {
  readonly headers?: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  readonly signal: AbortSignal;
  /** Query parameter names whose values must never be logged. */
  readonly secretParams?: readonly string[];
  /** Largest body read; a larger one is not this API's answer (`MalformedResponseError`). @default 64 MiB */
  readonly maxBodyBytes?: number;
}

/** Larger than any page either API sends (a 2,000-row page with every group is a few MB). */
export const DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024;

const DEFAULT_SECRET_PARAMS = ['api_key', 'apiKey', 'apikey', 'key'];

/** The URL without secret query values, e.g. for lineage rows and failure details. */
export function redactUrl(url: URL, secretParams: readonly string[] = DEFAULT_SECRET_PARAMS): string {
  const copy = new URL(url);
  for (const p of secretParams) if (copy.searchParams.has(p)) copy.searchParams.set(p, 'REDACTED');
  return `${copy.pathname}${copy.search}`;
}

/**
 * GET a URL and read the whole body. Network errors, timeouts and resets become
 * `SourceUnavailableError`; HTTP status handling is the caller's (each API has its own rules).
 */
export async function httpGet(url: URL, options: GetOptions): Promise<HttpResponse> {
  const redacted = redactUrl(url, options.secretParams);
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const signal = AbortSignal.any([options.signal, timeout]);
  let res: Response;
  let body: string;
  const maxBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  try {
    res = await fetch(url, { headers: options.headers, signal, redirect: 'follow' });
    body = await readCapped(res, maxBytes);
  } catch (err) {
    if (options.signal.aborted) throw err; // cancellation: let the SDK report it as such
    if (err instanceof BodyTooLarge) {
      throw new MalformedResponseError(
        `GET ${redacted}: the body is larger than ${maxBytes} bytes: not an answer of this API (a runaway response?)`,
        { details: { url: redacted, maxBodyBytes: maxBytes } },
      );
    }
    const reason = timeout.aborted ? `timed out after ${options.timeoutMs} ms` : describeNetworkError(err);
    throw new SourceUnavailableError(`GET ${redacted}: ${reason}`, { details: { url: redacted }, cause: err });
  }
  const date = res.headers.get('date');
  const serverMs = date === null ? Number.NaN : Date.parse(date);
  return {
    status: res.status,
    headers: res.headers,
    body,
    url: redacted,
    sha256: createHash('sha256').update(body).digest('hex'),
    serverTime: Number.isFinite(serverMs) ? Math.floor(serverMs / 1000) : undefined,
  };
}

class BodyTooLarge extends Error {}

/** The body as text, reading no more than `maxBytes` (the rest is not downloaded). */
async function readCapped(res: Response, maxBytes: number): Promise<string> {
  const declared = Number(res.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) {
    await res.body?.cancel().catch(() => undefined);
    throw new BodyTooLarge();
  }
  if (!res.body) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw new BodyTooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function describeNetworkError(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } } | null)?.cause;
  if (cause?.code) return `${cause.code}${cause.message ? ` (${cause.message})` : ''}`;
  return err instanceof Error ? err.message : String(err);
}

/** `Retry-After` as seconds (delta-seconds or HTTP-date), or undefined. */
export function parseRetryAfter(value: string | null, nowMs: number = Date.now()): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const n = Number(value);
  if (Number.isFinite(n) && n >= 0) return n;
  const at = Date.parse(value);
  if (Number.isFinite(at)) return Math.max(0, (at - nowMs) / 1000);
  return undefined;
}

/**
 * Parse the `X-RateLimit-*-All` format: `1220397, 9500;window=1, 9500;window=60, …` into
 * `{ window seconds → value }` (the leading bare number is ignored).
 */
export function parseRateLimitAll(value: string | null): Map<number, number> {
  const out = new Map<number, number>();
  if (value === null) return out;
  for (const part of value.split(',')) {
    const m = /^\s*(\d+)\s*;\s*window=(\d+)\s*$/.exec(part);
    if (m) out.set(Number(m[2]), Number(m[1]));
  }
  return out;
}

/**
 * Windows the API reports as used up in `X-RateLimit-Remaining-All` (with their seconds to reset
 * from `X-RateLimit-Reset-All`): the server's own truth, which may differ from our budget (other
 * clients on the same key, another clock).
 */
export function exhaustedWindows(headers: Headers): Array<{ windowSeconds: number; resetSeconds: number }> {
  const remaining = parseRateLimitAll(headers.get('x-ratelimit-remaining-all'));
  const reset = parseRateLimitAll(headers.get('x-ratelimit-reset-all'));
  const out: Array<{ windowSeconds: number; resetSeconds: number }> = [];
  for (const [windowSeconds, left] of remaining) {
    const r = reset.get(windowSeconds);
    if (left <= 0 && r !== undefined) out.push({ windowSeconds, resetSeconds: r });
  }
  return out;
}

/** Seconds until every window `exhaustedWindows` reports has reset, or undefined when none is. */
export function exhaustedWindowReset(headers: Headers): number | undefined {
  const windows = exhaustedWindows(headers);
  return windows.length === 0 ? undefined : Math.max(...windows.map((w) => w.resetSeconds));
}

/** Parse a body as JSON, or return undefined (callers decide which error that is). */
export function tryParseJson(body: string): unknown {
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return undefined;
  }
}
