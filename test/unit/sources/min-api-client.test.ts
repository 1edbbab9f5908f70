/**
 * The min-api source against the simulator over real HTTP: the exact window, the auth header,
 * quotas and bans, timeouts, and the error classes each answer maps to.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { startSimulator, type RunningSimulator } from '../../../simulator/server';
import { SimulatorControl } from '../../../simulator/control-client';
import {
  MALFORMED_IN_A_ROW,
  MalformedResponseError,
  RateLimitedError,
  ResponseSchemaError,
  SourceRequestError,
  SourceUnavailableError,
} from '../../../activities/errors';
import { OPEN_GATE, type RateGate } from '../../../activities/rate-gate';
import { Secret } from '../../../activities/secret';
import http from 'node:http';
import type { Interval } from '../../../workflows/contracts/series';
import type {
  FetchContext,
  Page,
  PageRequest,
  ReferenceDatasetSpec,
  ReferencePage,
} from '../../../activities/sources/types';
import type { MinApiConfig } from '../../../activities/sources/min-api/config';
import { histoOhlcv } from '../../../activities/sources/min-api/histo';
import { minApiSource } from '../../../activities/sources/min-api/index';
import {
  expectedCoinList,
  expectedExchanges,
  expectedHisto,
  expectedTopList,
  findConvertedPair,
  minApiSimulator,
  pairStart,
  type HistoRow,
} from '../../../simulator/sources/min-api';

let sim: RunningSimulator;
let control: SimulatorControl;
const H = 3600;
const DAY = 86_400;
const from = Date.UTC(2024, 0, 1) / 1000;

function req(market: string, instrument: string, interval: Interval, a: number, b: number): PageRequest {
  return { series: { source: 'min-api', dataset: 'histo-ohlcv', market, instrument, interval }, from: a, to: b };
}
const hours = req('Coinbase', 'BTC-USD', '1h', from, from + 23 * H);

function ctx(config: Partial<MinApiConfig> = {}, gate: RateGate = OPEN_GATE): FetchContext<MinApiConfig> {
  return {
    config: { baseUrl: `${sim.url}/min-api`, apiKey: undefined, timeoutMs: 5_000, rateLimits: 'off', ...config },
    signal: new AbortController().signal,
    gate,
  };
}

/** A gate that records what the source asked of it. */
function recordingGate() {
  const pauses: Array<{ seconds: number; reason: string; setBy: string }> = [];
  let acquired = 0;
  const gate: RateGate = {
    acquire: async () => {
      acquired++;
    },
    pause: async (seconds, reason, setBy) => {
      pauses.push({ seconds, reason, setBy });
      return seconds;
    },
    spend: async () => undefined,
  };
  return { gate, pauses, acquired: () => acquired };
}

/** The page's rows as plain objects, in the table's column names. */
const rowsOf = (page: Page) => page.batch.toArray().map((r) => r.toJSON() as Record<string, unknown>);
const asColumns = (rows: HistoRow[]) =>
  rows.map((r) => ({
    ts: r.time,
    open: r.open,
    high: r.high,
    low: r.low,
    close: r.close,
    volume_from: r.volumefrom,
    volume_to: r.volumeto,
    conversion_type: r.conversionType,
    conversion_symbol: r.conversionSymbol,
    is_filler: r.volumefrom === 0 && r.volumeto === 0,
  }));

async function fetchAll<P>(spec: ReferenceDatasetSpec<MinApiConfig, P>, params: unknown): Promise<ReferencePage[]> {
  const p = spec.paramsSchema.parse(params);
  const pages: ReferencePage[] = [];
  let token: string | undefined;
  do {
    const page = await spec.fetchPage(ctx(), p, token);
    pages.push(page);
    token = page.next;
  } while (token !== undefined);
  return pages;
}

beforeAll(async () => {
  sim = await startSimulator({ port: 0, sources: [minApiSimulator] });
  control = new SimulatorControl(sim.url);
});
afterAll(async () => {
  await sim.close();
});
beforeEach(async () => {
  await control.reset();
});
afterEach(() => {
  vi.restoreAllMocks();
});

describe('min-api histo-ohlcv over HTTP', () => {
  it('fetches exactly the requested window (toTs = to, limit = periods - 1) and maps every row', async () => {
    const page = await histoOhlcv.fetchPage(ctx(), hours);
    expect(page.request).toBe(`/min-api/data/v2/histohour?fsym=BTC&tsym=USD&e=Coinbase&limit=23&toTs=${from + 23 * H}`);
    expect(page.quarantined).toEqual([]);
    expect(page.unknownFields).toEqual([]);
    expect(rowsOf(page)).toEqual(asColumns(expectedHisto('Coinbase', 'BTC', 'USD', '1h', from, from + 24 * H)));
    expect(page.responseSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(page.serverTime).toBeGreaterThan(0);
  });

  it('a one-period request drops the extra period before `from` and nothing else', async () => {
    const page = await histoOhlcv.fetchPage(ctx(), req('CCCAGG', 'ETH-USD', '1d', from, from));
    expect(page.request).toContain('limit=1');
    expect(page.quarantined).toEqual([]);
    expect(rowsOf(page)).toEqual(asColumns(expectedHisto('CCCAGG', 'ETH', 'USD', '1d', from, from + DAY)));
  });

  it('a CCCAGG pair served through a conversion keeps conversionType / conversionSymbol', async () => {
    const [fsym, tsym] = findConvertedPair(from)!;
    const page = await histoOhlcv.fetchPage(ctx(), req('CCCAGG', `${fsym}-${tsym}`, '1d', from, from + 9 * DAY));
    const rows = rowsOf(page);
    expect(rows).toEqual(asColumns(expectedHisto('CCCAGG', fsym, tsym, '1d', from, from + 10 * DAY)));
    expect(rows.map((r) => r.conversion_type)).toEqual(Array(10).fill('multiply'));
    expect(rows[0]!.conversion_symbol).toMatch(/^(BTC|ETH)$/);
  });

  it('a full page of 2001 periods in one request', async () => {
    const page = await histoOhlcv.fetchPage(ctx(), req('Kraken', 'ETH-USD', '1h', from, from + 2000 * H));
    expect(page.request).toContain('limit=2000');
    expect(page.batch.numRows).toBe(2001);
    expect(rowsOf(page)).toEqual(asColumns(expectedHisto('Kraken', 'ETH', 'USD', '1h', from, from + 2001 * H)));
  });

  it('before the pair existed the all-zero rows are skipped: nothing stored, nothing quarantined', async () => {
    const start = pairStart('Coinbase', 'SOL', 'USD');
    const a = Math.floor(start / DAY) * DAY - 40 * DAY;
    const page = await histoOhlcv.fetchPage(ctx(), req('Coinbase', 'SOL-USD', '1d', a, a + 99 * DAY));
    expect(page.quarantined).toEqual([]);
    const expected = expectedHisto('Coinbase', 'SOL', 'USD', '1d', a, a + 100 * DAY);
    expect(expected[0]!.time).toBe(Math.floor(start / DAY) * DAY);
    expect(rowsOf(page)).toEqual(asColumns(expected));
  });

  it('minutes older than the 7-day depth are zero rows, skipped', async () => {
    const now = Math.floor(Date.now() / 1000 / 60) * 60;
    const a = now - 7 * DAY - 30 * 60;
    const page = await histoOhlcv.fetchPage(ctx(), req('Binance', 'BTC-USDT', '1m', a, a + 59 * 60));
    expect(page.quarantined).toEqual([]);
    const ts = Array.from(page.batch.getChild('ts')!.toArray() as Float64Array);
    expect(ts.length).toBeGreaterThan(25);
    expect(ts.length).toBeLessThan(60);
    expect(ts[0]).toBeGreaterThanOrEqual(now - 7 * DAY);
  });

  it('sends the API key as an authorization header, never in the URL', async () => {
    const spy = vi.spyOn(http, 'get');
    const page = await histoOhlcv.fetchPage(ctx({ apiKey: new Secret('sk-min-valid') }), hours);
    expect(page.batch.numRows).toBe(24);
    expect(spy).toHaveBeenCalledTimes(1);
    const [url, init] = spy.mock.calls[0]! as unknown as [URL, http.RequestOptions];
    expect(String(url)).not.toContain('sk-min-valid');
    expect((init.headers as Record<string, string>).authorization).toBe('Apikey sk-min-valid');
    expect(page.request).not.toContain('sk-min-valid');
    // Keyless: no authorization header at all.
    await histoOhlcv.fetchPage(ctx(), hours);
    const [, keyless] = spy.mock.calls[1]! as unknown as [URL, http.RequestOptions];
    expect((keyless.headers as Record<string, string>).authorization).toBeUndefined();
    spy.mockRestore();
  });

  it('quota per key: the exhausted window the headers report pauses the gate; Type 99 waits for its reset', async () => {
    await control.setLimits('min-api', { hour: 2 });
    const rec = recordingGate();
    const keyed = ctx({ apiKey: new Secret('sk-quota') }, rec.gate);
    await histoOhlcv.fetchPage(keyed, hours);
    expect(rec.pauses).toEqual([]);
    await histoOhlcv.fetchPage(keyed, hours); // the last call of the hour: X-RateLimit-Remaining-All says 0
    expect(rec.pauses).toEqual([
      { seconds: expect.any(Number), reason: 'the API reports its 3600 s window used up', setBy: 'api-headers' },
    ]);
    const err = await histoOhlcv.fetchPage(keyed, hours).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RateLimitedError);
    expect((err as Error).message).toContain('You are over your rate limit please upgrade your account!');
    expect((err as RateLimitedError).retryAfterSeconds).toBeGreaterThan(0);
    expect((err as RateLimitedError).retryAfterSeconds).toBeLessThanOrEqual(3600);
    expect(rec.acquired()).toBe(3); // every request went through the gate first

    // Keyless calls are another quota (identified by the missing header). As on the real API the
    // answer has no headers: its own RateLimit report (3 of 2 this hour) says until when.
    await histoOhlcv.fetchPage(ctx(), hours);
    await histoOhlcv.fetchPage(ctx(), hours);
    const keyless = await histoOhlcv.fetchPage(ctx(), hours).catch((e: unknown) => e);
    expect(keyless).toBeInstanceOf(RateLimitedError);
    expect((keyless as RateLimitedError).quota).toMatchObject({ window: 'hour', callsMade: 3, maxCalls: 2 });
    const wait = (keyless as RateLimitedError).retryAfterSeconds!;
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(3600);
    expect((Date.now() / 1000 + wait) % 3600).toBeLessThan(5); // the next full hour (this machine's clock)
    expect((keyless as Error).message).toContain('quota spent: hour window, 3 of 2 calls, resets');
  });

  it('a ban (Type 99 with Cooldown) → RateLimitedError(retryAfter = Cooldown)', async () => {
    await control.addFault({ kind: 'ban', source: 'min-api', retryAfterSeconds: 42, count: 1 });
    const err = await histoOhlcv.fetchPage(ctx(), hours).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RateLimitedError);
    expect((err as RateLimitedError).retryAfterSeconds).toBe(42);
    expect((err as Error).message).toContain('Please use an API key');
    await control.addFault({ kind: 'hard-block', source: 'min-api', retryAfterSeconds: 7200, count: 1 });
    const block = await histoOhlcv.fetchPage(ctx(), hours).catch((e: unknown) => e);
    expect((block as RateLimitedError).retryAfterSeconds).toBe(7200);
  });

  it('an injected Type 99 (HTTP 200) is a RateLimitedError', async () => {
    await control.addFault({ kind: 'rate-limit', source: 'min-api', count: 1 });
    const err = await histoOhlcv.fetchPage(ctx(), hours).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RateLimitedError);
    expect((err as RateLimitedError).retryable).toBe(true);
  });

  it('a 502 proxy page is the retryable SourceUnavailableError', async () => {
    await control.addFault({ kind: 'server-error', source: 'min-api', count: 1 });
    const err = await histoOhlcv.fetchPage(ctx(), hours).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SourceUnavailableError);
    expect((err as Error).message).toContain('HTTP 502');
  });

  it('times out a slow response as the retryable SourceUnavailableError', async () => {
    await control.addFault({ kind: 'slow', source: 'min-api', delayMs: 1_500, count: 1 });
    const err = await histoOhlcv.fetchPage(ctx({ timeoutMs: 300 }), hours).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SourceUnavailableError);
    expect((err as Error).message).toContain('timed out after 300 ms');
  });

  it('a reset connection is SourceUnavailableError; a malformed body is asked again, and MalformedResponseError when it stays', async () => {
    await control.addFault({ kind: 'reset', source: 'min-api', count: 1 });
    await expect(histoOhlcv.fetchPage(ctx(), hours)).rejects.toBeInstanceOf(SourceUnavailableError);
    await control.addFault({ kind: 'malformed', source: 'min-api', count: 1 });
    await expect(histoOhlcv.fetchPage(ctx(), hours)).resolves.toBeDefined();
    await control.addFault({ kind: 'malformed', source: 'min-api', count: MALFORMED_IN_A_ROW });
    await expect(histoOhlcv.fetchPage(ctx(), hours)).rejects.toBeInstanceOf(MalformedResponseError);
  });

  it('an unknown pair or exchange is the non-retryable SourceRequestError with the API message', async () => {
    const err = await histoOhlcv
      .fetchPage(ctx(), req('Coinbase', 'NOPE-USD', '1h', from, from + H))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SourceRequestError);
    expect((err as Error).message).toContain('Coinbase market does not exist for this coin pair (NOPE-USD)');
    await expect(
      histoOhlcv.fetchPage(ctx(), req('NoSuchExchange', 'BTC-USD', '1h', from, from + H)),
    ).rejects.toBeInstanceOf(SourceRequestError);
  });

  it('an instrument that is not FSYM-TSYM fails before any request', async () => {
    const spy = vi.spyOn(http, 'get');
    await expect(histoOhlcv.fetchPage(ctx(), req('CCCAGG', 'BTCUSD', '1h', from, from))).rejects.toBeInstanceOf(
      SourceRequestError,
    );
    expect(spy).not.toHaveBeenCalled();
    spy.mockRestore();
  });

  it('drift: a missing `close` fails the page naming it; a new field is reported and the rows stored', async () => {
    await control.addFault({ kind: 'drift-missing-field', source: 'min-api', count: 1 });
    const err = await histoOhlcv.fetchPage(ctx(), hours).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ResponseSchemaError);
    expect((err as Error).message).toContain('lacks the required field close');
    await control.addFault({ kind: 'drift-new-field', source: 'min-api', count: 1 });
    const page = await histoOhlcv.fetchPage(ctx(), hours);
    expect(page.unknownFields).toEqual([{ field: 'trades', sample: 0 }]);
    expect(page.batch.numRows).toBe(24);
  });

  it.each([
    ['high-below-low', 'below low'],
    ['negative-volume', 'volumefrom is negative'],
    ['misaligned-ts', 'not aligned'],
    ['ms-timestamp', 'in milliseconds'],
    ['nan-string', 'invalid value: close'],
  ] as const)('a %s row is quarantined with its raw JSON; the other rows are exact', async (badRow, reason) => {
    await control.addFault({ kind: 'bad-row', source: 'min-api', badRow, count: 1 });
    const page = await histoOhlcv.fetchPage(ctx(), hours);
    const expected = asColumns(expectedHisto('Coinbase', 'BTC', 'USD', '1h', from, from + 24 * H));
    expect(page.quarantined).toHaveLength(1);
    const q = page.quarantined[0]!;
    expect(q.reason).toContain(reason);
    const bad = expected.find((r) => r.ts === Math.floor(q.ts! / H) * H); // misaligned: ts + 1
    expect(bad).toBeDefined();
    expect(rowsOf(page)).toEqual(expected.filter((r) => r !== bad));
    expect(Object.keys(q.raw as object)).toEqual([
      'time',
      'high',
      'low',
      'open',
      'volumefrom',
      'volumeto',
      'close',
      'conversionType',
      'conversionSymbol',
    ]);
  });

  it('the source is configured from MIN_API_* and its budget key carries a fingerprint of the key only', () => {
    const config = minApiSource.configSchema.parse({ MIN_API_BASE_URL: `${sim.url}/min-api/`, MIN_API_KEY: 'sk-1' });
    expect(config.baseUrl).toBe(`${sim.url}/min-api`);
    expect(JSON.stringify(config)).not.toContain('sk-1');
  });
});

describe('min-api reference datasets over HTTP', () => {
  const T = Date.UTC(2025, 2, 10, 12) / 1000;
  beforeEach(async () => {
    await control.setClock({ now: T });
  });

  it('top-list: 0-based pages, ranks across pages, the day’s ranking exactly', async () => {
    const pages = await fetchAll(minApiSource.references['top-list']!, { pages: 2, limit: 10 });
    expect(pages.map((p) => p.request)).toEqual([
      '/min-api/data/top/mktcapfull?limit=10&page=0&tsym=USD',
      '/min-api/data/top/mktcapfull?limit=10&page=1&tsym=USD',
    ]);
    const expected = expectedTopList('mktcapfull', 'USD', T).slice(0, 20);
    expect(pages.flatMap((p) => p.topList ?? [])).toEqual(
      expected.map((item, i) => ({
        list: 'mktcap',
        quote: 'USD',
        rank: i + 1,
        assetId: item.CoinInfo.Id,
        symbol: item.CoinInfo.Name,
        price: item.RAW!.USD!.PRICE,
        marketCap: item.RAW!.USD!.MKTCAP,
        volume24h: item.RAW!.USD!.TOTALVOLUME24HTO,
      })),
    );
    const assets = pages.flatMap((p) => p.assets ?? []);
    expect(assets.map((a) => [a.assetId, a.symbol, a.name, a.launchDate])).toEqual(
      expected.map((i) => [i.CoinInfo.Id, i.CoinInfo.Name, i.CoinInfo.FullName, i.CoinInfo.AssetLaunchDate]),
    );
  });

  it('top-list by volume in BTC: the BTC entry itself has no price', async () => {
    const pages = await fetchAll(minApiSource.references['top-list']!, {
      list: 'totalvolfull',
      tsym: 'BTC',
      limit: 50,
    });
    expect(pages).toHaveLength(1);
    const entries = pages[0]!.topList!;
    const expected = expectedTopList('totalvolfull', 'BTC', T).slice(0, 50);
    expect(entries.map((e) => e.symbol)).toEqual(expected.map((i) => i.CoinInfo.Name));
    expect(entries.find((e) => e.symbol === 'BTC')).toMatchObject({ list: 'totalvol', quote: 'BTC', price: null });
  });

  it('coinlist: every coin as an asset', async () => {
    const [page] = await fetchAll(minApiSource.references.coinlist!, {});
    const expected = Object.values(expectedCoinList(T));
    expect(page!.assets!.map((a) => [a.assetId, a.symbol, a.name])).toEqual(
      expected.map((c) => [c.Id, c.Symbol, c.CoinName]),
    );
  });

  it('exchanges: markets and instruments, first trade = histo_minute_start_ts', async () => {
    const [page] = await fetchAll(minApiSource.references.exchanges!, { exchange: 'Coinbase' });
    expect(page!.request).toBe('/min-api/data/v4/all/exchanges?e=Coinbase');
    const expected = expectedExchanges(T, { e: 'Coinbase' });
    expect(page!.markets).toEqual([
      { kind: 'spot', market: 'Coinbase', status: 'ACTIVE', attributes: { isActive: true, isTopTier: true } },
    ]);
    const pairs = Object.entries(expected.Coinbase!.pairs).flatMap(([fsym, { tsyms }]) =>
      Object.entries(tsyms).map(([tsym, w]) => ({ fsym, tsym, w })),
    );
    expect(page!.instruments).toEqual(
      pairs.map(({ fsym, tsym, w }) => ({
        kind: 'spot',
        market: 'Coinbase',
        instrument: `${fsym}-${tsym}`,
        base: fsym,
        quote: tsym,
        status: w.isActive ? 'ACTIVE' : 'INACTIVE',
        firstTradeTs: w.histo_minute_start_ts,
        lastTradeTs: w.histo_minute_end_ts,
        attributes: {
          histo_minute_start: w.histo_minute_start,
          histo_minute_end: w.histo_minute_end,
          isActive: w.isActive,
        },
      })),
    );
    const eth = page!.instruments!.find((i) => i.instrument === 'ETH-USD')!;
    expect(eth.firstTradeTs).toBe(pairStart('Coinbase', 'ETH', 'USD'));
  });
});
