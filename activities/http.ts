/**
 * HTTP for sources: one GET with a timeout and cancellation, network failures classified once,
 * rate-limit headers parsed, URLs redacted before they reach a log line or lineage row.
 * Uses Node's own `http`/`https` modules: no extra dependency.
 */
import { createHash } from 'node:crypto';
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
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

/** Redirects followed before an answer counts as none. */
const MAX_REDIRECTS = 5;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/**
 * GET a URL and read the whole body. Network errors, timeouts and resets become
 * `SourceUnavailableError`; HTTP status handling is the caller's (each API has its own rules).
 * Node's `http`/`https` with their keep-alive agents (not `fetch`: on the bench's pages, 1.5 MB
 * each, fetch's web streams cost about twice the CPU per response).
 */
export async function httpGet(url: URL, options: GetOptions): Promise<HttpResponse> {
  const redacted = redactUrl(url, options.secretParams);
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const signal = AbortSignal.any([options.signal, timeout]);
  const maxBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  try {
    let target = url;
    for (let hop = 0; ; hop++) {
      const res = await get(target, options.headers ?? {}, signal);
      const location = res.headers.location;
      if (REDIRECTS.has(res.statusCode ?? 0) && location !== undefined && hop < MAX_REDIRECTS) {
        res.resume(); // drain: the socket goes back to the agent
        target = new URL(location, target);
        continue;
      }
      const read = await readCapped(res, maxBytes);
      const headers = new Headers();
      for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) headers.append(res.rawHeaders[i]!, res.rawHeaders[i + 1]!);
      const date = headers.get('date');
      const serverMs = date === null ? Number.NaN : Date.parse(date);
      return {
        status: res.statusCode ?? 0,
        headers,
        body: read.body,
        url: redacted,
        sha256: read.sha256,
        serverTime: Number.isFinite(serverMs) ? Math.floor(serverMs / 1000) : undefined,
      };
    }
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
}

/** The response once its headers are in (the body not read yet). */
function get(url: URL, headers: Readonly<Record<string, string>>, signal: AbortSignal): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = (url.protocol === 'https:' ? https : http).get(url, { headers, signal }, resolve);
    req.on('error', reject);
  });
}

class BodyTooLarge extends Error {}

/**
 * The body as text and the SHA-256 of its bytes as received, reading no more than `maxBytes` (the
 * rest is not downloaded).
 */
async function readCapped(res: IncomingMessage, maxBytes: number): Promise<{ body: string; sha256: string }> {
  const declared = Number(res.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
    res.destroy();
    throw new BodyTooLarge();
  }
  const hash = createHash('sha256');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) {
      res.destroy();
      throw new BodyTooLarge();
    }
    hash.update(chunk);
    chunks.push(chunk);
  }
  // A body cut short (the connection dropped mid-way) is no answer: the iteration above then throws
  // ("aborted", ECONNRESET), except when the server closed cleanly short of its content-length.
  if (!res.complete) throw Object.assign(new Error('the response ended before its body did'), { code: 'ECONNRESET' });
  return { body: Buffer.concat(chunks, size).toString('utf8'), sha256: hash.digest('hex') };
}

function describeNetworkError(err: unknown): string {
  // Node's own errors carry the code (ECONNREFUSED, ECONNRESET…); wrapped ones carry it in `cause`.
  const e = err as { code?: unknown; message?: string; cause?: { code?: string; message?: string } } | null;
  if (typeof e?.code === 'string' && e.code !== 'ABORT_ERR') return `${e.code}${e.message ? ` (${e.message})` : ''}`;
  const cause = e?.cause;
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
