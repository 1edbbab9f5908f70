/**
 * The Data API twin's futures historical routes: OHLCV, open interest and funding rate, their
 * catalogue, values and faults.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BAD_ROW_KINDS, type BadRowKind } from '../../types';
import { findFuturesInstrument, futuresListingTimestamp, listFuturesInstruments } from './futures-catalog';
import { startDataApiServer, type DataApiTestServer, type ErrorEnvelope } from './testkit';
import {
  BAD_ROW_FIELDS,
  DRIFT_MISSING_FIELD_KEYS,
  DRIFT_NEW_FIELD_KEYS,
  expectedFundingRates,
  expectedFuturesCandles,
  expectedOpenInterest,
  FUNDING_RATE_GROUP_KEYS,
  FUNDING_RATE_ROW_KEYS,
  FUTURES_GROUP_KEYS,
  FUTURES_ROW_KEYS,
  FUTURES_TRADE_KEYS,
  INTERVAL_SECONDS,
  OPEN_INTEREST_GROUP_KEYS,
  OPEN_INTEREST_MESSAGE_KEYS,
  OPEN_INTEREST_ROW_KEYS,
  type FundingRateWire,
  type FuturesCandleWire,
  type HistoricalDataset,
  type OpenInterestWire,
  type SimInterval,
} from '.';

/** A fixed "now": 2023-11-14T22:13:20Z, 20 s into its minute. */
const NOW = 1_700_000_000;
const ROUTE: Record<SimInterval, string> = { '1m': 'minutes', '1h': 'hours', '1d': 'days' };
const PATH: Record<Exclude<HistoricalDataset, 'spot-ohlcv'>, string> = {
  'futures-ohlcv': '/futures/v1/historical',
  'open-interest': '/futures/v1/historical/open-interest',
  'funding-rate': '/futures/v1/historical/funding-rate',
};
const PERP = { market: 'binance', instrument: 'BTC-USDT-VANILLA-PERPETUAL' };

type Row = Record<string, unknown> & { UNIT: string; TIMESTAMP: number };

let api: DataApiTestServer;

beforeAll(async () => {
  api = await startDataApiServer();
});

afterAll(async () => {
  await api.close();
});

beforeEach(async () => {
  await api.control.reset();
  await api.control.setClock({ now: NOW });
  // The clock is frozen, so every call lands in the same one-second window.
  await api.control.setLimits('data-api', { second: 1_000_000, minute: 1_000_000 });
});

function get(
  dataset: keyof typeof PATH,
  interval: SimInterval,
  params: Record<string, string | number>,
  headers?: Record<string, string>,
) {
  return api.get(`${PATH[dataset]}/${ROUTE[interval]}`, params, headers);
}

async function rows<T = Row>(
  dataset: keyof typeof PATH,
  interval: SimInterval,
  params: Record<string, string | number>,
): Promise<T[]> {
  const res = await get(dataset, interval, params);
  expect(res.status, res.text.slice(0, 400)).toBe(200);
  const body = res.json as { Data: T[]; Err: unknown };
  expect(body.Err).toEqual({});
  return body.Data;
}

async function errorOf(dataset: keyof typeof PATH, interval: SimInterval, params: Record<string, string | number>) {
  const res = await get(dataset, interval, params);
  const body = res.json as ErrorEnvelope;
  expect(body.Data).toEqual({});
  expect(Object.keys(body.Err)).toEqual(['type', 'message', 'other_info']);
  return { status: res.status, err: body.Err };
}

const without = (keys: readonly string[], drop: readonly string[]): string[] => keys.filter((k) => !drop.includes(k));

describe('futures OHLCV (TYPE 914)', () => {
  it('returns exactly `limit` ascending rows ending at the period containing to_ts', async () => {
    for (const interval of ['1m', '1h', '1d'] as const) {
      const L = INTERVAL_SECONDS[interval];
      const toTs = NOW - 4 * L - 11;
      const data = await rows('futures-ohlcv', interval, { ...PERP, limit: 300, to_ts: toTs });
      expect(data).toHaveLength(300);
      expect(data.at(-1)!.TIMESTAMP).toBe(Math.floor(toTs / L) * L);
      data.forEach((r, i) => {
        expect(r.UNIT).toBe({ '1m': 'MINUTE', '1h': 'HOUR', '1d': 'DAY' }[interval]);
        if (i > 0) expect(r.TIMESTAMP - data[i - 1]!.TIMESTAMP).toBe(L);
      });
    }
    const open = await rows('futures-ohlcv', '1m', PERP);
    expect(open).toHaveLength(30);
    expect(open.at(-1)!.TIMESTAMP).toBe(Math.floor(NOW / 60) * 60);
  });

  it('serves the S3 key order (MAPPING_ADVANCED after MAPPING); filler rows lack exactly the *_TRADE_* keys', async () => {
    const data = await rows<FuturesCandleWire>('futures-ohlcv', '1m', { ...PERP, limit: 2000, to_ts: NOW - 3600 });
    const fillers = data.filter((r) => r.TOTAL_TRADES === 0);
    expect(fillers.length).toBeGreaterThan(10);
    expect(FUTURES_TRADE_KEYS).toHaveLength(8);
    for (const r of data) {
      const keys = Object.keys(r);
      if (r.TOTAL_TRADES === 0) {
        expect(keys).toEqual(without(FUTURES_ROW_KEYS, FUTURES_TRADE_KEYS));
        expect([r.OPEN, r.HIGH, r.LOW]).toEqual([r.CLOSE, r.CLOSE, r.CLOSE]);
        expect([r.NUMBER_OF_CONTRACTS, r.VOLUME, r.QUOTE_VOLUME]).toEqual([0, 0, 0]);
      } else {
        expect(keys).toEqual([...FUTURES_ROW_KEYS]);
      }
    }
    // The captured S3 order, groups without MAPPING_ADVANCED (36 keys; 28 on filler rows).
    const s3 = await rows('futures-ohlcv', '1h', {
      ...PERP,
      limit: 3,
      to_ts: NOW - 7200,
      groups: 'ID,MAPPING,OHLC,OHLC_TRADE,TRADE,VOLUME',
    });
    expect(Object.keys(s3[0]!)).toEqual(
      'UNIT, TIMESTAMP, TYPE, MARKET, INSTRUMENT, MAPPED_INSTRUMENT, INDEX_UNDERLYING, QUOTE_CURRENCY, SETTLEMENT_CURRENCY, CONTRACT_CURRENCY, DENOMINATION_TYPE, OPEN, HIGH, LOW, CLOSE, TOTAL_TRADES, TOTAL_TRADES_BUY, TOTAL_TRADES_SELL, TOTAL_TRADES_UNKNOWN, NUMBER_OF_CONTRACTS, VOLUME, QUOTE_VOLUME, VOLUME_BUY, QUOTE_VOLUME_BUY, VOLUME_SELL, QUOTE_VOLUME_SELL, VOLUME_UNKNOWN, QUOTE_VOLUME_UNKNOWN, FIRST_TRADE_TIMESTAMP, LAST_TRADE_TIMESTAMP, FIRST_TRADE_PRICE, HIGH_TRADE_PRICE, HIGH_TRADE_TIMESTAMP, LOW_TRADE_PRICE, LOW_TRADE_TIMESTAMP, LAST_TRADE_PRICE'.split(
        ', ',
      ),
    );
    expect(data[0]).toMatchObject({
      TYPE: '914',
      MARKET: 'binance',
      INSTRUMENT: 'BTCUSDT',
      MAPPED_INSTRUMENT: 'BTC-USDT-VANILLA-PERPETUAL',
      INDEX_UNDERLYING: 'BTC',
      QUOTE_CURRENCY: 'USDT',
      SETTLEMENT_CURRENCY: 'USDT',
      CONTRACT_CURRENCY: 'BTC',
      DENOMINATION_TYPE: 'VANILLA',
      INDEX_UNDERLYING_ID: 1,
      QUOTE_CURRENCY_ID: 7,
      SETTLEMENT_CURRENCY_ID: 7,
      CONTRACT_CURRENCY_ID: 1,
      TRANSFORM_FUNCTION: '',
    });
  });

  it('keeps rows consistent; INVERSE contracts settle in the underlying and count USD contracts', async () => {
    const inverse = { market: 'binance', instrument: 'ETH-USD-INVERSE-PERPETUAL' };
    const data = await rows<FuturesCandleWire>('futures-ohlcv', '1h', { ...inverse, limit: 500, to_ts: NOW - 3600 });
    expect(data[0]).toMatchObject({
      INSTRUMENT: 'ETHUSD_PERP',
      QUOTE_CURRENCY: 'USD',
      SETTLEMENT_CURRENCY: 'ETH',
      CONTRACT_CURRENCY: 'USD',
      DENOMINATION_TYPE: 'INVERSE',
    });
    const size = findFuturesInstrument('binance', 'ETH-USD-INVERSE-PERPETUAL')!.contractSize;
    data.forEach((r, i) => {
      if (i > 0) expect(r.OPEN).toBe(data[i - 1]!.CLOSE);
      expect(r.HIGH!).toBeGreaterThanOrEqual(Math.max(r.OPEN!, r.CLOSE!));
      expect(r.LOW!).toBeLessThanOrEqual(Math.min(r.OPEN!, r.CLOSE!));
      expect(r.TOTAL_TRADES).toBe(r.TOTAL_TRADES_BUY! + r.TOTAL_TRADES_SELL! + r.TOTAL_TRADES_UNKNOWN!);
      expect(r.NUMBER_OF_CONTRACTS).toBe(Math.round(r.QUOTE_VOLUME! / size));
    });
  });

  it('accepts native ids, honours apply_mapping=false and lowercases the market', async () => {
    const params = { limit: 4, to_ts: NOW - 7200 };
    const mapped = await get('futures-ohlcv', '1h', { ...PERP, ...params });
    const native = await get('futures-ohlcv', '1h', { market: 'BINANCE', instrument: 'BTCUSDT', ...params });
    expect(native.text).toBe(mapped.text);
    expect((await get('futures-ohlcv', '1h', { ...PERP, apply_mapping: 'false' })).status).toBe(404);
    const bitmex = await rows('futures-ohlcv', '1h', { market: 'bitmex', instrument: 'XBTUSD', ...params });
    expect(bitmex[0]).toMatchObject({ MAPPED_INSTRUMENT: 'BTC-USD-INVERSE-PERPETUAL', INSTRUMENT: 'XBTUSD' });
  });

  it('fill=false drops the filler rows of the same window', async () => {
    const params = { ...PERP, limit: 2000, to_ts: NOW - 3600 };
    const all = await rows<FuturesCandleWire>('futures-ohlcv', '1m', params);
    const traded = await rows<FuturesCandleWire>('futures-ohlcv', '1m', { ...params, fill: 'false' });
    expect(traded).toEqual(all.filter((r) => r.TOTAL_TRADES !== 0));
    expect(traded.length).toBeLessThan(all.length);
  });
});

describe('open interest (TYPE 944)', () => {
  const close = (a: number, b: number): boolean => Math.abs(a - b) <= Math.abs(b) * 1e-9;

  it('serves the §3.4 key order; filler rows omit the *_MESSAGE_* keys and count 0 updates', async () => {
    const data = await rows<OpenInterestWire>('open-interest', '1m', { ...PERP, limit: 2000, to_ts: NOW - 600 });
    expect(data).toHaveLength(2000);
    const fillers = data.filter((r) => r.TOTAL_OPEN_INTEREST_UPDATES === 0);
    expect(fillers.length).toBeGreaterThan(20);
    expect(OPEN_INTEREST_MESSAGE_KEYS).toHaveLength(26);
    for (const r of data) {
      if (r.TOTAL_OPEN_INTEREST_UPDATES === 0) {
        expect(Object.keys(r)).toEqual(without(OPEN_INTEREST_ROW_KEYS, OPEN_INTEREST_MESSAGE_KEYS));
        for (const side of ['HIGH', 'LOW']) {
          expect(r[`${side}_SETTLEMENT`]).toBe(r.CLOSE_SETTLEMENT);
          expect(r[`${side}_MARK_PRICE`]).toBe(r.CLOSE_MARK_PRICE);
          expect(r[`${side}_QUOTE`]).toBe(r.CLOSE_QUOTE);
        }
        expect(r.OPEN_SETTLEMENT).toBe(r.CLOSE_SETTLEMENT);
      } else {
        expect(Object.keys(r)).toEqual([...OPEN_INTEREST_ROW_KEYS]);
      }
    }
    expect(data[0]).toMatchObject({
      TYPE: '944',
      MARKET: 'binance',
      INSTRUMENT: 'BTCUSDT',
      DENOMINATION_TYPE: 'VANILLA',
    });
  });

  it('keeps values consistent: quote = settlement × mark, OHLC over OPEN and messages, OPEN = previous CLOSE', async () => {
    for (const interval of ['1m', '1h', '1d'] as const) {
      const L = INTERVAL_SECONDS[interval];
      const data = await rows<OpenInterestWire>('open-interest', interval, { ...PERP, limit: 500, to_ts: NOW - L });
      data.forEach((r, i) => {
        const n = (k: string): number => r[k] as number;
        expect(close(n('OPEN_QUOTE'), n('OPEN_SETTLEMENT') * n('OPEN_MARK_PRICE'))).toBe(true);
        expect(close(n('CLOSE_QUOTE'), n('CLOSE_SETTLEMENT') * n('CLOSE_MARK_PRICE'))).toBe(true);
        if (i > 0) {
          const prev = data[i - 1]!;
          expect(r.OPEN_SETTLEMENT).toBe(prev.CLOSE_SETTLEMENT);
          expect(r.OPEN_MARK_PRICE).toBe(prev.CLOSE_MARK_PRICE);
          expect(r.OPEN_QUOTE).toBe(prev.CLOSE_QUOTE);
        }
        for (const [field, value] of [
          ['SETTLEMENT', (k: string) => n(`${k}_SETTLEMENT`)],
          ['MARK_PRICE', (k: string) => n(`${k}_MARK_PRICE`)],
          ['QUOTE', (k: string) => n(`${k}_QUOTE`)],
        ] as const) {
          expect(n(`HIGH_${field}`)).toBeGreaterThanOrEqual(Math.max(value('OPEN'), value('CLOSE')));
          expect(n(`LOW_${field}`)).toBeLessThanOrEqual(Math.min(value('OPEN'), value('CLOSE')));
          expect(n(`LOW_${field}`)).toBeGreaterThan(0);
        }
        if (n('TOTAL_OPEN_INTEREST_UPDATES') > 0) {
          for (const k of [
            'FIRST_MESSAGE_TIMESTAMP',
            'LAST_MESSAGE_TIMESTAMP',
            'HIGH_MESSAGE_SETTLEMENT_TIMESTAMP',
            'LOW_MESSAGE_QUOTE_TIMESTAMP',
          ]) {
            expect(n(k)).toBeGreaterThanOrEqual(r.TIMESTAMP);
            expect(n(k)).toBeLessThan(r.TIMESTAMP + L);
          }
          expect(n('FIRST_MESSAGE_TIMESTAMP')).toBeLessThanOrEqual(n('LAST_MESSAGE_TIMESTAMP'));
          expect(r.LAST_MESSAGE_SETTLEMENT).toBe(r.CLOSE_SETTLEMENT);
          expect(n('HIGH_MESSAGE_SETTLEMENT')).toBeLessThanOrEqual(n('HIGH_SETTLEMENT'));
          expect(n('LOW_MESSAGE_MARK_PRICE')).toBeGreaterThanOrEqual(n('LOW_MARK_PRICE'));
          for (const k of ['FIRST', 'LAST']) {
            expect(close(n(`${k}_MESSAGE_QUOTE`), n(`${k}_MESSAGE_SETTLEMENT`) * n(`${k}_MESSAGE_MARK_PRICE`))).toBe(
              true,
            );
          }
          expect(n('HIGH_MESSAGE_QUOTE')).toBeGreaterThanOrEqual(n('LAST_MESSAGE_QUOTE'));
          expect(n('LOW_MESSAGE_SETTLEMENT')).toBeLessThanOrEqual(n('FIRST_MESSAGE_SETTLEMENT'));
          expect(n('TOTAL_OPEN_INTEREST_UPDATES')).toBeGreaterThanOrEqual(2);
        }
      });
    }
  });

  it('fill=false drops periods without updates; only contracts with OI are served', async () => {
    const params = { ...PERP, limit: 1000, to_ts: NOW - 600 };
    const all = await rows<OpenInterestWire>('open-interest', '1m', params);
    const updated = await rows<OpenInterestWire>('open-interest', '1m', { ...params, fill: 'false' });
    expect(updated).toEqual(all.filter((r) => r.TOTAL_OPEN_INTEREST_UPDATES !== 0));
    // BitMEX dated contracts publish no open interest.
    const dated = listFuturesInstruments('bitmex').find((i) => !i.perpetual)!;
    const none = await errorOf('open-interest', '1h', { market: 'bitmex', instrument: dated.mapped });
    expect(none.status).toBe(404);
    expect(none.err.message).toContain('has no open interest data');
    expect(none.err.other_info).toEqual({ param: 'instrument', values: [dated.mapped] });
  });

  it('starts at the exchange OI integration day: "was not trading" before it', async () => {
    const inst = findFuturesInstrument('binance', 'BTC-USDT-VANILLA-PERPETUAL')!;
    const first = inst.openInterestFrom!;
    expect(first).toBeGreaterThan(inst.listedAt);
    const straddle = await rows('open-interest', '1d', { ...PERP, limit: 10, to_ts: first + 2 * 86_400 });
    expect(straddle.map((r) => r.TIMESTAMP)).toEqual([first, first + 86_400, first + 2 * 86_400]);
    const before = await errorOf('open-interest', '1h', { ...PERP, to_ts: first - 1 });
    expect(before.status).toBe(400);
    expect(before.err.message).toContain('was not trading');
    expect(before.err.other_info.first).toBe(first);
  });

  it('reflects only the messages up to "now" in the open period, final once closed', async () => {
    const minute = Math.floor(NOW / 60) * 60;
    const early = (await rows<OpenInterestWire>('open-interest', '1m', { ...PERP, limit: 1 }))[0]!;
    await api.control.setClock({ now: minute + 59 });
    const late = (await rows<OpenInterestWire>('open-interest', '1m', { ...PERP, limit: 1 }))[0]!;
    expect(late.TIMESTAMP).toBe(minute);
    expect(late.TOTAL_OPEN_INTEREST_UPDATES as number).toBeGreaterThanOrEqual(
      early.TOTAL_OPEN_INTEREST_UPDATES as number,
    );
    if (early.LAST_MESSAGE_TIMESTAMP !== undefined)
      expect(early.LAST_MESSAGE_TIMESTAMP as number).toBeLessThanOrEqual(NOW);
    await api.control.setClock({ now: minute + 120 });
    const closed = await rows('open-interest', '1m', { ...PERP, limit: 1, to_ts: minute });
    expect(closed).toEqual(expectedOpenInterest('binance', PERP.instrument, '1m', minute, minute + 60));
    expect(late).toEqual(closed[0]);
  });
});

describe('funding rate (TYPE 934)', () => {
  it('serves the §3.4 key order, small signed rates and consistent OHLC', async () => {
    const data = await rows<FundingRateWire>('funding-rate', '1d', { ...PERP, limit: 1000, to_ts: NOW - 86_400 });
    expect(data).toHaveLength(1000);
    for (const r of data) expect(Object.keys(r)).toEqual([...FUNDING_RATE_ROW_KEYS]);
    expect(data[0]).toMatchObject({
      TYPE: '934',
      MAPPED_INSTRUMENT: 'BTC-USDT-VANILLA-PERPETUAL',
      INTERVAL_MS: 28_800_000,
      SETTLEMENT_CURRENCY: 'USDT',
    });
    data.forEach((r, i) => {
      if (i > 0) expect(r.OPEN).toBe(data[i - 1]!.CLOSE);
      expect(r.HIGH!).toBeGreaterThanOrEqual(Math.max(r.OPEN!, r.CLOSE!));
      expect(r.LOW!).toBeLessThanOrEqual(Math.min(r.OPEN!, r.CLOSE!));
      expect(Math.abs(r.HIGH!)).toBeLessThan(0.005);
      expect(Math.abs(r.LOW!)).toBeLessThan(0.005);
      expect(r.TOTAL_FUNDING_RATE_UPDATES!).toBeGreaterThan(0);
    });
    expect(data.some((r) => r.LOW! < 0)).toBe(true);
    expect(data.some((r) => r.CLOSE! > 0)).toBe(true);
  });

  it('has flat filler minutes with 0 updates (same keys), dropped by fill=false', async () => {
    const params = { ...PERP, limit: 2000, to_ts: NOW - 600 };
    const all = await rows<FundingRateWire>('funding-rate', '1m', params);
    const fillers = all.filter((r) => r.TOTAL_FUNDING_RATE_UPDATES === 0);
    expect(fillers.length).toBeGreaterThan(20);
    for (const r of fillers) {
      expect(Object.keys(r)).toEqual([...FUNDING_RATE_ROW_KEYS]);
      expect([r.OPEN, r.HIGH, r.LOW]).toEqual([r.CLOSE, r.CLOSE, r.CLOSE]);
    }
    const updated = await rows<FundingRateWire>('funding-rate', '1m', { ...params, fill: 'false' });
    expect(updated).toEqual(all.filter((r) => r.TOTAL_FUNDING_RATE_UPDATES !== 0));
  });

  it('is only served for perpetuals', async () => {
    const dated = listFuturesInstruments('deribit').find((i) => !i.perpetual)!;
    const res = await errorOf('funding-rate', '1h', { market: 'deribit', instrument: dated.native });
    expect(res.status).toBe(404);
    expect(res.err.message).toContain('has no funding rate data');
    expect(
      (await get('funding-rate', '1h', { market: 'deribit', instrument: 'BTC-PERPETUAL', to_ts: NOW - 3600 })).status,
    ).toBe(200);
  });
});

describe('every futures historical route', () => {
  const DATASETS = ['futures-ohlcv', 'open-interest', 'funding-rate'] as const;

  it('rejects limits over the cap and other bad parameters with 400', async () => {
    for (const dataset of DATASETS) {
      expect((await errorOf(dataset, '1m', { ...PERP, limit: 2001 })).status).toBe(400);
      expect((await errorOf(dataset, '1h', { ...PERP, limit: 2001 })).status).toBe(400);
      expect((await errorOf(dataset, '1d', { ...PERP, limit: 5001 })).status).toBe(400);
      expect((await errorOf(dataset, '1h', { ...PERP, limit: 0 })).status).toBe(400);
      expect((await errorOf(dataset, '1h', { ...PERP, groups: 'OHLC,NOPE' })).status).toBe(400);
      expect((await errorOf(dataset, '1h', { ...PERP, aggregate: 3 })).status).toBe(400);
      expect((await errorOf(dataset, '1h', { ...PERP, to_ts: 'soon' })).status).toBe(400);
      const missing = await errorOf(dataset, '1h', { market: 'binance' });
      expect(missing.status).toBe(400);
      expect(missing.err.message).toContain('instrument');
    }
    const days = await rows('futures-ohlcv', '1d', { ...PERP, limit: 5000, to_ts: NOW - 86_400 });
    expect(days.length).toBeGreaterThan(1000); // cut at the listing (2019-09-08)
    expect(days[0]!.TIMESTAMP).toBe(futuresListingTimestamp('binance', PERP.instrument));
  });

  it('answers unknown markets (incl. spot-only ones) and instruments with 404', async () => {
    for (const dataset of DATASETS) {
      const market = await errorOf(dataset, '1h', { market: 'Kraken', instrument: 'BTC-USD-INVERSE-PERPETUAL' });
      expect(market.status).toBe(404);
      expect(market.err.message).toMatch(/^Not found: market parameter\. Value kraken not integrated yet\./);
      expect(market.err.message).toContain('/futures/v1/markets');
      expect(market.err.other_info).toEqual({ param: 'market', values: ['kraken'] });
      const instrument = await errorOf(dataset, '1h', { market: 'binance', instrument: 'BTC-USDT' });
      expect(instrument.status).toBe(404);
      expect(instrument.err.message).toContain('instrument parameter');
      expect(instrument.err.other_info).toEqual({ param: 'instrument', values: ['BTC-USDT'] });
    }
    const post = await fetch(`${api.sim.url}/data-api/futures/v1/historical/hours`, { method: 'POST' });
    expect(post.status).toBe(405);
  });

  it('errors with "was not trading" and other_info.first before the listing', async () => {
    // Listed after binance's OI integration: trades, funding and OI all start at the listing.
    const first = futuresListingTimestamp('binance', 'ARB-USDT-VANILLA-PERPETUAL');
    expect(first).toBeLessThan(NOW);
    for (const dataset of DATASETS) {
      for (const interval of ['1h', '1d'] as const) {
        const L = INTERVAL_SECONDS[interval];
        const res = await errorOf(dataset, interval, {
          market: 'binance',
          instrument: 'ARBUSDT',
          to_ts: Math.floor(first / L) * L - 1,
        });
        expect(res.status).toBe(400);
        expect(res.err.message).toContain('was not trading');
        expect(res.err.other_info.first).toBe(Math.floor(first / L) * L);
      }
      const straddle = await rows(dataset, '1d', {
        market: 'binance',
        instrument: 'ARBUSDT',
        limit: 9,
        to_ts: first + 86_400,
      });
      expect(straddle.map((r) => r.TIMESTAMP)).toEqual([first, first + 86_400]);
    }
  });

  it('serves nothing after a dated contract expires or a perpetual is retired', async () => {
    const dated = findFuturesInstrument('binance', 'BTC-USD-INVERSE-20230929')!;
    expect(dated.native).toBe('BTCUSD_230929');
    const expiry = dated.expiry!;
    expect(new Date(expiry * 1000).toISOString()).toBe('2023-09-29T08:00:00.000Z');
    for (const dataset of ['futures-ohlcv', 'open-interest'] as const) {
      for (const interval of ['1m', '1h', '1d'] as const) {
        const L = INTERVAL_SECONDS[interval];
        const data = await rows(dataset, interval, { market: 'binance', instrument: dated.mapped, limit: 10 });
        expect(data).toHaveLength(10);
        expect(data.at(-1)!.TIMESTAMP).toBe(Math.floor((expiry - 1) / L) * L);
        for (const r of data) {
          for (const k of ['LAST_TRADE_TIMESTAMP', 'LAST_MESSAGE_TIMESTAMP']) {
            if (r[k] !== undefined) expect(r[k] as number).toBeLessThan(expiry);
          }
        }
      }
    }
    const retired = findFuturesInstrument('binance', 'LUNA-USDT-VANILLA-PERPETUAL')!;
    const end = retired.retiredAt!;
    for (const dataset of DATASETS) {
      const data = await rows(dataset, '1h', { market: 'binance', instrument: 'LUNAUSDT', limit: 3, to_ts: NOW });
      expect(data.map((r) => r.TIMESTAMP)).toEqual([end - 3 * 3600, end - 2 * 3600, end - 3600]);
    }
  });

  it('emits only the requested groups plus UNIT and TIMESTAMP, in row order', async () => {
    const groupKeys = {
      'futures-ohlcv': FUTURES_GROUP_KEYS,
      'open-interest': OPEN_INTEREST_GROUP_KEYS,
      'funding-rate': FUNDING_RATE_GROUP_KEYS,
    } as const;
    const rowKeys = {
      'futures-ohlcv': FUTURES_ROW_KEYS,
      'open-interest': OPEN_INTEREST_ROW_KEYS,
      'funding-rate': FUNDING_RATE_ROW_KEYS,
    } as const;
    for (const dataset of DATASETS) {
      const groups = groupKeys[dataset] as Readonly<Record<string, readonly string[]>>;
      for (const selection of [['OHLC'], ['MAPPING_ADVANCED', 'ID'], ['MAPPING', 'MAPPING_ADVANCED', 'OHLC']]) {
        const data = await rows(dataset, '1h', { ...PERP, limit: 2, to_ts: NOW - 7200, groups: selection.join(',') });
        const wanted = new Set(['UNIT', 'TIMESTAMP', ...selection.flatMap((g) => groups[g] ?? [])]);
        expect(Object.keys(data[0]!)).toEqual(rowKeys[dataset].filter((k) => wanted.has(k)));
      }
      // Every group together covers every key exactly once.
      expect(Object.values(groups).flat().sort()).toEqual(without(rowKeys[dataset], ['UNIT', 'TIMESTAMP']).sort());
    }
  });

  it('serves byte-identical bodies for the same closed request', async () => {
    for (const dataset of DATASETS) {
      const params = { market: 'okex', instrument: 'BTC-USD-SWAP', limit: 1500, to_ts: NOW - 900 };
      const a = await get(dataset, '1m', params);
      await api.control.setClock({ now: NOW + 54_321 });
      const b = await get(dataset, '1m', params);
      await api.control.setClock({ now: NOW });
      expect(a.status).toBe(200);
      expect(b.text).toBe(a.text);
    }
  });

  it('the expected generators equal what the routes serve when paging back with to_ts', async () => {
    const generators = {
      'futures-ohlcv': expectedFuturesCandles,
      'open-interest': expectedOpenInterest,
      'funding-rate': expectedFundingRates,
    } as const;
    const cases = [
      { market: 'bybit', instrument: 'ETH-USD-INVERSE-PERPETUAL' },
      { market: 'deribit', instrument: 'BTC-PERPETUAL' },
    ];
    for (const dataset of DATASETS) {
      for (const c of cases) {
        for (const interval of ['1h', '1m'] as const) {
          const L = INTERVAL_SECONDS[interval];
          const lastClosed = Math.floor(NOW / L) * L - L;
          const served: Row[] = [];
          let toTs = lastClosed + L - 1;
          for (let page = 0; page < 2; page++) {
            const data = await rows(dataset, interval, { ...c, limit: 600, to_ts: toTs });
            expect(data).toHaveLength(600);
            served.unshift(...data);
            toTs = data[0]!.TIMESTAMP - L;
          }
          const expected = generators[dataset](c.market, c.instrument, interval, served[0]!.TIMESTAMP, lastClosed + L);
          expect(expected).toHaveLength(1200);
          expect(JSON.stringify(served)).toBe(JSON.stringify(expected));
        }
      }
    }
    // An expired contract: everything up to its expiry.
    const dated = 'BTC-USD-INVERSE-20230929';
    const data = await rows('futures-ohlcv', '1d', { market: 'okex', instrument: dated, limit: 5000 });
    expect(data).toEqual(expectedFuturesCandles('okex', dated, '1d', 0, NOW));
    expect(expectedFuturesCandles('okex', dated, '1d', 0, NOW, { groups: ['OHLC'], fill: false })).toEqual(
      data.map((r) => ({
        UNIT: r.UNIT,
        TIMESTAMP: r.TIMESTAMP,
        OPEN: r.OPEN,
        HIGH: r.HIGH,
        LOW: r.LOW,
        CLOSE: r.CLOSE,
      })),
    );
  });

  it('applies drift faults with the per-dataset keys', async () => {
    const params = { ...PERP, limit: 40, to_ts: NOW - 7200 };
    for (const dataset of DATASETS) {
      await api.control.addFault({ kind: 'drift-new-field', pathPrefix: PATH[dataset], count: 1 });
      const added = await rows(dataset, '1h', params);
      for (const r of added) expect(Object.keys(r).at(-1)).toBe(DRIFT_NEW_FIELD_KEYS[dataset]);
      await api.control.addFault({ kind: 'drift-missing-field', pathPrefix: PATH[dataset], count: 1 });
      const removed = await rows(dataset, '1h', params);
      for (const r of removed) expect(r).not.toHaveProperty(DRIFT_MISSING_FIELD_KEYS[dataset]);
      const clean = await rows(dataset, '1h', params);
      expect(clean[0]).toHaveProperty(DRIFT_MISSING_FIELD_KEYS[dataset]);
      expect(clean[0]).not.toHaveProperty(DRIFT_NEW_FIELD_KEYS[dataset]);
    }
    expect(DRIFT_MISSING_FIELD_KEYS).toMatchObject({
      'futures-ohlcv': 'HIGH',
      'open-interest': 'CLOSE_SETTLEMENT',
      'funding-rate': 'CLOSE',
    });
  });

  it('bad-row corrupts exactly one row per response, touching exactly the exported fields', async () => {
    const broken: Record<(typeof DATASETS)[number], Record<BadRowKind, (r: Row) => boolean>> = {
      'futures-ohlcv': {
        'high-below-low': (r) => (r.HIGH as number) < (r.LOW as number),
        'negative-volume': (r) => (r.VOLUME as number) < 0,
        'misaligned-ts': (r) => r.TIMESTAMP % 60 === 1,
        'ms-timestamp': (r) => r.TIMESTAMP > 1e12,
        'nan-string': (r) => r.CLOSE === 'NaN',
      },
      'open-interest': {
        'high-below-low': (r) => (r.HIGH_SETTLEMENT as number) < (r.LOW_SETTLEMENT as number),
        'negative-volume': (r) => (r.CLOSE_SETTLEMENT as number) < 0,
        'misaligned-ts': (r) => r.TIMESTAMP % 60 === 1,
        'ms-timestamp': (r) => r.TIMESTAMP > 1e12,
        'nan-string': (r) => r.CLOSE_SETTLEMENT === 'NaN',
      },
      'funding-rate': {
        'high-below-low': (r) => (r.HIGH as number) < (r.LOW as number),
        'negative-volume': (r) => r.CLOSE === 'Infinity',
        'misaligned-ts': (r) => r.TIMESTAMP % 60 === 1,
        'ms-timestamp': (r) => r.TIMESTAMP > 1e12,
        'nan-string': (r) => r.CLOSE === 'NaN',
      },
    };
    const params = { ...PERP, limit: 120, to_ts: NOW - 7200 };
    for (const dataset of DATASETS) {
      const clean = await rows(dataset, '1m', params);
      for (const badRow of BAD_ROW_KINDS) {
        await api.control.addFault({ kind: 'bad-row', badRow, pathPrefix: PATH[dataset], count: 1 });
        const data = await rows(dataset, '1m', params);
        expect(data.filter(broken[dataset][badRow]), `${dataset} ${badRow}`).toHaveLength(1);
        const changed = data
          .map((r, i) => [r, clean[i]!] as const)
          .filter(([r, c]) => JSON.stringify(r) !== JSON.stringify(c));
        expect(changed, `${dataset} ${badRow}`).toHaveLength(1);
        const [r, c] = changed[0]!;
        const keys = Object.keys(r).filter((k) => r[k] !== c[k]);
        expect(keys.sort(), `${dataset} ${badRow}`).toEqual([...BAD_ROW_FIELDS[dataset][badRow]].sort());
      }
      expect(await rows(dataset, '1m', params)).toEqual(clean);
    }
  });

  it('server-error and rate-limit faults use the Data API bodies on the futures routes too', async () => {
    await api.control.addFault({ kind: 'server-error', pathPrefix: '/futures/v1/historical/funding-rate', count: 1 });
    const err = await get('funding-rate', '1h', PERP);
    expect(err.status).toBe(500);
    expect((err.json as ErrorEnvelope).Err.type).toBe(3);
    await api.control.addFault({ kind: 'rate-limit', pathPrefix: '/futures', count: 1 });
    const limited = await get('open-interest', '1h', PERP);
    expect(limited.status).toBe(429);
    expect((limited.json as ErrorEnvelope).Err.type).toBe(99);
    expect(limited.headers.get('x-ratelimit-remaining-all')).toMatch(/;window=2592000$/);
  });
});
