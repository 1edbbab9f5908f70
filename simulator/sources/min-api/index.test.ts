/**
 * The min-api twin over HTTP, held to the real API's recorded answers (the production source's
 * fixtures): histo rows, HTTP 200 errors, rate limits, faults, top lists, coin list, exchanges.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SimulatorControl } from '../../control-client';
import { startSimulator, type RunningSimulator } from '../../server';
import {
  CCCAGG,
  DRIFT_MISSING_FIELD_KEY,
  DRIFT_NEW_FIELD_KEY,
  HISTO_ROW_KEYS,
  INTERVAL_SECONDS,
  MIN_API_EXCHANGES,
  MIN_API_FREE_TIER_LIMITS,
  TOPLIST_DISPLAY_KEYS,
  TOPLIST_RAW_KEYS,
  expectedCoinList,
  expectedExchanges,
  expectedHisto,
  expectedTopList,
  findConvertedPair,
  isZeroRow,
  listPairs,
  minApiSimulator,
  pairStart,
  type ExchangeWire,
  type HistoInterval,
  type HistoRow,
  type TopListItem,
} from '.';

/** A fixed "now": 2023-11-14T22:13:20Z, 20 s into its minute. */
const NOW = 1_700_000_000;
const DAY = 86_400;
const ROUTE: Record<HistoInterval, string> = { '1m': 'histominute', '1h': 'histohour', '1d': 'histoday' };

let sim: RunningSimulator;
let control: SimulatorControl;
let base: string;

beforeAll(async () => {
  sim = await startSimulator({ port: 0, sources: [minApiSimulator], log: () => {} });
  control = new SimulatorControl(sim.url);
  base = `${sim.url}/min-api`;
});

afterAll(async () => {
  await sim.close();
});

beforeEach(async () => {
  await control.reset();
  await control.setClock({ now: NOW });
});

function fixture(name: string): unknown {
  // The real API's recorded answers live with the production source; the twin must match them.
  return JSON.parse(
    readFileSync(new URL(`../../../activities/sources/min-api/fixtures/${name}`, import.meta.url), 'utf8'),
  );
}

interface Res {
  status: number;
  headers: Headers;
  text: string;
  json: unknown;
}

async function get(path: string, params: Record<string, string | number> = {}, headers: Record<string, string> = {}) {
  const qs = new URLSearchParams(Object.entries(params).map(([k, v]): [string, string] => [k, String(v)]));
  const res = await fetch(`${base}${path}${qs.size > 0 ? `?${qs}` : ''}`, { headers });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json } satisfies Res;
}

interface HistoEnvelope {
  Response: string;
  Message: string;
  HasWarning: boolean;
  Type: number;
  RateLimit: Record<string, unknown>;
  Data: { Aggregated: boolean; TimeFrom: number; TimeTo: number; Data: HistoRow[] };
}

interface ErrorEnvelope {
  Response: string;
  Message: string;
  Type: number;
  ParamWithError?: string;
  RateLimit?: Record<string, Record<string, number>>;
  Cooldown?: number;
}

function histo(interval: HistoInterval, params: Record<string, string | number>, headers?: Record<string, string>) {
  return get(`/data/v2/${ROUTE[interval]}`, params, headers);
}

async function histoOk(interval: HistoInterval, params: Record<string, string | number>): Promise<HistoEnvelope> {
  const res = await histo(interval, params);
  expect(res.status).toBe(200);
  const body = res.json as HistoEnvelope;
  expect(body.Response, res.text.slice(0, 300)).toBe('Success');
  return body;
}

async function rows(interval: HistoInterval, params: Record<string, string | number>): Promise<HistoRow[]> {
  return (await histoOk(interval, params)).Data.Data;
}

/** An error body: HTTP 200, `Response: "Error"`. */
async function errorOf(res: Promise<Res>): Promise<ErrorEnvelope & { text: string }> {
  const r = await res;
  expect(r.status).toBe(200);
  const body = r.json as ErrorEnvelope;
  expect(body.Response).toBe('Error');
  return { ...body, text: r.text };
}

const keysOf = (v: unknown): string[] => Object.keys(v as object);

describe('min-api simulator: histo rows', () => {
  it('returns exactly limit+1 ascending rows ending at the period that contains toTs', async () => {
    for (const interval of ['1m', '1h', '1d'] as const) {
      const L = INTERVAL_SECONDS[interval];
      const toTs = NOW - 5 * L - 17; // inside a closed period, not aligned
      const body = await histoOk(interval, { fsym: 'BTC', tsym: 'USD', limit: 250, toTs });
      const data = body.Data.Data;
      expect(data).toHaveLength(251);
      const end = Math.floor(toTs / L) * L;
      expect(data.at(-1)!.time).toBe(end);
      expect(body.Data).toMatchObject({ Aggregated: false, TimeFrom: end - 250 * L, TimeTo: end });
      expect(data[0]!.time).toBe(body.Data.TimeFrom);
      data.forEach((r, i) => {
        if (i > 0) expect(r.time - data[i - 1]!.time).toBe(L);
      });
      // An aligned toTs is the last row itself (inclusive).
      const aligned = await rows(interval, { fsym: 'BTC', tsym: 'USD', limit: 3, toTs: end });
      expect(aligned.at(-1)!.time).toBe(end);
    }
  });

  it('serves the envelope and row keys in the documented order', async () => {
    const res = await histo('1d', { fsym: 'BTC', tsym: 'USD', limit: 5, toTs: NOW - DAY });
    const body = res.json as HistoEnvelope;
    const sample = fixture('histoday-btc-usd.json') as HistoEnvelope;
    expect(keysOf(body)).toEqual(keysOf(sample));
    expect(keysOf(body.Data)).toEqual(keysOf(sample.Data));
    for (const r of body.Data.Data) expect(keysOf(r)).toEqual([...HISTO_ROW_KEYS]);
    expect(keysOf(sample.Data.Data[0])).toEqual([...HISTO_ROW_KEYS]);
    expect(body).toMatchObject({ Response: 'Success', Message: '', HasWarning: false, Type: 100, RateLimit: {} });
    expect(res.headers.get('content-type')).toBe('application/json; charset=UTF-8');
    expect(res.headers.get('date')).toBe(new Date(NOW * 1000).toUTCString());
  });

  it('defaults to 30 days, 168 hours and 1440 minutes ending at the current period, and never later', async () => {
    const expected = { '1d': 31, '1h': 169, '1m': 1441 } as const;
    for (const interval of ['1m', '1h', '1d'] as const) {
      const L = INTERVAL_SECONDS[interval];
      const data = await rows(interval, { fsym: 'ETH', tsym: 'USD' });
      expect(data).toHaveLength(expected[interval]);
      expect(data.at(-1)!.time).toBe(Math.floor(NOW / L) * L);
      const future = await rows(interval, { fsym: 'ETH', tsym: 'USD', limit: 2, toTs: NOW + 40 * DAY });
      expect(future.at(-1)!.time).toBe(Math.floor(NOW / L) * L);
    }
  });

  it('defaults e to CCCAGG, matches exchanges and symbols case-insensitively, and keeps exchange series apart', async () => {
    const params = { fsym: 'BTC', tsym: 'USD', limit: 10, toTs: NOW - 3 * 3600 };
    const implicit = await histo('1h', params);
    expect((await histo('1h', { ...params, e: 'CCCAGG' })).text).toBe(implicit.text);
    expect((await histo('1h', { ...params, e: 'cccagg', fsym: 'btc', tsym: 'usd' })).text).toBe(implicit.text);
    const coinbase = await histo('1h', { ...params, e: 'Coinbase' });
    expect((await histo('1h', { ...params, e: 'coinbase' })).text).toBe(coinbase.text);
    const [a, b] = [(implicit.json as HistoEnvelope).Data.Data, (coinbase.json as HistoEnvelope).Data.Data];
    expect(a.map((r) => r.time)).toEqual(b.map((r) => r.time));
    expect(a.map((r) => r.close)).not.toEqual(b.map((r) => r.close));
    // Same asset paths: the levels agree within a few percent.
    expect(Math.abs(a[0]!.close / b[0]!.close - 1)).toBeLessThan(0.05);
  });

  it('serves all-zero pages before the pair existed and zero rows up to its first period', async () => {
    const start = pairStart('Binance', 'SOL', 'USDT');
    const zeros = await rows('1d', { e: 'Binance', fsym: 'SOL', tsym: 'USDT', limit: 20, toTs: start - 30 * DAY });
    expect(zeros).toHaveLength(21);
    for (const r of zeros) {
      expect(r).toEqual({
        time: r.time,
        high: 0,
        low: 0,
        open: 0,
        volumefrom: 0,
        volumeto: 0,
        close: 0,
        conversionType: 'direct',
        conversionSymbol: '',
      });
    }
    for (const interval of ['1d', '1h'] as const) {
      const L = INTERVAL_SECONDS[interval];
      const first = Math.floor(start / L) * L;
      const straddle = await rows(interval, { e: 'Binance', fsym: 'SOL', tsym: 'USDT', limit: 9, toTs: first + 3 * L });
      expect(straddle.map(isZeroRow)).toEqual([true, true, true, true, true, true, false, false, false, false]);
      expect(straddle[6]!.time).toBe(first);
      expect(straddle[7]!.open).toBe(straddle[6]!.close);
    }
  });

  it('has minute data for the last 7 days only: older minutes are zero rows', async () => {
    const nowMinute = Math.floor(NOW / 60) * 60;
    const floor = nowMinute - 7 * DAY;
    const old = await rows('1m', { fsym: 'BTC', tsym: 'USD', limit: 2000, toTs: NOW - 8 * DAY });
    expect(old).toHaveLength(2001);
    expect(old.every(isZeroRow)).toBe(true);
    const straddle = await rows('1m', { fsym: 'BTC', tsym: 'USD', limit: 10, toTs: floor + 4 * 60 });
    expect(straddle.map((r) => isZeroRow(r))).toEqual([...Array(6).fill(true), ...Array(5).fill(false)]);
    expect(straddle[6]!.time).toBe(floor);
    // Hours and days keep their full history.
    expect((await rows('1h', { fsym: 'BTC', tsym: 'USD', limit: 5, toTs: NOW - 60 * DAY })).some(isZeroRow)).toBe(
      false,
    );
  });

  it('serves the current period provisionally: it changes with the clock until it closes', async () => {
    const minute = Math.floor(NOW / 60) * 60;
    const params = { fsym: 'BTC', tsym: 'USD', limit: 3 };
    const first = await rows('1m', params);
    expect((await histo('1m', params)).text).toBe((await histo('1m', params)).text);
    const open1 = first.at(-1)!;
    expect(open1.time).toBe(minute);

    await control.setClock({ now: minute + 58 });
    const later = await rows('1m', params);
    expect(later.at(-1)!.time).toBe(minute);
    expect(later.at(-1)).not.toEqual(open1);
    expect(later.slice(0, 2)).toEqual(first.slice(0, 2));

    await control.setClock({ now: minute + 90 });
    const closed = await rows('1m', { ...params, toTs: minute });
    expect(closed.at(-1)).toEqual(expectedHisto(CCCAGG, 'BTC', 'USD', '1m', minute, minute + 60)[0]);
    expect(later.at(-1)!.volumefrom).toBeLessThanOrEqual(closed.at(-1)!.volumefrom);
  });

  it('returns rows equal to expectedHisto when paging back with toTs = TimeFrom - 1', async () => {
    const [cf, ct] = findConvertedPair(NOW - 400 * DAY)!;
    const cases: Array<readonly [string, string, string, HistoInterval]> = [
      [CCCAGG, 'BTC', 'USD', '1h'],
      [CCCAGG, 'BTC', 'USD', '1m'],
      ['Binance', 'ETH', 'USDT', '1d'],
      ['Kraken', 'ETH', 'EUR', '1m'],
      [CCCAGG, cf, ct, '1h'],
    ];
    for (const [e, fsym, tsym, interval] of cases) {
      const L = INTERVAL_SECONDS[interval];
      const lastClosed = Math.floor(NOW / L) * L - L;
      const served: HistoRow[] = [];
      let toTs = lastClosed + L - 1; // unaligned, inside the last closed period
      for (let pageNo = 0; pageNo < 3; pageNo++) {
        const body = await histoOk(interval, { e, fsym, tsym, limit: 700, toTs });
        expect(body.Data.Data).toHaveLength(701);
        served.unshift(...body.Data.Data);
        toTs = body.Data.TimeFrom - 1;
      }
      const from = served[0]!.time;
      const expected = expectedHisto(e, fsym, tsym, interval, from, lastClosed + L, { nowSeconds: NOW });
      expect(expected, `${e} ${fsym}-${tsym} ${interval}`).toHaveLength(2103);
      expect(JSON.stringify(served)).toBe(JSON.stringify(expected));
    }
  });

  it('converts through BTC/ETH on CCCAGG unless tryConversion=false', async () => {
    const [fsym, tsym] = findConvertedPair(NOW - 400 * DAY)!;
    const data = await rows('1d', { fsym, tsym, limit: 3, toTs: NOW - DAY });
    for (const r of data)
      expect([r.conversionType, ['BTC', 'ETH'].includes(r.conversionSymbol)]).toEqual(['multiply', true]);
    const err = await errorOf(histo('1d', { fsym, tsym, tryConversion: 'false' }));
    expect(err.Message).toBe(`CCCAGG market does not exist for this coin pair (${fsym}-${tsym})`);
    // Exchanges never convert.
    expect((await histo('1d', { fsym: 'BTC', tsym: 'USD', e: 'Binance', tryConversion: 'true' })).json).toMatchObject({
      Response: 'Error',
      Message: 'Binance market does not exist for this coin pair (BTC-USD)',
    });
  });

  it('allData returns the whole daily history from the first day with data', async () => {
    const start = pairStart('Coinbase', 'SOL', 'USD');
    const body = await histoOk('1d', { e: 'Coinbase', fsym: 'SOL', tsym: 'USD', allData: 'true', toTs: NOW - DAY });
    expect(body.Data.TimeFrom).toBe(Math.floor(start / DAY) * DAY);
    expect(body.Data.Data.some(isZeroRow)).toBe(false);
    expect(body.Data.Data).toHaveLength((body.Data.TimeTo - body.Data.TimeFrom) / DAY + 1);
  });
});

describe('min-api simulator: errors (HTTP 200)', () => {
  it('answers a missing fsym/tsym with Type 2 and ParamWithError, exactly as documented', async () => {
    const fsym = await errorOf(histo('1d', { tsym: 'USD' }));
    expect(fsym.text).toBe(JSON.stringify(fixture('error-fsym-required.json')));
    const tsym = await errorOf(histo('1h', { fsym: 'BTC' }));
    expect(tsym).toMatchObject({ Message: 'tsym is a required param.', Type: 2, ParamWithError: 'tsym' });
    expect((await errorOf(get('/data/top/mktcapfull'))).text).toBe(
      JSON.stringify({
        ...(fixture('error-fsym-required.json') as object),
        Message: 'tsym is a required param.',
        ParamWithError: 'tsym',
      }),
    );
  });

  it('answers unknown pairs with "<Exchange> market does not exist for this coin pair (F-T)"', async () => {
    const cccagg = await errorOf(histo('1d', { fsym: 'BTC', tsym: 'EGP' }));
    expect(cccagg.text).toBe(JSON.stringify(fixture('error-market-does-not-exist.json')));
    const binance = await errorOf(histo('1h', { fsym: 'eth', tsym: 'usd', e: 'binance' }));
    expect(binance).toMatchObject({ Type: 2, Message: 'Binance market does not exist for this coin pair (ETH-USD)' });
    const nowhere = await errorOf(histo('1h', { fsym: 'ETH', tsym: 'USD', e: 'Nowhere' }));
    expect(nowhere.Message).toBe('Nowhere market does not exist for this coin pair (ETH-USD)');
    // A pair is unknown before its listing.
    await control.setClock({ now: pairStart(CCCAGG, 'SOL', 'USD') - 1 });
    expect((await errorOf(histo('1d', { fsym: 'SOL', tsym: 'USD' }))).Message).toBe(
      'CCCAGG market does not exist for this coin pair (SOL-USD)',
    );
  });

  it('checks limit, toTs and aggregate', async () => {
    const params = { fsym: 'BTC', tsym: 'USD' };
    expect(await rows('1m', { ...params, limit: 2000 })).toHaveLength(2001);
    const over = await errorOf(histo('1m', { ...params, limit: 2001 }));
    expect(over.text).toBe(
      '{"Response":"Error","Message":"limit is larger than max value","HasWarning":false,"Type":2,"RateLimit":{},"Data":{},"ParamWithError":"limit"}',
    );
    expect((await errorOf(histo('1d', { ...params, limit: 0 }))).ParamWithError).toBe('limit');
    expect((await errorOf(histo('1d', { ...params, limit: 'ten' }))).ParamWithError).toBe('limit');
    expect((await errorOf(histo('1d', { ...params, toTs: 'yesterday' }))).ParamWithError).toBe('toTs');
    expect((await errorOf(histo('1d', { ...params, aggregate: 2 }))).ParamWithError).toBe('aggregate');
    expect(await rows('1d', { ...params, aggregate: 1, limit: 1 })).toHaveLength(2);
  });

  it('answers unknown paths with the 4-key "Path does not exist" body', async () => {
    for (const path of ['/data/v2/histosecond', '/data/stats/rate/limit', '/nothing', '/data/histoday']) {
      const res = await get(path);
      expect(res.status).toBe(200);
      expect(res.text).toBe(JSON.stringify(fixture('error-path-does-not-exist.json')));
    }
    const post = await fetch(`${base}/data/v2/histoday?fsym=BTC&tsym=USD`, { method: 'POST' });
    expect(await post.json()).toEqual(fixture('error-path-does-not-exist.json'));
  });
});

describe('min-api simulator: rate limits', () => {
  const params = { fsym: 'BTC', tsym: 'USD', limit: 2, toTs: NOW - 7200 };
  const HEADER = /^\d+, \d+;window=1, \d+;window=60, \d+;window=3600, \d+;window=86400, \d+;window=2592000$/;

  it('rejects over-quota calls with the Type 99 body (HTTP 200) and counts rejected calls', async () => {
    await control.setLimits('min-api', MIN_API_FREE_TIER_LIMITS);
    await control.setLimits('min-api', { ...MIN_API_FREE_TIER_LIMITS, second: 3 });
    for (let i = 0; i < 3; i++) expect((await histoOk('1h', params)).Type).toBe(100);
    const rejected = await histo('1h', params);
    expect(rejected.status).toBe(200);
    expect(rejected.text).toBe(
      JSON.stringify({
        Response: 'Error',
        Message: 'You are over your rate limit please upgrade your account!',
        HasWarning: false,
        Type: 99,
        RateLimit: {
          calls_made: { second: 4, minute: 4, hour: 4, day: 4, month: 4, total_calls: 4 },
          max_calls: { second: 3, minute: 300, hour: 3000, day: 7500, month: 50000 },
        },
        Data: {},
      }),
    );
    expect(keysOf(rejected.json)).toEqual(keysOf(fixture('error-rate-limit.json')));
    const again = await errorOf(histo('1h', params));
    expect(again.RateLimit?.calls_made?.second).toBe(5);
    // Another identity (an API key) has its own bucket; the next second is a new window.
    expect((await histo('1h', params, { authorization: 'Apikey k1' })).json).toMatchObject({ Type: 100 });
    await control.setClock({ now: NOW + 1 });
    expect((await histoOk('1h', params)).Type).toBe(100);
    const stats = await control.stats('min-api');
    expect(stats.rateLimitRejections).toBe(2);
    expect(stats.byStatus).toEqual({ '200': 7 });
  });

  it('sends the keyless headers without a key and X-RateLimit-*-All only with one', async () => {
    const keyless = await histo('1h', params);
    expect(keyless.headers.get('cache-control')).toBe('no-cache, no-store');
    expect(keyless.headers.get('x-cryptocompare-cache-hit')).toBe('false');
    expect(keyless.headers.get('x-cryptocompare-server-id')).toBe('cc-api-min-v2-27');
    expect(keyless.headers.get('access-control-allow-origin')).toBe('*');
    expect(keyless.headers.get('x-ratelimit-remaining-all')).toBeNull();
    expect(keyless.headers.get('x-ratelimit-reset-all')).toBeNull();

    await control.setLimits('min-api', { second: 10, minute: 7 });
    for (const [query, headers] of [
      [{ api_key: 'k2' }, {}],
      [{ apiKey: 'k3' }, {}],
      [{}, { authorization: 'Apikey k4' }],
    ] as const) {
      const keyed = await histo('1h', { ...params, ...query }, headers);
      expect(keyed.headers.get('x-ratelimit-remaining-all')).toBe(
        '2999999, 9;window=1, 6;window=60, 29999;window=3600, 299999;window=86400, 2999999;window=2592000',
      );
      expect(keyed.headers.get('x-ratelimit-reset-all')).toMatch(HEADER);
      expect(keyed.headers.get('x-ratelimit-reset-all')).toMatch(/^\d+, 1;window=1, 40;window=60, /);
      expect(keyed.headers.get('x-cryptocompare-server-id')).toBeNull();
    }
  });

  it('/stats/rate/limit reports the caller usage including itself (and costs a call)', async () => {
    await control.setLimits('min-api', { second: 20, minute: 300, hour: 3000, day: 7500, month: 50000 });
    await histo('1h', params);
    await histo('1h', params);
    const res = await get('/stats/rate/limit');
    expect(keysOf(res.json)).toEqual(keysOf(fixture('stats-rate-limit.json')));
    expect(res.json).toEqual({
      Response: 'Success',
      Message: '',
      HasWarning: false,
      Type: 100,
      RateLimit: {},
      Data: {
        calls_made: { second: 3, minute: 3, hour: 3, day: 3, month: 3 },
        calls_left: { second: 17, minute: 297, hour: 2997, day: 7497, month: 49997 },
      },
    });
    const keyed = (await get('/stats/rate/limit', { api_key: 'k5' })).json as { Data: { calls_made: object } };
    expect(keyed.Data.calls_made).toEqual({ second: 1, minute: 1, hour: 1, day: 1, month: 1 });
    await control.setClock({ now: NOW + 60 });
    const later = (await get('/stats/rate/limit')).json as { Data: { calls_made: object } };
    // Keyless calls so far: 2 histo + 2 stats (the keyed call counts in its own bucket).
    expect(later.Data.calls_made).toEqual({ second: 1, minute: 1, hour: 4, day: 4, month: 4 });
  });
});

describe('min-api simulator: faults', () => {
  const params = { e: 'Binance', fsym: 'ETH', tsym: 'USDT', limit: 60, toTs: NOW - 7200 };

  it('ban and hard-block answer HTTP 200 Type 99 bodies with a Cooldown', async () => {
    await control.addFault({ kind: 'ban', source: 'min-api', count: 1, retryAfterSeconds: 42 });
    const ban = await histo('1h', params);
    expect(ban.status).toBe(200);
    expect(ban.text).toBe(JSON.stringify({ ...(fixture('error-cooldown.json') as object), Cooldown: 42 }));
    expect(ban.headers.get('retry-after')).toBeNull();

    await control.addFault({ kind: 'hard-block', count: 1 });
    const block = await errorOf(histo('1h', params));
    expect(block.Type).toBe(99);
    expect(block.Cooldown).toBe(86_400);
    expect(block.Message).toMatch(/^You have been hard blocked for at least 86400 seconds/);
    expect(keysOf(block).slice(0, 7)).toEqual([
      'Response',
      'Message',
      'HasWarning',
      'Type',
      'RateLimit',
      'Data',
      'Cooldown',
    ]);
    expect((await histoOk('1h', params)).Type).toBe(100);
  });

  it('server-error is a 502 proxy page that is not JSON', async () => {
    await control.addFault({ kind: 'server-error', count: 1 });
    const res = await histo('1h', params);
    expect(res.status).toBe(502);
    expect(res.headers.get('content-type')).toBe('text/html');
    expect(res.json).toBeUndefined();
    expect(res.text).toContain('502 Bad Gateway');
    expect((await histo('1h', params)).status).toBe(200);
  });

  it('an injected rate-limit is the Type 99 body with an exhausted window (HTTP 200)', async () => {
    await control.addFault({ kind: 'rate-limit', count: 1, retryAfterSeconds: 30 });
    const res = await histo('1h', params);
    expect(res.status).toBe(200);
    expect(res.headers.get('retry-after')).toBe('30');
    const body = res.json as ErrorEnvelope;
    expect(body.Type).toBe(99);
    expect(body.RateLimit?.calls_made?.minute).toBe(2_500); // the minute resets in 40 s >= 30 s
    expect((await control.stats('min-api')).injectedRateLimits).toBe(1);
  });

  it('drift faults add an unknown key to, or remove close from, every row', async () => {
    await control.addFault({ kind: 'drift-new-field', count: 1 });
    for (const r of await rows('1h', params)) expect(keysOf(r)).toEqual([...HISTO_ROW_KEYS, DRIFT_NEW_FIELD_KEY]);
    await control.addFault({ kind: 'drift-missing-field', count: 1 });
    expect(DRIFT_MISSING_FIELD_KEY).toBe('close');
    for (const r of await rows('1h', params)) expect(r).not.toHaveProperty('close');
    const end = Math.floor((NOW - 7200) / 3600) * 3600;
    expect(await rows('1h', params)).toEqual(
      expectedHisto('Binance', 'ETH', 'USDT', '1h', end - 60 * 3600, end + 3600),
    );
  });

  it('bad-row corrupts exactly one row per response in the named way, never a zero row', async () => {
    // A page that straddles the listing: 40 zero rows, 21 real ones.
    const start = pairStart('Binance', 'SOL', 'USDT');
    const first = Math.floor(start / 3600) * 3600;
    const straddle = { e: 'Binance', fsym: 'SOL', tsym: 'USDT', limit: 60, toTs: first + 20 * 3600 };
    const clean = await rows('1h', straddle);
    expect(clean.filter(isZeroRow)).toHaveLength(40);
    const checks = {
      'high-below-low': (r: HistoRow) => r.high < r.low,
      'negative-volume': (r: HistoRow) => r.volumefrom < 0,
      'misaligned-ts': (r: HistoRow) => r.time % 3600 === 1,
      'ms-timestamp': (r: HistoRow) => r.time > 1e12,
      'nan-string': (r: HistoRow) => (r.close as unknown) === 'NaN',
    } as const;
    for (const [badRow, broken] of Object.entries(checks)) {
      await control.addFault({ kind: 'bad-row', badRow: badRow as keyof typeof checks, count: 1 });
      const data = await rows('1h', straddle);
      expect(data.filter(broken), badRow).toHaveLength(1);
      const changed = data
        .map((r, i) => [r, clean[i]!] as const)
        .filter(([r, c]) => JSON.stringify(r) !== JSON.stringify(c));
      expect(changed, badRow).toHaveLength(1);
      expect(isZeroRow(changed[0]![1]), badRow).toBe(false);
    }
    expect(await rows('1h', straddle)).toEqual(clean);
  });

  it('malformed returns a 200 whose body is not JSON; reset drops the connection', async () => {
    await control.addFault({ kind: 'malformed', count: 1 });
    const bad = await histo('1h', params);
    expect(bad.status).toBe(200);
    expect(bad.json).toBeUndefined();
    expect(bad.text.startsWith('{"Response":"Success"')).toBe(true);
    await control.addFault({ kind: 'reset', count: 1 });
    await expect(fetch(`${base}/data/v2/histohour?fsym=BTC&tsym=USD`)).rejects.toThrow();
    expect((await histo('1h', params)).status).toBe(200);
  });
});

interface TopListEnvelope {
  Message: string;
  Type: number;
  MetaData: { Count: number };
  SponsoredData: unknown[];
  Data: TopListItem[];
  RateLimit: Record<string, unknown>;
  HasWarning: boolean;
}

describe('min-api simulator: top lists', () => {
  async function top(kind: string, params: Record<string, string | number>): Promise<TopListEnvelope> {
    const res = await get(`/data/top/${kind}`, params);
    expect(res.status).toBe(200);
    return res.json as TopListEnvelope;
  }

  it('serves the documented envelope and item shapes', async () => {
    const body = await top('mktcapfull', { tsym: 'USD' });
    const sample = fixture('toplist-mktcapfull-usd.json') as TopListEnvelope;
    expect(keysOf(body)).toEqual(keysOf(sample));
    expect(body).toMatchObject({ Message: 'Success', Type: 100, SponsoredData: [], RateLimit: {}, HasWarning: false });
    expect(body.Data).toHaveLength(10);
    const item = body.Data[0]!;
    const sampleItem = sample.Data[0]!;
    expect(keysOf(item)).toEqual(['CoinInfo', 'RAW', 'DISPLAY']);
    expect(keysOf(item.CoinInfo)).toEqual(keysOf(sampleItem.CoinInfo));
    expect(keysOf(item.RAW!.USD)).toEqual([...TOPLIST_RAW_KEYS]);
    expect(keysOf(sampleItem.RAW!.USD)).toEqual([...TOPLIST_RAW_KEYS]);
    expect(keysOf(item.DISPLAY!.USD)).toEqual([...TOPLIST_DISPLAY_KEYS]);
    expect(keysOf(sampleItem.DISPLAY!.USD)).toEqual([...TOPLIST_DISPLAY_KEYS]);
    expect(item.CoinInfo).toMatchObject({
      Id: '1182',
      Name: 'BTC',
      FullName: 'Bitcoin',
      AssetLaunchDate: '2009-01-03',
    });
    expect(item.RAW!.USD).toMatchObject({ TYPE: '5', MARKET: 'CCCAGG', FROMSYMBOL: 'BTC', TOSYMBOL: 'USD' });
    expect(item.DISPLAY!.USD!.PRICE).toMatch(/^\$ \d{1,3}(,\d{3})*\.\d$/);
    for (const it of body.Data) expect(typeof it.CoinInfo.Id).toBe('string');
  });

  it('ranks by market cap / total volume, pages 0-based, caps limit at 100, and equals expectedTopList', async () => {
    const full = expectedTopList('mktcapfull', 'USD', NOW);
    expect(full.length).toBeGreaterThan(200);
    const caps = full.map((i) => Number(i.RAW!.USD!.MKTCAP));
    expect(caps).toEqual([...caps].sort((a, b) => b - a));
    const served: TopListItem[] = [];
    for (let page = 0; page * 100 < full.length; page++) {
      const body = await top('mktcapfull', { tsym: 'USD', limit: 500, page });
      expect(body.MetaData.Count).toBe(full.length);
      expect(body.Data.length).toBe(Math.min(100, full.length - page * 100));
      served.push(...body.Data);
    }
    expect(JSON.stringify(served)).toBe(JSON.stringify(full));
    expect((await top('mktcapfull', { tsym: 'USD', limit: 25, page: 1 })).Data).toEqual(full.slice(25, 50));
    expect((await top('mktcapfull', { tsym: 'USD', page: 99 })).Data).toEqual([]);

    const vol = (await top('totalvolfull', { tsym: 'EUR', limit: 100 })).Data;
    const volumes = vol.map((i) => Number(i.RAW!.EUR!.TOTALVOLUME24HTO));
    expect(volumes).toEqual([...volumes].sort((a, b) => b - a));
    expect(vol).toEqual(expectedTopList('totalvolfull', 'EUR', NOW).slice(0, 100));
  });

  it('evolves by UTC day of the simulator clock and is stable within a day', async () => {
    const day = Math.floor(NOW / DAY) * DAY;
    await control.setClock({ now: day + 1 });
    const early = await get('/data/top/mktcapfull', { tsym: 'USD', limit: 100 });
    await control.setClock({ now: day + DAY - 1 });
    const late = await get('/data/top/mktcapfull', { tsym: 'USD', limit: 100 });
    expect(late.text).toBe(early.text);
    const orders = new Set<string>();
    for (let d = 0; d < 10; d++) {
      await control.setClock({ now: day + d * DAY + 3600 });
      const body = await top('mktcapfull', { tsym: 'USD', limit: 100 });
      expect(body.Data).toEqual(expectedTopList('mktcapfull', 'USD', day + d * DAY).slice(0, 100));
      orders.add(body.Data.map((i) => i.CoinInfo.Name).join());
    }
    expect(orders.size).toBeGreaterThan(5);
    // Coins appear once launched: the list as of 2019 is shorter and has no SOL.
    const old = expectedTopList('mktcapfull', 'USD', Date.UTC(2019, 0, 1) / 1000);
    expect(old.length).toBeLessThan(expectedTopList('mktcapfull', 'USD', NOW).length);
    expect(old.some((i) => i.CoinInfo.Name === 'SOL')).toBe(false);
  });

  it('prices in the requested tsym and omits RAW/DISPLAY for the tsym coin itself', async () => {
    const body = await top('mktcapfull', { tsym: 'btc' });
    const btc = body.Data.find((i) => i.CoinInfo.Name === 'BTC')!;
    expect(btc.RAW).toBeUndefined();
    const eth = body.Data.find((i) => i.CoinInfo.Name === 'ETH')!;
    expect(eth.RAW!.BTC!.TOSYMBOL).toBe('BTC');
    expect(eth.DISPLAY!.BTC!.PRICE).toMatch(/^Ƀ 0\.\d+$/);
    expect((await errorOf(get('/data/top/totalvolfull', { tsym: 'XYZQ' }))).ParamWithError).toBe('tsym');
  });
});

describe('min-api simulator: coin list', () => {
  it('serves every coin keyed by symbol with string ids, as expectedCoinList says', async () => {
    const res = await get('/data/all/coinlist');
    const body = res.json as { Message: string; Data: Record<string, Record<string, unknown>> };
    const sample = fixture('coinlist.json') as typeof body;
    expect(keysOf(body)).toEqual(keysOf(sample));
    expect(body.Message).toBe('Coin list succesfully returned!');
    expect(keysOf(body.Data.BTC)).toEqual(keysOf(sample.Data.BTC));
    expect(body.Data.BTC).toMatchObject({ Id: '1182', Symbol: 'BTC', CoinName: 'Bitcoin', SortOrder: '1' });
    for (const [symbol, item] of Object.entries(body.Data)) {
      expect(item.Symbol).toBe(symbol);
      expect(typeof item.Id).toBe('string');
      expect(typeof item.SortOrder).toBe('string');
    }
    expect(body.Data).toEqual(expectedCoinList(NOW));
    const filtered = (await get('/data/all/coinlist', { fsym: 'btc,ETH' })).json as typeof body;
    expect(keysOf(filtered.Data)).toEqual(['BTC', 'ETH']);
  });

  it('lists only coins that existed on the clock day', async () => {
    await control.setClock({ now: Date.UTC(2019, 0, 1, 12) / 1000 });
    const body = (await get('/data/all/coinlist')).json as { Data: Record<string, unknown> };
    expect(body.Data).toHaveProperty('BTC');
    expect(body.Data).not.toHaveProperty('SOL');
    expect(body.Data).toEqual(expectedCoinList(Date.UTC(2019, 0, 1) / 1000));
    expect(keysOf(body.Data).length).toBeLessThan(keysOf(expectedCoinList()).length);
  });
});

describe('min-api simulator: exchanges and runtime listings', () => {
  async function exchanges(params: Record<string, string | number> = {}): Promise<Record<string, ExchangeWire>> {
    const res = await get('/data/v4/all/exchanges', params);
    const body = res.json as { Data: { exchanges: Record<string, ExchangeWire> } };
    expect(keysOf(body)).toEqual(keysOf(fixture('v4-all-exchanges.json')));
    return body.Data.exchanges;
  }

  it('serves the documented shape, with inactive exchanges and pairs, as expectedExchanges says', async () => {
    const all = await exchanges();
    expect(all).toEqual(expectedExchanges(NOW));
    expect(keysOf(all)).toEqual([...MIN_API_EXCHANGES]);
    const sample = (fixture('v4-all-exchanges.json') as { Data: { exchanges: Record<string, ExchangeWire> } }).Data
      .exchanges.Binance!;
    const binance = all.Binance!;
    expect(keysOf(binance)).toEqual(keysOf(sample));
    expect(keysOf(binance.pairs.BTC!.tsyms.USDT)).toEqual(keysOf(sample.pairs.BNB!.tsyms.USDT));
    expect(binance.pairs.BTC!.tsyms.USDT).toMatchObject({
      histo_minute_end_ts: NOW,
      histo_minute_end: '2023-11-14',
      isActive: true,
    });
    expect(all.Cryptsy!.isActive).toBe(false);
    const inactive = Object.values(all).flatMap((ex) =>
      Object.values(ex.pairs).flatMap((p) => Object.values(p.tsyms).filter((t) => !t.isActive)),
    );
    expect(inactive.length).toBeGreaterThan(20);
    for (const t of inactive) expect(t.histo_minute_end_ts).toBeLessThan(NOW);

    const sol = await exchanges({ fsym: 'sol', e: 'coinbase' });
    expect(keysOf(sol)).toEqual(['Coinbase']);
    expect(keysOf(sol.Coinbase!.pairs)).toEqual(['SOL']);
    expect(await exchanges({ e: 'NoSuchExchange' })).toEqual({});
    const topTier = await exchanges({ topTier: 'true' });
    expect(Object.values(topTier).every((e) => e.isTopTier)).toBe(true);
    expect(keysOf(topTier)).not.toContain('Poloniex');
  });

  it('agrees with histo: each pair (and CCCAGG) starts at histo_minute_start_ts', async () => {
    const all = await exchanges();
    const sample = MIN_API_EXCHANGES.flatMap((e) =>
      listPairs(e)
        .filter((_, i) => i % 37 === 0)
        .map((p) => [e, p.fsym, p.tsym] as const),
    );
    expect(sample.length).toBeGreaterThan(25);
    for (const [e, fsym, tsym] of sample) {
      const start = all[e]!.pairs[fsym]!.tsyms[tsym]!.histo_minute_start_ts;
      const first = Math.floor(start / DAY) * DAY;
      const data = await rows('1d', { e, fsym, tsym, limit: 3, toTs: first + DAY });
      expect(data.map(isZeroRow), `${e} ${fsym}-${tsym}`).toEqual([true, true, false, false]);
      expect(data[2]!.time).toBe(first);
    }
    // CCCAGG starts with the earliest listing.
    const ethUsd = MIN_API_EXCHANGES.flatMap((e) => {
      const t = all[e]!.pairs.ETH?.tsyms.USD;
      return t ? [t.histo_minute_start_ts] : [];
    });
    const hour = Math.floor(Math.min(...ethUsd) / 3600) * 3600;
    const data = await rows('1h', { fsym: 'ETH', tsym: 'USD', limit: 1, toTs: hour });
    expect(data.map(isZeroRow)).toEqual([true, false]);
  });

  it('lists a pair at runtime: it appears in v4/all/exchanges and histo, and reset removes it', async () => {
    const startTs = NOW - 2 * 3600 - 25;
    const res = await control.sourceControl<{ pair: { exchange: string; start: number } }>('min-api', '/pairs', {
      exchange: 'kraken',
      fsym: 'NEWCOIN',
      tsym: 'USD',
      startTs,
    });
    expect(res.pair).toMatchObject({ exchange: 'Kraken', start: startTs });
    const listing = await control.sourceControl<{ pairs: Array<{ fsym: string; runtime: boolean }> }>(
      'min-api',
      '/pairs/KRAKEN',
    );
    expect(listing.pairs.filter((p) => p.runtime).map((p) => p.fsym)).toEqual(['NEWCOIN']);
    const listed = (await exchanges({ e: 'Kraken', fsym: 'NEWCOIN' })).Kraken!.pairs.NEWCOIN!.tsyms.USD!;
    expect(listed).toMatchObject({ histo_minute_start_ts: startTs, isActive: true });
    const minutes = await rows('1m', { e: 'Kraken', fsym: 'NEWCOIN', tsym: 'USD', limit: 200 });
    const firstMinute = Math.floor(startTs / 60) * 60;
    expect(minutes.find((r) => !isZeroRow(r))!.time).toBe(firstMinute);
    expect(minutes.filter((r) => r.time < firstMinute).every(isZeroRow)).toBe(true);
    // CCCAGG picks the new listing up too: the hour before the listing is zero, then data up to now.
    const hours = await rows('1h', { fsym: 'NEWCOIN', tsym: 'USD', limit: 3 });
    expect(hours.map(isZeroRow)).toEqual([true, false, false, false]);
    expect(hours[1]!.time).toBe(Math.floor(startTs / 3600) * 3600);
    expect((await get('/data/all/coinlist', { fsym: 'NEWCOIN' })).json).toMatchObject({
      Data: { NEWCOIN: { Symbol: 'NEWCOIN' } },
    });
    await expect(
      control.sourceControl('min-api', '/pairs', { exchange: 'Kraken', fsym: 'BTC', tsym: 'USD' }),
    ).rejects.toThrow(/already lists BTC-USD/);
    await expect(
      control.sourceControl('min-api', '/pairs', { exchange: 'Nowhere', fsym: 'A', tsym: 'B' }),
    ).rejects.toThrow(/unknown exchange/);
    await control.reset();
    await control.setClock({ now: NOW });
    expect((await errorOf(histo('1h', { e: 'Kraken', fsym: 'NEWCOIN', tsym: 'USD' }))).Message).toBe(
      'Kraken market does not exist for this coin pair (NEWCOIN-USD)',
    );
    expect((await exchanges({ e: 'Kraken' })).Kraken!.pairs).not.toHaveProperty('NEWCOIN');
  });

  it('lists a future pair only once the clock reaches its start', async () => {
    await control.sourceControl('min-api', '/pairs', {
      exchange: 'Binance',
      fsym: 'LATER',
      tsym: 'USDT',
      startTs: NOW + DAY,
    });
    expect((await exchanges({ e: 'Binance' })).Binance!.pairs).not.toHaveProperty('LATER');
    expect((await errorOf(histo('1d', { e: 'Binance', fsym: 'LATER', tsym: 'USDT' }))).Type).toBe(2);
    await control.setClock({ now: NOW + DAY + 60 });
    expect((await exchanges({ e: 'Binance' })).Binance!.pairs.LATER!.tsyms.USDT!.histo_minute_start_ts).toBe(NOW + DAY);
    const data = await rows('1m', { e: 'Binance', fsym: 'LATER', tsym: 'USDT', limit: 3 });
    expect(data.map(isZeroRow)).toEqual([true, true, false, false]);
    expect(data[2]!.time).toBe(Math.floor((NOW + DAY) / 60) * 60);
  });
});
