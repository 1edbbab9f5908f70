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
import { mapSpotOhlcvRows, SPOT_OHLCV_COLUMNS } from './spot-ohlcv';

const fixture = (name: string): string => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');

function response(status: number, body: string, headers: Record<string, string> = {}): HttpResponse {
  return {
    status,
    body,
    headers: new Headers(headers),
    url: '/spot/v1/historical/days?x=1',
    sha256: 'x',
    serverTime: undefined,
  };
}

const series = {
  source: 'data-api',
  dataset: 'spot-ohlcv',
  market: 'kraken',
  instrument: 'BTC-USD',
  interval: '1d',
} as const;

describe('Data API spot OHLCV parser', () => {
  it('maps the documented kraken BTC-USD day row exactly', () => {
    const checked = checkResponse(response(200, fixture('spot-day-kraken-btc-usd.json')));
    expect(checked.kind).toBe('ok');
    const env = historicalEnvelopeSchema.parse(checked.kind === 'ok' ? checked.json : undefined);
    const table = mapSpotOhlcvRows(env.Data, { series, from: 1749081600, to: 1749081600 }, 'req').finish();
    expect(table.numRows).toBe(1);
    expect(table.schema.fields.map((f) => f.name)).toEqual(['ts', ...SPOT_OHLCV_COLUMNS.map((c) => c.name)]);
    const row = table.get(0)!.toJSON();
    expect(row).toMatchObject({
      ts: 1749081600,
      open: 104745.4,
      high: 105948.1,
      low: 103816.5,
      close: 103816.6,
      volume: 570.57588134,
      quote_volume: 59804933.4479934,
      total_trades: 15141,
      total_trades_buy: 8963,
      first_trade_ts: 1749081600,
      last_trade_ts: 1749141594,
      last_trade_price: 103816.6,
      is_filler: false,
    });
  });

  it('marks a filler row (no *_TRADE_* keys) and leaves its trade columns null', () => {
    const row = JSON.parse(fixture('spot-day-kraken-btc-usd.json')).Data[0];
    for (const k of Object.keys(row)) if (k.includes('_TRADE_')) delete row[k];
    Object.assign(row, { TOTAL_TRADES: 0, TOTAL_TRADES_BUY: 0, TOTAL_TRADES_SELL: 0, VOLUME: 0, QUOTE_VOLUME: 0 });
    const table = mapSpotOhlcvRows([row], { series, from: 1749081600, to: 1749081600 }, 'req').finish();
    const out = table.get(0)!.toJSON();
    expect(out.is_filler).toBe(true);
    expect(out.first_trade_ts).toBeNull();
    expect(out.high_trade_price).toBeNull();
    expect(table.getChild('first_trade_ts')!.nullCount).toBe(1);
  });

  it('rejects a row that breaks the contract with ResponseSchemaError naming the field', () => {
    const row = JSON.parse(fixture('spot-day-kraken-btc-usd.json')).Data[0];
    delete row.HIGH;
    expect(() => mapSpotOhlcvRows([row], { series, from: 1749081600, to: 1749081600 }, 'req')).toThrowError(
      expect.objectContaining({ name: 'ResponseSchemaError', message: expect.stringContaining('HIGH') }),
    );
  });

  it.each([
    [
      'outside the window',
      (r: Record<string, unknown>) => (r.TIMESTAMP = 1749081600 + 86400),
      'outside the requested window',
    ],
    ['misaligned', (r: Record<string, unknown>) => (r.TIMESTAMP = 1749081601), 'not aligned'],
    ['another unit', (r: Record<string, unknown>) => (r.UNIT = 'HOUR'), 'UNIT HOUR'],
    ['another market', (r: Record<string, unknown>) => (r.MARKET = 'binance'), 'MARKET binance'],
  ])('rejects a row %s with DataInvariantError', (_name, mutate, text) => {
    const row = JSON.parse(fixture('spot-day-kraken-btc-usd.json')).Data[0];
    mutate(row);
    let err: unknown;
    try {
      mapSpotOhlcvRows([row], { series, from: 1749081600, to: 1749081600 + 86400 * 0 }, 'req');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DataInvariantError);
    expect((err as Error).message).toContain(text);
  });

  it('rejects rows out of order', () => {
    const a = JSON.parse(fixture('spot-day-kraken-btc-usd.json')).Data[0];
    const b = { ...a, TIMESTAMP: a.TIMESTAMP - 86400 };
    expect(() => mapSpotOhlcvRows([a, b], { series, from: a.TIMESTAMP - 86400, to: a.TIMESTAMP }, 'req')).toThrow(
      DataInvariantError,
    );
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
