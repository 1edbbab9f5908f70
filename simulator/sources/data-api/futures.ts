/**
 * Futures historical routes of the Data API simulator:
 * - `/futures/v1/historical/{days,hours,minutes}` — OHLCV, row TYPE "914";
 * - `/futures/v1/historical/open-interest/{days,hours,minutes}` — TYPE "944";
 * - `/futures/v1/historical/funding-rate/{days,hours,minutes}` — TYPE "934";
 * with their expected-rows generators. Key orders follow api-wire-reference §3.3/§3.4.
 */
import type { SimRequest, SimResponse } from '../../types';
import { findFuturesInstrument, futuresTradingEnd, isFuturesMarket, type FuturesInstrument } from './futures-catalog';
import {
  FundingRateSeries,
  FuturesTradeSeries,
  OpenInterestSeries,
  type MessagePeriod,
  type MessagePoint,
  type OpenInterestValue,
} from './futures-series';
import { ROW_FAULT_PROFILES, type HistoricalDataset, type RowFaultProfile } from './faults';
import {
  expectedRows,
  serveHistorical,
  UNIT_OF,
  wireRows,
  type ExpectedRowsOptions,
  type HistoricalDatasetRoute,
  type SeriesBounds,
  type WireUnit,
} from './historical';
import { instrumentHasNoData, instrumentNotFound, marketNotFound } from './http';
import type { SimCandle, SimInterval } from './series';

// -------------------------------------------------------------------------------------------------
// Shared mapping fields

type Row = Record<string, unknown>;

function putId(row: Row, type: string, inst: FuturesInstrument): void {
  row.TYPE = type;
  row.MARKET = inst.market;
  row.INSTRUMENT = inst.native;
}

function putMapping(row: Row, inst: FuturesInstrument): void {
  row.MAPPED_INSTRUMENT = inst.mapped;
  row.INDEX_UNDERLYING = inst.underlying;
  row.QUOTE_CURRENCY = inst.quote;
  row.SETTLEMENT_CURRENCY = inst.settlement;
  row.CONTRACT_CURRENCY = inst.contractCurrency;
  row.DENOMINATION_TYPE = inst.denomination;
}

function putMappingAdvanced(row: Row, inst: FuturesInstrument): void {
  row.INDEX_UNDERLYING_ID = inst.underlyingId;
  row.QUOTE_CURRENCY_ID = inst.quoteId;
  row.SETTLEMENT_CURRENCY_ID = inst.settlementId;
  row.CONTRACT_CURRENCY_ID = inst.contractCurrencyId;
  row.TRANSFORM_FUNCTION = '';
}

const ID_KEYS = ['TYPE', 'MARKET', 'INSTRUMENT'] as const;
const MAPPING_KEYS = [
  'MAPPED_INSTRUMENT',
  'INDEX_UNDERLYING',
  'QUOTE_CURRENCY',
  'SETTLEMENT_CURRENCY',
  'CONTRACT_CURRENCY',
  'DENOMINATION_TYPE',
] as const;
const MAPPING_ADVANCED_KEYS = [
  'INDEX_UNDERLYING_ID',
  'QUOTE_CURRENCY_ID',
  'SETTLEMENT_CURRENCY_ID',
  'CONTRACT_CURRENCY_ID',
  'TRANSFORM_FUNCTION',
] as const;

function lookupFutures(market: string, instrument: string, applyMapping: boolean): FuturesInstrument | SimResponse {
  return findFuturesInstrument(market, instrument, applyMapping) ?? instrumentNotFound(market, instrument, 'futures');
}

function checkFuturesMarket(market: string): SimResponse | undefined {
  return isFuturesMarket(market) ? undefined : marketNotFound(market, 'futures');
}

function resolveFutures(market: string, instrument: string): FuturesInstrument {
  const inst = findFuturesInstrument(market.toLowerCase(), instrument);
  if (!inst) throw new Error(`the simulator does not list the futures contract ${instrument} on ${market}`);
  return inst;
}

// -------------------------------------------------------------------------------------------------
// Futures OHLCV (TYPE "914")

export const FUTURES_GROUPS = ['ID', 'MAPPING', 'MAPPING_ADVANCED', 'OHLC', 'OHLC_TRADE', 'TRADE', 'VOLUME'] as const;
export type FuturesGroup = (typeof FUTURES_GROUPS)[number];

/**
 * Every key of a full futures OHLCV row, in the order served: the real order captured in S3 (§3.3)
 * with the MAPPING_ADVANCED fields right after the MAPPING group, NUMBER_OF_CONTRACTS after
 * TOTAL_TRADES_UNKNOWN, and the OHLC_TRADE fields last.
 */
export const FUTURES_ROW_KEYS = [
  'UNIT',
  'TIMESTAMP',
  ...ID_KEYS,
  ...MAPPING_KEYS,
  ...MAPPING_ADVANCED_KEYS,
  'OPEN',
  'HIGH',
  'LOW',
  'CLOSE',
  'TOTAL_TRADES',
  'TOTAL_TRADES_BUY',
  'TOTAL_TRADES_SELL',
  'TOTAL_TRADES_UNKNOWN',
  'NUMBER_OF_CONTRACTS',
  'VOLUME',
  'QUOTE_VOLUME',
  'VOLUME_BUY',
  'QUOTE_VOLUME_BUY',
  'VOLUME_SELL',
  'QUOTE_VOLUME_SELL',
  'VOLUME_UNKNOWN',
  'QUOTE_VOLUME_UNKNOWN',
  'FIRST_TRADE_TIMESTAMP',
  'LAST_TRADE_TIMESTAMP',
  'FIRST_TRADE_PRICE',
  'HIGH_TRADE_PRICE',
  'HIGH_TRADE_TIMESTAMP',
  'LOW_TRADE_PRICE',
  'LOW_TRADE_TIMESTAMP',
  'LAST_TRADE_PRICE',
] as const;

/** The `*_TRADE_*` keys (OHLC_TRADE group), absent on filler rows. */
export const FUTURES_TRADE_KEYS = FUTURES_ROW_KEYS.filter((k) => k.includes('_TRADE_'));

/**
 * Which group each non-ID key belongs to. [inferred] NUMBER_OF_CONTRACTS is in VOLUME (its
 * position, between TRADE and VOLUME fields, is the same either way).
 */
export const FUTURES_GROUP_KEYS: Readonly<Record<FuturesGroup, readonly string[]>> = {
  ID: ID_KEYS,
  MAPPING: MAPPING_KEYS,
  MAPPING_ADVANCED: MAPPING_ADVANCED_KEYS,
  OHLC: ['OPEN', 'HIGH', 'LOW', 'CLOSE'],
  OHLC_TRADE: FUTURES_TRADE_KEYS,
  TRADE: ['TOTAL_TRADES', 'TOTAL_TRADES_BUY', 'TOTAL_TRADES_SELL', 'TOTAL_TRADES_UNKNOWN'],
  VOLUME: FUTURES_ROW_KEYS.slice(
    FUTURES_ROW_KEYS.indexOf('NUMBER_OF_CONTRACTS'),
    FUTURES_ROW_KEYS.indexOf('FIRST_TRADE_TIMESTAMP'),
  ),
};

/** One futures OHLCV row as served (keys per FUTURES_ROW_KEYS; trade keys absent on filler rows). */
export interface FuturesCandleWire {
  UNIT: WireUnit;
  TIMESTAMP: number;
  TYPE?: '914';
  MARKET?: string;
  INSTRUMENT?: string;
  MAPPED_INSTRUMENT?: string;
  INDEX_UNDERLYING?: string;
  QUOTE_CURRENCY?: string;
  SETTLEMENT_CURRENCY?: string;
  CONTRACT_CURRENCY?: string;
  DENOMINATION_TYPE?: string;
  INDEX_UNDERLYING_ID?: number;
  QUOTE_CURRENCY_ID?: number;
  SETTLEMENT_CURRENCY_ID?: number;
  CONTRACT_CURRENCY_ID?: number;
  TRANSFORM_FUNCTION?: string;
  OPEN?: number;
  HIGH?: number;
  LOW?: number;
  CLOSE?: number;
  TOTAL_TRADES?: number;
  TOTAL_TRADES_BUY?: number;
  TOTAL_TRADES_SELL?: number;
  TOTAL_TRADES_UNKNOWN?: number;
  NUMBER_OF_CONTRACTS?: number;
  VOLUME?: number;
  QUOTE_VOLUME?: number;
  VOLUME_BUY?: number;
  QUOTE_VOLUME_BUY?: number;
  VOLUME_SELL?: number;
  QUOTE_VOLUME_SELL?: number;
  VOLUME_UNKNOWN?: number;
  QUOTE_VOLUME_UNKNOWN?: number;
  FIRST_TRADE_TIMESTAMP?: number;
  LAST_TRADE_TIMESTAMP?: number;
  FIRST_TRADE_PRICE?: number;
  HIGH_TRADE_PRICE?: number;
  HIGH_TRADE_TIMESTAMP?: number;
  LOW_TRADE_PRICE?: number;
  LOW_TRADE_TIMESTAMP?: number;
  LAST_TRADE_PRICE?: number;
}

const F_ID = 1;
const F_MAPPING = 2;
const F_MAPPING_ADVANCED = 4;
const F_OHLC = 8;
const F_OHLC_TRADE = 16;
const F_TRADE = 32;
const F_VOLUME = 64;

function futuresCandleWire(c: SimCandle, contracts: number, inst: FuturesInstrument, unit: WireUnit, groups: number) {
  const row: Row = { UNIT: unit, TIMESTAMP: c.timestamp };
  if (groups & F_ID) putId(row, '914', inst);
  if (groups & F_MAPPING) putMapping(row, inst);
  if (groups & F_MAPPING_ADVANCED) putMappingAdvanced(row, inst);
  if (groups & F_OHLC) {
    row.OPEN = c.open;
    row.HIGH = c.high;
    row.LOW = c.low;
    row.CLOSE = c.close;
  }
  if (groups & F_TRADE) {
    row.TOTAL_TRADES = c.totalTrades;
    row.TOTAL_TRADES_BUY = c.totalTradesBuy;
    row.TOTAL_TRADES_SELL = c.totalTradesSell;
    row.TOTAL_TRADES_UNKNOWN = c.totalTradesUnknown;
  }
  if (groups & F_VOLUME) {
    row.NUMBER_OF_CONTRACTS = contracts;
    row.VOLUME = c.volume;
    row.QUOTE_VOLUME = c.quoteVolume;
    row.VOLUME_BUY = c.volumeBuy;
    row.QUOTE_VOLUME_BUY = c.quoteVolumeBuy;
    row.VOLUME_SELL = c.volumeSell;
    row.QUOTE_VOLUME_SELL = c.quoteVolumeSell;
    row.VOLUME_UNKNOWN = c.volumeUnknown;
    row.QUOTE_VOLUME_UNKNOWN = c.quoteVolumeUnknown;
  }
  if (groups & F_OHLC_TRADE && c.trades) {
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
  return row as unknown as FuturesCandleWire;
}

/** First period and trading end of a contract's trades at an interval. */
export function futuresTradeBounds(inst: FuturesInstrument, interval: SimInterval): SeriesBounds {
  return { firstStart: new FuturesTradeSeries(inst, interval).firstStart, end: futuresTradingEnd(inst) };
}

function futuresCandleRows(
  inst: FuturesInstrument,
  interval: SimInterval,
  from: number,
  to: number,
  nowSeconds: number | undefined,
  groups: number,
  fill: boolean,
): FuturesCandleWire[] {
  const unit = UNIT_OF[interval];
  const series = new FuturesTradeSeries(inst, interval);
  return wireRows(series.candles(from, to, nowSeconds), fill, (c) =>
    futuresCandleWire(c, series.contracts(c), inst, unit, groups),
  );
}

const FUTURES_OHLCV_ROUTE: HistoricalDatasetRoute<FuturesInstrument> = {
  groups: FUTURES_GROUPS,
  faults: ROW_FAULT_PROFILES['futures-ohlcv'],
  checkMarket: checkFuturesMarket,
  lookup: lookupFutures,
  mappedId: (inst) => inst.mapped,
  bounds: futuresTradeBounds,
  rows: futuresCandleRows,
};

export type ExpectedFuturesOptions<G extends string> = ExpectedRowsOptions<G>;

/**
 * The exact wire rows `/futures/v1/historical/{days,hours,minutes}` serves for every closed period
 * with `fromTs <= TIMESTAMP < toTsExclusive` (within the listing and, for expired/retired contracts,
 * the last trade), ascending, all groups unless told otherwise.
 */
export function expectedFuturesCandles(
  market: string,
  instrument: string,
  interval: SimInterval,
  fromTs: number,
  toTsExclusive: number,
  options: ExpectedFuturesOptions<FuturesGroup> = {},
): FuturesCandleWire[] {
  return expectedRows(
    FUTURES_OHLCV_ROUTE,
    resolveFutures(market, instrument),
    interval,
    fromTs,
    toTsExclusive,
    options,
  );
}

// -------------------------------------------------------------------------------------------------
// Message datasets (open interest, funding rate)

interface MessageDatasetSpec<V, G extends string, W extends object> {
  /** The dataset's series of a contract at an interval. */
  readonly series: new (
    inst: FuturesInstrument,
    interval: SimInterval,
  ) => {
    readonly firstStart: number;
    periods(from: number, to: number, nowSeconds?: number): MessagePeriod<V>[];
  };
  readonly wire: (p: MessagePeriod<V>, inst: FuturesInstrument, unit: WireUnit, groups: number) => W;
  /** The contract field that is null when the contract publishes no data of this kind. */
  readonly from: 'openInterestFrom' | 'fundingFrom';
  /** What the data is, for messages (`open interest`). */
  readonly label: string;
  readonly groups: readonly G[];
  readonly faults: RowFaultProfile;
}

/**
 * The route and expected-rows generator of a message dataset: a contract without its data answers
 * "no data" (and makes the generator throw); the series ends with the contract's trading.
 */
function messageDataset<V, G extends string, W extends object>(spec: MessageDatasetSpec<V, G, W>) {
  const bounds = (inst: FuturesInstrument, interval: SimInterval): SeriesBounds => ({
    firstStart: new spec.series(inst, interval).firstStart,
    end: futuresTradingEnd(inst),
  });
  const route: HistoricalDatasetRoute<FuturesInstrument> = {
    groups: spec.groups,
    faults: spec.faults,
    checkMarket: checkFuturesMarket,
    lookup: (market, instrument, applyMapping) => {
      const found = lookupFutures(market, instrument, applyMapping);
      if ('status' in found) return found;
      return found[spec.from] === null ? instrumentHasNoData(market, instrument, spec.label) : found;
    },
    mappedId: (inst) => inst.mapped,
    bounds,
    rows: (inst, interval, from, to, nowSeconds, groups, fill) => {
      const unit = UNIT_OF[interval];
      return wireRows(new spec.series(inst, interval).periods(from, to, nowSeconds), fill, (p) =>
        spec.wire(p, inst, unit, groups),
      );
    },
  };
  /**
   * The exact wire rows the route serves for every closed period with `fromTs <= TIMESTAMP <
   * toTsExclusive`. Throws for a contract without the data.
   */
  const expected = (
    market: string,
    instrument: string,
    interval: SimInterval,
    fromTs: number,
    toTsExclusive: number,
    options: ExpectedRowsOptions<G> = {},
  ): W[] => {
    const inst = resolveFutures(market, instrument);
    if (inst[spec.from] === null) throw new Error(`${market} ${instrument} has no ${spec.label}`);
    return expectedRows(route, inst, interval, fromTs, toTsExclusive, options);
  };
  return { route, expected };
}

// -------------------------------------------------------------------------------------------------
// Open interest (TYPE "944")

export const OPEN_INTEREST_GROUPS = ['ID', 'MAPPING', 'MAPPING_ADVANCED', 'OHLC', 'OHLC_MESSAGE', 'MESSAGE'] as const;
export type OpenInterestGroup = (typeof OPEN_INTEREST_GROUPS)[number];

const OI_EXTREMES = (side: 'HIGH' | 'LOW') =>
  [
    `${side}_SETTLEMENT`,
    `${side}_SETTLEMENT_MARK_PRICE`,
    `${side}_MARK_PRICE`,
    `${side}_MARK_PRICE_SETTLEMENT`,
    `${side}_QUOTE`,
    `${side}_QUOTE_MARK_PRICE`,
  ] as const;
const OI_MESSAGE_EXTREMES = (side: 'HIGH' | 'LOW') =>
  [
    `${side}_MESSAGE_SETTLEMENT`,
    `${side}_MESSAGE_SETTLEMENT_MARK_PRICE`,
    `${side}_MESSAGE_SETTLEMENT_TIMESTAMP`,
    `${side}_MESSAGE_MARK_PRICE`,
    `${side}_MESSAGE_MARK_PRICE_SETTLEMENT`,
    `${side}_MESSAGE_MARK_PRICE_TIMESTAMP`,
    `${side}_MESSAGE_QUOTE`,
    `${side}_MESSAGE_QUOTE_MARK_PRICE`,
    `${side}_MESSAGE_QUOTE_TIMESTAMP`,
  ] as const;

const OI_OHLC_KEYS = [
  'OPEN_SETTLEMENT',
  'OPEN_MARK_PRICE',
  'OPEN_QUOTE',
  ...OI_EXTREMES('HIGH'),
  ...OI_EXTREMES('LOW'),
  'CLOSE_SETTLEMENT',
  'CLOSE_MARK_PRICE',
  'CLOSE_QUOTE',
] as const;

const OI_MESSAGE_KEYS = [
  'FIRST_MESSAGE_TIMESTAMP',
  'FIRST_MESSAGE_SETTLEMENT',
  'FIRST_MESSAGE_MARK_PRICE',
  'FIRST_MESSAGE_QUOTE',
  ...OI_MESSAGE_EXTREMES('HIGH'),
  ...OI_MESSAGE_EXTREMES('LOW'),
  'LAST_MESSAGE_TIMESTAMP',
  'LAST_MESSAGE_SETTLEMENT',
  'LAST_MESSAGE_MARK_PRICE',
  'LAST_MESSAGE_QUOTE',
] as const;

/** Every key of a full open-interest row, in the order served (§3.4). */
export const OPEN_INTEREST_ROW_KEYS = [
  'UNIT',
  'TIMESTAMP',
  ...ID_KEYS,
  ...MAPPING_KEYS,
  ...MAPPING_ADVANCED_KEYS,
  ...OI_OHLC_KEYS,
  ...OI_MESSAGE_KEYS,
  'TOTAL_OPEN_INTEREST_UPDATES',
] as const;

/** The OHLC_MESSAGE keys: [inferred] absent on rows of periods without updates (as `*_TRADE_*` on OHLCV fillers). */
export const OPEN_INTEREST_MESSAGE_KEYS: readonly string[] = OI_MESSAGE_KEYS;

export const OPEN_INTEREST_GROUP_KEYS: Readonly<Record<OpenInterestGroup, readonly string[]>> = {
  ID: ID_KEYS,
  MAPPING: MAPPING_KEYS,
  MAPPING_ADVANCED: MAPPING_ADVANCED_KEYS,
  OHLC: OI_OHLC_KEYS,
  OHLC_MESSAGE: OI_MESSAGE_KEYS,
  MESSAGE: ['TOTAL_OPEN_INTEREST_UPDATES'],
};

/** One open-interest row as served (numeric fields keyed as in OPEN_INTEREST_ROW_KEYS). */
export type OpenInterestWire = { UNIT: WireUnit; TIMESTAMP: number } & Partial<Record<string, string | number>>;

const O_ID = 1;
const O_MAPPING = 2;
const O_MAPPING_ADVANCED = 4;
const O_OHLC = 8;
const O_OHLC_MESSAGE = 16;
const O_MESSAGE = 32;

type OiPoint = MessagePoint<OpenInterestValue>;

/** The first point where `pick` is largest (`sign` 1) or smallest (`sign` -1). */
function extreme(points: readonly OiPoint[], pick: (v: OpenInterestValue) => number, sign: 1 | -1): OiPoint {
  let best = points[0] as OiPoint;
  for (const p of points) if (sign * (pick(p.v) - pick(best.v)) > 0) best = p;
  return best;
}

const bySettlement = (v: OpenInterestValue): number => v.settlement;
const byMark = (v: OpenInterestValue): number => v.markPrice;
const byQuote = (v: OpenInterestValue): number => v.quote;

function openInterestWire(
  p: MessagePeriod<OpenInterestValue>,
  inst: FuturesInstrument,
  unit: WireUnit,
  groups: number,
): OpenInterestWire {
  const row: Row = { UNIT: unit, TIMESTAMP: p.timestamp };
  if (groups & O_ID) putId(row, '944', inst);
  if (groups & O_MAPPING) putMapping(row, inst);
  if (groups & O_MAPPING_ADVANCED) putMappingAdvanced(row, inst);
  const first = p.points[0];
  const last = p.points.at(-1);
  // Literal keys (not computed ones): they keep every row on one object shape, which matters at 2000 rows.
  if (groups & O_OHLC) {
    // OHLC aggregates include OPEN (the previous close), as the captured rows do.
    const withOpen: OiPoint[] = [{ t: p.timestamp, v: p.open }, ...p.points];
    const close = last?.v ?? p.open;
    const hs = extreme(withOpen, bySettlement, 1).v;
    const hm = extreme(withOpen, byMark, 1).v;
    const hq = extreme(withOpen, byQuote, 1).v;
    const ls = extreme(withOpen, bySettlement, -1).v;
    const lm = extreme(withOpen, byMark, -1).v;
    const lq = extreme(withOpen, byQuote, -1).v;
    row.OPEN_SETTLEMENT = p.open.settlement;
    row.OPEN_MARK_PRICE = p.open.markPrice;
    row.OPEN_QUOTE = p.open.quote;
    row.HIGH_SETTLEMENT = hs.settlement;
    row.HIGH_SETTLEMENT_MARK_PRICE = hs.markPrice;
    row.HIGH_MARK_PRICE = hm.markPrice;
    row.HIGH_MARK_PRICE_SETTLEMENT = hm.settlement;
    row.HIGH_QUOTE = hq.quote;
    row.HIGH_QUOTE_MARK_PRICE = hq.markPrice;
    row.LOW_SETTLEMENT = ls.settlement;
    row.LOW_SETTLEMENT_MARK_PRICE = ls.markPrice;
    row.LOW_MARK_PRICE = lm.markPrice;
    row.LOW_MARK_PRICE_SETTLEMENT = lm.settlement;
    row.LOW_QUOTE = lq.quote;
    row.LOW_QUOTE_MARK_PRICE = lq.markPrice;
    row.CLOSE_SETTLEMENT = close.settlement;
    row.CLOSE_MARK_PRICE = close.markPrice;
    row.CLOSE_QUOTE = close.quote;
  }
  if (groups & O_OHLC_MESSAGE && first && last) {
    const hs = extreme(p.points, bySettlement, 1);
    const hm = extreme(p.points, byMark, 1);
    const hq = extreme(p.points, byQuote, 1);
    const ls = extreme(p.points, bySettlement, -1);
    const lm = extreme(p.points, byMark, -1);
    const lq = extreme(p.points, byQuote, -1);
    row.FIRST_MESSAGE_TIMESTAMP = first.t;
    row.FIRST_MESSAGE_SETTLEMENT = first.v.settlement;
    row.FIRST_MESSAGE_MARK_PRICE = first.v.markPrice;
    row.FIRST_MESSAGE_QUOTE = first.v.quote;
    row.HIGH_MESSAGE_SETTLEMENT = hs.v.settlement;
    row.HIGH_MESSAGE_SETTLEMENT_MARK_PRICE = hs.v.markPrice;
    row.HIGH_MESSAGE_SETTLEMENT_TIMESTAMP = hs.t;
    row.HIGH_MESSAGE_MARK_PRICE = hm.v.markPrice;
    row.HIGH_MESSAGE_MARK_PRICE_SETTLEMENT = hm.v.settlement;
    row.HIGH_MESSAGE_MARK_PRICE_TIMESTAMP = hm.t;
    row.HIGH_MESSAGE_QUOTE = hq.v.quote;
    row.HIGH_MESSAGE_QUOTE_MARK_PRICE = hq.v.markPrice;
    row.HIGH_MESSAGE_QUOTE_TIMESTAMP = hq.t;
    row.LOW_MESSAGE_SETTLEMENT = ls.v.settlement;
    row.LOW_MESSAGE_SETTLEMENT_MARK_PRICE = ls.v.markPrice;
    row.LOW_MESSAGE_SETTLEMENT_TIMESTAMP = ls.t;
    row.LOW_MESSAGE_MARK_PRICE = lm.v.markPrice;
    row.LOW_MESSAGE_MARK_PRICE_SETTLEMENT = lm.v.settlement;
    row.LOW_MESSAGE_MARK_PRICE_TIMESTAMP = lm.t;
    row.LOW_MESSAGE_QUOTE = lq.v.quote;
    row.LOW_MESSAGE_QUOTE_MARK_PRICE = lq.v.markPrice;
    row.LOW_MESSAGE_QUOTE_TIMESTAMP = lq.t;
    row.LAST_MESSAGE_TIMESTAMP = last.t;
    row.LAST_MESSAGE_SETTLEMENT = last.v.settlement;
    row.LAST_MESSAGE_MARK_PRICE = last.v.markPrice;
    row.LAST_MESSAGE_QUOTE = last.v.quote;
  }
  if (groups & O_MESSAGE) row.TOTAL_OPEN_INTEREST_UPDATES = p.updates;
  return row as OpenInterestWire;
}

const OPEN_INTEREST = messageDataset({
  series: OpenInterestSeries,
  wire: openInterestWire,
  from: 'openInterestFrom',
  label: 'open interest',
  groups: OPEN_INTEREST_GROUPS,
  faults: ROW_FAULT_PROFILES['open-interest'],
});

/**
 * The exact wire rows `/futures/v1/historical/open-interest/{days,hours,minutes}` serves for every
 * closed period with `fromTs <= TIMESTAMP < toTsExclusive`. Throws for a contract without OI.
 */
export const expectedOpenInterest = OPEN_INTEREST.expected;

// -------------------------------------------------------------------------------------------------
// Funding rate (TYPE "934")

/**
 * Funding-rate groups (§3.4: "FR adds VALUE"). [inferred] INTERVAL_MS is the VALUE group; the
 * OHLC_MESSAGE group is accepted but adds no keys (the documented full row has none).
 */
export const FUNDING_RATE_GROUPS = [
  'ID',
  'MAPPING',
  'MAPPING_ADVANCED',
  'VALUE',
  'OHLC',
  'OHLC_MESSAGE',
  'MESSAGE',
] as const;
export type FundingRateGroup = (typeof FUNDING_RATE_GROUPS)[number];

/** Every key of a full funding-rate row, in the order served (§3.4 example, MAPPING_ADVANCED after MAPPING). */
export const FUNDING_RATE_ROW_KEYS = [
  'UNIT',
  'TIMESTAMP',
  ...ID_KEYS,
  ...MAPPING_KEYS,
  ...MAPPING_ADVANCED_KEYS,
  'INTERVAL_MS',
  'OPEN',
  'HIGH',
  'LOW',
  'CLOSE',
  'TOTAL_FUNDING_RATE_UPDATES',
] as const;

export const FUNDING_RATE_GROUP_KEYS: Readonly<Record<FundingRateGroup, readonly string[]>> = {
  ID: ID_KEYS,
  MAPPING: MAPPING_KEYS,
  MAPPING_ADVANCED: MAPPING_ADVANCED_KEYS,
  VALUE: ['INTERVAL_MS'],
  OHLC: ['OPEN', 'HIGH', 'LOW', 'CLOSE'],
  OHLC_MESSAGE: [],
  MESSAGE: ['TOTAL_FUNDING_RATE_UPDATES'],
};

export interface FundingRateWire {
  UNIT: WireUnit;
  TIMESTAMP: number;
  TYPE?: '934';
  MARKET?: string;
  INSTRUMENT?: string;
  MAPPED_INSTRUMENT?: string;
  INDEX_UNDERLYING?: string;
  QUOTE_CURRENCY?: string;
  SETTLEMENT_CURRENCY?: string;
  CONTRACT_CURRENCY?: string;
  DENOMINATION_TYPE?: string;
  INDEX_UNDERLYING_ID?: number;
  QUOTE_CURRENCY_ID?: number;
  SETTLEMENT_CURRENCY_ID?: number;
  CONTRACT_CURRENCY_ID?: number;
  TRANSFORM_FUNCTION?: string;
  INTERVAL_MS?: number;
  OPEN?: number;
  HIGH?: number;
  LOW?: number;
  CLOSE?: number;
  TOTAL_FUNDING_RATE_UPDATES?: number;
}

const R_ID = 1;
const R_MAPPING = 2;
const R_MAPPING_ADVANCED = 4;
const R_VALUE = 8;
const R_OHLC = 16;
const R_MESSAGE = 64;

function fundingRateWire(p: MessagePeriod<number>, inst: FuturesInstrument, unit: WireUnit, groups: number) {
  const row: Row = { UNIT: unit, TIMESTAMP: p.timestamp };
  if (groups & R_ID) putId(row, '934', inst);
  if (groups & R_MAPPING) putMapping(row, inst);
  if (groups & R_MAPPING_ADVANCED) putMappingAdvanced(row, inst);
  if (groups & R_VALUE) row.INTERVAL_MS = inst.fundingIntervalMs;
  if (groups & R_OHLC) {
    const values = [p.open, ...p.points.map((x) => x.v)];
    row.OPEN = p.open;
    row.HIGH = Math.max(...values);
    row.LOW = Math.min(...values);
    row.CLOSE = values.at(-1);
  }
  if (groups & R_MESSAGE) row.TOTAL_FUNDING_RATE_UPDATES = p.updates;
  return row as unknown as FundingRateWire;
}

const FUNDING_RATE = messageDataset({
  series: FundingRateSeries,
  wire: fundingRateWire,
  from: 'fundingFrom',
  label: 'funding rate',
  groups: FUNDING_RATE_GROUPS,
  faults: ROW_FAULT_PROFILES['funding-rate'],
});

/**
 * The exact wire rows `/futures/v1/historical/funding-rate/{days,hours,minutes}` serves for every
 * closed period with `fromTs <= TIMESTAMP < toTsExclusive`. Throws for a contract without funding.
 */
export const expectedFundingRates = FUNDING_RATE.expected;

// -------------------------------------------------------------------------------------------------
// Routes

const FUTURES_ROUTES: Readonly<
  Record<Exclude<HistoricalDataset, 'spot-ohlcv'>, HistoricalDatasetRoute<FuturesInstrument>>
> = {
  'futures-ohlcv': FUTURES_OHLCV_ROUTE,
  'open-interest': OPEN_INTEREST.route,
  'funding-rate': FUNDING_RATE.route,
};

/** `GET /futures/v1/historical/[open-interest/|funding-rate/]{days,hours,minutes}`. */
export function futuresHistorical(
  req: SimRequest,
  dataset: Exclude<HistoricalDataset, 'spot-ohlcv'>,
  interval: SimInterval,
): SimResponse {
  return serveHistorical(req, interval, FUTURES_ROUTES[dataset]);
}
