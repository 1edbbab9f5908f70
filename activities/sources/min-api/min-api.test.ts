/**
 * The min-api source without a server: histo and reference parsers, response classification onto
 * the error taxonomy (HTTP 200 error bodies), and its registration (env prefix, free tier).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  DataInvariantError,
  MalformedResponseError,
  RateLimitedError,
  ResponseSchemaError,
  SourceAuthError,
  SourceRequestError,
  SourceUnavailableError,
} from '../../errors';
import type { HttpResponse } from '../../http';
import type { PageRequest } from '../types';
import { minApiConfigSchema, MIN_API_FREE_TIER } from './config';
import { checkResponse } from './errors';
import { histoLimit, histoOhlcv, mapHistoRows, parseInstrument } from './histo';
import { minApiSource } from './index';
import {
  coinListBody,
  coinListParams,
  exchangesBody,
  exchangesParams,
  mapCoinList,
  mapExchanges,
  mapTopList,
  topListBody,
  topListParams,
} from './reference';
import { histoEnvelopeSchema } from './schemas';

const fixture = (name: string): string => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');

function response(
  status: number,
  body: string,
  headers: Record<string, string> = {},
  serverTime?: number,
): HttpResponse {
  return {
    status,
    body,
    headers: new Headers(headers),
    url: '/data/v2/histoday?fsym=BTC&tsym=USD',
    sha256: 'x',
    serverTime,
  };
}

/** The classified error `fn` throws (fails the test when it does not throw). */
function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  expect.unreachable('expected an error');
}

const D = 1652140800; // the documented row's day
const DAY = 86_400;
const series = {
  source: 'min-api',
  dataset: 'histo-ohlcv',
  market: 'CCCAGG',
  instrument: 'BTC-USD',
  interval: '1d',
} as const;
const req = (from: number, to: number): PageRequest => ({ series, from, to });
const map = (rows: unknown[], from: number, to: number) => mapHistoRows(rows, req(from, to), 'req');
const docRow = () =>
  histoEnvelopeSchema.parse(JSON.parse(fixture('histoday-btc-usd.json'))).Data.Data[0] as Record<string, unknown>;
/** The documented row moved to another day (same values). */
const rowAt = (time: number) => ({ ...docRow(), time });
const zeroRow = (time: number) => ({
  time,
  high: 0,
  low: 0,
  open: 0,
  volumefrom: 0,
  volumeto: 0,
  close: 0,
  conversionType: 'direct',
  conversionSymbol: '',
});

describe('min-api histo parser', () => {
  it('maps the documented BTC-USD histoday row exactly', () => {
    const json = checkResponse(response(200, fixture('histoday-btc-usd.json')));
    const env = histoEnvelopeSchema.parse(json);
    const page = map(env.Data.Data, D, D);
    expect(page.quarantined).toEqual([]);
    expect(page.unknownFields).toEqual([]); // every documented key is known
    const table = page.batch;
    expect(table.schema.fields.map((f) => f.name)).toEqual(['ts', ...histoOhlcv.columns.map((c) => c.name)]);
    expect(table.numRows).toBe(1);
    expect(table.get(0)!.toJSON()).toEqual({
      ts: D,
      open: 30076.9,
      high: 32625.41,
      low: 29836.19,
      close: 31013.12,
      volume_from: 103840.6,
      volume_to: 3244062170.09,
      conversion_type: 'direct',
      conversion_symbol: '',
      is_filler: false,
    });
  });

  it('skips all-zero pre-history rows: never stored, never quarantined', () => {
    const rows = [zeroRow(D - 2 * DAY), zeroRow(D - DAY), rowAt(D), rowAt(D + DAY)];
    const page = map(rows, D - 2 * DAY, D + DAY);
    expect(page.quarantined).toEqual([]);
    expect(Array.from(page.batch.getChild('ts')!.toArray())).toEqual([D, D + DAY]);
    // A page of zero rows only is empty, not an error.
    const empty = map([zeroRow(D), zeroRow(D + DAY)], D, D + DAY);
    expect(empty.batch.numRows).toBe(0);
    expect(empty.quarantined).toEqual([]);
  });

  it('marks a quiet period (volumefrom and volumeto 0, flat prices) as a filler row', () => {
    const flat = { ...rowAt(D + DAY), open: 31013.12, high: 31013.12, low: 31013.12, close: 31013.12 };
    Object.assign(flat, { volumefrom: 0, volumeto: 0 });
    const page = map([rowAt(D), flat], D, D + DAY);
    expect(Array.from(page.batch.getChild('is_filler')!)).toEqual([false, true]);
  });

  it('drops exactly the extra row a one-period request brings (the period before from), nothing else', () => {
    expect(histoLimit(req(D, D))).toBe(1); // limit is at least 1: the API sends 2 rows
    const page = map([rowAt(D - DAY), rowAt(D)], D, D);
    expect(page.quarantined).toEqual([]);
    expect(Array.from(page.batch.getChild('ts')!.toArray())).toEqual([D]);
    // Any other row outside the window is quarantined, not dropped.
    const other = map([rowAt(D - 2 * DAY), rowAt(D)], D, D);
    expect(other.quarantined.map((q) => q.reason)).toEqual([expect.stringContaining('outside the requested window')]);
    // A two-period request has no extra row: a row before `from` is quarantined.
    expect(histoLimit(req(D, D + DAY))).toBe(1);
    const two = map([rowAt(D - DAY), rowAt(D), rowAt(D + DAY)], D, D + DAY);
    expect(two.quarantined).toHaveLength(1);
    expect(two.batch.numRows).toBe(2);
  });

  it('asks for limit = periods - 1 ending at to (toTs inclusive)', () => {
    expect(histoLimit(req(D, D + 2000 * DAY))).toBe(2000);
    expect(histoOhlcv.maxPeriodsPerRequest('1h')).toBe(2001);
    expect(histoOhlcv.maxHistorySeconds?.('1m')).toBe(7 * DAY);
    expect(histoOhlcv.maxHistorySeconds?.('1h')).toBeUndefined();
    expect(histoOhlcv.instrumentKind).toBe('spot');
  });

  it('a missing required field is a contract break: ResponseSchemaError naming the field', () => {
    for (const key of ['time', 'high', 'low', 'open', 'volumefrom', 'volumeto', 'close']) {
      const row = rowAt(D);
      delete (row as Record<string, unknown>)[key];
      const err = thrown(() => map([row], D, D));
      expect(err).toBeInstanceOf(ResponseSchemaError);
      expect(err.message).toContain(`lacks the required field ${key}`);
    }
  });

  it('accepts an unknown new field and reports it once per page', () => {
    const page = map(
      [
        { ...rowAt(D), trades: 7 },
        { ...rowAt(D + DAY), trades: 8 },
      ],
      D,
      D + DAY,
    );
    expect(page.batch.numRows).toBe(2);
    expect(page.unknownFields).toEqual([{ field: 'trades', sample: 7 }]);
  });

  it.each([
    ['high below low', (r: Record<string, unknown>) => Object.assign(r, { high: r.low, low: r.high }), 'below low'],
    ['negative volume', (r: Record<string, unknown>) => (r.volumefrom = -1.5), 'volumefrom is negative (-1.5)'],
    ['negative quote volume', (r: Record<string, unknown>) => (r.volumeto = -2), 'volumeto is negative (-2)'],
    ['NaN as a string', (r: Record<string, unknown>) => (r.close = 'NaN'), 'invalid value: close'],
    ['misaligned timestamp', (r: Record<string, unknown>) => (r.time = D + DAY + 1), 'not aligned'],
    ['milliseconds', (r: Record<string, unknown>) => (r.time = (D + DAY) * 1000), 'in milliseconds'],
    ['outside the window', (r: Record<string, unknown>) => (r.time = D + 3 * DAY), 'outside the requested window'],
    ['a repeated timestamp', (r: Record<string, unknown>) => (r.time = D), 'repeats'],
    ['a string conversionType', (r: Record<string, unknown>) => (r.conversionType = 5), 'conversionType'],
  ])('quarantines a row with %s, with its raw JSON and reason, and keeps the good rows', (_n, mutate, reason) => {
    const good = rowAt(D);
    const bad = rowAt(D + DAY);
    mutate(bad);
    const page = map([good, bad], D, D + 2 * DAY);
    expect(page.batch.numRows).toBe(1);
    expect(page.batch.getChild('ts')!.get(0)).toBe(D);
    expect(page.quarantined).toHaveLength(1);
    expect(page.quarantined[0]!.reason).toContain(reason);
    expect(page.quarantined[0]!.raw).toEqual(bad);
  });

  it('records the quarantined row time in seconds (milliseconds converted)', () => {
    const bad = { ...rowAt(D + DAY), time: (D + DAY) * 1000 };
    expect(map([rowAt(D), bad], D, D + DAY).quarantined[0]!.ts).toBe(D + DAY);
  });

  it('fails the page (DataInvariantError) when every non-zero row is bad', () => {
    const a = { ...rowAt(D), high: 1 };
    const b = { ...rowAt(D + DAY), high: 1 };
    expect(() => map([zeroRow(D - DAY), a, b], D - DAY, D + DAY)).toThrow(DataInvariantError);
  });

  it('the envelope must be Success / Type 100 with Data.{Aggregated,TimeFrom,TimeTo,Data[]}', () => {
    const ok = JSON.parse(fixture('histoday-btc-usd.json')) as Record<string, unknown>;
    expect(histoEnvelopeSchema.safeParse(ok).success).toBe(true);
    expect(histoEnvelopeSchema.safeParse({ ...ok, Data: { Data: [] } }).success).toBe(false);
    expect(histoEnvelopeSchema.safeParse({ ...ok, Data: [] }).success).toBe(false); // the v1 flat shape
    expect(histoEnvelopeSchema.safeParse({ ...ok, Type: 99 }).success).toBe(false);
  });

  it('series key of a row (imports): the inverse of the series values', () => {
    const key = { ...series, market: 'Coinbase', instrument: 'ETH-USDT', interval: '1h' as const };
    const values = histoOhlcv.seriesValues(key);
    const byName = Object.fromEntries(histoOhlcv.seriesColumns.map((c, i) => [c.name, values[i]]));
    expect(histoOhlcv.seriesKeyOf!(byName)).toEqual({ market: 'Coinbase', instrument: 'ETH-USDT' });
    expect(histoOhlcv.seriesKeyOf!({ exchange: 'Coinbase', fsym: 'ETH' })).toBeUndefined();
    expect(histoOhlcv.seriesKeyOf!({ exchange: 'Coinbase', fsym: '', tsym: 'USD' })).toBeUndefined();
  });

  it('series values: market → exchange, FSYM-TSYM → fsym, tsym; anything else is a SourceRequestError', () => {
    expect(histoOhlcv.seriesValues({ ...series, market: 'Coinbase', instrument: 'ETH-USDT', interval: '1h' })).toEqual([
      'Coinbase',
      'ETH',
      'USDT',
      '1h',
    ]);
    expect(parseInstrument('BTC-USD')).toEqual({ fsym: 'BTC', tsym: 'USD' });
    for (const bad of ['BTCUSD', 'BTC-USD-PERP', 'btc-usd', '-USD', 'BTC-']) {
      const err = thrown(() => parseInstrument(bad));
      expect(err).toBeInstanceOf(SourceRequestError);
      expect(err.message).toContain('FSYM-TSYM');
    }
  });
});

describe('min-api response classification', () => {
  it('Type 2 fsym is a required param → SourceRequestError with the message and ParamWithError', () => {
    const err = thrown(() => checkResponse(response(200, fixture('error-fsym-required.json'))));
    expect(err).toBeInstanceOf(SourceRequestError);
    expect((err as SourceRequestError).retryable).toBe(false);
    expect(err.message).toContain('fsym is a required param.');
    expect(err.message).toContain('parameter fsym');
    expect((err as SourceRequestError).details).toMatchObject({ apiType: 2, paramWithError: 'fsym' });
  });

  it('market does not exist (Type 2, or Type 1 on older servers) → SourceRequestError', () => {
    const err = thrown(() => checkResponse(response(200, fixture('error-market-does-not-exist.json'))));
    expect(err).toBeInstanceOf(SourceRequestError);
    expect(err.message).toContain('CCCAGG market does not exist for this coin pair (BTC-EGP)');
    const type1 = JSON.stringify({
      Response: 'Error',
      Message: 'Binance market does not exist for this coin pair (ETH-USD)',
      Type: 1,
      Data: {},
    });
    expect(() => checkResponse(response(200, type1))).toThrow(SourceRequestError);
  });

  it('Type 0 Path does not exist → SourceRequestError', () => {
    const err = thrown(() => checkResponse(response(200, fixture('error-path-does-not-exist.json'))));
    expect(err).toBeInstanceOf(SourceRequestError);
    expect(err.message).toContain('Path does not exist');
  });

  it('auth messages (Type 1) → SourceAuthError', () => {
    const body = JSON.stringify({
      Response: 'Error',
      Message: 'You need a valid auth key or api key to access this endpoint',
      HasWarning: false,
      Type: 1,
      RateLimit: {},
      Data: {},
    });
    const err = thrown(() => checkResponse(response(200, body)));
    expect(err).toBeInstanceOf(SourceAuthError);
    expect((err as SourceAuthError).retryable).toBe(false);
  });

  it('Type 99 over quota (HTTP 200, no headers, as real answers come) → waits until the spent day window resets', () => {
    // The real answer: day 7773 of 7500 (rejected calls count too). Measured on the server's clock.
    const noon = Date.parse('2026-12-02T12:00:00Z') / 1000;
    const err = thrown(() => checkResponse(response(200, fixture('error-rate-limit.json'), {}, noon)));
    expect(err).toBeInstanceOf(RateLimitedError);
    expect((err as RateLimitedError).retryable).toBe(true);
    expect((err as RateLimitedError).retryAfterSeconds).toBe(43_200);
    expect((err as RateLimitedError).quota).toEqual({
      window: 'day',
      callsMade: 7773,
      maxCalls: 7500,
      resetSeconds: 43_200,
    });
    expect(err.message).toContain('quota spent: day window, 7773 of 7500 calls, resets 2026-12-03T00:00:00Z');
    expect(err.message).toContain('You are over your rate limit');
  });

  it('keyless, HTTP 401 "API key required" is the keyless quota (a pause), not an auth failure; with a key it is auth', () => {
    const body = JSON.stringify({ Response: 'Error', Message: 'API key required', Type: 1, Data: {} });
    const at = Date.parse('2026-12-02T10:15:00Z') / 1000;
    const keyless = thrown(() => checkResponse(response(401, body, {}, at), { keyed: false }));
    expect(keyless).toBeInstanceOf(RateLimitedError);
    expect(keyless.message).toContain('keyless quota');
    // It does not say which window: not polled every minute, asked again at the next full hour.
    expect((keyless as RateLimitedError).retryAfterSeconds).toBe(45 * 60);
    expect(thrown(() => checkResponse(response(401, 'API key required'), { keyed: false }))).toBeInstanceOf(
      RateLimitedError,
    );
    expect(thrown(() => checkResponse(response(401, body), { keyed: true }))).toBeInstanceOf(SourceAuthError);
    // An endpoint that needs a key says so differently: that stays an auth failure, keyless or not.
    const needsKey = JSON.stringify({
      Response: 'Error',
      Message: 'You need a valid auth key or api key to access this endpoint',
      Type: 1,
      Data: {},
    });
    expect(thrown(() => checkResponse(response(200, needsKey), { keyed: false }))).toBeInstanceOf(SourceAuthError);
  });

  it('Type 99 with a key → waits for the window X-RateLimit-*-All reports exhausted', () => {
    // The server's clock 50,000 s before midnight: the body's spent day and the headers agree.
    const at = Date.parse('2026-12-03T00:00:00Z') / 1000 - 50_000;
    const err = thrown(() =>
      checkResponse(
        response(
          200,
          fixture('error-rate-limit.json'),
          {
            'x-ratelimit-remaining-all':
              '40000, 12;window=1, 200;window=60, 1000;window=3600, 0;window=86400, 40000;window=2592000',
            'x-ratelimit-reset-all':
              '900000, 1;window=1, 35;window=60, 1835;window=3600, 50000;window=86400, 900000;window=2592000',
          },
          at,
        ),
      ),
    );
    expect((err as RateLimitedError).retryAfterSeconds).toBe(50000);
  });

  it('a ban (Type 99 with Cooldown) → RateLimitedError waiting the announced seconds', () => {
    const err = thrown(() => checkResponse(response(200, fixture('error-cooldown.json'))));
    expect(err).toBeInstanceOf(RateLimitedError);
    expect((err as RateLimitedError).retryAfterSeconds).toBe(60);
    expect(err.message).toContain('banned for 60 s');
  });

  it('non-200: 401/403 → auth, 429 → rate limited, 5xx (even a non-JSON 502 page) → unavailable', () => {
    const coindesk = JSON.stringify({ Response: 'Error', Message: 'Please use the CoinDesk API', Type: 1, Data: {} });
    expect(() => checkResponse(response(401, coindesk))).toThrow(SourceAuthError);
    expect(() => checkResponse(response(403, 'Forbidden'))).toThrow(MalformedResponseError);
    const limited = thrown(() => checkResponse(response(429, 'Too Many Requests', { 'retry-after': '5' })));
    expect(limited).toBeInstanceOf(RateLimitedError);
    expect((limited as RateLimitedError).retryAfterSeconds).toBe(5);
    expect(() => checkResponse(response(429, fixture('error-rate-limit.json')))).toThrow(RateLimitedError);
    const html = '<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>';
    const gateway = thrown(() => checkResponse(response(502, html)));
    expect(gateway).toBeInstanceOf(SourceUnavailableError);
    expect(gateway.message).toContain('HTTP 502');
    expect(() => checkResponse(response(500, fixture('error-fsym-required.json')))).toThrow(SourceUnavailableError);
    expect(() => checkResponse(response(503, ''))).toThrow(SourceUnavailableError);
  });

  it('non-200 JSON bodies are read: a 400 error envelope keeps its message; other 4xx → request error', () => {
    const err = thrown(() => checkResponse(response(400, fixture('error-fsym-required.json'))));
    expect(err).toBeInstanceOf(SourceRequestError);
    expect(err.message).toContain('fsym is a required param.');
    expect(() => checkResponse(response(404, 'not found'))).toThrow(SourceRequestError);
  });

  it("a firewall's HTML 403 page is not the API's answer (bounded retries); a JSON 401/403 is auth", () => {
    const waf = '<!DOCTYPE html><html><body><h1>Access denied</h1></body></html>';
    expect(thrown(() => checkResponse(response(403, waf)))).toBeInstanceOf(MalformedResponseError);
    const api = JSON.stringify({ Response: 'Error', Message: 'Please use the CoinDesk API', Type: 1, Data: {} });
    expect(thrown(() => checkResponse(response(403, api)))).toBeInstanceOf(SourceAuthError);
  });

  it('a 200 whose body is not JSON → MalformedResponseError', () => {
    const err = thrown(() => checkResponse(response(200, '{"Response":"Success","Data":{"Data":[{"time":16')));
    expect(err).toBeInstanceOf(MalformedResponseError);
    expect(err.message).toContain('not valid JSON');
  });

  it('success bodies (histo, stats, top list without Response, coin list, exchanges) pass through', () => {
    for (const name of [
      'histoday-btc-usd.json',
      'stats-rate-limit.json',
      'toplist-mktcapfull-usd.json',
      'coinlist.json',
      'v4-all-exchanges.json',
    ]) {
      expect(checkResponse(response(200, fixture(name)))).toEqual(JSON.parse(fixture(name)));
    }
  });
});

describe('min-api reference parsers', () => {
  it('top list: CoinInfo → asset, RAW[tsym] → price / market cap / volume, rank across 0-based pages', () => {
    const body = topListBody.parse(checkResponse(response(200, fixture('toplist-mktcapfull-usd.json'))));
    const p = topListParams.parse({});
    expect(p).toEqual({ list: 'mktcapfull', tsym: 'USD', pages: 1, limit: 100 });
    const out = mapTopList(body, { ...p, pages: 3, limit: 10 }, 2);
    expect(out.topList).toEqual([
      {
        list: 'mktcap',
        quote: 'USD',
        rank: 21,
        assetId: '1182',
        symbol: 'BTC',
        price: 75585.79,
        marketCap: 1488896594399.9,
        volume24h: 25227042893.81,
      },
    ]);
    expect(out.assets).toHaveLength(1);
    const asset = out.assets![0]!;
    expect(asset).toMatchObject({
      assetId: '1182',
      symbol: 'BTC',
      name: 'Bitcoin',
      launchDate: '2009-01-03',
      priceUsd: 75585.79,
      marketCapUsd: 1488896594399.9,
      supplyCirculating: 19698100,
    });
    expect(asset.attributes).toMatchObject({ Algorithm: 'SHA-256', MaxSupply: 20999999.9769, Internal: 'BTC' });
    expect((asset.attributes!.RAW as Record<string, { MARKET: string }>).USD!.MARKET).toBe('CCCAGG');
    expect(asset.attributes).not.toHaveProperty('Id');
    expect(asset.attributes).not.toHaveProperty('DISPLAY');
    // A short page, or the last requested page, ends the snapshot.
    expect(out.next).toBeUndefined();
    const full = { ...body, Data: Array.from({ length: 10 }, () => body.Data[0]!) };
    expect(mapTopList(full, { ...p, pages: 3, limit: 10 }, 0).next).toBe('1');
    expect(mapTopList(full, { ...p, pages: 3, limit: 10 }, 2).next).toBeUndefined();
    expect(mapTopList(full, { ...p, pages: 3, limit: 10 }, 0).topList!.map((t) => t.rank)).toEqual([
      1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
    ]);
  });

  it('top list in another quote: no USD columns on the asset; the quote coin itself has no RAW', () => {
    const body = topListBody.parse(JSON.parse(fixture('toplist-mktcapfull-usd.json')));
    const noRaw = { ...body, Data: [{ CoinInfo: body.Data[0]!.CoinInfo }] };
    const out = mapTopList(noRaw, topListParams.parse({ tsym: 'BTC', list: 'totalvolfull' }), 0);
    expect(out.topList![0]).toMatchObject({ list: 'totalvol', quote: 'BTC', price: null, marketCap: null });
    expect(out.assets![0]).toMatchObject({ priceUsd: null, marketCapUsd: null });
  });

  it('a top-list coin without an id of its own (0) is keyed by symbol, as the coin list keys it', () => {
    const body = topListBody.parse(JSON.parse(fixture('toplist-mktcapfull-usd.json')));
    body.Data[0]!.CoinInfo.Id = '0';
    const { assets, topList } = mapTopList(body, topListParams.parse({}), 0);
    expect(assets![0]!.assetId).toBe(`symbol:${body.Data[0]!.CoinInfo.Name}`);
    expect(topList![0]!.assetId).toBe(assets![0]!.assetId);
  });

  it('coin list entries that share an Id (or have Id 0) stay apart, keyed by symbol, and are reported', () => {
    const entry = (Id: string | number, Name: string) => ({ Id, Name, Symbol: Name, CoinName: `${Name} coin` });
    const body = coinListBody.parse({
      Response: 'Success',
      Data: {
        BTC: entry('1182', 'BTC'),
        AAA: entry('0', 'AAA'),
        BBB: entry('0', 'BBB'),
        C1: entry('77', 'C1'),
        C2: entry(77, 'C2'),
      },
    });
    const { assets, warnings } = mapCoinList(body);
    expect(assets.map((a) => a.assetId)).toEqual(['1182', 'symbol:AAA', 'symbol:BBB', 'symbol:C1', 'symbol:C2']);
    expect(new Set(assets.map((a) => a.assetId)).size).toBe(5);
    expect(assets[1]!.attributes).toMatchObject({ Id: '0' });
    expect(warnings).toEqual([
      'coin list: Id 0 is shared by AAA, BBB (kept apart, keyed by symbol)',
      'coin list: Id 77 is shared by C1, C2 (kept apart, keyed by symbol)',
    ]);
  });

  it('top-list parameters: list, tsym, pages ≤ 50, limit 10..100', () => {
    for (const bad of [{ pages: 51 }, { limit: 5 }, { limit: 101 }, { list: 'top' }, { tsym: 'usd' }, { x: 1 }]) {
      expect(topListParams.safeParse(bad).success).toBe(false);
    }
  });

  it('coin list → assets (string ids, CoinName as name, the rest as attributes)', () => {
    const body = coinListBody.parse(checkResponse(response(200, fixture('coinlist.json'))));
    const { assets } = mapCoinList(body);
    expect(assets).toHaveLength(1);
    expect(assets[0]).toMatchObject({ assetId: '1182', symbol: 'BTC', name: 'Bitcoin' });
    expect(assets[0]!.attributes).toMatchObject({
      FullName: 'Bitcoin (BTC)',
      SortOrder: '1',
      Name: 'BTC',
      Taxonomy: { Access: 'Permissionless' },
    });
    expect(coinListParams.safeParse({ fsym: 'BTC,ETH' }).success).toBe(true);
    expect(coinListParams.safeParse({ fsym: 'btc' }).success).toBe(false);
  });

  it('an exchange pair whose histo_minute_start_ts a timestamptz cannot hold: NULL and reported', () => {
    const body = exchangesBody.parse(JSON.parse(fixture('v4-all-exchanges.json')));
    const binance = Object.values(body.Data.exchanges)[0]!;
    const [fsym, { tsyms }] = Object.entries(binance.pairs!)[0]!;
    const [tsym, pair] = Object.entries(tsyms)[0]!;
    pair.histo_minute_start_ts = 1e15;
    const { instruments, warnings } = mapExchanges(body);
    expect(instruments.find((i) => i.instrument === `${fsym}-${tsym}`)!.firstTradeTs).toBeNull();
    expect(warnings).toEqual([
      `pair Binance/${fsym}-${tsym} histo_minute_start_ts 1000000000000000 is not a time in seconds between 1970 and 2200: stored as NULL`,
    ]);
  });

  it('exchanges → markets and instruments with histo_minute_start_ts as the first trade', () => {
    const body = exchangesBody.parse(checkResponse(response(200, fixture('v4-all-exchanges.json'))));
    const { markets, instruments } = mapExchanges(body);
    expect(markets).toEqual([
      { kind: 'spot', market: 'Binance', status: 'ACTIVE', attributes: { isActive: true, isTopTier: true } },
    ]);
    expect(instruments).toEqual([
      {
        kind: 'spot',
        market: 'Binance',
        instrument: 'BNB-USDT',
        base: 'BNB',
        quote: 'USDT',
        status: 'ACTIVE',
        firstTradeTs: 1509940463,
        lastTradeTs: 1749220258,
        attributes: { histo_minute_start: '2017-11-06', histo_minute_end: '2025-06-06', isActive: true },
      },
    ]);
    expect(exchangesParams.safeParse({ exchange: 'Coinbase', fsym: 'BTC', topTier: true }).success).toBe(true);
    expect(exchangesParams.safeParse({ e: 'Coinbase' }).success).toBe(false);
  });
});

describe('min-api source definition', () => {
  it('is registered with its env prefix and the free tier', () => {
    expect(minApiSource.id).toBe('min-api');
    expect(minApiSource.envPrefix).toBe('MIN_API');
    expect(MIN_API_FREE_TIER).toEqual({ second: 20, minute: 300, hour: 3000, day: 7500, month: 50000 });
    expect(Object.keys(minApiSource.datasets)).toEqual(['histo-ohlcv']);
    expect(Object.keys(minApiSource.references).sort()).toEqual(['coinlist', 'exchanges', 'top-list']);
    const config = minApiConfigSchema.parse({});
    expect(config.rateLimits).toEqual(MIN_API_FREE_TIER);
    expect(config).toMatchObject({ baseUrl: 'https://min-api.cryptocompare.com', apiKey: undefined });
    expect(minApiSource.budget(config)).toEqual({ key: 'min-api', limits: MIN_API_FREE_TIER });
    const keyed = minApiSource.budget(minApiConfigSchema.parse({ MIN_API_KEY: 'sk-1' }));
    expect(keyed.key).toMatch(/^min-api#[0-9a-f]{12}$/);
    expect(keyed.key).not.toContain('sk-1');
  });
});
