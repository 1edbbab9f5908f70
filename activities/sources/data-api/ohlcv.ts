/**
 * Datasets `spot-ohlcv` (`/spot/v1/historical/*` → `spot_ohlcv`) and `futures-ohlcv`
 * (`/futures/v1/historical/*` → `futures_ohlcv`). Filler rows (periods without trades) lack
 * every `*_TRADE_*` key; their trade columns are stored as NULL.
 */
import { z } from 'zod';
import { negativeKeyProblem, ohlcProblem } from '../../validation';
import { f8, FUTURES_ID_MAPPING, historicalDataset, i8, tsz, type WireRow } from './historical';

const num = z.number();
const optNum = z.number().optional();

const ohlcvShape = {
  UNIT: z.string(),
  TIMESTAMP: z.number().int(),
  MARKET: z.string(),
  INSTRUMENT: z.string(),
  OPEN: num,
  HIGH: num,
  LOW: num,
  CLOSE: num,
  FIRST_TRADE_TIMESTAMP: optNum,
  LAST_TRADE_TIMESTAMP: optNum,
  FIRST_TRADE_PRICE: optNum,
  HIGH_TRADE_PRICE: optNum,
  HIGH_TRADE_TIMESTAMP: optNum,
  LOW_TRADE_PRICE: optNum,
  LOW_TRADE_TIMESTAMP: optNum,
  LAST_TRADE_PRICE: optNum,
  TOTAL_TRADES: num,
  TOTAL_TRADES_BUY: num,
  TOTAL_TRADES_SELL: num,
  TOTAL_TRADES_UNKNOWN: num,
  VOLUME: num,
  QUOTE_VOLUME: num,
  VOLUME_BUY: num,
  QUOTE_VOLUME_BUY: num,
  VOLUME_SELL: num,
  QUOTE_VOLUME_SELL: num,
  VOLUME_UNKNOWN: num,
  QUOTE_VOLUME_UNKNOWN: num,
};

export const spotOhlcvRowSchema = z.looseObject(ohlcvShape);
export const futuresOhlcvRowSchema = z.looseObject({ ...ohlcvShape, NUMBER_OF_CONTRACTS: num });
type SpotRow = z.output<typeof spotOhlcvRowSchema> & WireRow;
type FuturesRow = z.output<typeof futuresOhlcvRowSchema> & WireRow;

const TRADE_KEYS = [
  'FIRST_TRADE_TIMESTAMP',
  'LAST_TRADE_TIMESTAMP',
  'FIRST_TRADE_PRICE',
  'HIGH_TRADE_PRICE',
  'HIGH_TRADE_TIMESTAMP',
  'LOW_TRADE_PRICE',
  'LOW_TRADE_TIMESTAMP',
  'LAST_TRADE_PRICE',
] as const;

const VOLUME_KEYS = [
  'VOLUME',
  'QUOTE_VOLUME',
  'VOLUME_BUY',
  'QUOTE_VOLUME_BUY',
  'VOLUME_SELL',
  'QUOTE_VOLUME_SELL',
  'VOLUME_UNKNOWN',
  'QUOTE_VOLUME_UNKNOWN',
] as const;
const COUNT_KEYS = ['TOTAL_TRADES', 'TOTAL_TRADES_BUY', 'TOTAL_TRADES_SELL', 'TOTAL_TRADES_UNKNOWN'] as const;

/** Required on every row (filler rows included). */
const REQUIRED = [
  'UNIT',
  'TIMESTAMP',
  'MARKET',
  'INSTRUMENT',
  'OPEN',
  'HIGH',
  'LOW',
  'CLOSE',
  ...COUNT_KEYS,
  ...VOLUME_KEYS,
];

/** Every documented key of the groups (api-wire-reference §3.2, §3.3). */
const SPOT_KNOWN = [
  ...REQUIRED,
  'TYPE',
  'MAPPED_INSTRUMENT',
  'BASE',
  'QUOTE',
  'BASE_ID',
  'QUOTE_ID',
  'TRANSFORM_FUNCTION',
  ...TRADE_KEYS,
];
const FUTURES_KNOWN = [...REQUIRED, ...FUTURES_ID_MAPPING, 'NUMBER_OF_CONTRACTS', ...TRADE_KEYS];

const OHLCV_COLUMNS = [
  [f8('open'), 'OPEN'],
  [f8('high'), 'HIGH'],
  [f8('low'), 'LOW'],
  [f8('close'), 'CLOSE'],
  [f8('volume'), 'VOLUME'],
  [f8('quote_volume'), 'QUOTE_VOLUME'],
  [f8('volume_buy'), 'VOLUME_BUY'],
  [f8('quote_volume_buy'), 'QUOTE_VOLUME_BUY'],
  [f8('volume_sell'), 'VOLUME_SELL'],
  [f8('quote_volume_sell'), 'QUOTE_VOLUME_SELL'],
  [f8('volume_unknown'), 'VOLUME_UNKNOWN'],
  [f8('quote_volume_unknown'), 'QUOTE_VOLUME_UNKNOWN'],
  [i8('total_trades'), 'TOTAL_TRADES'],
  [i8('total_trades_buy'), 'TOTAL_TRADES_BUY'],
  [i8('total_trades_sell'), 'TOTAL_TRADES_SELL'],
  [i8('total_trades_unknown'), 'TOTAL_TRADES_UNKNOWN'],
  [tsz('first_trade_ts'), 'FIRST_TRADE_TIMESTAMP'],
  [tsz('last_trade_ts'), 'LAST_TRADE_TIMESTAMP'],
  [f8('first_trade_price', true), 'FIRST_TRADE_PRICE'],
  [f8('high_trade_price', true), 'HIGH_TRADE_PRICE'],
  [tsz('high_trade_ts'), 'HIGH_TRADE_TIMESTAMP'],
  [f8('low_trade_price', true), 'LOW_TRADE_PRICE'],
  [tsz('low_trade_ts'), 'LOW_TRADE_TIMESTAMP'],
  [f8('last_trade_price', true), 'LAST_TRADE_PRICE'],
] as const;

/** Never negative, in the order a reason names the first. */
const NON_NEGATIVE = [...VOLUME_KEYS, ...COUNT_KEYS, 'NUMBER_OF_CONTRACTS'];

function ohlcvInvariants(r: SpotRow | FuturesRow): string | undefined {
  return ohlcProblem(r.OPEN, r.HIGH, r.LOW, r.CLOSE) ?? negativeKeyProblem(r, NON_NEGATIVE);
}

/** A filler row: no `*_TRADE_*` keys (the API's marker for a period without trades). */
const isFiller = (r: SpotRow | FuturesRow): boolean => r.FIRST_TRADE_TIMESTAMP === undefined;

export const spotOhlcvOptions = {
  id: 'spot-ohlcv',
  description: 'Spot OHLCV candles per market and instrument (Data API /spot/v1/historical/*)',
  table: 'spot_ohlcv',
  instrumentKind: 'spot' as const,
  comparable: { kind: 'spot-ohlcv', close: 'close', volume: 'volume' },
  path: '/spot/v1/historical',
  groups: 'ID,MAPPING,OHLC,OHLC_TRADE,TRADE,VOLUME',
  what: 'spot OHLCV',
  columns: OHLCV_COLUMNS,
  schema: spotOhlcvRowSchema as unknown as z.ZodType<SpotRow>,
  required: REQUIRED,
  known: SPOT_KNOWN,
  isFiller,
  invariants: ohlcvInvariants,
};

export const futuresOhlcvOptions = {
  id: 'futures-ohlcv',
  description: 'Futures OHLCV candles per market and contract (Data API /futures/v1/historical/*)',
  table: 'futures_ohlcv',
  instrumentKind: 'futures' as const,
  path: '/futures/v1/historical',
  groups: 'ID,MAPPING,OHLC,OHLC_TRADE,TRADE,VOLUME',
  what: 'futures OHLCV',
  columns: [...OHLCV_COLUMNS, [f8('number_of_contracts', true), 'NUMBER_OF_CONTRACTS']] as const,
  schema: futuresOhlcvRowSchema as unknown as z.ZodType<FuturesRow>,
  required: [...REQUIRED, 'NUMBER_OF_CONTRACTS'],
  known: FUTURES_KNOWN,
  isFiller,
  invariants: ohlcvInvariants,
};

export const spotOhlcv = historicalDataset<SpotRow>(spotOhlcvOptions);
export const futuresOhlcv = historicalDataset<FuturesRow>(futuresOhlcvOptions);
