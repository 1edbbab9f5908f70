/**
 * The Data API source without a server: parsers and mappers, response classification onto the
 * error taxonomy, and the parsers over the wire reference's recorded answers (`fixtures/`).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  DataInvariantError,
  MalformedResponseError,
  RateLimitedError,
  SourceAuthError,
  SourceRequestError,
  SourceUnavailableError,
} from '../../errors';
import type { HttpResponse } from '../../http';
import { checkResponse } from './errors';
import { historicalEnvelopeSchema } from './schemas';
import { mapHistoricalRows } from './historical';
import { futuresOhlcvOptions, spotOhlcv, spotOhlcvOptions } from './ohlcv';
import { fundingRateOptions, openInterestOptions } from './derivatives';
import { dataApiSource } from './index';
import { mapInstruments } from './reference';
import { OPEN_GATE } from '../../rate-gate';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

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
    url: '/spot/v1/historical/days?x=1',
    sha256: 'x',
    serverTime,
  };
}

const series = {
  source: 'data-api',
  dataset: 'spot-ohlcv',
  market: 'kraken',
  instrument: 'BTC-USD',
  interval: '1d',
} as const;

const map = (rows: unknown[], from: number, to: number) =>
  mapHistoricalRows(spotOhlcvOptions, rows, { series, from, to }, 'req');
const dayRow = () => JSON.parse(fixture('spot-day-kraken-btc-usd.json')).Data[0] as Record<string, unknown>;
const D = 1749081600;

describe('Data API spot OHLCV parser', () => {
  it('maps the documented kraken BTC-USD day row exactly', () => {
    const checked = checkResponse(response(200, fixture('spot-day-kraken-btc-usd.json')));
    expect(checked.kind).toBe('ok');
    const env = historicalEnvelopeSchema.parse(checked.kind === 'ok' ? checked.json : undefined);
    const page = map(env.Data, D, D);
    const table = page.batch;
    expect(page.quarantined).toEqual([]);
    // Every documented key is known: nothing is reported as drift.
    expect(page.unknownFields).toEqual([]);
    expect(table.numRows).toBe(1);
    expect(table.schema.fields.map((f) => f.name)).toEqual(['ts', ...spotOhlcv.columns.map((c) => c.name)]);
    const row = table.get(0)!.toJSON();
    expect(row).toMatchObject({
      ts: D,
      open: 104745.4,
      high: 105948.1,
      low: 103816.5,
      close: 103816.6,
      volume: 570.57588134,
      quote_volume: 59804933.4479934,
      total_trades: 15141,
      total_trades_buy: 8963,
      first_trade_ts: D,
      last_trade_ts: 1749141594,
      last_trade_price: 103816.6,
      is_filler: false,
    });
  });

  it('marks a filler row (no *_TRADE_* keys) and leaves its trade columns null', () => {
    const row = dayRow();
    for (const k of Object.keys(row)) if (k.includes('_TRADE_')) delete row[k];
    Object.assign(row, { TOTAL_TRADES: 0, TOTAL_TRADES_BUY: 0, TOTAL_TRADES_SELL: 0, VOLUME: 0, QUOTE_VOLUME: 0 });
    const table = map([row], D, D).batch;
    const out = table.get(0)!.toJSON();
    expect(out.is_filler).toBe(true);
    expect(out.first_trade_ts).toBeNull();
    expect(out.high_trade_price).toBeNull();
    expect(table.getChild('first_trade_ts')!.nullCount).toBe(1);
  });

  it('a missing required field is a contract break: ResponseSchemaError naming the field', () => {
    const row = dayRow();
    delete row.HIGH;
    expect(() => map([row], D, D)).toThrowError(
      expect.objectContaining({ name: 'ResponseSchemaError', message: expect.stringContaining('HIGH') }),
    );
  });

  it('accepts an unknown new field and reports it (once per page)', () => {
    const a = { ...dayRow(), NEW_FIELD: 7 };
    const b = { ...dayRow(), TIMESTAMP: D + 86_400, NEW_FIELD: 8 };
    const page = map([a, b], D, D + 86_400);
    expect(page.batch.numRows).toBe(2);
    expect(page.unknownFields).toEqual([{ field: 'NEW_FIELD', sample: 7 }]);
  });

  it.each([
    ['high below low', (r: Record<string, unknown>) => (r.HIGH = 1), 'below low'],
    ['negative volume', (r: Record<string, unknown>) => (r.VOLUME = -1), 'VOLUME is negative'],
    ['NaN as a string', (r: Record<string, unknown>) => (r.CLOSE = 'NaN'), 'invalid value: CLOSE'],
    ['misaligned timestamp', (r: Record<string, unknown>) => (r.TIMESTAMP = D + 86_401), 'not aligned'],
    ['milliseconds', (r: Record<string, unknown>) => (r.TIMESTAMP = (D + 86_400) * 1000), 'in milliseconds'],
    [
      'outside the window',
      (r: Record<string, unknown>) => (r.TIMESTAMP = D + 3 * 86_400),
      'outside the requested window',
    ],
    ['another unit', (r: Record<string, unknown>) => (r.UNIT = 'HOUR'), 'UNIT HOUR'],
    ['another market', (r: Record<string, unknown>) => (r.MARKET = 'binance'), 'MARKET binance'],
    ['a repeated timestamp', (r: Record<string, unknown>) => (r.TIMESTAMP = D), 'repeats'],
    // Values the database cannot store (int8 range, timestamptz range): quarantined, never a merge
    // that fails and is retried for hours.
    [
      'a count beyond int8',
      (r: Record<string, unknown>) => (r.TOTAL_TRADES = 1e19),
      'total_trades (TOTAL_TRADES) 10000000000000000000 does not fit int8',
    ],
    [
      'a trade time beyond timestamptz',
      (r: Record<string, unknown>) => (r.FIRST_TRADE_TIMESTAMP = 1e15),
      'first_trade_ts (FIRST_TRADE_TIMESTAMP) 1000000000000000 is not a time in seconds between 1970 and 2200',
    ],
    [
      'an infinite price',
      (r: Record<string, unknown>) => (r.LAST_TRADE_PRICE = Number.POSITIVE_INFINITY),
      'LAST_TRADE_PRICE',
    ],
  ])('quarantines a row with %s, with its raw JSON, and keeps the good rows', (_name, mutate, reason) => {
    const good = dayRow();
    const bad = { ...dayRow(), TIMESTAMP: D + 86_400 };
    mutate(bad);
    const page = map([good, bad], D, D + 2 * 86_400);
    expect(page.batch.numRows).toBe(1);
    expect(page.batch.getChild('ts')!.get(0)).toBe(D);
    expect(page.quarantined).toHaveLength(1);
    expect(page.quarantined[0]!.reason).toContain(reason);
    expect(page.quarantined[0]!.raw).toEqual(bad);
  });

  it('fails the page (DataInvariantError) when every row is bad: a dataset is never quarantined silently', () => {
    const a = { ...dayRow(), HIGH: 1 };
    const b = { ...dayRow(), TIMESTAMP: D + 86_400, HIGH: 1 };
    expect(() => map([a, b], D, D + 86_400)).toThrow(DataInvariantError);
  });
});

describe('Data API response classification', () => {
  it('404 unknown market → SourceRequestError (non-retryable) with the API message', () => {
    expect(() => checkResponse(response(404, fixture('error-404-market.json')))).toThrowError(SourceRequestError);
    try {
      checkResponse(response(404, fixture('error-404-market.json')));
    } catch (e) {
      expect((e as SourceRequestError).retryable).toBe(false);
      expect((e as Error).message).toContain('Not found: market parameter');
    }
  });

  it('429 → RateLimitedError honouring Retry-After', () => {
    try {
      checkResponse(response(429, fixture('error-429-rate-limit.json'), { 'retry-after': '7' }));
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(RateLimitedError);
      expect((e as RateLimitedError).retryAfterSeconds).toBe(7);
      expect((e as RateLimitedError).retryable).toBe(true);
    }
  });

  it('429 without Retry-After → waits for the exhausted window from X-RateLimit-Reset-All', () => {
    try {
      checkResponse(
        response(429, fixture('error-429-rate-limit.json'), {
          'x-ratelimit-remaining-all':
            '0, 0;window=1, 259;window=60, 2959;window=3600, 7459;window=86400, 10959;window=2592000',
          'x-ratelimit-reset-all':
            '1, 1;window=1, 35;window=60, 1835;window=3600, 50000;window=86400, 900000;window=2592000',
        }),
      );
      expect.unreachable();
    } catch (e) {
      expect((e as RateLimitedError).retryAfterSeconds).toBe(1);
    }
  });

  it('429 whose other_info says the day quota is spent (no headers) → waits until 00:00 UTC on the server clock', () => {
    const body = JSON.stringify({
      Data: {},
      Err: {
        type: 99,
        message: 'Rate limit excedeed. Please create an API key to get a higher rate limit.',
        other_info: {
          calls_made: { second: 1, minute: 5, hour: 90, day: 7600, month: 7600, total_calls: 7600 },
          max_calls: { second: 20, minute: 300, hour: 3000, day: 7500, month: 11000 },
        },
      },
    });
    const evening = Date.parse('2026-12-02T18:00:00Z') / 1000;
    try {
      checkResponse(response(429, body, {}, evening));
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(RateLimitedError);
      expect((e as RateLimitedError).retryAfterSeconds).toBe(21_600);
      expect((e as RateLimitedError).quota?.window).toBe('day');
      expect((e as Error).message).toContain(
        'quota spent: day window, 7600 of 7500 calls, resets 2026-12-03T00:00:00Z',
      );
    }
  });

  it('hard block → RateLimitedError waiting the announced seconds', () => {
    try {
      checkResponse(response(429, fixture('error-429-hard-block.json')));
      expect.unreachable();
    } catch (e) {
      expect((e as RateLimitedError).retryAfterSeconds).toBe(3600);
    }
  });

  it('"was not trading" → a skip-ahead signal, not an error', () => {
    expect(checkResponse(response(400, fixture('error-400-not-trading.json')))).toEqual({
      kind: 'not-trading',
      first: 1381017600,
    });
  });

  it('401 → SourceAuthError; 500/502 (even with a non-JSON body) → SourceUnavailableError', () => {
    expect(() => checkResponse(response(401, '{"Data":{},"Err":{"type":2,"message":"Unauthorized"}}'))).toThrow(
      SourceAuthError,
    );
    expect(() => checkResponse(response(500, '{"Data":{},"Err":{"type":3,"message":"boom"}}'))).toThrow(
      SourceUnavailableError,
    );
    expect(() => checkResponse(response(502, '<html>Bad Gateway</html>'))).toThrow(SourceUnavailableError);
  });

  it("a firewall's HTML 403 page is not the API's answer (bounded retries); the API's own 403 body is auth", () => {
    const waf = '<html><head><title>403 Forbidden</title></head><body>Request blocked</body></html>';
    expect(() => checkResponse(response(403, waf))).toThrow(MalformedResponseError);
    const api = '{"Data":{},"Err":{"type":2,"message":"Forbidden: your API key cannot access this endpoint"}}';
    expect(() => checkResponse(response(403, api))).toThrow(SourceAuthError);
  });

  it('a 200 whose body is not JSON → MalformedResponseError; a 200 with Err set → SourceRequestError', () => {
    expect(() => checkResponse(response(200, '{"Data":[{"UNIT":"DA'))).toThrow(MalformedResponseError);
    expect(() =>
      checkResponse(response(200, '{"Data":[],"Err":{"type":1,"message":"Not found: instrument parameter"}}')),
    ).toThrow(SourceRequestError);
  });

  it('the success envelope requires Data to be an array and Err an object', () => {
    expect(historicalEnvelopeSchema.safeParse({ Data: {}, Err: {} }).success).toBe(false);
    expect(historicalEnvelopeSchema.safeParse({ Data: [] }).success).toBe(false);
    expect(historicalEnvelopeSchema.safeParse({ Data: [], Err: {} }).success).toBe(true);
  });
});

describe('Data API parsers on the wire reference examples (fixtures)', () => {
  const rows = (name: string) => (JSON.parse(fixture(name)) as { Data: Array<Record<string, unknown>> }).Data;
  const page = (opts: Parameters<typeof mapHistoricalRows>[0], name: string, market: string, interval: '1m' | '1d') => {
    const data = rows(name);
    const ts = data.map((r) => r.TIMESTAMP as number);
    return mapHistoricalRows(
      opts,
      data,
      { series: { ...series, market, interval }, from: Math.min(...ts), to: Math.max(...ts) },
      name,
    );
  };

  it('futures rows with and without *_TRADE_* keys: both stored, the second a filler; every key known', () => {
    const p = page(futuresOhlcvOptions, 'futures-minute-uni-usd.json', 'binance', '1m');
    expect(p.quarantined).toEqual([]);
    expect(p.unknownFields).toEqual([]);
    expect(p.batch.numRows).toBe(2);
    expect(p.batch.getChild('is_filler')!.toArray()).toEqual([false, true]);
    expect(p.batch.getChild('number_of_contracts')!.toArray()).toEqual(Float64Array.from([412, 0]));
    expect(p.batch.getChild('first_trade_ts')!.get(1)).toBeNull();
  });

  it('the documented funding-rate row', () => {
    const p = page(fundingRateOptions, 'funding-rate-day-hyperliquid.json', 'hyperliquid', '1d');
    expect(p.quarantined).toEqual([]);
    expect(p.unknownFields).toEqual([]);
    expect(p.batch.get(0)!.toJSON()).toMatchObject({
      ts: 1750032000,
      interval_ms: 3600000,
      open: 0.0000125,
      high: 0.0000394887,
      close: 0.0000125,
      total_updates: 4979,
      is_filler: false,
    });
  });

  it('an open-interest row with every documented field', () => {
    const p = page(openInterestOptions, 'open-interest-day-binance.json', 'binance', '1d');
    expect(p.quarantined).toEqual([]);
    expect(p.unknownFields).toEqual([]);
    expect(p.batch.get(0)!.toJSON()).toMatchObject({
      open_settlement: 78622.133,
      open_quote: 8298451436.85,
      total_updates: 28795,
    });
  });

  it('a top-list page: assets and ranks; LAUNCH_DATE as a date', async () => {
    const spec = dataApiSource.references['assets-top-list']!;
    const body = fixture('top-list-page-1.json');
    // The fixture served over real HTTP by a one-route server.
    const server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(body));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const ctx = {
      config: {
        baseUrl: `http://127.0.0.1:${port}`,
        apiKey: undefined,
        timeoutMs: 1_000,
        rateLimits: 'off' as const,
      },
      signal: new AbortController().signal,
      gate: OPEN_GATE,
    };
    try {
      const page = await spec.fetchPage(ctx, spec.paramsSchema.parse({ maxPages: 1, pageSize: 10 }), undefined);
      expect(page.topList!.map((t) => [t.rank, t.symbol, t.assetId])).toEqual([
        [1, 'BTC', '1'],
        [2, 'ETH', '2'],
      ]);
      expect(page.assets![0]).toMatchObject({ symbol: 'BTC', launchDate: '2009-01-03', marketCapUsd: 2081998372519.2 });
      expect(page.assets![0]!.attributes).toMatchObject({ ID_LEGACY: 1182, URI: 'bitcoin' });
      expect(page.next).toBeUndefined();
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('Data API instruments mapping', () => {
  it('a first-trade time a timestamptz cannot hold is stored as NULL and reported, not a failed snapshot', () => {
    const { instruments, warnings } = mapInstruments('spot', {
      kraken: {
        EXCHANGE_STATUS: 'ACTIVE',
        instruments: {
          'BTC-USD': {
            MAPPED_INSTRUMENT: 'BTC-USD',
            INSTRUMENT: 'XXBTZUSD',
            FIRST_TRADE_SPOT_TIMESTAMP: 1e15,
            LAST_TRADE_SPOT_TIMESTAMP: 1749141594,
          },
        },
      },
    });
    expect(instruments[0]).toMatchObject({ instrument: 'BTC-USD', firstTradeTs: null, lastTradeTs: 1749141594 });
    expect(warnings).toEqual([
      'spot instrument kraken/BTC-USD FIRST_TRADE_SPOT_TIMESTAMP 1000000000000000 is not a time in seconds between 1970 and 2200: stored as NULL',
    ]);
  });
});
