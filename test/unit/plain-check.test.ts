/**
 * The plain row check is only ever a faster "zod would accept this": whenever it accepts a row, zod
 * accepts the same row with the same values; a schema it cannot mirror gets none; and the real
 * row schemas of the time-series datasets do get one (else the fast path is silently gone).
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { plainCheckOf } from '../../activities/plain-check';
import { futuresOhlcvRowSchema, spotOhlcvRowSchema } from '../../activities/sources/data-api/ohlcv';
import { fundingRateRowSchema, openInterestRowSchema } from '../../activities/sources/data-api/derivatives';
import { histoRowSchema } from '../../activities/sources/min-api/histo';

const SAMPLES: unknown[] = [
  0,
  -1.5,
  7,
  2 ** 53,
  2 ** 53 - 1,
  1e308,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  '',
  'x',
  '1',
  true,
  false,
  null,
  undefined,
  {},
  [],
];

const schema = z.looseObject({
  n: z.number(),
  i: z.number().int(),
  s: z.string(),
  b: z.boolean(),
  on: z.number().optional(),
  nn: z.number().nullable(),
  ons: z.string().nullable().optional(),
});

describe('plainCheckOf', () => {
  it('accepts a row only when zod does, whatever each field holds (or lacks)', () => {
    const check = plainCheckOf(schema)!;
    expect(check).toBeDefined();
    const base = { n: 1, i: 2, s: 's', b: true, on: 3, nn: null, ons: 'x' };
    let accepted = 0;
    for (const key of Object.keys(base)) {
      for (const v of [...SAMPLES, 'absent']) {
        const row: Record<string, unknown> = { ...base, extra: 'kept' };
        if (v === 'absent') delete row[key];
        else row[key] = v;
        const zod = schema.safeParse(row);
        if (check(row)) {
          accepted++;
          expect(zod.success, `${key}=${String(v)}`).toBe(true);
          expect(zod.data).toEqual(row); // a loose object's output: the same keys and values
        }
      }
    }
    expect(accepted).toBeGreaterThan(10); // it does accept the ordinary rows
  });

  it('gives no check for a schema it cannot mirror exactly', () => {
    expect(plainCheckOf(z.object({ n: z.number() }))).toBeUndefined(); // strips unknown keys
    expect(plainCheckOf(z.looseObject({ n: z.number().min(0) }))).toBeUndefined();
    expect(plainCheckOf(z.looseObject({ n: z.number().transform((x) => x * 2) }))).toBeUndefined();
    expect(plainCheckOf(z.looseObject({ n: z.string().regex(/x/) }))).toBeUndefined();
    expect(plainCheckOf(z.looseObject({ o: z.looseObject({}) }))).toBeUndefined();
    expect(plainCheckOf(z.array(z.number()))).toBeUndefined();
  });

  it('every time-series row schema has one; it accepts a real row and refuses a "NaN" string', () => {
    for (const s of [
      spotOhlcvRowSchema,
      futuresOhlcvRowSchema,
      openInterestRowSchema,
      fundingRateRowSchema,
      histoRowSchema,
    ])
      expect(plainCheckOf(s as never)).toBeDefined();
    const row = {
      UNIT: 'DAY',
      TIMESTAMP: 1749081600,
      TYPE: '954',
      MARKET: 'kraken',
      INSTRUMENT: 'XXBTZUSD',
      OPEN: 104745.4,
      HIGH: 105948.1,
      LOW: 103816.5,
      CLOSE: 103816.6,
      TOTAL_TRADES: 15141,
      TOTAL_TRADES_BUY: 8963,
      TOTAL_TRADES_SELL: 6178,
      TOTAL_TRADES_UNKNOWN: 0,
      VOLUME: 570.57588134,
      QUOTE_VOLUME: 59804933.4479934,
      VOLUME_BUY: 254.85238326,
      QUOTE_VOLUME_BUY: 26752024.070733,
      VOLUME_SELL: 315.72349808,
      QUOTE_VOLUME_SELL: 33052909.3772628,
      VOLUME_UNKNOWN: 0,
      QUOTE_VOLUME_UNKNOWN: 0,
    };
    const check = plainCheckOf(spotOhlcvRowSchema)!;
    expect(check(row)).toBe(true);
    expect(check({ ...row, FIRST_TRADE_PRICE: 1 })).toBe(true);
    expect(check({ ...row, CLOSE: 'NaN' })).toBe(false);
    expect(check({ ...row, TIMESTAMP: 1749081600.5 })).toBe(false);
    expect(check({ ...row, FIRST_TRADE_PRICE: null })).toBe(false); // optional, not nullable
  });
});
