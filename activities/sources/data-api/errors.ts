/**
 * Data API status codes and error bodies → the shared error classes (api-wire-reference §3.8,
 * §3.9). The only place that reads this API's error wire format.
 */
import {
  describeSpentWindow,
  MalformedResponseError,
  RateLimitedError,
  SourceAuthError,
  SourceRequestError,
  SourceUnavailableError,
} from '../../errors';
import { exhaustedWindowReset, parseRetryAfter, tryParseJson, type HttpResponse } from '../../http';
import { spentWindow } from '../../rate-limits';
import { errorEnvelopeSchema } from './schemas';

export type Checked =
  { readonly kind: 'ok'; readonly json: unknown } | { readonly kind: 'not-trading'; readonly first: number };

/**
 * Decide what a response means. Returns the parsed JSON of a success, or the "not trading yet"
 * signal; throws the classified error otherwise.
 */
export function checkResponse(res: HttpResponse): Checked {
  const json = tryParseJson(res.body);
  const parsedErr = json === undefined ? undefined : errorEnvelopeSchema.safeParse(json);
  const err = parsedErr?.success ? parsedErr.data.Err : undefined;
  const message = err?.message ?? '';
  const details = { status: res.status, url: res.url, errType: err?.type, apiMessage: message || undefined };

  if (res.status >= 200 && res.status < 300) {
    if (json === undefined) {
      throw new MalformedResponseError(
        `GET ${res.url}: HTTP ${res.status} body is not valid JSON (${res.body.length} bytes)`,
        {
          details: { ...details, bodyStart: res.body.slice(0, 200) },
        },
      );
    }
    // Partial failures can come back as 200 with `Err` populated.
    if (err && (err.type !== undefined || message !== '')) {
      if (err.type === 99) throw rateLimited(res, message, err.other_info, details);
      throw new SourceRequestError(`GET ${res.url}: API error in a 200 response: ${message}`, { details });
    }
    return { kind: 'ok', json };
  }

  if (res.status === 429 || err?.type === 99) throw rateLimited(res, message, err?.other_info, details);
  if (res.status === 403 && json === undefined) throw notTheApi(res, details);
  if (res.status === 401 || res.status === 403) {
    throw new SourceAuthError(`GET ${res.url}: HTTP ${res.status} ${message || 'unauthorized'}`, { details });
  }
  if (res.status === 400 && /was not trading/i.test(message)) {
    const first = err?.other_info?.first;
    if (typeof first === 'number' && Number.isFinite(first)) return { kind: 'not-trading', first };
  }
  if (res.status >= 400 && res.status < 500) {
    throw new SourceRequestError(`GET ${res.url}: HTTP ${res.status} ${message || 'request rejected'}`, { details });
  }
  throw new SourceUnavailableError(`GET ${res.url}: HTTP ${res.status} ${message || 'server error'}`, { details });
}

/**
 * How long to wait: the longest of what the answer says: `Retry-After`, the hard block's seconds,
 * the reset of the longest window `other_info`'s usage report says is spent, and the reset of a
 * window `X-RateLimit-*-All` reports exhausted. Undefined when it says none.
 */
function rateLimited(
  res: HttpResponse,
  message: string,
  otherInfo: unknown,
  details: Record<string, unknown>,
): RateLimitedError {
  const hardBlock = /hard blocked for at least (\d+) seconds/i.exec(message);
  const at = res.serverTime ?? Date.now() / 1000;
  const quota = spentWindow(otherInfo, at);
  const waits = [
    parseRetryAfter(res.headers.get('retry-after')),
    hardBlock ? Number(hardBlock[1]) : undefined,
    quota?.resetSeconds,
    exhaustedWindowReset(res.headers),
  ].filter((s): s is number => s !== undefined);
  const retryAfter = waits.length > 0 ? Math.max(...waits) : undefined;
  const what = quota ? `${describeSpentWindow(quota, at)}: ` : '';
  return new RateLimitedError(`GET ${res.url}: HTTP ${res.status} ${what}${message || 'rate limited'}`, retryAfter, {
    details: { ...details, retryAfterSeconds: retryAfter, quota },
    quota,
  });
}

/** A 403 whose body is not the API's JSON: a firewall's page in front of it (bounded retries). */
function notTheApi(res: HttpResponse, details: Record<string, unknown>): MalformedResponseError {
  return new MalformedResponseError(
    `GET ${res.url}: HTTP ${res.status} with a body that is not the API's JSON (a firewall's page?)`,
    { details: { ...details, bodyStart: res.body.slice(0, 200) } },
  );
}
