/**
 * zod schemas for Data API bodies (api-wire-reference §3). Objects are loose: the API adds
 * fields over time, and an unknown field is not a contract break.
 */
import { z } from 'zod';

/** `{"Data":{},"Err":{"type":1,"message":"…","other_info":{…}}}` */
export const errorEnvelopeSchema = z.looseObject({
  Err: z.looseObject({
    type: z.number().optional(),
    message: z.string().optional(),
    other_info: z.looseObject({ first: z.number().optional(), param: z.string().optional() }).optional(),
  }),
});

/** Success envelope of the historical endpoints: `Data` is an array, `Err` an empty object. */
export const historicalEnvelopeSchema = z.looseObject({
  Data: z.array(z.unknown()),
  Err: z.looseObject({}),
});

const num = z.number();
const optNum = z.number().optional();

/**
 * One spot OHLCV row with the groups we request (ID, MAPPING, OHLC, OHLC_TRADE, TRADE, VOLUME).
 * `*_TRADE_*` keys are absent on filler rows (periods without trades).
 */
export const spotOhlcvRowSchema = z.looseObject({
  UNIT: z.enum(['MINUTE', 'HOUR', 'DAY']),
  TIMESTAMP: z.number().int(),
  TYPE: z.string(),
  MARKET: z.string(),
  INSTRUMENT: z.string(),
  MAPPED_INSTRUMENT: z.string().optional(),
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
});

export type SpotOhlcvRow = z.output<typeof spotOhlcvRowSchema>;
