/**
 * The legacy min-api source end to end: histo backfills (CCCAGG and exchanges, every interval, the
 * minute depth, pre-history zero rows, the reference floor), the reference snapshots, and each
 * fault, through real Temporal, real PostgreSQL and the shared simulator over HTTP. Expected rows
 * come from the simulator's generators. This file's worker uses its own API key: its budget and
 * pauses are its own, and the API reports its windows in `X-RateLimit-*-All` (sent with a key).
 */
import { WorkflowFailedError } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure } from '@temporalio/common';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { minApiSource } from '../../activities/sources/min-api/index';
import {
  DRIFT_NEW_FIELD_KEY,
  expectedCoinList,
  expectedExchanges,
  expectedHisto,
  expectedTopList,
  pairStart,
  type HistoRow,
} from '../../simulator/sources/min-api';
import { BAD_ROW_KINDS, type BadRowKind } from '../../simulator/types';
import type { BackfillSeriesInput, BackfillSeriesResult } from '../../workflows/contracts/backfill';
import { backfillWorkflowId, referenceWorkflowId } from '../../workflows/contracts/ids';
import type { RefreshReferenceProgress } from '../../workflows/contracts/reference';
import type { Interval, SeriesKey } from '../../workflows/contracts/series';
import { openTestEnv, startWorkers, type RunningWorkers, type TestEnv } from '../helpers/env';
import { expectedTableRows, storedTableRows, tableColumns } from '../helpers/tables';

const sec = (iso: string) => Date.parse(iso) / 1000;
const iso = (s: number) => new Date(s * 1000).toISOString().replace('.000Z', 'Z');
const H = 3600;
const DAY = 86_400;
const API_KEY = 'min-api-tests-key';
/** The budget (and pause) key of this file's worker: the source id plus a fingerprint of its key. */
const BUDGET_KEY = minApiSource.budget(minApiSource.configSchema.parse({ MIN_API_KEY: API_KEY })).key;

let env: TestEnv;
let workers: RunningWorkers;

beforeAll(async () => {
  env = await openTestEnv('min-api');
  workers = await startWorkers(env, { MIN_API_KEY: API_KEY });
});
afterEach(async () => {
  await env.clearFaults();
});
afterAll(async () => {
  await workers?.stop();
  await env?.close();
});

interface Pair {
  readonly exchange: string;
  readonly fsym: string;
  readonly tsym: string;
}

function series(p: Pair, interval: Interval): SeriesKey {
  return { source: 'min-api', dataset: 'histo-ohlcv', market: p.exchange, instrument: `${p.fsym}-${p.tsym}`, interval };
}

/** Fault scope: only this test's pair on this test's exchange (the simulator is shared). */
const scope = (p: Pair, extra: Record<string, string> = {}) => ({
  source: 'min-api',
  params: { fsym: p.fsym, tsym: p.tsym, e: p.exchange, ...extra },
});

async function backfill(
  s: SeriesKey,
  from: number,
  to: number,
  options: BackfillSeriesInput['options'] = {},
  idSuffix = '',
): Promise<BackfillSeriesResult> {
  const input: BackfillSeriesInput = {
    ...s,
    from: iso(from),
    to: iso(to),
    options: { heartbeatTimeout: '10s', ...options },
  };
  return env.client.workflow.execute('backfillSeries', {
    taskQueue: env.taskQueue,
    workflowId: `${backfillWorkflowId(s, from, to)}${idSuffix}`,
    args: [input],
  }) as Promise<BackfillSeriesResult>;
}

const isFiller = (r: Record<string, unknown>) => r.volumefrom === 0 && r.volumeto === 0;

/** Expected (from the simulator's wire rows) and stored rows of a series over [from, to). */
async function compare(p: Pair, interval: Interval, from: number, to: number, wire?: HistoRow[]) {
  const columns = await tableColumns(env.pool, 'minapi_ohlcv');
  const rows = wire ?? expectedHisto(p.exchange, p.fsym, p.tsym, interval, from, to);
  const expected = expectedTableRows(
    columns,
    ['exchange', 'fsym', 'tsym', 'interval'],
    rows as unknown as Array<Record<string, unknown>>,
    isFiller,
  );
  const stored = await storedTableRows(
    env.pool,
    'minapi_ohlcv',
    columns,
    { exchange: p.exchange, fsym: p.fsym, tsym: p.tsym, interval },
    from,
    to,
  );
  return { expected, stored };
}

async function quarantined(s: SeriesKey) {
  const res = await env.pool.query(
    `SELECT extract(epoch FROM ts)::float8 AS ts, reason, raw FROM quarantine
     WHERE source = 'min-api' AND dataset = 'histo-ohlcv' AND market = $1 AND instrument = $2 AND interval = $3`,
    [s.market, s.instrument, s.interval],
  );
  return res.rows as Array<{ ts: number; reason: string; raw: Record<string, unknown> }>;
}

function appFailure(err: unknown): ApplicationFailure {
  expect(err).toBeInstanceOf(WorkflowFailedError);
  const activity = (err as WorkflowFailedError).cause;
  expect(activity).toBeInstanceOf(ActivityFailure);
  return (activity as ActivityFailure).cause as ApplicationFailure;
}

async function refresh(dataset: string, params: Record<string, unknown>, variant?: string) {
  return env.client.workflow.execute('refreshReference', {
    taskQueue: env.taskQueue,
    workflowId: referenceWorkflowId('min-api', dataset, new Date().toISOString().slice(0, 10), variant),
    args: [{ source: 'min-api', dataset, params }],
  }) as Promise<RefreshReferenceProgress>;
}

describe('min-api histo-ohlcv backfills store exactly the simulator rows', () => {
  it('CCCAGG histoday: one page of 365 days', async () => {
    const p = { exchange: 'CCCAGG', fsym: 'BTC', tsym: 'USD' };
    const from = sec('2023-01-01T00:00:00Z');
    const to = sec('2024-01-01T00:00:00Z');
    const result = await backfill(series(p, '1d'), from, to);
    expect(result).toMatchObject({ status: 'completed', pages: 1, rowsReceived: 365, rowsQuarantined: 0 });
    const { expected, stored } = await compare(p, '1d', from, to);
    expect(expected).toHaveLength(365);
    expect(stored).toEqual(expected);
    // The request asked for exactly the range: toTs = the last period, limit = periods - 1.
    const runs = await env.pool.query(`SELECT requests FROM ingestion_runs WHERE job_id = $1`, [result.jobId]);
    expect(runs.rows[0].requests).toEqual([
      `/min-api/data/v2/histoday?fsym=BTC&tsym=USD&e=CCCAGG&limit=364&toTs=${to - DAY}`,
    ]);
  });

  it('an exchange histohour over several pages (2001 periods each, then a one-period page), fillers included', async () => {
    const p = { exchange: 'Kraken', fsym: 'MATIC', tsym: 'USD' };
    const from = sec('2024-01-01T00:00:00Z');
    const to = from + 4003 * H; // pages of 2001, 2001 and 1 period (limit=1: the extra row is dropped)
    const result = await backfill(series(p, '1h'), from, to, { pagesPerActivity: 1 });
    expect(result).toMatchObject({ status: 'completed', pages: 3, chunks: 3, rowsReceived: 4003, rowsQuarantined: 0 });
    const { expected, stored } = await compare(p, '1h', from, to);
    expect(expected).toHaveLength(4003);
    expect(expected.some((r) => r.is_filler)).toBe(true); // quiet hours are stored as fillers
    expect(stored).toEqual(expected);
    const runs = await env.pool.query(`SELECT requests FROM ingestion_runs WHERE job_id = $1 ORDER BY id`, [
      result.jobId,
    ]);
    expect(runs.rows.map((r: { requests: string[] }) => /limit=(\d+)/.exec(r.requests[0]!)![1])).toEqual([
      '2000',
      '2000',
      '1',
    ]);
  });

  it('histominute inside the last 7 days: closed periods, exact', async () => {
    const p = { exchange: 'Binance', fsym: 'SOL', tsym: 'USDT' };
    const minute = Math.floor(Date.now() / 1000 / 60) * 60;
    const from = minute - 36 * H;
    const to = minute - 2 * H; // 2040 closed minutes: 2 pages
    const result = await backfill(series(p, '1m'), from, to);
    expect(result).toMatchObject({ status: 'completed', pages: 2, rowsReceived: 2040, rowsQuarantined: 0 });
    expect(result.note).toBeUndefined();
    const { expected, stored } = await compare(p, '1m', from, to);
    expect(expected).toHaveLength(2040);
    expect(expected.some((r) => r.is_filler)).toBe(true);
    expect(stored).toEqual(expected);
  });

  it('histominute from older than 7 days: the plan starts at the depth the API keeps, and says so', async () => {
    const p = { exchange: 'Coinbase', fsym: 'LTC', tsym: 'USD' };
    const minute = Math.floor(Date.now() / 1000 / 60) * 60;
    const from = minute - 10 * DAY;
    const to = minute - 6 * DAY;
    const result = await backfill(series(p, '1m'), from, to);
    expect(result.status).toBe('completed');
    expect(result.note).toMatch(/^starts at \S+: the API keeps 7 days of 1m history$/);
    const startAt = sec(/^starts at (\S+):/.exec(result.note!)![1]!);
    expect(startAt).toBeGreaterThan(from);
    expect(startAt - (minute - 7 * DAY)).toBeLessThanOrEqual(120);
    expect(result.rowsQuarantined).toBe(0);
    const { stored } = await compare(p, '1m', from, to);
    // A minute that left the 7-day depth between planning and fetching is a zero row: skipped.
    expect(stored[0]!.ts).toBeGreaterThanOrEqual(startAt);
    expect(stored[0]!.ts).toBeLessThanOrEqual(startAt + 60);
    const { expected } = await compare(p, '1m', stored[0]!.ts as number, to);
    expect(stored).toEqual(expected);
    expect(stored.length).toBeGreaterThan(1_400);
  });

  it('a range from before the pair existed: the all-zero rows are skipped, nothing quarantined', async () => {
    const p = { exchange: 'CCCAGG', fsym: 'SOL', tsym: 'USD' };
    const s = series(p, '1d');
    const from = sec('2019-06-01T00:00:00Z');
    const to = sec('2020-09-01T00:00:00Z');
    const result = await backfill(s, from, to);
    expect(result).toMatchObject({ status: 'completed', rowsQuarantined: 0 });
    expect(result.note).toBeUndefined(); // no reference floor for the CCCAGG index: the zero rows were fetched
    const { expected, stored } = await compare(p, '1d', from, to);
    expect(stored[0]!.ts).toBe(Math.floor(pairStart('CCCAGG', 'SOL', 'USD') / DAY) * DAY);
    expect(stored).toEqual(expected);
    expect(result.rowsReceived).toBe(expected.length);
    expect(await quarantined(s)).toEqual([]);
  });

  it('after the exchanges reference is refreshed, a backfill from 2010 starts at histo_minute_start_ts', async () => {
    const p = { exchange: 'Bitstamp', fsym: 'LTC', tsym: 'USD' };
    const ref = await refresh('exchanges', { exchange: 'Bitstamp' }, 'Bitstamp');
    expect(ref).toMatchObject({ status: 'completed', markets: 1 });
    const listed = pairStart('Bitstamp', 'LTC', 'USD');
    const floor = Math.floor(listed / DAY) * DAY;
    const from = sec('2010-01-01T00:00:00Z');
    const to = sec('2013-01-01T00:00:00Z');
    const result = await backfill(series(p, '1d'), from, to);
    expect(result.status).toBe('completed');
    expect(result.note).toBe(`starts at ${iso(floor)}: the instrument's first trade is ${iso(listed)}`);
    expect(result.pages).toBe(1); // no page spent on the years before the listing
    // The job keeps the range it was asked for; its first chunk started at the floor.
    const cp = await env.pool.query(
      `SELECT extract(epoch FROM range_from)::float8 AS range_from, extract(epoch FROM next_ts)::float8 AS next_ts
       FROM ingest_checkpoints WHERE job_id = $1`,
      [result.jobId],
    );
    expect(cp.rows[0]).toEqual({ range_from: from, next_ts: to });
    const runs = await env.pool.query(
      `SELECT extract(epoch FROM window_from)::float8 AS window_from FROM ingestion_runs WHERE job_id = $1 ORDER BY id`,
      [result.jobId],
    );
    expect(runs.rows.map((r: { window_from: number }) => r.window_from)).toEqual([floor]);
    const { expected, stored } = await compare(p, '1d', from, to);
    expect(stored[0]!.ts).toBe(floor);
    expect(stored).toEqual(expected);
  });
});

describe('min-api reference snapshots', () => {
  it('top-list: a dated snapshot equal to the day ranking; top_assets() answers from it', async () => {
    const result = await refresh('top-list', { list: 'mktcapfull', tsym: 'USD', pages: 2, limit: 50 }, 'mktcap-USD');
    expect(result).toMatchObject({ status: 'completed', pages: 2, topList: 100, assets: 100 });
    const day = result.snapshotDate!;
    const expected = expectedTopList('mktcapfull', 'USD', sec(`${day}T00:00:00Z`)).slice(0, 100);
    const stored = await env.pool.query(
      `SELECT rank, asset_id, symbol, price, market_cap, volume_24h FROM top_list_snapshots
       WHERE source = 'min-api' AND list = 'mktcap' AND quote = 'USD' AND snapshot_date = $1 ORDER BY rank`,
      [day],
    );
    expect(stored.rows).toEqual(
      expected.map((item, i) => ({
        rank: i + 1,
        asset_id: item.CoinInfo.Id,
        symbol: item.CoinInfo.Name,
        price: item.RAW!.USD!.PRICE,
        market_cap: item.RAW!.USD!.MKTCAP,
        volume_24h: item.RAW!.USD!.TOTALVOLUME24HTO,
      })),
    );
    const top = await env.pool.query(
      `SELECT rank, asset_id, symbol, market_cap, price FROM top_assets(current_date, 10, 'min-api', 'mktcap', 'USD')`,
    );
    expect(top.rows).toEqual(stored.rows.slice(0, 10).map(({ volume_24h: _v, ...r }) => r));
    const btc = await env.pool.query(
      `SELECT symbol, name, to_char(launch_date, 'YYYY-MM-DD') AS launch_date, price_usd, market_cap_usd,
              attributes->>'Algorithm' AS algorithm
       FROM assets WHERE source = 'min-api' AND asset_id = '1182'`,
    );
    const item = expected.find((e) => e.CoinInfo.Name === 'BTC')!;
    expect(btc.rows[0]).toEqual({
      symbol: 'BTC',
      name: 'Bitcoin',
      launch_date: '2009-01-03',
      price_usd: item.RAW!.USD!.PRICE,
      market_cap_usd: item.RAW!.USD!.MKTCAP,
      algorithm: 'SHA-256',
    });
  });

  it('coinlist: every coin, by its CryptoCompare id', async () => {
    const result = await refresh('coinlist', {});
    expect(result.status).toBe('completed');
    const expected = Object.values(expectedCoinList(sec(`${result.snapshotDate!}T00:00:00Z`)));
    expect(result.assets).toBe(expected.length);
    const stored = await env.pool.query(
      `SELECT asset_id, symbol, name, attributes->>'SortOrder' AS sort_order FROM assets
       WHERE source = 'min-api' ORDER BY (attributes->>'SortOrder')::int, symbol`,
    );
    expect(stored.rows).toEqual(
      expected.map((c) => ({ asset_id: c.Id, symbol: c.Symbol, name: c.CoinName, sort_order: c.SortOrder })),
    );
  });

  it('exchanges: every market and pair, status and first/last minute exactly', async () => {
    const result = await refresh('exchanges', {}, 'all');
    expect(result.status).toBe('completed');
    const stored = await env.pool.query(
      `SELECT market, instrument, base, quote, status, extract(epoch FROM first_trade_ts)::float8 AS first,
              extract(epoch FROM last_trade_ts)::float8 AS last, attributes
       FROM instruments WHERE source = 'min-api' AND kind = 'spot'`,
    );
    // Active pairs end "now" on the API's clock: read that instant back, then compare everything.
    const now = Math.max(...stored.rows.map((r: { last: number }) => r.last));
    const expected = expectedExchanges(now);
    const rows = Object.entries(expected).flatMap(([market, ex]) =>
      Object.entries(ex.pairs).flatMap(([fsym, { tsyms }]) =>
        Object.entries(tsyms).map(([tsym, w]) => ({
          market,
          instrument: `${fsym}-${tsym}`,
          base: fsym,
          quote: tsym,
          status: w.isActive ? 'ACTIVE' : 'INACTIVE',
          first: w.histo_minute_start_ts,
          last: w.histo_minute_end_ts,
          attributes: {
            histo_minute_start: w.histo_minute_start,
            histo_minute_end: w.histo_minute_end,
            isActive: w.isActive,
          },
        })),
      ),
    );
    expect(result.instruments).toBe(rows.length);
    // Sorted here, not by the database (its collation may not be byte order).
    const key = (r: { market: string; instrument: string }) => `${r.market} ${r.instrument}`;
    const byKey = (a: { market: string; instrument: string }, b: typeof a) => (key(a) < key(b) ? -1 : 1);
    expect([...stored.rows].sort(byKey)).toEqual(rows.sort(byKey));
    const markets = await env.pool.query(
      `SELECT market, status, attributes FROM markets WHERE source = 'min-api' AND kind = 'spot'`,
    );
    expect(
      [...markets.rows].sort((a: { market: string }, b: { market: string }) => (a.market < b.market ? -1 : 1)),
    ).toEqual(
      Object.entries(expected)
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([market, ex]) => ({
          market,
          status: ex.isActive ? 'ACTIVE' : 'INACTIVE',
          attributes: { isActive: ex.isActive, isTopTier: ex.isTopTier },
        })),
    );
  });
});

describe('min-api faults: each has its documented outcome, nothing lost, nothing invalid stored', () => {
  const from = sec('2024-02-01T00:00:00Z');
  const to = sec('2024-02-08T00:00:00Z'); // 168 hours: 1 page

  it('Type 99 over quota (HTTP 200): the source pauses until the window the headers report resets, then completes', async () => {
    const p = { exchange: 'Bitfinex', fsym: 'XRP', tsym: 'USD' };
    const started = new Date();
    await env.addFault({ kind: 'rate-limit', ...scope(p), count: 2 });
    const result = await backfill(series(p, '1h'), from, to);
    expect(result.status).toBe('completed');
    expect(result.pauses).toBeGreaterThanOrEqual(1);
    const pause = await env.pool.query(`SELECT reason, set_by, set_at FROM source_pauses WHERE source = $1`, [
      BUDGET_KEY,
    ]);
    expect(pause.rows[0]).toMatchObject({ set_by: 'api', reason: expect.stringContaining('over your rate limit') });
    expect(pause.rows[0].set_at.getTime()).toBeGreaterThanOrEqual(started.getTime() - 1_000);
    const hits = (await env.sim.listFaults()).filter((f) => f.params?.e === p.exchange && f.params.fsym === p.fsym);
    expect(hits.map((f) => f.hits)).toEqual([2]);
    const { expected, stored } = await compare(p, '1h', from, to);
    expect(stored).toEqual(expected);
  });

  it('a ban (Type 99 with Cooldown): the source pauses for the announced cooldown, then completes', async () => {
    const p = { exchange: 'Gemini', fsym: 'BTC', tsym: 'USD' };
    await env.addFault({ kind: 'ban', ...scope(p), count: 1, retryAfterSeconds: 3 });
    const s = series(p, '1h');
    const result = await backfill(s, from, to);
    expect(result).toMatchObject({ status: 'completed', pauses: 1 });
    const pause = await env.pool.query(
      `SELECT reason, extract(epoch FROM paused_until - set_at)::float8 AS seconds FROM source_pauses WHERE source = $1`,
      [BUDGET_KEY],
    );
    expect(pause.rows[0].reason).toContain('banned for 3 s');
    expect(pause.rows[0].seconds).toBeGreaterThanOrEqual(2.9);
    expect(pause.rows[0].seconds).toBeLessThan(4);
    // The workflow slept (a durable timer) for the cooldown.
    const history = await env.client.workflow.getHandle(backfillWorkflowId(s, from, to)).fetchHistory();
    const timers = (history.events ?? []).filter((e) => e.timerStartedEventAttributes);
    expect(timers).toHaveLength(1);
    expect(Number(timers[0]!.timerStartedEventAttributes!.startToFireTimeout!.seconds)).toBeGreaterThanOrEqual(2);
    const { expected, stored } = await compare(p, '1h', from, to);
    expect(stored).toEqual(expected);
  });

  it('502 from the proxy: retried by the activity, data exact', async () => {
    const p = { exchange: 'Bitstamp', fsym: 'ETH', tsym: 'USD' };
    await env.addFault({ kind: 'server-error', ...scope(p), count: 2 });
    const s = series(p, '1h');
    const result = await backfill(s, from, to);
    expect(result).toMatchObject({ status: 'completed', rowsReceived: 168 });
    const history = await env.client.workflow.getHandle(backfillWorkflowId(s, from, to)).fetchHistory();
    const attempts = (history.events ?? [])
      .map((e) => e.activityTaskStartedEventAttributes?.attempt)
      .filter((a): a is number => typeof a === 'number');
    expect(Math.max(...attempts)).toBe(3); // two 502s, then success
    const { expected, stored } = await compare(p, '1h', from, to);
    expect(stored).toEqual(expected);
  });

  it('connection reset: retried, data exact', async () => {
    const p = { exchange: 'Gemini', fsym: 'ETH', tsym: 'USD' };
    await env.addFault({ kind: 'reset', ...scope(p), count: 2 });
    expect((await backfill(series(p, '1h'), from, to)).status).toBe('completed');
    const { expected, stored } = await compare(p, '1h', from, to);
    expect(stored).toEqual(expected);
  });

  it('drift, a missing field (close): non-retryable ResponseSchemaError naming it; nothing of that page stored', async () => {
    const p = { exchange: 'OKEX', fsym: 'LTC', tsym: 'USDT' };
    const a = sec('2024-01-01T00:00:00Z');
    const b = sec('2024-05-01T00:00:00Z'); // 2904 hours: page 1 ends at a+2000h, page 2 at a+2903h
    await env.addFault({ kind: 'drift-missing-field', ...scope(p, { toTs: String(a + 2903 * H) }) });
    const err = await backfill(series(p, '1h'), a, b, { pagesPerActivity: 1 }).catch((e: unknown) => e);
    const app = appFailure(err);
    expect(app.type).toBe('ResponseSchemaError');
    expect(app.nonRetryable).toBe(true);
    expect(app.message).toContain('lacks the required field close');
    // Page 1 is stored and checkpointed; nothing of page 2.
    const { expected, stored } = await compare(p, '1h', a, b);
    expect(stored).toEqual(expected.slice(0, 2001));
  });

  it('drift, a new field: accepted, rows exact, recorded once in schema_drift after two runs', async () => {
    const p = { exchange: 'Poloniex', fsym: 'ETH', tsym: 'USDT' };
    const s = series(p, '1h');
    await env.addFault({ kind: 'drift-new-field', ...scope(p) });
    await backfill(s, from, to);
    await env.pool.query(`DELETE FROM ingest_checkpoints WHERE job_id = $1`, [backfillWorkflowId(s, from, to)]);
    const again = await backfill(s, from, to, {}, '/refetch'); // fetches again: the field is seen again
    expect(again).toMatchObject({ status: 'completed', rowsReceived: 168, rowsUnchanged: 168 });
    const drift = await env.pool.query(
      `SELECT field, sample FROM schema_drift WHERE source = 'min-api' AND dataset = 'histo-ohlcv'`,
    );
    expect(drift.rows).toEqual([{ field: DRIFT_NEW_FIELD_KEY, sample: 0 }]);
    const { expected, stored } = await compare(p, '1h', from, to);
    expect(stored).toEqual(expected);
  });

  /** The row the simulator corrupts (the middle row with volume) and what it turns it into. */
  function corrupted(rows: HistoRow[], kind: BadRowKind): { row: HistoRow; raw: Record<string, unknown> } {
    const traded = rows.filter((r) => r.volumefrom > 0);
    const row = traded[Math.floor(traded.length / 2)]!;
    const raw: Record<string, unknown> = { ...row };
    if (kind === 'high-below-low')
      Object.assign(raw, row.high > row.low ? { high: row.low, low: row.high } : { high: row.low * 0.99 });
    if (kind === 'negative-volume') raw.volumefrom = -row.volumefrom;
    if (kind === 'misaligned-ts') raw.time = row.time + 1;
    if (kind === 'ms-timestamp') raw.time = row.time * 1000;
    if (kind === 'nan-string') raw.close = 'NaN';
    return { row, raw };
  }

  const BAD_ROW_PAIRS: Record<BadRowKind, string> = {
    'high-below-low': 'ADA',
    'negative-volume': 'LINK',
    'misaligned-ts': 'XRP',
    'ms-timestamp': 'DOGE',
    'nan-string': 'LTC',
  };
  const REASONS: Record<BadRowKind, string> = {
    'high-below-low': 'is below low',
    'negative-volume': 'volumefrom is negative',
    'misaligned-ts': 'is not aligned to the 3600 s interval',
    'ms-timestamp': 'is in milliseconds, seconds expected',
    'nan-string': 'invalid value: close',
  };

  it.each(BAD_ROW_KINDS)(
    'bad row (%s): quarantined with its raw JSON and reason; every other row exact',
    async (kind) => {
      const p = { exchange: 'Bybit', fsym: BAD_ROW_PAIRS[kind], tsym: 'USDT' };
      const s = series(p, '1h');
      await env.addFault({ kind: 'bad-row', badRow: kind, ...scope(p) });
      const result = await backfill(s, from, to);
      expect(result).toMatchObject({ status: 'completed', rowsQuarantined: 1, rowsReceived: 167 });
      const wire = expectedHisto(p.exchange, p.fsym, p.tsym, '1h', from, to);
      const bad = corrupted(wire, kind);
      const q = await quarantined(s);
      expect(q).toEqual([
        {
          ts: kind === 'misaligned-ts' ? bad.row.time + 1 : bad.row.time,
          reason: expect.stringContaining(REASONS[kind]),
          raw: bad.raw,
        },
      ]);
      const { expected, stored } = await compare(
        p,
        '1h',
        from,
        to,
        wire.filter((r) => r !== bad.row),
      );
      expect(stored).toHaveLength(167);
      expect(stored).toEqual(expected);
    },
  );
});
