/**
 * Reference endpoints of the Data API simulator (api-wire-reference §3.5):
 * - `GET /spot/v1/markets[?market=]` (TYPE "602") and `/spot/v1/markets/instruments` (TYPE "612");
 * - `GET /futures/v1/markets[?market=]` (TYPE "604") and `/futures/v1/markets/instruments` (TYPE "614").
 *
 * They describe the same universe the historical routes serve, as of the simulator clock:
 * - an instrument appears once its listing instant has passed (runtime listings included);
 * - FIRST_TRADE_*_TIMESTAMP is the listing instant: the period containing it is the first row of
 *   every interval, and a `to_ts` before that period is "was not trading" with `other_info.first`
 *   = its start; FIRST_OPEN_INTEREST/FUNDING_RATE_UPDATE_TIMESTAMP likewise for those routes;
 * - LAST_*_TIMESTAMP is the last trade/update at or before "now" (or before the delisting/expiry)
 *   in the minute series, i.e. the LAST_TRADE_TIMESTAMP / LAST_MESSAGE_TIMESTAMP of the latest
 *   minute row with activity;
 * - INSTRUMENT_STATUS is ACTIVE, then RETIRED from `retiredAt` (spot, perpetuals) or EXPIRED from
 *   the expiry (dated futures); the historical routes serve no period after the last trade.
 * - TOTAL_* counters are closed-form estimates [inferred], not sums of served rows.
 */
import type { SimRequest, SimResponse } from '../../types';
import { hashString, unit } from '../../random';
import {
  isSimMarket,
  listInstruments,
  SIM_MARKETS,
  spotInstrumentStatus,
  type InstrumentStatus,
  type SimInstrument,
} from './catalog';
import {
  FUTURES_MARKETS,
  futuresInstrumentStatus,
  futuresMarketInfo,
  futuresTradingEnd,
  isFuturesMarket,
  listFuturesInstruments,
  type FuturesInstrument,
} from './futures-catalog';
import { FundingRateSeries, FuturesTradeSeries, OpenInterestSeries } from './futures-series';
import {
  instrumentsNotFound,
  instrumentsNotFoundMessage,
  invalidParameter,
  JSON_HEADERS,
  marketNotFound,
  okResponse,
  parseListParam,
  type MarketKind,
} from './http';
import { SpotSeries } from './series';

/** Values `instrument_status` accepts (current docs). */
export const INSTRUMENT_STATUSES = [
  'ACTIVE',
  'IGNORED',
  'RETIRED',
  'EXPIRED',
  'READY_FOR_DECOMMISSIONING',
  'RETIRED_UNMAPPED',
] as const;
export type InstrumentStatusFilter = (typeof INSTRUMENT_STATUSES)[number];

/** `instrument_status` default (current docs; S1 v2.1.1 defaulted to all four). */
export const DEFAULT_INSTRUMENT_STATUSES: readonly InstrumentStatusFilter[] = ['ACTIVE'];

const DAY = 86_400;
/** [inferred] Mapping records were (re)created from this day on (the doc examples' CREATED_ON are 2022). */
const MAPPING_EPOCH = Date.UTC(2022, 2, 10) / 1000;
/** [inferred] Exchanges with L2 minute snapshots enabled. */
const L2_SNAPSHOT_MARKETS = new Set(['binance', 'coinbase', 'kraken', 'okex', 'bybit', 'deribit']);

function histoShard(key: string): string {
  return `PG_COLLECT_0${1 + Math.floor(unit(hashString(`shard|${key}`)) * 5)}`;
}

/** When the mapping record was created: [inferred] max(listing, 2022-03-10) plus up to a week, never after now. */
function mappingCreatedOn(key: string, listedAt: number, nowSeconds: number): number {
  const created = Math.max(listedAt, MAPPING_EPOCH) + Math.floor(unit(hashString(`created|${key}`)) * 7 * DAY);
  return Math.min(created, nowSeconds);
}

function statusCounts(statuses: readonly InstrumentStatus[]) {
  const count = (s: InstrumentStatus): number => statuses.filter((x) => x === s).length;
  return {
    ACTIVE: count('ACTIVE'),
    IGNORED: 0,
    RETIRED: count('RETIRED'),
    EXPIRED: count('EXPIRED'),
    RETIRED_UNMAPPED: 0,
  };
}

const byMapped = <T extends { mapped: string }>(a: T, b: T): number =>
  a.mapped < b.mapped ? -1 : a.mapped > b.mapped ? 1 : 0;

// -------------------------------------------------------------------------------------------------
// Spot

interface Listed<I> {
  readonly inst: I;
  readonly status: InstrumentStatus;
}

function listedSpot(market: string, nowSeconds: number): Listed<SimInstrument>[] {
  const out: Listed<SimInstrument>[] = [];
  for (const inst of listInstruments(market)) {
    const status = spotInstrumentStatus(inst, nowSeconds);
    if (status) out.push({ inst, status });
  }
  return out.sort((a, b) => byMapped(a.inst, b.inst));
}

/** The last instant a spot instrument can have traded by `nowSeconds`. */
function spotHorizon(inst: SimInstrument, nowSeconds: number): number {
  return inst.retiredAt === undefined ? nowSeconds : Math.min(nowSeconds, inst.retiredAt - 1);
}

function spotTotalTrades(inst: SimInstrument, nowSeconds: number): number {
  return new SpotSeries(inst, '1m').estimatedTrades(inst.listedAt, spotHorizon(inst, nowSeconds) + 1);
}

function spotInstrumentObject(l: Listed<SimInstrument>, nowSeconds: number) {
  const { inst } = l;
  const key = `${inst.market}|${inst.mapped}`;
  const lastTrade = new SpotSeries(inst, '1m').lastTradeAtOrBefore(spotHorizon(inst, nowSeconds));
  return {
    TYPE: '612',
    INSTRUMENT_STATUS: l.status,
    INSTRUMENT: inst.native,
    HISTO_SHARD: histoShard(key),
    MAPPED_INSTRUMENT: inst.mapped,
    INSTRUMENT_MAPPING: {
      MAPPED_INSTRUMENT: inst.mapped,
      BASE: inst.base,
      BASE_ID: inst.baseId,
      QUOTE: inst.quote,
      QUOTE_ID: inst.quoteId,
      TRANSFORM_FUNCTION: '',
      CREATED_ON: mappingCreatedOn(key, inst.listedAt, nowSeconds),
    },
    HAS_TRADES_SPOT: true,
    FIRST_TRADE_SPOT_TIMESTAMP: inst.listedAt,
    LAST_TRADE_SPOT_TIMESTAMP: lastTrade ?? inst.listedAt,
    TOTAL_TRADES_SPOT: spotTotalTrades(inst, nowSeconds),
  };
}

function spotMarketObject(market: string, listed: readonly Listed<SimInstrument>[], nowSeconds: number) {
  return {
    TYPE: '602',
    EXCHANGE_STATUS: 'ACTIVE',
    MAPPED_INSTRUMENTS_TOTAL: listed.length,
    UNMAPPED_INSTRUMENTS_TOTAL: 0,
    INSTRUMENT_STATUS: statusCounts(listed.map((l) => l.status)),
    TOTAL_TRADES_SPOT: listed.reduce((sum, l) => sum + spotTotalTrades(l.inst, nowSeconds), 0),
    HAS_ORDERBOOK_L2_MINUTE_SNAPSHOTS_ENABLED: L2_SNAPSHOT_MARKETS.has(market),
  };
}

// -------------------------------------------------------------------------------------------------
// Futures

function listedFutures(market: string, nowSeconds: number): Listed<FuturesInstrument>[] {
  const out: Listed<FuturesInstrument>[] = [];
  for (const inst of listFuturesInstruments(market)) {
    const status = futuresInstrumentStatus(inst, nowSeconds);
    if (status) out.push({ inst, status });
  }
  return out.sort((a, b) => byMapped(a.inst, b.inst));
}

function futuresHorizon(inst: FuturesInstrument, nowSeconds: number): number {
  const end = futuresTradingEnd(inst);
  return end === undefined ? nowSeconds : Math.min(nowSeconds, end - 1);
}

interface FuturesActivity {
  readonly firstTrade: number;
  readonly lastTrade: number;
  readonly trades: number;
  readonly funding: { first: number; last: number; total: number } | undefined;
  readonly openInterest: { first: number; last: number; total: number } | undefined;
}

function futuresActivity(inst: FuturesInstrument, nowSeconds: number): FuturesActivity {
  const horizon = futuresHorizon(inst, nowSeconds);
  const trades = new FuturesTradeSeries(inst, '1m').series;
  let funding: FuturesActivity['funding'];
  if (inst.fundingFrom !== null && inst.fundingFrom <= horizon) {
    const series = new FundingRateSeries(inst, '1m');
    funding = {
      first: inst.fundingFrom,
      last: series.lastMessageAtOrBefore(horizon) ?? inst.fundingFrom,
      total: series.estimatedUpdates(inst.fundingFrom, horizon + 1),
    };
  }
  let openInterest: FuturesActivity['openInterest'];
  if (inst.openInterestFrom !== null && inst.openInterestFrom <= horizon) {
    const series = new OpenInterestSeries(inst, '1m');
    openInterest = {
      first: inst.openInterestFrom,
      last: series.lastMessageAtOrBefore(horizon) ?? inst.openInterestFrom,
      total: series.estimatedUpdates(inst.openInterestFrom, horizon + 1),
    };
  }
  return {
    firstTrade: inst.listedAt,
    lastTrade: trades.lastTradeAtOrBefore(horizon) ?? inst.listedAt,
    trades: trades.estimatedTrades(inst.listedAt, horizon + 1),
    funding,
    openInterest,
  };
}

function futuresInstrumentObject(l: Listed<FuturesInstrument>, activity: FuturesActivity, nowSeconds: number) {
  const { inst } = l;
  const key = `futures|${inst.market}|${inst.mapped}`;
  return {
    TYPE: '614',
    INSTRUMENT_STATUS: l.status,
    INSTRUMENT: inst.native,
    HISTO_SHARD: histoShard(key),
    MAPPED_INSTRUMENT: inst.mapped,
    INSTRUMENT_MAPPING: {
      MAPPED_INSTRUMENT: inst.mapped,
      INDEX_UNDERLYING: inst.underlying,
      INDEX_UNDERLYING_ID: inst.underlyingId,
      QUOTE_CURRENCY: inst.quote,
      QUOTE_CURRENCY_ID: inst.quoteId,
      SETTLEMENT_CURRENCY: inst.settlement,
      SETTLEMENT_CURRENCY_ID: inst.settlementId,
      CONTRACT_CURRENCY: inst.contractCurrency,
      CONTRACT_CURRENCY_ID: inst.contractCurrencyId,
      DENOMINATION_TYPE: inst.denomination,
      TRANSFORM_FUNCTION: '',
      CREATED_ON: mappingCreatedOn(key, inst.listedAt, nowSeconds),
    },
    HAS_TRADES_FUTURES: true,
    FIRST_TRADE_FUTURES_TIMESTAMP: activity.firstTrade,
    LAST_TRADE_FUTURES_TIMESTAMP: activity.lastTrade,
    TOTAL_TRADES_FUTURES: activity.trades,
    HAS_FUNDING_RATE_UPDATES: activity.funding !== undefined,
    FIRST_FUNDING_RATE_UPDATE_TIMESTAMP: activity.funding?.first ?? null,
    LAST_FUNDING_RATE_UPDATE_TIMESTAMP: activity.funding?.last ?? null,
    TOTAL_FUNDING_RATE_UPDATES: activity.funding?.total ?? 0,
    HAS_OPEN_INTEREST_UPDATES: activity.openInterest !== undefined,
    FIRST_OPEN_INTEREST_UPDATE_TIMESTAMP: activity.openInterest?.first ?? null,
    LAST_OPEN_INTEREST_UPDATE_TIMESTAMP: activity.openInterest?.last ?? null,
    TOTAL_OPEN_INTEREST_UPDATES: activity.openInterest?.total ?? 0,
    CONTRACT_EXPIRATION_TS: inst.expiry,
  };
}

function futuresMarketObject(market: string, listed: readonly Listed<FuturesInstrument>[], nowSeconds: number) {
  const info = futuresMarketInfo(market);
  if (!info) throw new Error(`unknown futures market ${market}`);
  const activities = listed.map((l) => futuresActivity(l.inst, nowSeconds));
  const sum = (f: (a: FuturesActivity) => number): number => activities.reduce((s, a) => s + f(a), 0);
  // [inferred] The exchange record dates from its futures launch.
  const createdOn = info.futuresStart + info.id * 3_600;
  return {
    ID: info.id,
    TYPE: '604',
    EXCHANGE_STATUS: 'ACTIVE',
    EXCHANGE_INTERNAL_NAME: market,
    URI: market,
    MAPPED_INSTRUMENTS_TOTAL: listed.length,
    UNMAPPED_INSTRUMENTS_TOTAL: 0,
    INSTRUMENT_STATUS: statusCounts(listed.map((l) => l.status)),
    TOTAL_TRADES_FUTURES: sum((a) => a.trades),
    TOTAL_OPEN_INTEREST_UPDATES: sum((a) => a.openInterest?.total ?? 0),
    TOTAL_FUNDING_RATE_UPDATES: sum((a) => a.funding?.total ?? 0),
    HAS_ORDERBOOK_L2_MINUTE_SNAPSHOTS_ENABLED: L2_SNAPSHOT_MARKETS.has(market),
    CREATED_ON: createdOn,
    UPDATED_ON: Math.max(createdOn, Math.floor(nowSeconds / DAY) * DAY),
    NAME: info.name,
    LOGO_URL: `https://resources.cryptocompare.com/exchange-management/${info.id}/${createdOn * 1000}.png`,
    LAUNCH_DATE: info.launch,
    HAS_SPOT_TRADING: isSimMarket(market),
    HAS_FUTURES_TRADING: true,
    FUTURES_TRADING_LAUNCH_DATE: info.futuresStart,
    HAS_PERPETUAL_CONTRACTS: true,
    FUTURES_DENOMINATION_TYPES: [{ NAME: 'VANILLA' }, { NAME: 'INVERSE' }],
    WEBSITE_URL: info.website,
    activities,
  };
}

// -------------------------------------------------------------------------------------------------
// Bodies (shared by the routes and the expected generators)

function marketsOf(kind: MarketKind, market: string | undefined): string[] {
  if (market !== undefined) return [market];
  return [...(kind === 'spot' ? SIM_MARKETS : FUTURES_MARKETS)].sort();
}

/** The `Data` of `/{spot,futures}/v1/markets` (all markets, or one). */
function marketsData(kind: MarketKind, market: string | undefined, nowSeconds: number): Record<string, unknown> {
  const data: Record<string, unknown> = {};
  for (const m of marketsOf(kind, market)) {
    if (kind === 'spot') {
      data[m] = spotMarketObject(m, listedSpot(m, nowSeconds), nowSeconds);
    } else {
      const { activities: _activities, ...object } = futuresMarketObject(m, listedFutures(m, nowSeconds), nowSeconds);
      data[m] = object;
    }
  }
  return data;
}

interface InstrumentsQuery {
  readonly market: string | undefined;
  readonly instruments: readonly string[];
  readonly statuses: readonly string[];
}

/** The `Data` of `/{spot,futures}/v1/markets/instruments`, plus the requested ids that matched nothing. */
function instrumentsData(
  kind: MarketKind,
  query: InstrumentsQuery,
  nowSeconds: number,
): { data: Record<string, unknown>; missing: string[] } {
  const wanted = new Set(query.instruments.map((i) => i.toUpperCase()));
  const statuses = new Set(query.statuses);
  const matched = new Set<string>();
  const data: Record<string, unknown> = {};
  for (const m of marketsOf(kind, query.market)) {
    const keep = <I extends { mapped: string }>(l: Listed<I>): boolean =>
      statuses.has(l.status) && (wanted.size === 0 || wanted.has(l.inst.mapped));
    const instruments: Record<string, unknown> = {};
    let marketObject: Record<string, unknown>;
    if (kind === 'spot') {
      const listed = listedSpot(m, nowSeconds);
      marketObject = spotMarketObject(m, listed, nowSeconds);
      for (const l of listed.filter(keep)) {
        instruments[l.inst.mapped] = spotInstrumentObject(l, nowSeconds);
        matched.add(l.inst.mapped);
      }
    } else {
      const listed = listedFutures(m, nowSeconds);
      const { activities, ...object } = futuresMarketObject(m, listed, nowSeconds);
      marketObject = object;
      listed.forEach((l, i) => {
        if (!keep(l)) return;
        instruments[l.inst.mapped] = futuresInstrumentObject(l, activities[i] as FuturesActivity, nowSeconds);
        matched.add(l.inst.mapped);
      });
    }
    // [inferred] With an `instruments` filter, markets listing none of them are left out.
    if (wanted.size > 0 && Object.keys(instruments).length === 0 && query.market === undefined) continue;
    data[m] = { ...marketObject, instruments };
  }
  return { data, missing: [...wanted].filter((i) => !matched.has(i)) };
}

function defaultNow(nowSeconds: number | undefined): number {
  return nowSeconds ?? Math.floor(Date.now() / 1000);
}

/**
 * The `Data` object `/{spot,futures}/v1/markets` serves (every market) with the simulator clock at
 * `nowSeconds` (default: the real clock).
 */
export function expectedMarkets(kind: MarketKind, nowSeconds?: number): Record<string, unknown> {
  return marketsData(kind, undefined, defaultNow(nowSeconds));
}

/**
 * The `Data` object `/{spot,futures}/v1/markets/instruments[?market=…][&instrument_status=…]` serves
 * with the simulator clock at `nowSeconds` (default: the real clock): market objects with their
 * `instruments` keyed by mapped id. Statuses default to ACTIVE only, as on the route.
 */
export function expectedInstruments(
  kind: MarketKind,
  market?: string,
  statuses: readonly InstrumentStatusFilter[] = DEFAULT_INSTRUMENT_STATUSES,
  nowSeconds?: number,
): Record<string, unknown> {
  return instrumentsData(kind, { market, instruments: [], statuses }, defaultNow(nowSeconds)).data;
}

// -------------------------------------------------------------------------------------------------
// Routes

function parseMarket(req: SimRequest, kind: MarketKind): { market: string | undefined } | SimResponse {
  const raw = req.query.get('market')?.trim();
  if (!raw) return { market: undefined };
  const market = raw.toLowerCase();
  const known = kind === 'spot' ? isSimMarket(market) : isFuturesMarket(market);
  return known ? { market } : marketNotFound(market, kind);
}

/** `GET /{spot,futures}/v1/markets`. [inferred] `groups` is accepted and ignored (all fields). */
export function marketsRoute(req: SimRequest, kind: MarketKind): SimResponse {
  const parsed = parseMarket(req, kind);
  if ('status' in parsed) return parsed;
  return okResponse(marketsData(kind, parsed.market, req.nowSeconds));
}

/**
 * `GET /{spot,futures}/v1/markets/instruments`. `instruments` (or `instrument`, as in S1): comma list
 * of mapped ids; `instrument_status`: comma list, default ACTIVE. [inferred] When none of the
 * requested instruments exists with the requested statuses: 404; when only some do: 200 with the
 * found ones and `Err` naming the missing ones (the documented partial-failure shape).
 */
export function instrumentsRoute(req: SimRequest, kind: MarketKind): SimResponse {
  const parsed = parseMarket(req, kind);
  if ('status' in parsed) return parsed;
  const statusParam = parseListParam(req.query, 'instrument_status').map((s) => s.toUpperCase());
  for (const s of statusParam) {
    if (!(INSTRUMENT_STATUSES as readonly string[]).includes(s)) {
      return invalidParameter(
        'instrument_status',
        s,
        `is not a valid status (valid: ${INSTRUMENT_STATUSES.join(', ')})`,
      );
    }
  }
  const instruments = [...parseListParam(req.query, 'instruments'), ...parseListParam(req.query, 'instrument')];
  const { data, missing } = instrumentsData(
    kind,
    {
      market: parsed.market,
      instruments,
      statuses: statusParam.length > 0 ? statusParam : DEFAULT_INSTRUMENT_STATUSES,
    },
    req.nowSeconds,
  );
  if (missing.length === 0) return okResponse(data);
  if (missing.length === new Set(instruments.map((i) => i.toUpperCase())).size) {
    return instrumentsNotFound(parsed.market, missing, kind);
  }
  return {
    status: 200,
    body: JSON.stringify({
      Data: data,
      Err: {
        type: 1,
        message: instrumentsNotFoundMessage(parsed.market, missing, kind),
        other_info: { param: 'instruments', values: missing },
      },
    }),
    headers: { ...JSON_HEADERS },
  };
}
