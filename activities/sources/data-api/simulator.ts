/**
 * The CoinDesk Data API as the local simulator serves it (mounted at `/data-api`). Wire-faithful
 * to `api-wire-reference.md` §3: `{"Data":…,"Err":{}}` envelopes, row keys in the served order,
 * filler rows without `*_TRADE_*` keys, exact `limit` semantics, `{Data:{},Err:{type,message,
 * other_info}}` error bodies with the documented status codes, and `X-RateLimit-*-All` headers.
 *
 * Behaviour that is inferred rather than documented is marked "[inferred]" where it is implemented.
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
} from '../../../simulator/types';
import { RATE_WINDOWS, RATE_WINDOW_SECONDS } from '../../../simulator/types';
import {
  addRuntimeInstrument,
  findInstrument,
  isSimMarket,
  listInstruments,
  resetRuntimeInstruments,
  type SimInstrument,
} from './sim-catalog';
import { SpotSeries, type SimCandle, type SimInterval } from './sim-series';

export { INTERVAL_SECONDS, type SimInterval } from './sim-series';

// -------------------------------------------------------------------------------------------------
// Wire types and constants

export type SpotUnit = 'MINUTE' | 'HOUR' | 'DAY';

/** One spot OHLCV row as served (TYPE "954"); trade keys are absent on filler rows. */
export interface SpotCandleWire {
  UNIT: SpotUnit;
  TIMESTAMP: number;
  TYPE?: '954';
  MARKET?: string;
  INSTRUMENT?: string;
  MAPPED_INSTRUMENT?: string;
  BASE?: string;
  QUOTE?: string;
  BASE_ID?: number;
  QUOTE_ID?: number;
  TRANSFORM_FUNCTION?: string;
  OPEN?: number;
  HIGH?: number;
  LOW?: number;
  CLOSE?: number;
  FIRST_TRADE_TIMESTAMP?: number;
  LAST_TRADE_TIMESTAMP?: number;
  FIRST_TRADE_PRICE?: number;
  HIGH_TRADE_PRICE?: number;
  HIGH_TRADE_TIMESTAMP?: number;
  LOW_TRADE_PRICE?: number;
  LOW_TRADE_TIMESTAMP?: number;
  LAST_TRADE_PRICE?: number;
  TOTAL_TRADES?: number;
  TOTAL_TRADES_BUY?: number;
  TOTAL_TRADES_SELL?: number;
  TOTAL_TRADES_UNKNOWN?: number;
  VOLUME?: number;
  QUOTE_VOLUME?: number;
  VOLUME_BUY?: number;
  QUOTE_VOLUME_BUY?: number;
  VOLUME_SELL?: number;
  QUOTE_VOLUME_SELL?: number;
  VOLUME_UNKNOWN?: number;
  QUOTE_VOLUME_UNKNOWN?: number;
}

/** Every key of a full spot row, in the order the API serves them. */
export const SPOT_ROW_KEYS = [
  'UNIT',
  'TIMESTAMP',
  'TYPE',
  'MARKET',
  'INSTRUMENT',
  'MAPPED_INSTRUMENT',
  'BASE',
  'QUOTE',
  'BASE_ID',
  'QUOTE_ID',
  'TRANSFORM_FUNCTION',
  'OPEN',
  'HIGH',
  'LOW',
  'CLOSE',
  'FIRST_TRADE_TIMESTAMP',
  'LAST_TRADE_TIMESTAMP',
  'FIRST_TRADE_PRICE',
  'HIGH_TRADE_PRICE',
  'HIGH_TRADE_TIMESTAMP',
  'LOW_TRADE_PRICE',
  'LOW_TRADE_TIMESTAMP',
  'LAST_TRADE_PRICE',
  'TOTAL_TRADES',
  'TOTAL_TRADES_BUY',
  'TOTAL_TRADES_SELL',
  'TOTAL_TRADES_UNKNOWN',
  'VOLUME',
  'QUOTE_VOLUME',
  'VOLUME_BUY',
  'QUOTE_VOLUME_BUY',
  'VOLUME_SELL',
  'QUOTE_VOLUME_SELL',
  'VOLUME_UNKNOWN',
  'QUOTE_VOLUME_UNKNOWN',
] as const;

/** The `*_TRADE_*` keys, absent on filler rows. */
export const SPOT_TRADE_KEYS = SPOT_ROW_KEYS.filter((k) => k.includes('_TRADE_'));

export const SPOT_GROUPS = ['ID', 'MAPPING', 'MAPPING_ADVANCED', 'OHLC', 'OHLC_TRADE', 'TRADE', 'VOLUME'] as const;
export type SpotGroup = (typeof SPOT_GROUPS)[number];

/** `limit` maxima per interval. */
export const SPOT_MAX_LIMIT: Readonly<Record<SimInterval, number>> = { '1d': 5_000, '1h': 2_000, '1m': 2_000 };
export const SPOT_DEFAULT_LIMIT = 30;

/** Generous defaults so normal runs never hit them (tests lower them through the control API). */
export const DATA_API_DEFAULT_LIMITS: RateLimits = {
  second: 50,
  minute: 2_500,
  hour: 30_000,
  day: 300_000,
  month: 3_000_000,
};

/** Key a `drift-new-field` fault appends to every row. */
export const DRIFT_NEW_FIELD_KEY = 'TOTAL_TRADES_BLOCK';
/** Key a `drift-missing-field` fault removes from every row. */
export const DRIFT_MISSING_FIELD_KEY = 'HIGH';

const UNIT_OF: Readonly<Record<SimInterval, SpotUnit>> = { '1m': 'MINUTE', '1h': 'HOUR', '1d': 'DAY' };
const ROUTE_INTERVAL: Readonly<Record<string, SimInterval>> = { minutes: '1m', hours: '1h', days: '1d' };
const JSON_HEADERS = { 'Content-Type': 'application/json; charset=UTF-8' } as const;

const API_KEY_SENTENCE =
  'Please use an API key for your calls. To get an API key, go to https://www.cryptocompare.com/cryptopian/api-keys register, create a key and add it to your requests as either ? or &api_key=<generated key>.';

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

/** 404: unknown market (message as documented). */
export function marketNotFound(market: string): SimResponse {
  return errorResponse(
    404,
    1,
    `Not found: market parameter. Value ${market} not integrated yet. We list all markets in lowercase and transform the parameter sent, make sure you check the https://data-api.cryptocompare.com/spot/v1/markets endpoint for a list of all the supported TRADE_SPOT markets`,
    { param: 'market', values: [market] },
  );
}

/** 404: unknown instrument on a known market. [inferred] wording after the market message. */
export function instrumentNotFound(market: string, instrument: string): SimResponse {
  return errorResponse(
    404,
    1,
    `Not found: instrument parameter. Value ${instrument} not integrated yet on market ${market}. Make sure you check the https://data-api.cryptocompare.com/spot/v1/markets/instruments?market=${market} endpoint for a list of all the supported instruments`,
    { param: 'instrument', values: [instrument] },
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
// Runtime configuration (control API)

interface DataApiConfig {
  requireKey: boolean;
  /** When non-empty, only these keys are valid; when empty, any non-empty key is. */
  validKeys: string[];
}

const DEFAULT_CONFIG: DataApiConfig = { requireKey: false, validKeys: [] };
let config: DataApiConfig = { ...DEFAULT_CONFIG, validKeys: [] };

const ConfigBodySchema = z.strictObject({
  requireKey: z.boolean().optional(),
  validKeys: z.array(z.string().min(1)).nullable().optional(),
});

const ListInstrumentBodySchema = z.strictObject({
  market: z.string().min(1),
  instrument: z.string().min(1),
  listedAt: z.number().int().nonnegative().optional(),
  nativeInstrument: z.string().min(1).optional(),
});

// -------------------------------------------------------------------------------------------------
// Rows

const G_ID = 1;
const G_MAPPING = 2;
const G_MAPPING_ADVANCED = 4;
const G_OHLC = 8;
const G_OHLC_TRADE = 16;
const G_TRADE = 32;
const G_VOLUME = 64;
const G_ALL = 127;
const GROUP_BITS: Readonly<Record<SpotGroup, number>> = {
  ID: G_ID,
  MAPPING: G_MAPPING,
  MAPPING_ADVANCED: G_MAPPING_ADVANCED,
  OHLC: G_OHLC,
  OHLC_TRADE: G_OHLC_TRADE,
  TRADE: G_TRADE,
  VOLUME: G_VOLUME,
};

function toWire(c: SimCandle, inst: SimInstrument, unit: SpotUnit, groups: number): SpotCandleWire {
  const row: SpotCandleWire = { UNIT: unit, TIMESTAMP: c.timestamp };
  if (groups & G_ID) {
    row.TYPE = '954';
    row.MARKET = inst.market;
    row.INSTRUMENT = inst.native;
  }
  if (groups & G_MAPPING) {
    row.MAPPED_INSTRUMENT = inst.mapped;
    row.BASE = inst.base;
    row.QUOTE = inst.quote;
  }
  if (groups & G_MAPPING_ADVANCED) {
    row.BASE_ID = inst.baseId;
    row.QUOTE_ID = inst.quoteId;
    row.TRANSFORM_FUNCTION = '';
  }
  if (groups & G_OHLC) {
    row.OPEN = c.open;
    row.HIGH = c.high;
    row.LOW = c.low;
    row.CLOSE = c.close;
  }
  if (groups & G_OHLC_TRADE && c.trades) {
    const t = c.trades;
    row.FIRST_TRADE_TIMESTAMP = t.firstTradeTimestamp;
    row.LAST_TRADE_TIMESTAMP = t.lastTradeTimestamp;
    row.FIRST_TRADE_PRICE = t.firstTradePrice;
    row.HIGH_TRADE_PRICE = t.highTradePrice;
    row.HIGH_TRADE_TIMESTAMP = t.highTradeTimestamp;
    row.LOW_TRADE_PRICE = t.lowTradePrice;
    row.LOW_TRADE_TIMESTAMP = t.lowTradeTimestamp;
    row.LAST_TRADE_PRICE = t.lastTradePrice;
  }
  if (groups & G_TRADE) {
    row.TOTAL_TRADES = c.totalTrades;
    row.TOTAL_TRADES_BUY = c.totalTradesBuy;
    row.TOTAL_TRADES_SELL = c.totalTradesSell;
    row.TOTAL_TRADES_UNKNOWN = c.totalTradesUnknown;
  }
  if (groups & G_VOLUME) {
    row.VOLUME = c.volume;
    row.QUOTE_VOLUME = c.quoteVolume;
    row.VOLUME_BUY = c.volumeBuy;
    row.QUOTE_VOLUME_BUY = c.quoteVolumeBuy;
    row.VOLUME_SELL = c.volumeSell;
    row.QUOTE_VOLUME_SELL = c.quoteVolumeSell;
    row.VOLUME_UNKNOWN = c.volumeUnknown;
    row.QUOTE_VOLUME_UNKNOWN = c.quoteVolumeUnknown;
  }
  return row;
}

type MutableRow = Record<string, unknown>;

/** Applies a row-level fault (`drift-*`, `bad-row`) to the rows about to be served. */
function applyRowFault(rows: SpotCandleWire[], fault: ActiveFault | undefined): void {
  if (!fault || rows.length === 0) return;
  switch (fault.kind) {
    case 'drift-new-field':
      for (const row of rows) (row as unknown as MutableRow)[DRIFT_NEW_FIELD_KEY] = 0;
      return;
    case 'drift-missing-field':
      for (const row of rows) delete (row as unknown as MutableRow)[DRIFT_MISSING_FIELD_KEY];
      return;
    case 'bad-row': {
      // Exactly one row per response: the middle row with trades when there is one, else the middle row.
      const traded = rows.map((r, i) => [r, i] as const).filter(([r]) => (r.TOTAL_TRADES ?? 1) > 0);
      const pick = traded.length > 0 ? traded[Math.floor(traded.length / 2)] : undefined;
      const row = (pick?.[0] ?? rows[Math.floor(rows.length / 2)]) as unknown as MutableRow;
      corruptRow(row, fault.badRow ?? 'high-below-low');
      return;
    }
    default:
      return;
  }
}

function corruptRow(row: MutableRow, kind: NonNullable<ActiveFault['badRow']>): void {
  switch (kind) {
    case 'high-below-low': {
      const high = Number(row.HIGH);
      const low = Number(row.LOW);
      if (high > low) {
        row.HIGH = low;
        row.LOW = high;
      } else {
        row.HIGH = low * 0.99;
      }
      return;
    }
    case 'negative-volume': {
      const volume = Number(row.VOLUME ?? 0);
      row.VOLUME = volume > 0 ? -volume : -1.5;
      return;
    }
    case 'misaligned-ts':
      row.TIMESTAMP = Number(row.TIMESTAMP) + 1;
      return;
    case 'ms-timestamp':
      row.TIMESTAMP = Number(row.TIMESTAMP) * 1000;
      return;
    case 'nan-string':
      row.CLOSE = 'NaN';
      return;
  }
}

// -------------------------------------------------------------------------------------------------
// Parameter parsing

type Parsed<T> = { ok: true; value: T } | { ok: false; response: SimResponse };

function parseIntParam(query: URLSearchParams, name: string, fallback: number | undefined): Parsed<number | undefined> {
  const raw = query.get(name);
  if (raw === null || raw === '') return { ok: true, value: fallback };
  if (!/^-?\d+$/.test(raw.trim()))
    return { ok: false, response: invalidParameter(name, raw, 'is not a valid integer') };
  const value = Number(raw.trim());
  if (!Number.isSafeInteger(value)) return { ok: false, response: invalidParameter(name, raw, 'is out of range') };
  return { ok: true, value };
}

function parseBoolParam(query: URLSearchParams, name: string, fallback: boolean): Parsed<boolean> {
  const raw = query.get(name);
  if (raw === null || raw === '') return { ok: true, value: fallback };
  const v = raw.trim().toLowerCase();
  if (v === 'true' || v === '1') return { ok: true, value: true };
  if (v === 'false' || v === '0') return { ok: true, value: false };
  return { ok: false, response: invalidParameter(name, raw, 'is not a boolean (true, false, 1 or 0)') };
}

function parseGroups(query: URLSearchParams): Parsed<number> {
  const raw = query.get('groups');
  if (raw === null || raw.trim() === '') return { ok: true, value: G_ALL };
  let bits = 0;
  for (const part of raw.split(',')) {
    const name = part.trim().toUpperCase();
    if (name === '') continue;
    const bit = (GROUP_BITS as Record<string, number | undefined>)[name];
    if (bit === undefined) {
      return {
        ok: false,
        response: invalidParameter('groups', part.trim(), `is not a valid group (valid: ${SPOT_GROUPS.join(', ')})`),
      };
    }
    bits |= bit;
  }
  return { ok: true, value: bits === 0 ? G_ALL : bits };
}

function keyAllowed(req: SimRequest): SimResponse | undefined {
  if (!config.requireKey) return undefined;
  if (req.apiKey === undefined) return unauthorized(false);
  if (config.validKeys.length > 0 && !config.validKeys.includes(req.apiKey)) return unauthorized(true);
  return undefined;
}

// -------------------------------------------------------------------------------------------------
// Series access

function seriesFor(inst: SimInstrument, interval: SimInterval): SpotSeries {
  return new SpotSeries(inst, interval);
}

function resolveInstrument(market: string, instrument: string): SimInstrument {
  const inst = findInstrument(market.toLowerCase(), instrument);
  if (!inst) throw new Error(`the simulator does not list ${instrument} on ${market}`);
  return inst;
}

/** Start of the first period served for an instrument (its listing period) at an interval. */
export function listingTimestamp(market: string, instrument: string, interval: SimInterval): number {
  return seriesFor(resolveInstrument(market, instrument), interval).firstStart;
}

export interface ExpectedCandlesOptions {
  /** Include filler rows (as `fill=true`, the default). */
  readonly fill?: boolean;
  /** Groups to emit (default: all). */
  readonly groups?: readonly SpotGroup[];
}

/**
 * The exact wire rows `/spot/v1/historical/{days,hours,minutes}` serves for every period with
 * `fromTs <= TIMESTAMP < toTsExclusive` once those periods are closed (never provisional values),
 * ascending, all groups unless told otherwise. Periods before the listing are not included.
 */
export function expectedSpotCandles(
  market: string,
  instrument: string,
  interval: SimInterval,
  fromTs: number,
  toTsExclusive: number,
  options: ExpectedCandlesOptions = {},
): SpotCandleWire[] {
  const inst = resolveInstrument(market, instrument);
  const series = seriesFor(inst, interval);
  const L = series.periodSeconds;
  const start = Math.max(series.firstStart, Math.ceil(fromTs / L) * L);
  const last = Math.ceil(toTsExclusive / L) * L - L;
  if (last < start) return [];
  const groups = options.groups?.length ? options.groups.reduce((bits, g) => bits | GROUP_BITS[g], 0) : G_ALL;
  const fill = options.fill ?? true;
  return series
    .candles(start, last)
    .filter((c) => fill || !c.filler)
    .map((c) => toWire(c, inst, UNIT_OF[interval], groups));
}

// -------------------------------------------------------------------------------------------------
// Routes

function spotHistorical(req: SimRequest, interval: SimInterval): SimResponse {
  const q = req.query;
  const marketParam = q.get('market')?.trim();
  if (!marketParam) return missingParameter('market');
  const instrumentParam = q.get('instrument')?.trim();
  if (!instrumentParam) return missingParameter('instrument');

  const limitP = parseIntParam(q, 'limit', SPOT_DEFAULT_LIMIT);
  if (!limitP.ok) return limitP.response;
  const limit = limitP.value ?? SPOT_DEFAULT_LIMIT;
  const cap = SPOT_MAX_LIMIT[interval];
  if (limit < 1) return invalidParameter('limit', String(limit), 'is below the minimum of 1');
  if (limit > cap) return invalidParameter('limit', String(limit), `is above the maximum of ${cap}`);

  const toTsP = parseIntParam(q, 'to_ts', undefined);
  if (!toTsP.ok) return toTsP.response;

  const aggregateP = parseIntParam(q, 'aggregate', 1);
  if (!aggregateP.ok) return aggregateP.response;
  const aggregate = aggregateP.value ?? 1;
  if (aggregate < 1 || aggregate > 30)
    return invalidParameter('aggregate', String(aggregate), 'must be between 1 and 30');
  // [inferred limitation] The simulator serves base periods only.
  if (aggregate !== 1)
    return invalidParameter('aggregate', String(aggregate), 'is not supported by the simulator (only 1)');

  const fillP = parseBoolParam(q, 'fill', true);
  if (!fillP.ok) return fillP.response;
  const mappingP = parseBoolParam(q, 'apply_mapping', true);
  if (!mappingP.ok) return mappingP.response;
  const groupsP = parseGroups(q);
  if (!groupsP.ok) return groupsP.response;
  const format = (q.get('response_format') ?? 'JSON').trim().toUpperCase();
  if (format !== 'JSON' && format !== '') {
    return invalidParameter(
      'response_format',
      q.get('response_format') ?? '',
      format === 'CSV' ? 'is not supported by the simulator (JSON only)' : 'is not valid (JSON or CSV)',
    );
  }

  // The real API lowercases the market it is sent.
  const market = marketParam.toLowerCase();
  if (!isSimMarket(market)) return marketNotFound(market);
  const inst = findInstrument(market, instrumentParam, mappingP.value);
  if (!inst) return instrumentNotFound(market, instrumentParam);

  const series = seriesFor(inst, interval);
  const L = series.periodSeconds;
  const now = req.nowSeconds;
  const nowStart = Math.floor(now / L) * L;
  const toTs = toTsP.value ?? now;
  // Inclusive: the page ends at the period containing to_ts, never after "now"'s period.
  const end = Math.min(Math.floor(toTs / L) * L, nowStart);
  if (end < series.firstStart) return notTradingYet(market, inst.mapped, toTs, series.firstStart);
  // [inferred] A window that straddles the listing is cut at the first period with trades, so it
  // holds fewer than `limit` rows (the real API errors only once to_ts itself is before the listing).
  // [inferred] fill=false drops filler rows from the `limit`-period window (fewer rows), rather than
  // reaching further back to make up `limit` traded rows.
  const start = Math.max(series.firstStart, end - (limit - 1) * L);
  const unit = UNIT_OF[interval];
  const fill = fillP.value;
  const rows: SpotCandleWire[] = [];
  for (const c of series.candles(start, end, now))
    if (fill || !c.filler) rows.push(toWire(c, inst, unit, groupsP.value));
  applyRowFault(rows, req.fault);
  return okResponse(rows);
}

const SPOT_HISTORICAL_ROUTE = /^\/spot\/v1\/historical\/(days|hours|minutes)\/?$/;

function handle(req: SimRequest): SimResponse {
  const spot = SPOT_HISTORICAL_ROUTE.exec(req.path);
  if (!spot) return pathNotFound(req.path);
  if (req.method !== 'GET') return methodNotAllowed(req.method);
  const denied = keyAllowed(req);
  if (denied) return denied;
  const interval = ROUTE_INTERVAL[spot[1] ?? ''];
  if (!interval) return pathNotFound(req.path);
  return spotHistorical(req, interval);
}

// -------------------------------------------------------------------------------------------------
// Control routes (`/__sim/data-api/...`)

function controlJson(status: number, value: unknown): SimResponse {
  return { status, body: JSON.stringify(value), headers: { ...JSON_HEADERS } };
}

function controlError(status: number, message: string): SimResponse {
  return controlJson(status, { error: message });
}

function zodMessage(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.length ? i.path.join('.') : 'body'}: ${i.message}`).join('; ');
}

function control(path: string, body: unknown, ctx: SimControlContext): SimResponse | undefined {
  const segments = path.split('/').filter((s) => s !== '');
  const method = ctx.method;
  if (segments[0] === 'config' && segments.length === 1) {
    if (method === 'GET') return controlJson(200, { config });
    if (method !== 'PUT' && method !== 'POST')
      return controlError(405, `${method} not allowed on /config (GET or PUT)`);
    const parsed = ConfigBodySchema.safeParse(body ?? {});
    if (!parsed.success) return controlError(400, `invalid data-api config: ${zodMessage(parsed.error)}`);
    config = {
      requireKey: parsed.data.requireKey ?? config.requireKey,
      validKeys: parsed.data.validKeys === undefined ? config.validKeys : [...(parsed.data.validKeys ?? [])],
    };
    return controlJson(200, { config });
  }
  if (segments[0] === 'instruments') {
    if (segments.length === 1) {
      if (method !== 'POST' && method !== 'PUT')
        return controlError(405, `${method} not allowed on /instruments (POST)`);
      const parsed = ListInstrumentBodySchema.safeParse(body);
      if (!parsed.success) return controlError(400, `invalid instrument listing: ${zodMessage(parsed.error)}`);
      try {
        return controlJson(201, { instrument: addRuntimeInstrument(parsed.data, ctx.nowSeconds) });
      } catch (err) {
        return controlError(400, err instanceof Error ? err.message : String(err));
      }
    }
    if (segments.length === 2 && method === 'GET') {
      const market = decodeURIComponent(segments[1] ?? '').toLowerCase();
      if (!isSimMarket(market)) return controlError(404, `unknown market ${market}`);
      return controlJson(200, { market, instruments: listInstruments(market) });
    }
  }
  return undefined;
}

// -------------------------------------------------------------------------------------------------

export const dataApiSimulator: SourceSimulator = {
  id: 'data-api',
  defaultLimits: DATA_API_DEFAULT_LIMITS,
  handle,
  renderRateLimited: (usage) => rateLimitExceeded(usage),
  renderFault(kind, fault) {
    switch (kind) {
      case 'server-error':
        return serverError();
      case 'ban':
        return temporarilyBanned(fault.retryAfterSeconds ?? 60);
      case 'hard-block':
        return hardBlocked(fault.retryAfterSeconds ?? 3_600);
    }
  },
  rateLimitHeaders: (usage) => dataApiRateLimitHeaders(usage),
  reset() {
    resetRuntimeInstruments();
    config = { ...DEFAULT_CONFIG, validKeys: [] };
  },
  control,
};
