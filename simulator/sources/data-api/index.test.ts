/**
 * The Data API twin over HTTP: spot historical rows, parameter and lookup errors, rate limits,
 * faults and the catalogue.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SimulatorControl } from '../../control-client';
import { startSimulator, type RunningSimulator } from '../../server';
import { listInstruments, SIM_MARKETS } from './catalog';
import {
  dataApiSimulator,
  DRIFT_NEW_FIELD_KEY,
  expectedSpotCandles,
  INTERVAL_SECONDS,
  listingTimestamp,
  SPOT_ROW_KEYS,
  SPOT_TRADE_KEYS,
  type SimInterval,
  type SpotCandleWire,
} from '.';

/** A fixed "now": 2023-11-14T22:13:20Z, 20 s into its minute. */
const NOW = 1_700_000_000;
const ROUTE: Record<SimInterval, string> = { '1m': 'minutes', '1h': 'hours', '1d': 'days' };

let sim: RunningSimulator;
let control: SimulatorControl;

beforeAll(async () => {
  sim = await startSimulator({ port: 0, sources: [dataApiSimulator], log: () => {} });
  control = new SimulatorControl(sim.url);
});

afterAll(async () => {
  await sim.close();
});

beforeEach(async () => {
  await control.reset();
  await control.setClock({ now: NOW });
});

interface Envelope {
  Data: SpotCandleWire[];
  Err: Record<string, unknown>;
}
interface ErrorEnvelope {
  Data: Record<string, never>;
  Err: { type: number; message: string; other_info: Record<string, unknown> };
}

async function get(
  interval: SimInterval,
  params: Record<string, string | number>,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; text: string; json: unknown }> {
  const qs = new URLSearchParams(Object.entries(params).map(([k, v]): [string, string] => [k, String(v)]));
  const res = await fetch(`${sim.url}/data-api/spot/v1/historical/${ROUTE[interval]}?${qs}`, { headers });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

async function rows(interval: SimInterval, params: Record<string, string | number>): Promise<SpotCandleWire[]> {
  const res = await get(interval, params);
  expect(res.status, res.text.slice(0, 300)).toBe(200);
  const body = res.json as Envelope;
  expect(body.Err).toEqual({});
  return body.Data;
}

const isFiller = (r: SpotCandleWire): boolean => r.TOTAL_TRADES === 0;

describe('Data API simulator: spot historical rows', () => {
  it('returns exactly `limit` ascending rows ending at the period that contains to_ts', async () => {
    for (const interval of ['1m', '1h', '1d'] as const) {
      const L = INTERVAL_SECONDS[interval];
      const toTs = NOW - 5 * L - 17; // inside a closed period, not aligned
      const data = await rows(interval, { market: 'kraken', instrument: 'BTC-USD', limit: 250, to_ts: toTs });
      expect(data).toHaveLength(250);
      expect(data.at(-1)!.TIMESTAMP).toBe(Math.floor(toTs / L) * L);
      data.forEach((r, i) => {
        expect(r.TIMESTAMP % L).toBe(0);
        if (i > 0) expect(r.TIMESTAMP - data[i - 1]!.TIMESTAMP).toBe(L);
      });
      expect(data[0]!.UNIT).toBe({ '1m': 'MINUTE', '1h': 'HOUR', '1d': 'DAY' }[interval]);
    }
  });

  it('defaults to 30 rows ending at the open period, and never serves rows after now', async () => {
    const data = await rows('1m', { market: 'kraken', instrument: 'BTC-USD' });
    expect(data).toHaveLength(30);
    expect(data.at(-1)!.TIMESTAMP).toBe(Math.floor(NOW / 60) * 60);
    const future = await rows('1h', { market: 'kraken', instrument: 'BTC-USD', limit: 3, to_ts: NOW + 10 * 86_400 });
    expect(future.at(-1)!.TIMESTAMP).toBe(Math.floor(NOW / 3600) * 3600);
  });

  it('serves keys in the documented order; filler rows lack exactly the *_TRADE_* keys', async () => {
    const data = await rows('1m', { market: 'binance', instrument: 'BTC-USDT', limit: 2000, to_ts: NOW - 3600 });
    const fillers = data.filter(isFiller);
    expect(fillers.length).toBeGreaterThan(10); // ~3% of minutes
    expect(fillers.length).toBeLessThan(150);
    const tradeKeys = new Set<string>(SPOT_TRADE_KEYS);
    expect(tradeKeys.size).toBe(8);
    for (const r of data) {
      if (isFiller(r)) {
        expect(Object.keys(r)).toEqual(SPOT_ROW_KEYS.filter((k) => !tradeKeys.has(k)));
        expect([r.OPEN, r.HIGH, r.LOW]).toEqual([r.CLOSE, r.CLOSE, r.CLOSE]);
        expect([r.VOLUME, r.QUOTE_VOLUME, r.TOTAL_TRADES_BUY, r.TOTAL_TRADES_SELL]).toEqual([0, 0, 0, 0]);
      } else {
        expect(Object.keys(r)).toEqual([...SPOT_ROW_KEYS]);
      }
    }
    expect(data[0]).toMatchObject({
      TYPE: '954',
      MARKET: 'binance',
      INSTRUMENT: 'BTCUSDT',
      MAPPED_INSTRUMENT: 'BTC-USDT',
      BASE: 'BTC',
      QUOTE: 'USDT',
      BASE_ID: 1,
      QUOTE_ID: 7,
      TRANSFORM_FUNCTION: '',
    });
  });

  it('keeps every row consistent (open = previous close, high/low bounds, trade times, counts, volumes)', async () => {
    for (const interval of ['1m', '1h', '1d'] as const) {
      const L = INTERVAL_SECONDS[interval];
      const data = await rows(interval, { market: 'coinbase', instrument: 'ETH-USD', limit: 2000, to_ts: NOW - L });
      data.forEach((r, i) => {
        const [o, h, l, c] = [r.OPEN!, r.HIGH!, r.LOW!, r.CLOSE!];
        if (i > 0) expect(o).toBe(data[i - 1]!.CLOSE);
        expect(l).toBeGreaterThan(0);
        expect(h).toBeGreaterThanOrEqual(Math.max(o, c));
        expect(l).toBeLessThanOrEqual(Math.min(o, c));
        expect(r.TOTAL_TRADES).toBe(r.TOTAL_TRADES_BUY! + r.TOTAL_TRADES_SELL! + r.TOTAL_TRADES_UNKNOWN!);
        for (const k of [
          'VOLUME',
          'QUOTE_VOLUME',
          'VOLUME_BUY',
          'QUOTE_VOLUME_BUY',
          'VOLUME_SELL',
          'QUOTE_VOLUME_SELL',
        ] as const) {
          expect(r[k]).toBeGreaterThanOrEqual(0);
        }
        if (!isFiller(r)) {
          expect(r.VOLUME).toBeGreaterThan(0);
          for (const k of [
            'FIRST_TRADE_TIMESTAMP',
            'LAST_TRADE_TIMESTAMP',
            'HIGH_TRADE_TIMESTAMP',
            'LOW_TRADE_TIMESTAMP',
          ] as const) {
            expect(r[k]).toBeGreaterThanOrEqual(r.TIMESTAMP);
            expect(r[k]).toBeLessThan(r.TIMESTAMP + L);
          }
          expect(r.FIRST_TRADE_TIMESTAMP).toBeLessThanOrEqual(r.LAST_TRADE_TIMESTAMP!);
          expect(r.HIGH_TRADE_PRICE).toBe(h);
          expect(r.LOW_TRADE_PRICE).toBe(l);
          expect(r.LAST_TRADE_PRICE).toBe(c);
          expect(r.FIRST_TRADE_PRICE).toBeGreaterThanOrEqual(l);
          expect(r.FIRST_TRADE_PRICE).toBeLessThanOrEqual(h);
        }
      });
    }
  });

  it('fill=false omits the filler rows of the same window', async () => {
    const params = { market: 'binance', instrument: 'BTC-USDT', limit: 2000, to_ts: NOW - 3600 };
    const all = await rows('1m', params);
    const traded = await rows('1m', { ...params, fill: 'false' });
    expect(traded).toEqual(all.filter((r) => !isFiller(r)));
    expect(traded.length).toBeLessThan(all.length);
    for (const r of traded) expect(r).toHaveProperty('FIRST_TRADE_TIMESTAMP');
  });

  it('accepts the native instrument id (apply_mapping) and honours apply_mapping=false', async () => {
    const mapped = await get('1h', { market: 'kraken', instrument: 'BTC-USD', limit: 5, to_ts: NOW - 7200 });
    const native = await get('1h', { market: 'kraken', instrument: 'XXBTZUSD', limit: 5, to_ts: NOW - 7200 });
    expect(native.status).toBe(200);
    expect(native.text).toBe(mapped.text);
    const unmapped = await get('1h', { market: 'kraken', instrument: 'BTC-USD', apply_mapping: 'false' });
    expect(unmapped.status).toBe(404);
    const market = await get('1h', { market: 'KRAKEN', instrument: 'BTC-USD', limit: 5, to_ts: NOW - 7200 });
    expect(market.text).toBe(mapped.text);
  });

  it('emits only the requested groups plus UNIT and TIMESTAMP', async () => {
    const ohlc = await rows('1h', {
      market: 'kraken',
      instrument: 'ETH-USD',
      limit: 3,
      to_ts: NOW - 7200,
      groups: 'OHLC',
    });
    for (const r of ohlc) expect(Object.keys(r)).toEqual(['UNIT', 'TIMESTAMP', 'OPEN', 'HIGH', 'LOW', 'CLOSE']);
    const two = await rows('1h', {
      market: 'kraken',
      instrument: 'ETH-USD',
      limit: 3,
      to_ts: NOW - 7200,
      groups: 'VOLUME,ID',
    });
    expect(Object.keys(two[0]!)).toEqual([
      'UNIT',
      'TIMESTAMP',
      'TYPE',
      'MARKET',
      'INSTRUMENT',
      ...SPOT_ROW_KEYS.slice(SPOT_ROW_KEYS.indexOf('VOLUME')),
    ]);
    const bad = await get('1h', { market: 'kraken', instrument: 'ETH-USD', groups: 'OHLC,NOPE' });
    expect(bad.status).toBe(400);
  });

  it('serves byte-identical bodies for the same closed request', async () => {
    const a = await get('1m', { market: 'okex', instrument: 'SOL-USDT', limit: 2000, to_ts: NOW - 600 });
    await control.setClock({ now: NOW + 12_345 });
    const b = await get('1m', { market: 'okex', instrument: 'SOL-USDT', limit: 2000, to_ts: NOW - 600 });
    expect(a.status).toBe(200);
    expect(b.text).toBe(a.text);
  });

  it('expectedSpotCandles equals what the endpoint serves when paging back with to_ts', async () => {
    for (const interval of ['1h', '1m'] as const) {
      const L = INTERVAL_SECONDS[interval];
      const lastClosed = Math.floor(NOW / L) * L - L;
      const served: SpotCandleWire[] = [];
      let toTs = lastClosed + L - 1; // unaligned, inside the last closed period
      for (let page = 0; page < 3; page++) {
        const data = await rows(interval, { market: 'bitstamp', instrument: 'BTC-USD', limit: 700, to_ts: toTs });
        expect(data).toHaveLength(700);
        served.unshift(...data);
        toTs = data[0]!.TIMESTAMP - L;
      }
      const from = served[0]!.TIMESTAMP;
      const expected = expectedSpotCandles('bitstamp', 'BTC-USD', interval, from, lastClosed + L);
      expect(expected).toHaveLength(2100);
      expect(JSON.stringify(served)).toBe(JSON.stringify(expected));
    }
  });

  it('serves the open period provisionally: deterministic for a frozen clock, final once closed', async () => {
    const minute = Math.floor(NOW / 60) * 60;
    const params = { market: 'kraken', instrument: 'BTC-USD', limit: 3 };
    const first = await get('1m', params);
    const again = await get('1m', params);
    expect(again.text).toBe(first.text);
    const open1 = (first.json as Envelope).Data.at(-1)!;
    expect(open1.TIMESTAMP).toBe(minute);

    await control.setClock({ now: minute + 58 });
    const later = (await rows('1m', params)).at(-1)!;
    expect(later.TIMESTAMP).toBe(minute);
    expect(later).not.toEqual(open1);
    expect((await rows('1m', params)).slice(0, 2)).toEqual((first.json as Envelope).Data.slice(0, 2));
    if (later.LAST_TRADE_TIMESTAMP !== undefined) expect(later.LAST_TRADE_TIMESTAMP).toBeLessThanOrEqual(minute + 58);

    await control.setClock({ now: minute + 60 + 30 });
    const closed = await rows('1m', { ...params, to_ts: minute });
    expect(closed.at(-1)).toEqual(expectedSpotCandles('kraken', 'BTC-USD', '1m', minute, minute + 60)[0]);
    // Provisional values move monotonically towards the final counts.
    expect(later.TOTAL_TRADES!).toBeLessThanOrEqual(closed.at(-1)!.TOTAL_TRADES!);
  });

  it('cuts a window that straddles the listing and errors once to_ts is before it', async () => {
    const first = listingTimestamp('kraken', 'BTC-USD', '1d');
    expect(first % 86_400).toBe(0);
    expect(first).toBeGreaterThanOrEqual(Date.UTC(2013, 0, 1) / 1000);
    expect(first).toBeLessThan(Date.UTC(2024, 0, 1) / 1000);
    const straddle = await rows('1d', {
      market: 'kraken',
      instrument: 'BTC-USD',
      limit: 10,
      to_ts: first + 3 * 86_400,
    });
    expect(straddle.map((r) => r.TIMESTAMP)).toEqual([0, 1, 2, 3].map((d) => first + d * 86_400));
    expect(straddle[0]!.OPEN).toBe(straddle[0]!.FIRST_TRADE_PRICE);

    const before = await get('1h', { market: 'kraken', instrument: 'BTC-USD', to_ts: first - 1 });
    expect(before.status).toBe(400);
    const err = (before.json as ErrorEnvelope).Err;
    expect(err.type).toBe(1);
    expect(err.message).toContain('was not trading');
    expect(err.other_info.first).toBe(first);
  });
});

describe('Data API simulator: parameter and lookup errors', () => {
  const errorOf = async (params: Record<string, string | number>, interval: SimInterval = '1h') => {
    const res = await get(interval, params);
    const body = res.json as ErrorEnvelope;
    expect(body.Data).toEqual({});
    expect(Object.keys(body.Err)).toEqual(['type', 'message', 'other_info']);
    return { status: res.status, err: body.Err, headers: res.headers };
  };

  it('rejects limits over the cap and other bad parameters with 400', async () => {
    const base = { market: 'kraken', instrument: 'BTC-USD' };
    expect((await errorOf({ ...base, limit: 2001 }, '1m')).status).toBe(400);
    expect((await errorOf({ ...base, limit: 2001 }, '1h')).status).toBe(400);
    expect((await errorOf({ ...base, limit: 5001 }, '1d')).status).toBe(400);
    expect((await get('1d', { ...base, limit: 5000, to_ts: NOW - 86_400 })).status).toBe(200);
    expect((await errorOf({ ...base, limit: 0 })).status).toBe(400);
    expect((await errorOf({ ...base, limit: 'ten' })).status).toBe(400);
    const toTs = await errorOf({ ...base, to_ts: '1700000000.5' });
    expect(toTs.status).toBe(400);
    expect(toTs.err.other_info).toEqual({ param: 'to_ts', values: ['1700000000.5'] });
    expect((await errorOf({ ...base, fill: 'maybe' })).status).toBe(400);
    expect((await errorOf({ ...base, aggregate: 5 })).status).toBe(400);
    const missing = await errorOf({ instrument: 'BTC-USD' });
    expect(missing.status).toBe(400);
    expect(missing.err.message).toContain('market');
    expect((await errorOf({ market: 'kraken' })).status).toBe(400);
  });

  it('answers an unknown market and an unknown instrument with 404', async () => {
    const market = await errorOf({ market: 'NoSuchMarket', instrument: 'BTC-USD' });
    expect(market.status).toBe(404);
    expect(market.err.type).toBe(1);
    expect(market.err.message).toMatch(/^Not found: market parameter\. Value nosuchmarket not integrated yet\./);
    expect(market.err.other_info).toEqual({ param: 'market', values: ['nosuchmarket'] });
    expect(market.headers.get('content-type')).toBe('application/json; charset=UTF-8');

    const instrument = await errorOf({ market: 'kraken', instrument: 'NOPE-USD' });
    expect(instrument.status).toBe(404);
    expect(instrument.err.message).toContain('instrument parameter');
    expect(instrument.err.other_info).toEqual({ param: 'instrument', values: ['NOPE-USD'] });
  });

  it('answers unknown paths under the source with its own 404 body', async () => {
    const res = await fetch(`${sim.url}/data-api/spot/v1/nothing-here`);
    expect(res.status).toBe(404);
    const body = (await res.json()) as ErrorEnvelope;
    expect(body.Data).toEqual({});
    expect(body.Err.type).toBe(1);
  });

  it('requires a key when configured to (401), accepting header and query keys', async () => {
    await control.sourceControl('data-api', '/config', { requireKey: true, validKeys: ['good-key'] }, 'PUT');
    const params = { market: 'kraken', instrument: 'BTC-USD', limit: 2, to_ts: NOW - 7200 };
    expect((await errorOf(params)).status).toBe(401);
    expect((await get('1h', params, { authorization: 'Apikey bad-key' })).status).toBe(401);
    expect((await get('1h', params, { authorization: 'Apikey good-key' })).status).toBe(200);
    expect((await get('1h', { ...params, api_key: 'good-key' })).status).toBe(200);
    await control.reset();
    expect((await get('1h', params)).status).toBe(200);
  });
});

describe('Data API simulator: rate limits', () => {
  const params = { market: 'kraken', instrument: 'BTC-USD', limit: 2, to_ts: NOW - 7200 };
  const HEADER =
    /^(\d+), (\d+);window=1, (\d+);window=60, (\d+);window=3600, (\d+);window=86400, (\d+);window=2592000$/;

  it('sends X-RateLimit-*-All headers on every response; the lead value repeats the month window (as captured)', async () => {
    await control.setLimits('data-api', { second: 10, minute: 7 });
    const ok = await get('1h', params);
    const remaining = HEADER.exec(ok.headers.get('x-ratelimit-remaining-all') ?? '');
    expect(remaining?.slice(1).map(Number)).toEqual([2_999_999, 9, 6, 29_999, 299_999, 2_999_999]);
    const reset = HEADER.exec(ok.headers.get('x-ratelimit-reset-all') ?? '');
    // NOW = 1700000000 is 20 s into its minute.
    expect(reset?.slice(2, 4).map(Number)).toEqual([1, 40]);
    expect(Number(reset?.[1])).toBe(Number(reset?.[6]));
    const notFound = await get('1h', { market: 'nope', instrument: 'BTC-USD' });
    expect(notFound.status).toBe(404);
    expect(notFound.headers.get('x-ratelimit-remaining-all')).toMatch(/^2999998, 8;window=1, 5;window=60, /);
  });

  it('rejects the 4th call in a second at 3/s with the documented 429 body, and counts rejected calls', async () => {
    await control.setLimits('data-api', { second: 3 });
    for (let i = 0; i < 3; i++) expect((await get('1h', params)).status).toBe(200);
    const rejected = await get('1h', params);
    expect(rejected.status).toBe(429);
    const body = rejected.json as ErrorEnvelope;
    expect(body.Data).toEqual({});
    expect(body.Err.type).toBe(99);
    expect(body.Err.message).toMatch(/^Rate limit excedeed\. .*API key/);
    expect(body.Err.other_info).toEqual({
      calls_made: { second: 4, minute: 4, hour: 4, day: 4, month: 4, total_calls: 4 },
      max_calls: { second: 3, minute: 2_500, hour: 30_000, day: 300_000, month: 3_000_000 },
    });
    expect(rejected.headers.get('x-ratelimit-remaining-all')).toBe(
      '2999996, 0;window=1, 2496;window=60, 29996;window=3600, 299996;window=86400, 2999996;window=2592000',
    );
    expect(rejected.headers.get('x-ratelimit-reset-all')).toMatch(
      /^\d+, 1;window=1, 40;window=60, .*, (\d+);window=2592000$/,
    );

    const again = (await get('1h', params)).json as ErrorEnvelope;
    expect((again.Err.other_info.calls_made as Record<string, number>).second).toBe(5);

    // Another identity (an API key) has its own bucket.
    expect((await get('1h', params, { authorization: 'Apikey k1' })).status).toBe(200);

    // The next second is a new window.
    await control.setClock({ now: NOW + 1 });
    expect((await get('1h', params)).status).toBe(200);

    const stats = await control.stats('data-api');
    expect(stats.totalRequests).toBe(7);
    expect(stats.rateLimitRejections).toBe(2);
    expect(stats.byStatus).toEqual({ '200': 5, '429': 2 });
    expect(stats.windows.second).toEqual({ limit: 3, maxServed: 3, maxServedAllClients: 4 });
    expect(stats.windows.minute.maxServed).toBe(4);
    expect(stats.limits.second).toBe(3);
  });
});

describe('Data API simulator: faults', () => {
  const params = { market: 'kraken', instrument: 'BTC-USD', limit: 60, to_ts: NOW - 7200 };

  it('server-error, ban and hard-block use the Data API error bodies', async () => {
    await control.addFault({ kind: 'server-error', source: 'data-api', count: 1 });
    const err = await get('1h', params);
    expect(err.status).toBe(500);
    expect((err.json as ErrorEnvelope).Err.type).toBe(3);
    expect(err.headers.get('x-ratelimit-remaining-all')).toMatch(HEADER_RE);
    expect((await get('1h', params)).status).toBe(200);

    await control.addFault({ kind: 'ban', count: 1, retryAfterSeconds: 42 });
    const ban = await get('1h', params);
    expect(ban.status).toBe(429);
    expect(ban.headers.get('retry-after')).toBe('42');
    expect((ban.json as ErrorEnvelope).Err.message).toMatch(/temporarily blocked for 42 seconds/);

    await control.addFault({ kind: 'hard-block', count: 1, retryAfterSeconds: 3600 });
    const block = await get('1h', params);
    expect(block.status).toBe(429);
    const blockErr = (block.json as ErrorEnvelope).Err;
    expect(blockErr.message).toMatch(
      /^You have been hard blocked for at least 3600 seconds beacuse you have made over 3x the allowed monthly limit of calls\./,
    );
    expect(blockErr.other_info).toEqual({});
  });

  it('an injected rate-limit answers like an exhausted quota, with Retry-After, and counts the call', async () => {
    await control.addFault({ kind: 'rate-limit', count: 1, retryAfterSeconds: 30 });
    const res = await get('1h', params);
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('30');
    const err = (res.json as ErrorEnvelope).Err;
    expect(err.type).toBe(99);
    expect(err.message).toMatch(/^Rate limit excedeed\./);
    // The smallest window resetting no sooner than 30 s: the minute (NOW is 20 s into it).
    expect((err.other_info.calls_made as Record<string, number>).minute).toBe(2_500);
    expect(res.headers.get('x-ratelimit-remaining-all')).toMatch(/^2999999, 49;window=1, 0;window=60, /);
    expect((await get('1h', params)).status).toBe(200);
    const stats = await control.stats('data-api');
    expect(stats.injectedRateLimits).toBe(1);
    expect(stats.served).toBe(1);
    expect(stats.totalRequests).toBe(2);
  });

  it('drift faults add an unknown key to, or remove HIGH from, every row', async () => {
    await control.addFault({ kind: 'drift-new-field', count: 1 });
    const added = await rows('1h', params);
    for (const r of added) expect(Object.keys(r).at(-1)).toBe(DRIFT_NEW_FIELD_KEY);
    await control.addFault({ kind: 'drift-missing-field', count: 1 });
    const removed = await rows('1h', params);
    for (const r of removed) expect(r).not.toHaveProperty('HIGH');
    const end = Math.floor((NOW - 7200) / 3600) * 3600;
    expect(await rows('1h', params)).toEqual(
      expectedSpotCandles('kraken', 'BTC-USD', '1h', end - 59 * 3600, end + 3600),
    );
  });

  it('bad-row corrupts exactly one row per response in the named way', async () => {
    const clean = await rows('1h', params);
    const checks = {
      'high-below-low': (r: SpotCandleWire) => r.HIGH! < r.LOW!,
      'negative-volume': (r: SpotCandleWire) => r.VOLUME! < 0,
      'misaligned-ts': (r: SpotCandleWire) => r.TIMESTAMP % 3600 === 1,
      'ms-timestamp': (r: SpotCandleWire) => r.TIMESTAMP > 1e12,
      'nan-string': (r: SpotCandleWire) => (r.CLOSE as unknown) === 'NaN',
    } as const;
    for (const [badRow, broken] of Object.entries(checks)) {
      await control.addFault({ kind: 'bad-row', badRow: badRow as keyof typeof checks, count: 1 });
      const data = await rows('1h', params);
      expect(data.filter(broken), badRow).toHaveLength(1);
      expect(
        data.filter((r, i) => JSON.stringify(r) !== JSON.stringify(clean[i])),
        badRow,
      ).toHaveLength(1);
    }
    expect(await rows('1h', params)).toEqual(clean);
  });

  it('malformed returns a 200 whose body is not JSON; reset drops the connection', async () => {
    await control.addFault({ kind: 'malformed', count: 1 });
    const bad = await get('1h', params);
    expect(bad.status).toBe(200);
    expect(bad.json).toBeUndefined();
    expect(bad.text.startsWith('{"Data":[')).toBe(true);

    await control.addFault({ kind: 'reset', count: 1 });
    await expect(
      fetch(`${sim.url}/data-api/spot/v1/historical/hours?market=kraken&instrument=BTC-USD`),
    ).rejects.toThrow();
    expect((await get('1h', params)).status).toBe(200);
    const stats = await control.stats('data-api');
    expect(stats.byStatus).toEqual({ '200': 2, reset: 1 });
    expect(stats.faultHits).toEqual({ malformed: 1, reset: 1 });
  });

  it('matches faults by path prefix and query parameters', async () => {
    const fault = await control.addFault({
      kind: 'server-error',
      source: 'data-api',
      pathPrefix: '/spot/v1/historical/minutes',
      params: { instrument: 'ETH-USD' },
    });
    expect((await get('1h', { market: 'kraken', instrument: 'ETH-USD', to_ts: NOW - 7200 })).status).toBe(200);
    expect((await get('1m', { market: 'kraken', instrument: 'BTC-USD', to_ts: NOW - 7200 })).status).toBe(200);
    expect((await get('1m', { market: 'kraken', instrument: 'ETH-USD', to_ts: NOW - 7200 })).status).toBe(500);
    expect((await get('1m', { market: 'kraken', instrument: 'ETH-USD', to_ts: NOW - 7200 })).status).toBe(500);
    expect((await control.listFaults()).find((f) => f.id === fault.id)?.hits).toBe(2);
    await control.removeFault(fault.id);
    expect((await get('1m', { market: 'kraken', instrument: 'ETH-USD', to_ts: NOW - 7200 })).status).toBe(200);
  });
});

describe('Data API simulator: catalogue', () => {
  it('lists every market with ~40+ bases and deterministic native ids and listing dates', () => {
    for (const market of SIM_MARKETS) {
      const list = listInstruments(market);
      expect(list.length, market).toBeGreaterThan(25);
      for (const i of list) {
        expect(i.mapped).toBe(`${i.base}-${i.quote}`);
        expect(i.listedAt % 86_400).toBe(0);
        expect(i.listedAt).toBeGreaterThanOrEqual(Date.UTC(2013, 0, 1) / 1000);
        expect(i.listedAt).toBeLessThan(Date.UTC(2024, 0, 1) / 1000);
      }
    }
    const bases = new Set(SIM_MARKETS.flatMap((m) => listInstruments(m).map((i) => i.base)));
    expect(bases.size).toBeGreaterThanOrEqual(40);
    const kraken = listInstruments('kraken');
    expect(kraken.find((i) => i.mapped === 'BTC-USD')?.native).toBe('XXBTZUSD');
    expect(kraken.find((i) => i.mapped === 'ETH-BTC')?.native).toBe('XETHXXBT');
    expect(listInstruments('binance').find((i) => i.mapped === 'ETH-USDT')?.native).toBe('ETHUSDT');
    expect(listInstruments('bitfinex').find((i) => i.mapped === 'BTC-USDT')?.native).toBe('tBTCUST');
  });

  it('lists an instrument at runtime through the control API, and reset removes it', async () => {
    const listedAt = NOW - 3 * 3600;
    const res = await control.sourceControl<{ instrument: { native: string; listedAt: number } }>(
      'data-api',
      '/instruments',
      { market: 'kraken', instrument: 'NEWCOIN-USD', listedAt },
    );
    expect(res.instrument).toMatchObject({ native: 'NEWCOINUSD', listedAt });
    const data = await rows('1h', { market: 'kraken', instrument: 'NEWCOIN-USD', limit: 10 });
    expect(data.map((r) => r.TIMESTAMP)).toEqual(
      [0, 1, 2, 3].map((h) => Math.floor(listedAt / 3600) * 3600 + h * 3600),
    );
    const before = await get('1h', { market: 'kraken', instrument: 'NEWCOIN-USD', to_ts: listedAt - 3600 });
    expect((before.json as ErrorEnvelope).Err.other_info.first).toBe(Math.floor(listedAt / 3600) * 3600);
    await expect(
      control.sourceControl('data-api', '/instruments', { market: 'kraken', instrument: 'BTC-USD' }),
    ).rejects.toThrow(/already lists BTC-USD/);
    await expect(
      control.sourceControl('data-api', '/instruments', { market: 'nowhere', instrument: 'X-Y' }),
    ).rejects.toThrow(/unknown market/);
    await control.reset();
    expect((await get('1h', { market: 'kraken', instrument: 'NEWCOIN-USD' })).status).toBe(404);
  });
});

const HEADER_RE = /^\d+, \d+;window=1, \d+;window=60, \d+;window=3600, \d+;window=86400, \d+;window=2592000$/;
