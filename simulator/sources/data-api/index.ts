/**
 * The CoinDesk Data API as the local simulator serves it (mounted at `/data-api`). Wire-faithful
 * to `api-wire-reference.md` §3: `{"Data":…,"Err":{}}` envelopes, row keys in the served order,
 * filler rows without `*_TRADE_*` / `*_MESSAGE_*` keys, exact `limit` semantics,
 * `{Data:{},Err:{type,message,other_info}}` error bodies with the documented status codes, and
 * `X-RateLimit-*-All` headers.
 *
 * Routes (GET):
 *   /spot/v1/historical/{days,hours,minutes}                       spot OHLCV (TYPE 954)     spot.ts
 *   /futures/v1/historical/{days,hours,minutes}                    futures OHLCV (914)       futures.ts
 *   /futures/v1/historical/open-interest/{days,hours,minutes}      open interest (944)
 *   /futures/v1/historical/funding-rate/{days,hours,minutes}       funding rate (934)
 *   /{spot,futures}/v1/markets[/instruments]                       reference (602/612, 604/614) reference.ts
 *   /asset/v1/top/list, /asset/v1/metadata                         assets (162)              assets.ts
 *   /admin/v2/rate/limit                                           rate-limit status (3000)  admin.ts
 *
 * Control routes (`/__sim/data-api/...`):
 *   GET|PUT /config                      { requireKey?, validKeys? }
 *   POST    /instruments                 { market, instrument, listedAt?, nativeInstrument?, retiredAt?, kind?: 'spot'|'futures' }
 *   GET     /instruments/<market>        spot instruments of a market (catalogue + runtime)
 *   GET     /futures-instruments/<market> futures contracts of a market
 *
 * Behaviour that is inferred rather than documented is marked "[inferred]" where it is implemented.
 */
import { z } from 'zod';
import type { RateLimits, SimControlContext, SimRequest, SimResponse, SourceSimulator } from '../../types';
import { rateLimitRoute } from './admin';
import { assetMetadataRoute, topListRoute } from './assets';
import { addRuntimeInstrument, isSimMarket, listInstruments, resetRuntimeInstruments } from './catalog';
import {
  addRuntimeFuturesInstrument,
  isFuturesMarket,
  listFuturesInstruments,
  resetRuntimeFuturesInstruments,
} from './futures-catalog';
import { futuresHistorical } from './futures';
import { ROUTE_INTERVAL } from './historical';
import {
  dataApiRateLimitHeaders,
  hardBlocked,
  JSON_HEADERS,
  methodNotAllowed,
  pathNotFound,
  rateLimitExceeded,
  serverError,
  temporarilyBanned,
  unauthorized,
} from './http';
import { instrumentsRoute, marketsRoute } from './reference';
import { spotHistorical } from './spot';

export { INTERVAL_SECONDS, type SimInterval } from './series';
export {
  dataApiRateLimitHeaders,
  errorResponse,
  hardBlocked,
  instrumentNotFound,
  invalidParameter,
  marketNotFound,
  methodNotAllowed,
  missingParameter,
  notTradingYet,
  okResponse,
  pathNotFound,
  rateLimitExceeded,
  serverError,
  temporarilyBanned,
  unauthorized,
  assetNotFound,
  instrumentHasNoData,
  instrumentsNotFound,
  type MarketKind,
} from './http';
export {
  expectedSpotCandles,
  listingTimestamp,
  SPOT_DEFAULT_LIMIT,
  SPOT_GROUPS,
  SPOT_MAX_LIMIT,
  SPOT_ROW_KEYS,
  SPOT_TRADE_KEYS,
  type ExpectedCandlesOptions,
  type SpotCandleWire,
  type SpotGroup,
  type SpotUnit,
} from './spot';
export {
  expectedFundingRates,
  expectedFuturesCandles,
  expectedOpenInterest,
  FUNDING_RATE_GROUP_KEYS,
  FUNDING_RATE_GROUPS,
  FUNDING_RATE_ROW_KEYS,
  FUTURES_GROUP_KEYS,
  FUTURES_GROUPS,
  FUTURES_ROW_KEYS,
  FUTURES_TRADE_KEYS,
  OPEN_INTEREST_GROUP_KEYS,
  OPEN_INTEREST_GROUPS,
  OPEN_INTEREST_MESSAGE_KEYS,
  OPEN_INTEREST_ROW_KEYS,
  type ExpectedFuturesOptions,
  type FundingRateGroup,
  type FundingRateWire,
  type FuturesCandleWire,
  type FuturesGroup,
  type OpenInterestGroup,
  type OpenInterestWire,
} from './futures';
export {
  findFuturesInstrument,
  FUTURES_MARKETS,
  futuresInstrumentStatus,
  futuresListingTimestamp,
  futuresTradingEnd,
  listFuturesInstruments,
  quarterlyExpiry,
  type DenominationType,
  type FuturesInstrument,
  type FuturesMarket,
} from './futures-catalog';
export {
  DEFAULT_INSTRUMENT_STATUSES,
  expectedInstruments,
  expectedMarkets,
  INSTRUMENT_STATUSES,
  type InstrumentStatusFilter,
} from './reference';
export {
  ASSET_TYPES,
  expectedAssetMetadata,
  expectedTopList,
  METADATA_GROUPS,
  TOPLIST_DEFAULT_PAGE_SIZE,
  TOPLIST_GROUPS,
  TOPLIST_MAX_PAGE,
  TOPLIST_MAX_PAGE_SIZE,
  TOPLIST_MIN_PAGE_SIZE,
  TOPLIST_SORT_FIELDS,
  type AssetType,
  type TopListOptions,
  type TopListSortField,
} from './assets';
export {
  BAD_ROW_FIELDS,
  DRIFT_MISSING_FIELD_KEYS,
  DRIFT_NEW_FIELD_KEYS,
  ROW_FAULT_PROFILES,
  type HistoricalDataset,
} from './faults';

// -------------------------------------------------------------------------------------------------
// Constants

/** Generous defaults so normal runs never hit them (tests lower them through the control API). */
export const DATA_API_DEFAULT_LIMITS: RateLimits = {
  second: 50,
  minute: 2_500,
  hour: 30_000,
  day: 300_000,
  month: 3_000_000,
};

/** Key a `drift-new-field` fault appends to every OHLCV row (per dataset: DRIFT_NEW_FIELD_KEYS). */
export const DRIFT_NEW_FIELD_KEY = 'TOTAL_TRADES_BLOCK';
/** Key a `drift-missing-field` fault removes from every OHLCV row (per dataset: DRIFT_MISSING_FIELD_KEYS). */
export const DRIFT_MISSING_FIELD_KEY = 'HIGH';

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
  retiredAt: z.number().int().nonnegative().optional(),
  kind: z.enum(['spot', 'futures']).optional(),
});

function keyAllowed(req: SimRequest): SimResponse | undefined {
  if (!config.requireKey) return undefined;
  if (req.apiKey === undefined) return unauthorized(false);
  if (config.validKeys.length > 0 && !config.validKeys.includes(req.apiKey)) return unauthorized(true);
  return undefined;
}

// -------------------------------------------------------------------------------------------------
// Routing

type Route = (req: SimRequest, match: RegExpExecArray) => SimResponse;

function interval(match: RegExpExecArray, group = 1) {
  const value = ROUTE_INTERVAL[match[group] ?? ''];
  if (!value) throw new Error(`no interval in ${match[0]}`);
  return value;
}

const ROUTES: ReadonlyArray<readonly [RegExp, Route]> = [
  [/^\/spot\/v1\/historical\/(days|hours|minutes)\/?$/, (req, m) => spotHistorical(req, interval(m))],
  [
    /^\/futures\/v1\/historical\/(days|hours|minutes)\/?$/,
    (req, m) => futuresHistorical(req, 'futures-ohlcv', interval(m)),
  ],
  [
    /^\/futures\/v1\/historical\/open-interest\/(days|hours|minutes)\/?$/,
    (req, m) => futuresHistorical(req, 'open-interest', interval(m)),
  ],
  [
    /^\/futures\/v1\/historical\/funding-rate\/(days|hours|minutes)\/?$/,
    (req, m) => futuresHistorical(req, 'funding-rate', interval(m)),
  ],
  [/^\/spot\/v1\/markets\/?$/, (req) => marketsRoute(req, 'spot')],
  [/^\/spot\/v1\/markets\/instruments\/?$/, (req) => instrumentsRoute(req, 'spot')],
  [/^\/futures\/v1\/markets\/?$/, (req) => marketsRoute(req, 'futures')],
  [/^\/futures\/v1\/markets\/instruments\/?$/, (req) => instrumentsRoute(req, 'futures')],
  [/^\/asset\/v1\/top\/list\/?$/, (req) => topListRoute(req)],
  [/^\/asset\/v1\/metadata\/?$/, (req) => assetMetadataRoute(req)],
  [/^\/admin\/v2\/rate\/limit\/?$/, (req) => rateLimitRoute(req)],
];

function handle(req: SimRequest): SimResponse {
  for (const [pattern, route] of ROUTES) {
    const match = pattern.exec(req.path);
    if (!match) continue;
    if (req.method !== 'GET') return methodNotAllowed(req.method);
    const denied = keyAllowed(req);
    if (denied) return denied;
    return route(req, match);
  }
  return pathNotFound(req.path);
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
      const { kind, ...input } = parsed.data;
      try {
        const instrument =
          kind === 'futures'
            ? addRuntimeFuturesInstrument(input, ctx.nowSeconds)
            : addRuntimeInstrument(input, ctx.nowSeconds);
        return controlJson(201, { instrument });
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
  if (segments[0] === 'futures-instruments' && segments.length === 2 && method === 'GET') {
    const market = decodeURIComponent(segments[1] ?? '').toLowerCase();
    if (!isFuturesMarket(market)) return controlError(404, `unknown futures market ${market}`);
    return controlJson(200, { market, instruments: listFuturesInstruments(market) });
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
    resetRuntimeFuturesInstruments();
    config = { ...DEFAULT_CONFIG, validKeys: [] };
  },
  control,
};
