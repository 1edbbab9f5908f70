/**
 * Datasets `futures-open-interest` (`/futures/v1/historical/open-interest/*` →
 * `futures_open_interest`) and `futures-funding-rate` (`/futures/v1/historical/funding-rate/*` →
 * `futures_funding_rate`). A period without updates is a filler (its update count is 0).
 */
import { z } from 'zod';
import { negativeProblem, ohlcProblem } from '../../validation';
import { f8, FUTURES_ID_MAPPING, historicalDataset, i8, type WireRow } from './historical';

const num = z.number();
const optNum = z.number().nullable().optional();

// ---------------------------------------------------------------------------------------------
// Open interest

const OI_VALUES = [
  ['open_settlement', 'OPEN_SETTLEMENT'],
  ['open_mark_price', 'OPEN_MARK_PRICE'],
  ['open_quote', 'OPEN_QUOTE'],
  ['high_settlement', 'HIGH_SETTLEMENT'],
  ['high_settlement_mark_price', 'HIGH_SETTLEMENT_MARK_PRICE'],
  ['high_mark_price', 'HIGH_MARK_PRICE'],
  ['high_mark_price_settlement', 'HIGH_MARK_PRICE_SETTLEMENT'],
  ['high_quote', 'HIGH_QUOTE'],
  ['high_quote_mark_price', 'HIGH_QUOTE_MARK_PRICE'],
  ['low_settlement', 'LOW_SETTLEMENT'],
  ['low_settlement_mark_price', 'LOW_SETTLEMENT_MARK_PRICE'],
  ['low_mark_price', 'LOW_MARK_PRICE'],
  ['low_mark_price_settlement', 'LOW_MARK_PRICE_SETTLEMENT'],
  ['low_quote', 'LOW_QUOTE'],
  ['low_quote_mark_price', 'LOW_QUOTE_MARK_PRICE'],
  ['close_settlement', 'CLOSE_SETTLEMENT'],
  ['close_mark_price', 'CLOSE_MARK_PRICE'],
  ['close_quote', 'CLOSE_QUOTE'],
] as const;
const OI_REQUIRED_VALUES = new Set(['OPEN_SETTLEMENT', 'HIGH_SETTLEMENT', 'LOW_SETTLEMENT', 'CLOSE_SETTLEMENT']);

/** OHLC_MESSAGE group keys (documented; not stored). */
const OI_MESSAGE_KEYS = ['FIRST_MESSAGE_TIMESTAMP', 'LAST_MESSAGE_TIMESTAMP'].concat(
  ['FIRST', 'LAST'].flatMap((p) => ['SETTLEMENT', 'MARK_PRICE', 'QUOTE'].map((v) => `${p}_MESSAGE_${v}`)),
  ['HIGH', 'LOW'].flatMap((p) =>
    [
      ['SETTLEMENT', 'MARK_PRICE'],
      ['MARK_PRICE', 'SETTLEMENT'],
      ['QUOTE', 'MARK_PRICE'],
    ].flatMap(([a, b]) => [`${p}_MESSAGE_${a}`, `${p}_MESSAGE_${a}_${b}`, `${p}_MESSAGE_${a}_TIMESTAMP`]),
  ),
);

export const openInterestRowSchema = z.looseObject({
  UNIT: z.string(),
  TIMESTAMP: z.number().int(),
  MARKET: z.string(),
  INSTRUMENT: z.string(),
  ...Object.fromEntries(OI_VALUES.map(([, k]) => [k, OI_REQUIRED_VALUES.has(k) ? num : optNum])),
  TOTAL_OPEN_INTEREST_UPDATES: num,
});
type OiRow = WireRow & Record<(typeof OI_VALUES)[number][1], number> & { TOTAL_OPEN_INTEREST_UPDATES: number };

export const openInterestOptions = {
  id: 'futures-open-interest',
  description: 'Futures open interest per market and contract (Data API /futures/v1/historical/open-interest/*)',
  table: 'futures_open_interest',
  instrumentKind: 'futures' as const,
  path: '/futures/v1/historical/open-interest',
  groups: 'ID,MAPPING,OHLC,MESSAGE',
  what: 'open interest',
  columns: [
    ...OI_VALUES.map(([col, key]) => [f8(col, !OI_REQUIRED_VALUES.has(key)), key] as const),
    [i8('total_updates'), 'TOTAL_OPEN_INTEREST_UPDATES'] as const,
  ],
  schema: openInterestRowSchema as unknown as z.ZodType<OiRow>,
  required: ['UNIT', 'TIMESTAMP', 'MARKET', 'INSTRUMENT', ...OI_REQUIRED_VALUES, 'TOTAL_OPEN_INTEREST_UPDATES'],
  known: [
    'UNIT',
    'TIMESTAMP',
    'MARKET',
    ...FUTURES_ID_MAPPING,
    ...OI_VALUES.map(([, k]) => k),
    ...OI_MESSAGE_KEYS,
    'TOTAL_OPEN_INTEREST_UPDATES',
  ],
  isFiller: (r: OiRow) => r.TOTAL_OPEN_INTEREST_UPDATES === 0,
  invariants: (r: OiRow) =>
    ohlcProblem(r.OPEN_SETTLEMENT, r.HIGH_SETTLEMENT, r.LOW_SETTLEMENT, r.CLOSE_SETTLEMENT) ??
    negativeProblem(
      [...OI_VALUES.map(([, k]) => k), 'TOTAL_OPEN_INTEREST_UPDATES' as const].map((k) => [k, r[k]] as const),
    ),
};

// ---------------------------------------------------------------------------------------------
// Funding rate

export const fundingRateRowSchema = z.looseObject({
  UNIT: z.string(),
  TIMESTAMP: z.number().int(),
  MARKET: z.string(),
  INSTRUMENT: z.string(),
  INTERVAL_MS: optNum,
  OPEN: num,
  HIGH: num,
  LOW: num,
  CLOSE: num,
  TOTAL_FUNDING_RATE_UPDATES: num,
});
type FrRow = WireRow & z.output<typeof fundingRateRowSchema>;

export const fundingRateOptions = {
  id: 'futures-funding-rate',
  description: 'Futures funding rates per market and perpetual (Data API /futures/v1/historical/funding-rate/*)',
  table: 'futures_funding_rate',
  instrumentKind: 'futures' as const,
  path: '/futures/v1/historical/funding-rate',
  groups: 'ID,MAPPING,OHLC,MESSAGE,VALUE',
  what: 'funding rate',
  columns: [
    [i8('interval_ms', true), 'INTERVAL_MS'],
    [f8('open'), 'OPEN'],
    [f8('high'), 'HIGH'],
    [f8('low'), 'LOW'],
    [f8('close'), 'CLOSE'],
    [i8('total_updates'), 'TOTAL_FUNDING_RATE_UPDATES'],
  ] as const,
  schema: fundingRateRowSchema as unknown as z.ZodType<FrRow>,
  required: ['UNIT', 'TIMESTAMP', 'MARKET', 'INSTRUMENT', 'OPEN', 'HIGH', 'LOW', 'CLOSE', 'TOTAL_FUNDING_RATE_UPDATES'],
  known: [
    'UNIT',
    'TIMESTAMP',
    'MARKET',
    ...FUTURES_ID_MAPPING,
    'INTERVAL_MS',
    'OPEN',
    'HIGH',
    'LOW',
    'CLOSE',
    'TOTAL_FUNDING_RATE_UPDATES',
    'FIRST_MESSAGE_TIMESTAMP',
    'LAST_MESSAGE_TIMESTAMP',
    'FIRST_MESSAGE_VALUE',
    'HIGH_MESSAGE_VALUE',
    'HIGH_MESSAGE_TIMESTAMP',
    'LOW_MESSAGE_VALUE',
    'LOW_MESSAGE_TIMESTAMP',
    'LAST_MESSAGE_VALUE',
  ],
  isFiller: (r: FrRow) => r.TOTAL_FUNDING_RATE_UPDATES === 0,
  // Rates may be negative; only the ordering and the update count are checked.
  invariants: (r: FrRow) =>
    ohlcProblem(r.OPEN, r.HIGH, r.LOW, r.CLOSE) ??
    negativeProblem([['TOTAL_FUNDING_RATE_UPDATES', r.TOTAL_FUNDING_RATE_UPDATES]]),
};

export const futuresOpenInterest = historicalDataset<OiRow>(openInterestOptions);
export const futuresFundingRate = historicalDataset<FrRow>(fundingRateOptions);
