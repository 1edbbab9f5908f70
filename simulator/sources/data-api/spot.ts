/**
 * Spot OHLCV (`/spot/v1/historical/{days,hours,minutes}`, row TYPE "954"): wire rows, the route
 * plug-in for the shared historical pipeline, and the expected-rows generator.
 */
import type { SimRequest, SimResponse } from '../../types';
import { findInstrument, isSimMarket, type SimInstrument } from './catalog';
import { ROW_FAULT_PROFILES } from './faults';
import {
  expectedRows,
  HISTORICAL_DEFAULT_LIMIT,
  HISTORICAL_MAX_LIMIT,
  serveHistorical,
  UNIT_OF,
  wireRows,
  type ExpectedRowsOptions,
  type HistoricalDatasetRoute,
  type SeriesBounds,
} from './historical';
import { instrumentNotFound, marketNotFound } from './http';
import { SpotSeries, type SimCandle, type SimInterval } from './series';

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
export const SPOT_MAX_LIMIT: Readonly<Record<SimInterval, number>> = HISTORICAL_MAX_LIMIT;
export const SPOT_DEFAULT_LIMIT = HISTORICAL_DEFAULT_LIMIT;

const G_ID = 1;
const G_MAPPING = 2;
const G_MAPPING_ADVANCED = 4;
const G_OHLC = 8;
const G_OHLC_TRADE = 16;
const G_TRADE = 32;
const G_VOLUME = 64;

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

// -------------------------------------------------------------------------------------------------
// Series access

export function spotSeries(inst: SimInstrument, interval: SimInterval): SpotSeries {
  return new SpotSeries(inst, interval);
}

/** First period and trading end of a spot instrument at an interval. */
export function spotBounds(inst: SimInstrument, interval: SimInterval): SeriesBounds {
  return { firstStart: spotSeries(inst, interval).firstStart, end: inst.retiredAt };
}

function resolveInstrument(market: string, instrument: string): SimInstrument {
  const inst = findInstrument(market.toLowerCase(), instrument);
  if (!inst) throw new Error(`the simulator does not list ${instrument} on ${market}`);
  return inst;
}

/** Start of the first period served for an instrument (its listing period) at an interval. */
export function listingTimestamp(market: string, instrument: string, interval: SimInterval): number {
  return spotSeries(resolveInstrument(market, instrument), interval).firstStart;
}

function spotRows(
  inst: SimInstrument,
  interval: SimInterval,
  from: number,
  to: number,
  nowSeconds: number | undefined,
  groups: number,
  fill: boolean,
): SpotCandleWire[] {
  const unit = UNIT_OF[interval];
  return wireRows(spotSeries(inst, interval).candles(from, to, nowSeconds), fill, (c) => toWire(c, inst, unit, groups));
}

// -------------------------------------------------------------------------------------------------
// Route

const SPOT_ROUTE: HistoricalDatasetRoute<SimInstrument> = {
  groups: SPOT_GROUPS,
  faults: ROW_FAULT_PROFILES['spot-ohlcv'],
  checkMarket: (market) => (isSimMarket(market) ? undefined : marketNotFound(market)),
  lookup: (market, instrument, applyMapping) =>
    findInstrument(market, instrument, applyMapping) ?? instrumentNotFound(market, instrument),
  mappedId: (inst) => inst.mapped,
  bounds: spotBounds,
  rows: spotRows,
};

export type ExpectedCandlesOptions = ExpectedRowsOptions<SpotGroup>;

/**
 * The exact wire rows `/spot/v1/historical/{days,hours,minutes}` serves for every period with
 * `fromTs <= TIMESTAMP < toTsExclusive` once those periods are closed (never provisional values),
 * ascending, all groups unless told otherwise. Periods before the listing (and, for a RETIRED
 * instrument, after its last trade) are not included.
 */
export function expectedSpotCandles(
  market: string,
  instrument: string,
  interval: SimInterval,
  fromTs: number,
  toTsExclusive: number,
  options: ExpectedCandlesOptions = {},
): SpotCandleWire[] {
  return expectedRows(SPOT_ROUTE, resolveInstrument(market, instrument), interval, fromTs, toTsExclusive, options);
}

/** `GET /spot/v1/historical/{days,hours,minutes}`. */
export function spotHistorical(req: SimRequest, interval: SimInterval): SimResponse {
  return serveHistorical(req, interval, SPOT_ROUTE);
}
