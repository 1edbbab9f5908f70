/**
 * min-api answers → the shared error classes (api-wire-reference §2.4, §2.5). The only place that
 * reads this API's error wire format.
 *
 * The min-api reports errors with **HTTP 200** and `"Response":"Error"` plus a `Type`:
 * - 99: over a quota window (`RateLimit` usage) or a temporary ban (`Cooldown` seconds)
 * - 1: `You need a valid auth key…` (auth) — or, on older servers, "market does not exist"
 * - 2: a bad parameter (`ParamWithError`) or a market that does not exist for the pair
 * - 0: `Path does not exist`
 * Non-200 answers (a proxy's 502 page, a 401 pointing to CoinDesk) are classified by status, with
 * the JSON body's message when there is one.
 */
import {
  describeSpentWindow,
  MalformedResponseError,
  RateLimitedError,
  SourceAuthError,
  SourceRequestError,
  SourceUnavailableError,
  type IngestError,
} from '../../errors';
import { exhaustedWindowReset, parseRetryAfter, tryParseJson, type HttpResponse } from '../../http';
import { spentWindow, windowEnd } from '../../rate-limits';
import type { CheckContext } from '../http-client';
import { errorEnvelopeSchema, type ErrorEnvelope } from './schemas';

/** Messages that mean the key is missing or not accepted (any `Type` but 99). */
const AUTH_MESSAGE = /(auth|api)[ _-]?key|unauthori[sz]ed|authenticat/i;

/** What a keyless caller over its (IP-based) quota is now told, with HTTP 401. */
const KEY_REQUIRED = /api[ _-]?key (is )?required/i;

/**
 * Decide what a response means: returns the parsed JSON of a success (every body that is not an
 * error envelope; the caller checks its shape), throws the classified error otherwise.
 */
export function checkResponse(res: HttpResponse, req: CheckContext = { keyed: true }): unknown {
  const json = tryParseJson(res.body);
  const parsedErr = json === undefined ? undefined : errorEnvelopeSchema.safeParse(json);
  const err = parsedErr?.success ? parsedErr.data : undefined;
  const details: Record<string, unknown> = {
    status: res.status,
    url: res.url,
    apiType: err?.Type,
    apiMessage: err?.Message || undefined,
    paramWithError: err?.ParamWithError,
  };

  if (res.status >= 200 && res.status < 300) {
    if (json === undefined) {
      throw new MalformedResponseError(
        `GET ${res.url}: HTTP ${res.status} body is not valid JSON (${res.body.length} bytes)`,
        { details: { ...details, bodyStart: res.body.slice(0, 200) } },
      );
    }
    if (err) throw classifyApiError(res, err, details);
    return json;
  }

  const message = err?.Message ?? '';
  if (res.status === 429 || err?.Type === 99) throw rateLimited(res, err, details);
  if (res.status === 401 && !req.keyed && KEY_REQUIRED.test(message || res.body.slice(0, 200))) {
    // Users see keyless over-quota calls answered so: the keyless quota, not a bad key (there is
    // none). The answer does not say which window; asking every minute would spend a spent day
    // window on rejected calls, so wait for the next full UTC hour (at least a minute).
    const at = res.serverTime ?? Date.now() / 1000;
    const wait = parseRetryAfter(res.headers.get('retry-after')) ?? Math.max(60, windowEnd('hour', at) - at);
    throw new RateLimitedError(
      `GET ${res.url}: HTTP 401 ${message || 'API key required'}: the keyless quota is spent, asking again at the next full hour (set MIN_API_KEY for a plan's quota)`,
      wait,
      { details: { ...details, keylessQuota: true } },
    );
  }
  if (res.status === 403 && json === undefined) {
    // A firewall's page in front of the API, not its answer: bounded retries.
    throw new MalformedResponseError(
      `GET ${res.url}: HTTP 403 with a body that is not the API's JSON (a firewall's page?)`,
      { details: { ...details, bodyStart: res.body.slice(0, 200) } },
    );
  }
  if (res.status === 401 || res.status === 403) {
    throw new SourceAuthError(`GET ${res.url}: HTTP ${res.status} ${message || 'unauthorized'}`, { details });
  }
  if (res.status >= 400 && res.status < 500) {
    if (err) throw classifyApiError(res, err, details);
    throw new SourceRequestError(`GET ${res.url}: HTTP ${res.status} request rejected`, { details });
  }
  throw new SourceUnavailableError(`GET ${res.url}: HTTP ${res.status} ${message || 'server error'}`, { details });
}

/** An error envelope (`"Response":"Error"`) → its class, by `Type` and message. */
function classifyApiError(res: HttpResponse, err: ErrorEnvelope, details: Record<string, unknown>): IngestError {
  if (err.Type === 99) return rateLimited(res, err, details);
  const message = err.Message || 'error without a message';
  const what = `GET ${res.url}: min-api error (Type ${err.Type ?? '?'}): ${message}`;
  if (AUTH_MESSAGE.test(message)) return new SourceAuthError(what, { details });
  const param = err.ParamWithError ? ` (parameter ${err.ParamWithError})` : '';
  return new SourceRequestError(`${what}${param}`, { details });
}

/**
 * How long to wait: the longest of what the answer says: the ban's `Cooldown`, a `Retry-After`
 * header, the reset of the longest window its `RateLimit` report says is spent (`calls_made ≥
 * max_calls`; real keyless answers carry nothing else), and the reset of a window the
 * `X-RateLimit-*-All` headers (sent only with a key) report exhausted. Undefined when it says none.
 */
function rateLimited(res: HttpResponse, err: ErrorEnvelope | undefined, details: Record<string, unknown>) {
  const cooldown = err?.Cooldown !== undefined && err.Cooldown > 0 ? err.Cooldown : undefined;
  const at = res.serverTime ?? Date.now() / 1000;
  const quota = spentWindow(err?.RateLimit, at);
  const waits = [
    cooldown,
    parseRetryAfter(res.headers.get('retry-after')),
    quota?.resetSeconds,
    exhaustedWindowReset(res.headers),
  ].filter((s): s is number => s !== undefined);
  const retryAfter = waits.length > 0 ? Math.max(...waits) : undefined;
  const what =
    cooldown !== undefined ? `banned for ${cooldown} s` : quota ? describeSpentWindow(quota, at) : 'rate limited';
  return new RateLimitedError(
    `GET ${res.url}: HTTP ${res.status} ${what} (Type ${err?.Type ?? '?'}): ${err?.Message || 'over the rate limit'}`,
    retryAfter,
    { details: { ...details, cooldown: err?.Cooldown, retryAfterSeconds: retryAfter, quota }, quota },
  );
}
