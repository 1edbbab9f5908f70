/**
 * The Data API twin's `/admin/v2/rate/limit`: the caller's usage per window, as the real API reports it.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startDataApiServer, type DataApiTestServer, type ErrorEnvelope } from './testkit';

/** A fixed "now": 2023-11-14T22:13:20Z, 20 s into its minute. */
const NOW = 1_700_000_000;

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
});

type Windows = Record<'SECOND' | 'MINUTE' | 'HOUR' | 'DAY' | 'MONTH', number>;
interface RateBlock {
  TYPE: string;
  USED: Windows & { TYPE: string };
  MAX: Windows & { TYPE: string; SOFT_CAP_ALLOWANCE_MULTIPLIER: number };
  REMAINING: Windows & { TYPE: string };
}
interface RateLimitData {
  TYPE: string;
  API_KEY: RateBlock;
  AUTH_KEY: RateBlock;
}

const spot = { market: 'kraken', instrument: 'BTC-USD', limit: 2, to_ts: NOW - 7200 };

async function rateLimit(headers: Record<string, string> = {}) {
  const res = await api.get('/admin/v2/rate/limit', {}, headers);
  expect(res.status, res.text.slice(0, 300)).toBe(200);
  const body = res.json as { Data: RateLimitData; Err: unknown };
  expect(body.Err).toEqual({});
  return { data: body.Data, headers: res.headers };
}

describe('/admin/v2/rate/limit', () => {
  it('reports the caller identity usage (this call included), limits and what remains, in the documented shape', async () => {
    await api.control.setLimits('data-api', { second: 10, minute: 100 });
    for (let i = 0; i < 3; i++) expect((await api.get('/spot/v1/historical/hours', spot)).status).toBe(200);
    const { data, headers } = await rateLimit();
    expect(Object.keys(data)).toEqual(['TYPE', 'API_KEY', 'AUTH_KEY']);
    expect(data.TYPE).toBe('3000');
    expect(Object.keys(data.API_KEY)).toEqual(['TYPE', 'USED', 'MAX', 'REMAINING']);
    expect(data.API_KEY.USED).toEqual({ TYPE: '3002', SECOND: 4, MINUTE: 4, HOUR: 4, DAY: 4, MONTH: 4 });
    expect(Object.keys(data.API_KEY.MAX)).toEqual([
      'TYPE',
      'MONTH',
      'DAY',
      'HOUR',
      'MINUTE',
      'SECOND',
      'SOFT_CAP_ALLOWANCE_MULTIPLIER',
    ]);
    expect(data.API_KEY.MAX).toMatchObject({
      TYPE: '3003',
      SECOND: 10,
      MINUTE: 100,
      HOUR: 30_000,
      DAY: 300_000,
      MONTH: 3_000_000,
    });
    expect(data.API_KEY.REMAINING).toEqual({
      TYPE: '3004',
      SECOND: 6,
      MINUTE: 96,
      HOUR: 29_996,
      DAY: 299_996,
      MONTH: 2_999_996,
    });
    expect(data.AUTH_KEY.TYPE).toBe('3001');
    // The call counted: its own headers agree with the body.
    expect(headers.get('x-ratelimit-remaining-all')).toBe(
      '2999996, 6;window=1, 96;window=60, 29996;window=3600, 299996;window=86400, 2999996;window=2592000',
    );
    const next = await api.get('/spot/v1/historical/hours', spot);
    expect(next.headers.get('x-ratelimit-remaining-all')).toMatch(/^2999995, 5;window=1, 95;window=60, /);
  });

  it('counts per identity and per window', async () => {
    for (let i = 0; i < 2; i++) await api.get('/spot/v1/historical/hours', spot);
    const keyed = await rateLimit({ authorization: 'Apikey k-admin' });
    expect(keyed.data.API_KEY.USED.SECOND).toBe(1);
    await api.control.setClock({ now: NOW + 1 });
    const keyless = await rateLimit();
    expect(keyless.data.API_KEY.USED).toMatchObject({ SECOND: 1, MINUTE: 3, HOUR: 3 });
    await api.control.setClock({ now: NOW + 60 });
    const nextMinute = await rateLimit();
    expect(nextMinute.data.API_KEY.USED).toMatchObject({ SECOND: 1, MINUTE: 1, HOUR: 4 });
  });

  it('is refused like any call once over quota, and answers other methods with 405', async () => {
    await api.control.setLimits('data-api', { second: 2 });
    await api.get('/spot/v1/historical/hours', spot);
    await rateLimit();
    const refused = await api.get('/admin/v2/rate/limit');
    expect(refused.status).toBe(429);
    expect((refused.json as ErrorEnvelope).Err.type).toBe(99);
    await api.control.setClock({ now: NOW + 1 });
    const post = await fetch(`${api.sim.url}/data-api/admin/v2/rate/limit`, { method: 'POST' });
    expect(post.status).toBe(405);
    const unknown = await api.get('/admin/v2/nothing');
    expect(unknown.status).toBe(404);
  });
});
