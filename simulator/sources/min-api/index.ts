/**
 * The legacy CryptoCompare min-api as the local simulator serves it (mounted at `/min-api`, so the
 * base URL is `http://127.0.0.1:PORT/min-api`). Wire-faithful to `api-wire-reference.md` §2:
 * `{"Response","Message","HasWarning","Type","RateLimit","Data"}` envelopes, errors with **HTTP 200**
 * (Type 2 parameter errors with `ParamWithError`, Type 99 rate limits with usage, Type 0 "Path does
 * not exist"), `limit+1` histo rows with all-zero pre-history rows, 7 days of minute data, the
 * provisional current period, top lists that evolve by UTC day, the coin list (sic "succesfully"),
 * `/data/v4/all/exchanges` whose `histo_minute_start_ts` is each pair's first histo row, and
 * `/stats/rate/limit`.
 *
 * Behaviour that is inferred rather than documented is marked "[inferred]" where it is implemented.
 * The expected-rows generators (`expectedHisto`, `expectedTopList`, …) are pure functions of the
 * catalogue (plus runtime listings) and produce exactly what the routes serve.
 */
import { z } from 'zod';
import type {
  ActiveFault,
  RateLimits,
  RateUsage,
  SimControlContext,
  SimRequest,
  SimResponse,
  SourceSimulator,
} from '../../types';
import { RATE_WINDOWS, RATE_WINDOW_SECONDS } from '../../types';
import {
  CCCAGG,
  DAY_SECONDS,
  MIN_API_EXCHANGES,
  addRuntimePair,
  findExchange,
  findPair,
  isKnownSymbol,
  isoDay,
  listPairs,
  resetRuntimePairs,
  resolveCccagg,
  type SimPair,
} from './catalog';
import { coinList, topList, type CoinListItem, type TopListItem, type TopListKind } from './reference';
import {
  ConversionSeries,
  DirectSeries,
  cccaggSeriesSpec,
  exchangeSeriesSpec,
  isZeroRow,
  type HistoInterval,
  type HistoRow,
  type HistoSeries,
} from './series';

export {
  CCCAGG,
  CONVERSION_SYMBOLS,
  FIAT,
  MIN_API_EXCHANGES,
  allCoins,
  findCoin,
  findConvertedPair,
  findExchange,
  findPair,
  listPairs,
  resolveCccagg,
  type CccaggResolution,
  type SimCoin,
  type SimExchange,
  type SimPair,
} from './catalog';
export {
  TOPLIST_DISPLAY_KEYS,
  TOPLIST_RAW_KEYS,
  snapshotInstant,
  type CoinInfo,
  type CoinListItem,
  type TopListItem,
  type TopListKind,
} from './reference';
export { HISTO_ROW_KEYS, INTERVAL_SECONDS, isZeroRow, zeroRow, type HistoInterval, type HistoRow } from './series';

// -------------------------------------------------------------------------------------------------
// Constants

/** Generous defaults so normal runs never hit them (tests set free-tier numbers through the control API). */
export const MIN_API_DEFAULT_LIMITS: RateLimits = {
  second: 50,
  minute: 2_500,
  hour: 30_000,
  day: 300_000,
  month: 3_000_000,
};

/** Free-tier maxima observed in 2021–2024 (api-wire-reference §2.5), for tests and demos. */
export const MIN_API_FREE_TIER_LIMITS: RateLimits = { second: 20, minute: 300, hour: 3_000, day: 7_500, month: 50_000 };

/** Rows minus one, per route. */
export const HISTO_DEFAULT_LIMIT: Readonly<Record<HistoInterval, number>> = { '1d': 30, '1h': 168, '1m': 1_440 };
export const HISTO_MAX_LIMIT = 2_000;

/** `histominute` serves the last 7 days (older minutes are zero rows). [inferred] exact boundary. */
export const MINUTE_DEPTH_SECONDS = 7 * DAY_SECONDS;

export const TOPLIST_DEFAULT_LIMIT = 10;
/** [inferred] documented as the minimum; smaller limits are raised to it. */
export const TOPLIST_MIN_LIMIT = 10;
export const TOPLIST_MAX_LIMIT = 100;

/** Key a `drift-new-field` fault appends to every histo row. */
export const DRIFT_NEW_FIELD_KEY = 'trades';
/** Key a `drift-missing-field` fault removes from every histo row. */
export const DRIFT_MISSING_FIELD_KEY = 'close';

/** Cooldowns announced by `ban` / `hard-block` faults without `retryAfterSeconds`. */
export const DEFAULT_BAN_COOLDOWN_SECONDS = 60;
export const DEFAULT_HARD_BLOCK_COOLDOWN_SECONDS = 86_400;

export const RATE_LIMIT_MESSAGE = 'You are over your rate limit please upgrade your account!';
/** The message of the cooldown body (observed with `Cooldown`, api-wire-reference S4). */
export const API_KEY_MESSAGE =
  'Please use an API key for your calls. To get an API key, go to https://www.cryptocompare.com/cryptopian/api-keys register, create a key and add it to your requests as either ? or &api_key=<generated key>.';

/** Headers of a keyless call (api-wire-reference §2.5, BittyTax#381). */
export const KEYLESS_HEADERS: Readonly<Record<string, string>> = {
  'Access-Control-Allow-Origin': '*',
  'Cache-Control': 'no-cache, no-store',
  'X-CryptoCompare-Cache-HIT': 'false',
  'X-CryptoCompare-Server-Id': 'cc-api-min-v2-27',
};

const ROUTE_INTERVAL: Readonly<Record<string, HistoInterval>> = {
  histoday: '1d',
  histohour: '1h',
  histominute: '1m',
};
const JSON_HEADERS = { 'Content-Type': 'application/json; charset=UTF-8' } as const;

// -------------------------------------------------------------------------------------------------
// Bodies

function json(body: unknown): SimResponse {
  return { status: 200, body: JSON.stringify(body), headers: { ...JSON_HEADERS } };
}

/**
 * The min-api error envelope, HTTP 200: `{"Response":"Error","Message","HasWarning":false,"Type",
 * "RateLimit":{},"Data":{}}` plus `ParamWithError` when a parameter is at fault.
 */
export function errorResponse(message: string, type: number, paramWithError?: string): SimResponse {
  return json({
    Response: 'Error',
    Message: message,
    HasWarning: false,
    Type: type,
    RateLimit: {},
    Data: {},
    ...(paramWithError !== undefined ? { ParamWithError: paramWithError } : {}),
  });
}

/** Type 2 `<param> is a required param.` with `ParamWithError`. */
export function missingParam(param: string): SimResponse {
  return errorResponse(`${param} is a required param.`, 2, param);
}

/** Type 2 `<Exchange> market does not exist for this coin pair (FSYM-TSYM)`. */
export function marketDoesNotExist(exchange: string, fsym: string, tsym: string): SimResponse {
  return errorResponse(`${exchange} market does not exist for this coin pair (${fsym}-${tsym})`, 2);
}

/** The documented 4-key body for an unknown path (HTTP 200). */
export function pathDoesNotExist(): SimResponse {
  return json({ Response: 'Error', Message: 'Path does not exist', Type: 0, Data: {} });
}

/** Type 99 over-quota body with the caller's usage (HTTP 200). */
export function rateLimitedResponse(usage: RateUsage): SimResponse {
  const made = usage.callsMade;
  const max = usage.maxCalls;
  return json({
    Response: 'Error',
    Message: RATE_LIMIT_MESSAGE,
    HasWarning: false,
    Type: 99,
    RateLimit: {
      calls_made: {
        second: made.second,
        minute: made.minute,
        hour: made.hour,
        day: made.day,
        month: made.month,
        total_calls: made.total_calls,
      },
      max_calls: { second: max.second, minute: max.minute, hour: max.hour, day: max.day, month: max.month },
    },
    Data: {},
  });
}

/**
 * A ban: Type 99, HTTP 200, no usage, `Cooldown` seconds after `Data` (key placement as in a 2025
 * capture of a Type 2 body carrying `"Cooldown":0`). The temporary ban uses the message observed with
 * a cooldown (S4); [inferred] the hard block names itself in the Data API's hard-block wording.
 */
export function cooldownResponse(kind: 'ban' | 'hard-block', seconds: number): SimResponse {
  const message =
    kind === 'ban'
      ? API_KEY_MESSAGE
      : `You have been hard blocked for at least ${seconds} seconds beacuse you have made over 3x the allowed monthly limit of calls. ${API_KEY_MESSAGE}`;
  return json({
    Response: 'Error',
    Message: message,
    HasWarning: false,
    Type: 99,
    RateLimit: {},
    Data: {},
    Cooldown: seconds,
  });
}

/** [inferred] A server error as the proxy in front of min-api answers it: 502 with an HTML page. */
export function badGateway(): SimResponse {
  return {
    status: 502,
    body: '<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n',
    headers: { 'Content-Type': 'text/html' },
  };
}

// -------------------------------------------------------------------------------------------------
// Rate-limit headers and usage

function allHeader(values: Record<(typeof RATE_WINDOWS)[number], number>, lead: number): string {
  return [String(lead), ...RATE_WINDOWS.map((w) => `${values[w]};window=${RATE_WINDOW_SECONDS[w]}`)].join(', ');
}

/**
 * With an API key: `X-RateLimit-Remaining-All` / `X-RateLimit-Reset-All` in the Data API's format
 * (`n, n;window=1, …, n;window=2592000`, the lead value repeating the month window). Without a key:
 * the keyless headers of §2.5 and no `X-RateLimit-*`.
 */
export function minApiRateLimitHeaders(usage: RateUsage, keySent: boolean): Record<string, string> {
  if (!keySent) return { ...KEYLESS_HEADERS };
  return {
    'Access-Control-Allow-Origin': '*',
    'X-RateLimit-Remaining-All': allHeader(usage.remaining, usage.remaining.month),
    'X-RateLimit-Reset-All': allHeader(usage.resetSeconds, usage.resetSeconds.month),
  };
}

/** `/stats/rate/limit` reports the caller's usage including the call itself (the core passes it). */
function statsRateLimit(req: SimRequest): SimResponse {
  const render = (): string => {
    const { callsMade, maxCalls } = req.usage!;
    const made = {} as Record<(typeof RATE_WINDOWS)[number], number>;
    const left = {} as Record<(typeof RATE_WINDOWS)[number], number>;
    for (const w of RATE_WINDOWS) {
      made[w] = callsMade[w];
      left[w] = Math.max(0, maxCalls[w] - callsMade[w]);
    }
    return JSON.stringify({
      Response: 'Success',
      Message: '',
      HasWarning: false,
      Type: 100,
      RateLimit: {},
      Data: { calls_made: made, calls_left: left },
    });
  };
  return { status: 200, headers: { ...JSON_HEADERS }, body: render() };
}

// -------------------------------------------------------------------------------------------------
// Series resolution

interface ResolvedSeries {
  /** Exchange name as the error messages spell it. */
  readonly exchange: string;
  /** First trade; the pair does not exist before it. */
  readonly start: number;
  readonly series: HistoSeries;
}

function cccaggDirectSeries(fsym: string, tsym: string, interval: HistoInterval): DirectSeries | undefined {
  const res = resolveCccagg(fsym, tsym, false);
  return res?.kind === 'direct' ? new DirectSeries(cccaggSeriesSpec(res), interval) : undefined;
}

/**
 * The series `e=exchange` serves for fsym-tsym at an interval (clock-independent), or undefined when
 * that market does not exist. `exchange` is matched case-insensitively; CCCAGG converts through BTC/ETH
 * unless `tryConversion` is false.
 */
export function resolveSeries(
  exchange: string,
  fsym: string,
  tsym: string,
  interval: HistoInterval,
  tryConversion = true,
): ResolvedSeries | undefined {
  if (exchange.toUpperCase() === CCCAGG) {
    const res = resolveCccagg(fsym, tsym, tryConversion);
    if (!res) return undefined;
    if (res.kind === 'direct') {
      return { exchange: CCCAGG, start: res.start, series: new DirectSeries(cccaggSeriesSpec(res), interval) };
    }
    const first = cccaggDirectSeries(fsym, res.via, interval);
    const second = cccaggDirectSeries(res.via, tsym, interval);
    if (!first || !second) return undefined;
    return { exchange: CCCAGG, start: res.start, series: new ConversionSeries(fsym, tsym, res.via, first, second) };
  }
  const ex = findExchange(exchange);
  if (!ex) return undefined;
  const pair = findPair(ex.name, fsym, tsym);
  if (!pair) return undefined;
  return { exchange: ex.name, start: pair.start, series: new DirectSeries(exchangeSeriesSpec(pair), interval) };
}

function requireSeries(
  exchange: string,
  fsym: string,
  tsym: string,
  interval: HistoInterval,
  tryConversion: boolean,
): ResolvedSeries {
  const resolved = resolveSeries(exchange, fsym.toUpperCase(), tsym.toUpperCase(), interval, tryConversion);
  if (!resolved) throw new Error(`the min-api simulator has no ${exchange} market for ${fsym}-${tsym}`);
  return resolved;
}

/**
 * A pair's listing instant (its first trade, = `histo_minute_start_ts`): the first non-zero histo row
 * of any interval is the period containing it. For CCCAGG: the earliest exchange listing, or for a
 * converted pair the later leg's. Throws for a market the simulator does not have.
 */
export function pairStart(exchange: string, fsym: string, tsym: string, tryConversion = true): number {
  return requireSeries(exchange, fsym, tsym, '1d', tryConversion).start;
}

export interface ExpectedHistoOptions {
  /**
   * The simulator clock of the request(s): periods not closed by then are left out, and for `1m`
   * so are minutes older than the 7-day depth (they are served as zero rows).
   */
  readonly nowSeconds?: number;
  /** As the `tryConversion` parameter (default true; only matters for CCCAGG). */
  readonly tryConversion?: boolean;
}

/**
 * The exact wire rows `/data/v2/histo{day,hour,minute}?e=exchange&fsym&tsym` serves for every period
 * that overlaps [fromTs, toTsExclusive) — i.e. from the period containing `fromTs` to the last one
 * starting before `toTsExclusive` — once those periods are closed (final values), ascending. All-zero
 * pre-history rows are not included, so `fromTs = pairStart(...)` yields the first row the pipeline
 * can store.
 */
export function expectedHisto(
  exchange: string,
  fsym: string,
  tsym: string,
  interval: HistoInterval,
  fromTs: number,
  toTsExclusive: number,
  options: ExpectedHistoOptions = {},
): HistoRow[] {
  const { series } = requireSeries(exchange, fsym, tsym, interval, options.tryConversion ?? true);
  const L = series.periodSeconds;
  let first = Math.max(Math.floor(fromTs / L) * L, series.firstStart);
  let last = Math.ceil(toTsExclusive / L) * L - L;
  let zeroBefore: number | undefined;
  if (options.nowSeconds !== undefined) {
    const nowStart = Math.floor(options.nowSeconds / L) * L;
    last = Math.min(last, nowStart - L);
    if (interval === '1m') {
      zeroBefore = nowStart - MINUTE_DEPTH_SECONDS;
      first = Math.max(first, zeroBefore);
    }
  }
  if (last < first) return [];
  return series.rows(first, last, undefined, zeroBefore).filter((r) => !isZeroRow(r));
}

// -------------------------------------------------------------------------------------------------
// Row faults

type MutableRow = Record<string, unknown>;

/** Applies a row-level fault (`drift-*`, `bad-row`) to the histo rows about to be served. */
function applyRowFault(rows: HistoRow[], fault: ActiveFault | undefined): void {
  if (!fault || rows.length === 0) return;
  switch (fault.kind) {
    case 'drift-new-field':
      for (const row of rows) (row as unknown as MutableRow)[DRIFT_NEW_FIELD_KEY] = 0;
      return;
    case 'drift-missing-field':
      for (const row of rows) delete (row as unknown as MutableRow)[DRIFT_MISSING_FIELD_KEY];
      return;
    case 'bad-row': {
      // Exactly one row, never an all-zero one: the middle row with volume, else the middle non-zero
      // row. [inferred] A page of zero rows only is served clean.
      const traded = rows.filter((r) => r.volumefrom > 0);
      const pool = traded.length > 0 ? traded : rows.filter((r) => !isZeroRow(r));
      const row = pool[Math.floor(pool.length / 2)];
      if (row) corruptRow(row as unknown as MutableRow, fault.badRow ?? 'high-below-low');
      return;
    }
    default:
      return;
  }
}

function corruptRow(row: MutableRow, kind: NonNullable<ActiveFault['badRow']>): void {
  switch (kind) {
    case 'high-below-low': {
      const high = Number(row.high);
      const low = Number(row.low);
      if (high > low) {
        row.high = low;
        row.low = high;
      } else {
        row.high = low * 0.99;
      }
      return;
    }
    case 'negative-volume': {
      const v = Number(row.volumefrom);
      row.volumefrom = v > 0 ? -v : -1.5;
      return;
    }
    case 'misaligned-ts':
      row.time = Number(row.time) + 1;
      return;
    case 'ms-timestamp':
      row.time = Number(row.time) * 1000;
      return;
    case 'nan-string':
      row.close = 'NaN';
      return;
  }
}

// -------------------------------------------------------------------------------------------------
// Parameter parsing

type Parsed<T> = { ok: true; value: T } | { ok: false; response: SimResponse };

/** [inferred] wording: a parameter that must be an integer is not one (Type 2, `ParamWithError`). */
function parseIntParam(query: URLSearchParams, name: string, fallback: number): Parsed<number> {
  const raw = query.get(name)?.trim();
  if (raw === undefined || raw === '') return { ok: true, value: fallback };
  if (!/^-?\d+$/.test(raw) || !Number.isSafeInteger(Number(raw))) {
    return { ok: false, response: errorResponse(`${name} param is not a valid integer.`, 2, name) };
  }
  return { ok: true, value: Number(raw) };
}

/** [inferred] `toTs` accepts any number of seconds (a fraction is floored). */
function parseTimestamp(query: URLSearchParams, name: string): Parsed<number | undefined> {
  const raw = query.get(name)?.trim();
  if (raw === undefined || raw === '') return { ok: true, value: undefined };
  const value = Number(raw);
  if (!/^-?\d+(\.\d+)?$/.test(raw) || !Number.isFinite(value)) {
    return { ok: false, response: errorResponse(`${name} param is not a valid timestamp.`, 2, name) };
  }
  return { ok: true, value: Math.floor(value) };
}

/** [inferred] Lenient, like most min-api flags: only `false` / `0` turn a default-true flag off. */
function flagParam(query: URLSearchParams, name: string, fallback: boolean): boolean {
  const raw = query.get(name)?.trim().toLowerCase();
  if (raw === undefined || raw === '') return fallback;
  if (raw === 'false' || raw === '0') return false;
  if (raw === 'true' || raw === '1') return true;
  return fallback;
}

function symbolParam(query: URLSearchParams, name: string): string | undefined {
  const raw = query.get(name)?.trim();
  return raw ? raw.toUpperCase() : undefined;
}

// -------------------------------------------------------------------------------------------------
// Routes

/** The served histo page: limit+1 rows ending at the period containing `toTs` (at most the current one). */
function histo(req: SimRequest, interval: HistoInterval): SimResponse {
  const q = req.query;
  const fsym = symbolParam(q, 'fsym');
  if (!fsym) return missingParam('fsym');
  const tsym = symbolParam(q, 'tsym');
  if (!tsym) return missingParam('tsym');

  const limitP = parseIntParam(q, 'limit', HISTO_DEFAULT_LIMIT[interval]);
  if (!limitP.ok) return limitP.response;
  const limit = limitP.value;
  if (limit > HISTO_MAX_LIMIT) return errorResponse('limit is larger than max value', 2, 'limit');
  // [inferred] wording, after the documented maximum message.
  if (limit < 1) return errorResponse('limit is smaller than min value', 2, 'limit');

  const toTsP = parseTimestamp(q, 'toTs');
  if (!toTsP.ok) return toTsP.response;

  const aggregateP = parseIntParam(q, 'aggregate', 1);
  if (!aggregateP.ok) return aggregateP.response;
  // [inferred limitation] The simulator serves base periods only.
  if (aggregateP.value !== 1) {
    return errorResponse('aggregate is not supported by the simulator: only aggregate=1 is served.', 2, 'aggregate');
  }

  const tryConversion = flagParam(q, 'tryConversion', true);
  const e = q.get('e')?.trim() || CCCAGG;
  const resolved = resolveSeries(e, fsym, tsym, interval, tryConversion);
  const exchangeName = e.toUpperCase() === CCCAGG ? CCCAGG : (findExchange(e)?.name ?? e);
  // A market exists from its listing on: before that, the pair is unknown (as it was then).
  if (!resolved || resolved.start > req.nowSeconds) return marketDoesNotExist(exchangeName, fsym, tsym);

  const { series } = resolved;
  const L = series.periodSeconds;
  const now = req.nowSeconds;
  const nowStart = Math.floor(now / L) * L;
  // Inclusive: the page ends at the period containing toTs, never after the current period. [inferred] clamp.
  const end = Math.min(Math.floor((toTsP.value ?? now) / L) * L, nowStart);
  // `allData` (histoday only): the whole history with data, ignoring limit.
  const first =
    interval === '1d' && flagParam(q, 'allData', false) ? Math.min(series.firstStart, end) : end - limit * L;
  const zeroBefore = interval === '1m' ? nowStart - MINUTE_DEPTH_SECONDS : undefined;
  const rows = series.rows(first, end, now, zeroBefore);
  applyRowFault(rows, req.fault);
  return json({
    Response: 'Success',
    Message: '',
    HasWarning: false,
    Type: 100,
    RateLimit: {},
    Data: { Aggregated: false, TimeFrom: first, TimeTo: end, Data: rows },
  });
}

function topListRoute(req: SimRequest, kind: TopListKind): SimResponse {
  const q = req.query;
  const tsym = symbolParam(q, 'tsym');
  if (!tsym) return missingParam('tsym');
  // [inferred] wording and Type for a currency the simulator cannot price.
  if (!isKnownSymbol(tsym)) return errorResponse(`tsym param is invalid: ${tsym} is not a known currency.`, 2, 'tsym');
  const limitRaw = Number(q.get('limit') ?? TOPLIST_DEFAULT_LIMIT);
  const limit = Number.isInteger(limitRaw)
    ? Math.min(TOPLIST_MAX_LIMIT, Math.max(TOPLIST_MIN_LIMIT, limitRaw))
    : TOPLIST_DEFAULT_LIMIT;
  const pageRaw = Number(q.get('page') ?? 0);
  const page = Number.isInteger(pageRaw) && pageRaw > 0 ? pageRaw : 0;
  const list = topList(kind, tsym, req.nowSeconds);
  return json({
    Message: 'Success',
    Type: 100,
    MetaData: { Count: list.length },
    SponsoredData: [],
    Data: list.slice(page * limit, page * limit + limit),
    RateLimit: {},
    HasWarning: false,
  });
}

function coinListRoute(req: SimRequest): SimResponse {
  const raw = req.query.get('fsym')?.trim();
  const symbols = raw ? new Set(raw.split(',').map((s) => s.trim().toUpperCase())) : undefined;
  return json({
    Response: 'Success',
    Message: 'Coin list succesfully returned!',
    Data: coinList(req.nowSeconds, symbols),
    RateLimit: {},
    HasWarning: false,
    Type: 100,
  });
}

export interface ExchangesFilter {
  /** Only pairs with this base (case-insensitive). */
  readonly fsym?: string;
  /** Only this exchange (case-insensitive; an unknown one gives no exchanges). */
  readonly e?: string;
  /** Only top-tier exchanges. */
  readonly topTier?: boolean;
}

export interface ExchangePairWire {
  histo_minute_start_ts: number;
  histo_minute_start: string;
  histo_minute_end_ts: number;
  histo_minute_end: string;
  isActive: boolean;
}

export interface ExchangeWire {
  isActive: boolean;
  isTopTier: boolean;
  pairs: Record<string, { tsyms: Record<string, ExchangePairWire> }>;
}

function pairWire(p: SimPair, nowSeconds: number): ExchangePairWire {
  const active = p.end === undefined || p.end > nowSeconds;
  const end = active ? nowSeconds : (p.end ?? nowSeconds);
  return {
    histo_minute_start_ts: p.start,
    histo_minute_start: isoDay(p.start),
    histo_minute_end_ts: end,
    histo_minute_end: isoDay(end),
    isActive: active,
  };
}

/**
 * `Data.exchanges` of `/data/v4/all/exchanges` at `nowSeconds`: every exchange (alphabetical) with the
 * pairs listed by then (fsym, then tsym, alphabetical). `histo_minute_start_ts` is the pair's first
 * trade (= `pairStart`); active pairs end "now", delisted ones at their last trade.
 */
export function expectedExchanges(nowSeconds: number, filter: ExchangesFilter = {}): Record<string, ExchangeWire> {
  const fsym = filter.fsym?.toUpperCase();
  const out: Record<string, ExchangeWire> = {};
  for (const name of MIN_API_EXCHANGES) {
    const ex = findExchange(name);
    if (!ex) continue;
    if (filter.e !== undefined && filter.e.toLowerCase() !== name.toLowerCase()) continue;
    if (filter.topTier && !ex.isTopTier) continue;
    const pairs: ExchangeWire['pairs'] = {};
    for (const p of listPairs(name)) {
      if (p.start > nowSeconds || (fsym !== undefined && p.fsym !== fsym)) continue;
      const entry = (pairs[p.fsym] ??= { tsyms: {} });
      entry.tsyms[p.tsym] = pairWire(p, nowSeconds);
    }
    out[name] = { isActive: ex.end === undefined || ex.end > nowSeconds, isTopTier: ex.isTopTier, pairs };
  }
  return out;
}

function exchangesRoute(req: SimRequest): SimResponse {
  const q = req.query;
  const filter: ExchangesFilter = {
    fsym: q.get('fsym')?.trim() || undefined,
    e: q.get('e')?.trim() || undefined,
    topTier: flagParam(q, 'topTier', false),
  };
  return json({
    Response: 'Success',
    Message: '',
    HasWarning: false,
    Type: 100,
    RateLimit: {},
    Data: { exchanges: expectedExchanges(req.nowSeconds, filter) },
  });
}

/** Full `Data` list of a top list as of UTC day `dayUtcSeconds` (any second of it); pages are slices. */
export function expectedTopList(kind: TopListKind, tsym: string, dayUtcSeconds: number): TopListItem[] {
  return topList(kind, tsym.toUpperCase(), dayUtcSeconds);
}

/** `Data` of `/data/all/coinlist` as served on UTC day `dayUtcSeconds` (every coin when omitted). */
export function expectedCoinList(dayUtcSeconds?: number): Record<string, CoinListItem> {
  return coinList(dayUtcSeconds);
}

const HISTO_ROUTE = /^\/data\/v2\/(histoday|histohour|histominute)\/?$/;
const TOPLIST_ROUTE = /^\/data\/top\/(mktcapfull|totalvolfull)\/?$/;

function handle(req: SimRequest): SimResponse {
  // [inferred] Only GET is routed; anything else is "Path does not exist".
  if (req.method !== 'GET') return pathDoesNotExist();
  const path = req.path;
  const h = HISTO_ROUTE.exec(path);
  if (h) {
    const interval = ROUTE_INTERVAL[h[1] ?? ''];
    return interval ? histo(req, interval) : pathDoesNotExist();
  }
  const top = TOPLIST_ROUTE.exec(path);
  if (top) return topListRoute(req, top[1] === 'totalvolfull' ? 'totalvolfull' : 'mktcapfull');
  const bare = path.replace(/\/+$/, '');
  if (bare === '/data/all/coinlist') return coinListRoute(req);
  if (bare === '/data/v4/all/exchanges') return exchangesRoute(req);
  if (bare === '/stats/rate/limit') return statsRateLimit(req);
  return pathDoesNotExist();
}

// -------------------------------------------------------------------------------------------------
// Control routes (`/__sim/min-api/...`)

const ListPairBodySchema = z.strictObject({
  exchange: z.string().min(1),
  fsym: z.string().min(1),
  tsym: z.string().min(1),
  startTs: z.number().int().nonnegative().optional(),
});

function controlJson(status: number, value: unknown): SimResponse {
  return { status, body: JSON.stringify(value), headers: { ...JSON_HEADERS } };
}

function controlError(status: number, message: string): SimResponse {
  return controlJson(status, { error: message });
}

function zodMessage(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.length ? i.path.join('.') : 'body'}: ${i.message}`).join('; ');
}

/**
 * `POST /__sim/min-api/pairs {exchange, fsym, tsym, startTs?}` lists a pair at runtime (201
 * `{pair}`); `GET /__sim/min-api/pairs/<exchange>` lists an exchange's pairs.
 */
function control(path: string, body: unknown, ctx: SimControlContext): SimResponse | undefined {
  const segments = path.split('/').filter((s) => s !== '');
  if (segments[0] !== 'pairs') return undefined;
  if (segments.length === 1) {
    if (ctx.method !== 'POST' && ctx.method !== 'PUT')
      return controlError(405, `${ctx.method} not allowed on /pairs (POST)`);
    const parsed = ListPairBodySchema.safeParse(body);
    if (!parsed.success) return controlError(400, `invalid pair listing: ${zodMessage(parsed.error)}`);
    try {
      return controlJson(201, { pair: addRuntimePair(parsed.data, ctx.nowSeconds) });
    } catch (err) {
      return controlError(400, err instanceof Error ? err.message : String(err));
    }
  }
  if (segments.length === 2 && ctx.method === 'GET') {
    const ex = findExchange(decodeURIComponent(segments[1] ?? ''));
    if (!ex) return controlError(404, `unknown exchange ${segments[1]} (known: ${MIN_API_EXCHANGES.join(', ')})`);
    return controlJson(200, { exchange: ex.name, pairs: listPairs(ex.name) });
  }
  return undefined;
}

// -------------------------------------------------------------------------------------------------

export const minApiSimulator: SourceSimulator = {
  id: 'min-api',
  defaultLimits: MIN_API_DEFAULT_LIMITS,
  handle,
  renderRateLimited: (usage) => rateLimitedResponse(usage),
  renderFault(kind, fault) {
    switch (kind) {
      case 'server-error':
        return badGateway();
      case 'ban':
        return cooldownResponse('ban', fault.retryAfterSeconds ?? DEFAULT_BAN_COOLDOWN_SECONDS);
      case 'hard-block':
        return cooldownResponse('hard-block', fault.retryAfterSeconds ?? DEFAULT_HARD_BLOCK_COOLDOWN_SECONDS);
    }
  },
  rateLimitHeaders(usage, req) {
    return minApiRateLimitHeaders(usage, req.apiKey !== undefined);
  },
  reset() {
    resetRuntimePairs();
  },
  control,
};
