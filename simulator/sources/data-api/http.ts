/**
 * Wire plumbing shared by every Data API simulator route: the `{"Data":…,"Err":{}}` envelope, the
 * `{Data:{},Err:{type,message,other_info}}` error bodies with their status codes, the
 * `X-RateLimit-*-All` headers and query-parameter parsing.
 *
 * Wording marked "[inferred]" is not documented; the documented parts are cited in
 * api-wire-reference.md §3.8/§3.9.
 */
import type { RateUsage, SimResponse } from '../../types';
import { RATE_WINDOWS, RATE_WINDOW_SECONDS } from '../../types';

export const JSON_HEADERS = { 'Content-Type': 'application/json; charset=UTF-8' } as const;

const API_KEY_SENTENCE =
  'Please use an API key for your calls. To get an API key, go to https://www.cryptocompare.com/cryptopian/api-keys register, create a key and add it to your requests as either ? or &api_key=<generated key>.';

/** Which product a market/instrument lookup belongs to (changes the endpoint the 404 message points to). */
export type MarketKind = 'spot' | 'futures';

const MARKET_KIND_WORDING: Readonly<Record<MarketKind, { path: string; label: string }>> = {
  spot: { path: 'spot', label: 'TRADE_SPOT' },
  futures: { path: 'futures', label: 'TRADE_FUTURES' },
};

// -------------------------------------------------------------------------------------------------
// Error bodies (one small function each, reusable by every route)

/** `{"Data":{},"Err":{type,message,other_info}}` with a status. */
export function errorResponse(
  status: number,
  type: number,
  message: string,
  otherInfo: Record<string, unknown> = {},
  headers?: Record<string, string>,
): SimResponse {
  return {
    status,
    body: JSON.stringify({ Data: {}, Err: { type, message, other_info: otherInfo } }),
    headers: { ...JSON_HEADERS, ...headers },
  };
}

/** 400: a required parameter is missing. [inferred] wording; `Err.type` 1. */
export function missingParameter(param: string): SimResponse {
  return errorResponse(400, 1, `Bad request: the ${param} parameter is required.`, { param, values: [] });
}

/** 400: a parameter value is malformed or out of range. [inferred] wording; `Err.type` 1. */
export function invalidParameter(param: string, value: string, reason: string): SimResponse {
  return errorResponse(400, 1, `Bad request: ${param} parameter. Value ${value} ${reason}.`, {
    param,
    values: [value],
  });
}

/** 404: unknown market (message as documented for spot; the futures variant points to the futures markets). */
export function marketNotFound(market: string, kind: MarketKind = 'spot'): SimResponse {
  const { path, label } = MARKET_KIND_WORDING[kind];
  return errorResponse(
    404,
    1,
    `Not found: market parameter. Value ${market} not integrated yet. We list all markets in lowercase and transform the parameter sent, make sure you check the https://data-api.cryptocompare.com/${path}/v1/markets endpoint for a list of all the supported ${label} markets`,
    { param: 'market', values: [market] },
  );
}

/** 404: unknown instrument on a known market. [inferred] wording after the market message. */
export function instrumentNotFound(market: string, instrument: string, kind: MarketKind = 'spot'): SimResponse {
  const { path } = MARKET_KIND_WORDING[kind];
  return errorResponse(
    404,
    1,
    `Not found: instrument parameter. Value ${instrument} not integrated yet on market ${market}. Make sure you check the https://data-api.cryptocompare.com/${path}/v1/markets/instruments?market=${market} endpoint for a list of all the supported instruments`,
    { param: 'instrument', values: [instrument] },
  );
}

/**
 * 404: a known futures contract that has no data of this kind (funding rates on a dated contract,
 * open interest on a contract whose exchange does not publish it). [inferred] status and wording.
 */
export function instrumentHasNoData(market: string, instrument: string, dataset: string): SimResponse {
  return errorResponse(
    404,
    1,
    `Not found: instrument parameter. Value ${instrument} on market ${market} has no ${dataset} data. Make sure you check the https://data-api.cryptocompare.com/futures/v1/markets/instruments?market=${market} endpoint for the instruments with ${dataset} updates`,
    { param: 'instrument', values: [instrument] },
  );
}

/** 404: none of the requested instruments is listed (reference endpoints, `instruments` parameter). [inferred] wording. */
export function instrumentsNotFound(market: string | undefined, instruments: readonly string[], kind: MarketKind) {
  return errorResponse(404, 1, instrumentsNotFoundMessage(market, instruments, kind), {
    param: 'instruments',
    values: [...instruments],
  });
}

export function instrumentsNotFoundMessage(
  market: string | undefined,
  instruments: readonly string[],
  kind: MarketKind,
): string {
  const where = market === undefined ? 'on any market' : `on market ${market}`;
  return `Not found: instruments parameter. Values ${instruments.join(',')} not integrated yet ${where} with the requested instrument_status. Make sure you check the https://data-api.cryptocompare.com/${MARKET_KIND_WORDING[kind].path}/v1/markets/instruments endpoint for a list of all the supported instruments`;
}

/** 404: unknown asset. [inferred] wording; `other_info` `{param:'asset', values}` as for markets. */
export function assetNotFound(asset: string, param = 'asset'): SimResponse {
  return errorResponse(
    404,
    1,
    `Not found: ${param} parameter. Value ${asset} not integrated yet. Make sure you check the https://data-api.cryptocompare.com/asset/v1/top/list endpoint for a list of all the supported assets`,
    { param, values: [asset] },
  );
}

/**
 * `to_ts` is before the instrument's first trade. [inferred] status 400 and wording; documented:
 * the message contains "was not trading" and `other_info.first` is the first available TIMESTAMP.
 */
export function notTradingYet(market: string, instrument: string, toTs: number, first: number): SimResponse {
  return errorResponse(
    400,
    1,
    `Bad request: ${instrument} was not trading on ${market} at ${toTs}. The first available timestamp is ${first}, use a to_ts at or after it.`,
    { param: 'to_ts', values: [String(toTs)], first },
  );
}

/** 401: a key is required (simulator config) and none/an invalid one was sent. [inferred] wording. */
export function unauthorized(keySent: boolean): SimResponse {
  return errorResponse(
    401,
    1,
    keySent
      ? 'Unauthorized: the API key sent is not valid. Send a valid key as authorization: Apikey <key> or &api_key=<key>.'
      : `Unauthorized: you need a valid API key to access this endpoint. ${API_KEY_SENTENCE}`,
  );
}

/** 404: the path is not an API route. [inferred] wording. */
export function pathNotFound(path: string): SimResponse {
  return errorResponse(404, 1, `Not found: the path ${path} does not exist.`, { param: 'path', values: [path] });
}

/** 405: wrong HTTP method. [inferred] wording. */
export function methodNotAllowed(method: string): SimResponse {
  return errorResponse(405, 1, `Method not allowed: ${method} is not supported on this endpoint, use GET.`);
}

/** 429 over quota: `Err.type` 99, "Rate limit excedeed." (sic), usage in `other_info`. */
export function rateLimitExceeded(usage: RateUsage): SimResponse {
  const made = usage.callsMade;
  const max = usage.maxCalls;
  return errorResponse(429, 99, `Rate limit excedeed. ${API_KEY_SENTENCE}`, {
    calls_made: {
      second: made.second,
      minute: made.minute,
      hour: made.hour,
      day: made.day,
      month: made.month,
      total_calls: made.total_calls,
    },
    max_calls: { second: max.second, minute: max.minute, hour: max.hour, day: max.day, month: max.month },
  });
}

/** 500. [inferred] `Err.type` 3 and wording. */
export function serverError(): SimResponse {
  return errorResponse(500, 3, 'Internal server error: we could not handle this request. Please try again later.');
}

/** Temporary ban: 429 with a `Retry-After`. [inferred] wording; `Err.type` 99, empty `other_info`. */
export function temporarilyBanned(seconds: number): SimResponse {
  return errorResponse(
    429,
    99,
    `Your API key / IP is temporarily blocked for ${seconds} seconds because you kept calling while over the rate limit. ${API_KEY_SENTENCE}`,
    {},
    { 'Retry-After': String(seconds) },
  );
}

/** Hard block: 429, documented message (sic "beacuse"), `other_info` empty, no `Retry-After`. */
export function hardBlocked(seconds: number): SimResponse {
  return errorResponse(
    429,
    99,
    `You have been hard blocked for at least ${seconds} seconds beacuse you have made over 3x the allowed monthly limit of calls. ${API_KEY_SENTENCE}`,
  );
}

/** `{"Data":…,"Err":{}}`. */
export function okResponse(data: unknown): SimResponse {
  return { status: 200, body: JSON.stringify({ Data: data, Err: {} }), headers: { ...JSON_HEADERS } };
}

// -------------------------------------------------------------------------------------------------
// Rate-limit headers

function allHeader(values: Record<(typeof RATE_WINDOWS)[number], number>, lead: number): string {
  return [String(lead), ...RATE_WINDOWS.map((w) => `${values[w]};window=${RATE_WINDOW_SECONDS[w]}`)].join(', ');
}

/**
 * `X-RateLimit-Remaining-All` / `X-RateLimit-Reset-All`: `n, n;window=1, …, n;window=2592000`.
 * The leading bare number repeats the month window's value, as in the captured example of
 * api-wire-reference §3.9 (`1220397, …, 1220397;window=2592000`); clients read the per-window
 * entries and ignore it.
 */
export function dataApiRateLimitHeaders(usage: RateUsage): Record<string, string> {
  return {
    'X-RateLimit-Remaining-All': allHeader(usage.remaining, usage.remaining.month),
    'X-RateLimit-Reset-All': allHeader(usage.resetSeconds, usage.resetSeconds.month),
  };
}

// -------------------------------------------------------------------------------------------------
// Parameter parsing

export type Parsed<T> = { ok: true; value: T } | { ok: false; response: SimResponse };

export function parseIntParam(
  query: URLSearchParams,
  name: string,
  fallback: number | undefined,
): Parsed<number | undefined> {
  const raw = query.get(name);
  if (raw === null || raw === '') return { ok: true, value: fallback };
  if (!/^-?\d+$/.test(raw.trim()))
    return { ok: false, response: invalidParameter(name, raw, 'is not a valid integer') };
  const value = Number(raw.trim());
  if (!Number.isSafeInteger(value)) return { ok: false, response: invalidParameter(name, raw, 'is out of range') };
  return { ok: true, value };
}

export function parseBoolParam(query: URLSearchParams, name: string, fallback: boolean): Parsed<boolean> {
  const raw = query.get(name);
  if (raw === null || raw === '') return { ok: true, value: fallback };
  const v = raw.trim().toLowerCase();
  if (v === 'true' || v === '1') return { ok: true, value: true };
  if (v === 'false' || v === '0') return { ok: true, value: false };
  return { ok: false, response: invalidParameter(name, raw, 'is not a boolean (true, false, 1 or 0)') };
}

/**
 * `groups`: a comma list of group names (case-insensitive) → a bit set where group i of `valid` is
 * bit `1 << i`; empty/absent → every group.
 */
export function parseGroups(query: URLSearchParams, valid: readonly string[]): Parsed<number> {
  const all = (1 << valid.length) - 1;
  const raw = query.get('groups');
  if (raw === null || raw.trim() === '') return { ok: true, value: all };
  let bits = 0;
  for (const part of raw.split(',')) {
    const name = part.trim().toUpperCase();
    if (name === '') continue;
    const index = valid.indexOf(name);
    if (index < 0) {
      return {
        ok: false,
        response: invalidParameter('groups', part.trim(), `is not a valid group (valid: ${valid.join(', ')})`),
      };
    }
    bits |= 1 << index;
  }
  return { ok: true, value: bits === 0 ? all : bits };
}

/** Group names → bit set (as `parseGroups`); empty/absent → every group. */
export function groupBits(valid: readonly string[], groups: readonly string[] | undefined): number {
  const all = (1 << valid.length) - 1;
  if (!groups || groups.length === 0) return all;
  let bits = 0;
  for (const g of groups) {
    const index = valid.indexOf(g);
    if (index < 0) throw new Error(`unknown group ${g} (valid: ${valid.join(', ')})`);
    bits |= 1 << index;
  }
  return bits;
}

/** A comma list parameter (trimmed, empty entries dropped); absent → []. */
export function parseListParam(query: URLSearchParams, name: string): string[] {
  const raw = query.get(name);
  if (raw === null) return [];
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}
