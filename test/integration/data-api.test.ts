/**
 * Every Data API dataset, each fault, and the reference snapshots, through real Temporal, real
 * PostgreSQL and the simulator over HTTP. Expected rows come from the simulator's generators.
 * This file's worker uses its own API key: its budget and pauses are its own.
 */
import { WorkflowFailedError } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure } from '@temporalio/common';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  BAD_ROW_FIELDS,
  DRIFT_NEW_FIELD_KEYS,
  expectedFundingRates,
  expectedFuturesCandles,
  expectedInstruments,
  expectedOpenInterest,
  expectedSpotCandles,
  expectedTopList,
  listingTimestamp,
} from '../../simulator/sources/data-api';
import { listInstruments } from '../../simulator/sources/data-api/catalog';
import { httpSourceBudget } from '../../activities/sources/http-config';
import { Secret } from '../../activities/secret';
import { listFuturesInstruments } from '../../simulator/sources/data-api/futures-catalog';
import { BAD_ROW_KINDS } from '../../simulator/types';
import type { BackfillSeriesInput, BackfillSeriesResult } from '../../workflows/contracts/backfill';
import { backfillWorkflowId, referenceWorkflowId } from '../../workflows/contracts/ids';
import type { Interval, SeriesKey } from '../../workflows/contracts/series';
import { openTestEnv, startWorkers, waitFor, type RunningWorkers, type TestEnv } from '../helpers/env';
import { progressQuery } from '../../workflows/contracts/backfill';
import { expectedTableRows, storedTableRows, tableColumns } from '../helpers/tables';

const sec = (iso: string) => Date.parse(iso) / 1000;
const iso = (s: number) => new Date(s * 1000).toISOString().replace('.000Z', 'Z');
const API_KEY = 'data-api-tests-key';
/** This file's budget (and pause) key: the source plus a fingerprint of its API key. */
const BUDGET_KEY = httpSourceBudget('data-api', {
  baseUrl: '',
  apiKey: new Secret(API_KEY),
  timeoutMs: 0,
  rateLimits: 'off',
}).key;

let env: TestEnv;
let workers: RunningWorkers;

beforeAll(async () => {
  env = await openTestEnv('data-api');
  workers = await startWorkers(env, { DATA_API_KEY: API_KEY });
});
afterEach(async () => {
  await env.clearFaults();
});
afterAll(async () => {
  await workers?.stop();
  await env?.close();
});

interface DatasetCase {
  readonly dataset: string;
  readonly table: string;
  readonly simDataset: keyof typeof BAD_ROW_FIELDS;
  expected(s: SeriesKey, from: number, to: number): Array<Record<string, unknown>>;
  isFiller(row: Record<string, unknown>): boolean;
}

const SPOT: DatasetCase = {
  dataset: 'spot-ohlcv',
  table: 'spot_ohlcv',
  simDataset: 'spot-ohlcv',
  expected: (s, f, t) =>
    expectedSpotCandles(s.market, s.instrument, s.interval, f, t) as unknown as Array<Record<string, unknown>>,
  isFiller: (r) => r.FIRST_TRADE_TIMESTAMP === undefined,
};
const FUTURES: DatasetCase = {
  dataset: 'futures-ohlcv',
  table: 'futures_ohlcv',
  simDataset: 'futures-ohlcv',
  expected: (s, f, t) =>
    expectedFuturesCandles(s.market, s.instrument, s.interval, f, t) as unknown as Array<Record<string, unknown>>,
  isFiller: (r) => r.FIRST_TRADE_TIMESTAMP === undefined,
};
const OPEN_INTEREST: DatasetCase = {
  dataset: 'futures-open-interest',
  table: 'futures_open_interest',
  simDataset: 'open-interest',
  expected: (s, f, t) =>
    expectedOpenInterest(s.market, s.instrument, s.interval, f, t) as unknown as Array<Record<string, unknown>>,
  isFiller: (r) => r.TOTAL_OPEN_INTEREST_UPDATES === 0,
};
const FUNDING: DatasetCase = {
  dataset: 'futures-funding-rate',
  table: 'futures_funding_rate',
  simDataset: 'funding-rate',
  expected: (s, f, t) =>
    expectedFundingRates(s.market, s.instrument, s.interval, f, t) as unknown as Array<Record<string, unknown>>,
  isFiller: (r) => r.TOTAL_FUNDING_RATE_UPDATES === 0,
};

function series(c: DatasetCase, market: string, instrument: string, interval: Interval): SeriesKey {
  return { source: 'data-api', dataset: c.dataset, market, instrument, interval };
}

async function backfill(
  s: SeriesKey,
  from: number,
  to: number,
  options: BackfillSeriesInput['options'] = {},
  idSuffix = '',
) {
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

async function compare(
  c: DatasetCase,
  s: SeriesKey,
  from: number,
  to: number,
  drop: (row: Record<string, unknown>) => boolean = () => false,
) {
  const columns = await tableColumns(env.pool, c.table);
  const expected = expectedTableRows(
    columns,
    ['market', 'instrument', 'interval'],
    c.expected(s, from, to).filter((r) => !drop(r)),
    c.isFiller,
  );
  const stored = await storedTableRows(
    env.pool,
    c.table,
    columns,
    { market: s.market, instrument: s.instrument, interval: s.interval },
    from,
    to,
  );
  return { expected, stored };
}

/** A perpetual of a futures market listed before `before` (the simulator's catalogue). */
function perpetual(market: string, before: number, skip = 0): string {
  const list = listFuturesInstruments(market).filter((i) => i.perpetual && i.retiredAt === null && i.listedAt < before);
  return list[skip]!.mapped;
}

describe('each Data API dataset stores exactly the simulator rows', () => {
  const from = sec('2024-02-01T00:00:00Z');
  const to = sec('2024-05-01T00:00:00Z'); // 2160 hourly periods: 2 pages

  it.each([
    ['spot-ohlcv', SPOT, 'kraken', () => listInstruments('kraken').filter((i) => i.listedAt < from)[7]!.mapped],
    ['futures-ohlcv', FUTURES, 'binance', () => perpetual('binance', from)],
    ['futures-open-interest', OPEN_INTEREST, 'bybit', () => perpetual('bybit', from)],
    ['futures-funding-rate', FUNDING, 'okex', () => perpetual('okex', from)],
  ] as const)('%s', async (_name, c, market, instrument) => {
    const s = series(c, market, instrument(), '1h');
    const result = await backfill(s, from, to);
    expect(result).toMatchObject({ status: 'completed', pages: 2, rowsQuarantined: 0 });
    const { expected, stored } = await compare(c, s, from, to);
    expect(expected.length).toBe(2160);
    if (c === SPOT || c === FUTURES) expect(expected.some((r) => r.is_filler)).toBe(true); // fillers are covered
    expect(stored).toEqual(expected);
  });
});

describe('faults: each has its documented outcome, nothing lost, nothing invalid stored', () => {
  const from = sec('2024-03-01T00:00:00Z');
  const to = sec('2024-03-11T00:00:00Z'); // 240 hourly periods: 1 page

  it.each(BAD_ROW_KINDS)(
    'bad row (%s): quarantined with its raw JSON and reason; every other row exact',
    async (kind) => {
      const instrument = listInstruments('coinbase').filter((i) => i.listedAt < from)[BAD_ROW_KINDS.indexOf(kind) + 3]!
        .mapped;
      const s = series(SPOT, 'coinbase', instrument, '1h');
      await env.addFault({
        kind: 'bad-row',
        badRow: kind,
        source: 'data-api',
        params: { instrument, market: 'coinbase' },
      });
      const result = await backfill(s, from, to);
      expect(result).toMatchObject({ status: 'completed', rowsQuarantined: 1 });
      const q = await env.pool.query(
        `SELECT extract(epoch FROM ts)::float8 AS ts, reason, raw FROM quarantine
       WHERE source = 'data-api' AND dataset = 'spot-ohlcv' AND market = 'coinbase' AND instrument = $1`,
        [instrument],
      );
      expect(q.rows).toHaveLength(1);
      const raw = q.rows[0].raw as Record<string, unknown>;
      // The corrupted fields are the ones the simulator says it changed.
      for (const field of BAD_ROW_FIELDS['spot-ohlcv'][kind]) expect(raw).toHaveProperty(field);
      const t = raw.TIMESTAMP as number;
      const badTs = Math.floor((t > 1e11 ? t / 1000 : t) / 3600) * 3600; // the period the bad row stood for
      const { expected, stored } = await compare(SPOT, s, from, to, (r) => r.TIMESTAMP === badTs);
      expect(stored).toEqual(expected);
      expect(stored.length).toBe(239);
      expect(q.rows[0].reason).toMatch(
        {
          'high-below-low': /below/,
          'negative-volume': /negative/,
          'misaligned-ts': /not aligned/,
          'ms-timestamp': /milliseconds/,
          'nan-string': /invalid value/,
        }[kind],
      );
    },
  );

  it('schema drift, a new field: accepted, rows exact, recorded once across runs', async () => {
    const s = series(FUTURES, 'binance', perpetual('binance', from, 1), '1h');
    await env.addFault({
      kind: 'drift-new-field',
      source: 'data-api',
      params: { instrument: s.instrument, market: s.market },
    });
    await backfill(s, from, to);
    await backfill(s, from, to, {}, '/again'); // a second job over the same rows (checkpoint done: no fetch)
    await env.pool.query(`DELETE FROM ingest_checkpoints WHERE job_id = $1`, [backfillWorkflowId(s, from, to)]);
    await backfill(s, from, to, {}, '/refetch'); // fetches again: the field is seen again
    const drift = await env.pool.query(
      `SELECT field, sample FROM schema_drift WHERE source = 'data-api' AND dataset = 'futures-ohlcv'`,
    );
    expect(drift.rows).toEqual([{ field: DRIFT_NEW_FIELD_KEYS['futures-ohlcv'], sample: 0 }]);
    const { expected, stored } = await compare(FUTURES, s, from, to);
    expect(stored).toEqual(expected);
  });

  it('schema drift, a missing field: the page fails with the non-retryable ResponseSchemaError; nothing stored', async () => {
    const s = series(OPEN_INTEREST, 'binance', perpetual('binance', from, 2), '1h');
    await env.addFault({
      kind: 'drift-missing-field',
      source: 'data-api',
      params: { instrument: s.instrument, market: s.market },
    });
    const err = await backfill(s, from, to).catch((e: unknown) => e);
    const app = ((err as WorkflowFailedError).cause as ActivityFailure).cause as ApplicationFailure;
    expect(app.type).toBe('ResponseSchemaError');
    expect(app.nonRetryable).toBe(true);
    expect(app.message).toContain('CLOSE_SETTLEMENT');
    const { stored } = await compare(OPEN_INTEREST, s, from, to);
    expect(stored).toEqual([]);
  });

  it('connection reset: retried, data exact', async () => {
    const s = series(SPOT, 'bitstamp', 'BTC-USD', '1h');
    await env.addFault({
      kind: 'reset',
      source: 'data-api',
      params: { instrument: s.instrument, market: 'bitstamp' },
      count: 2,
    });
    expect((await backfill(s, from, to)).status).toBe('completed');
    const { expected, stored } = await compare(SPOT, s, from, to);
    expect(stored).toEqual(expected);
  });

  it.each([
    ['ban (429 + Retry-After)', 'ban'],
    ['hard block ("hard blocked for at least N seconds")', 'hard-block'],
  ] as const)('%s: the source pauses fleet-wide, the workflow waits, then completes exactly', async (_name, kind) => {
    const s = series(FUNDING, 'bybit', perpetual('bybit', from, kind === 'ban' ? 1 : 2), '1h');
    await env.addFault({
      kind,
      source: 'data-api',
      params: { instrument: s.instrument, market: s.market },
      count: 1,
      retryAfterSeconds: 2,
    });
    const result = await backfill(s, from, to);
    expect(result.status).toBe('completed');
    expect(result.pauses).toBe(1);
    const pause = await env.pool.query(`SELECT reason FROM source_pauses WHERE source = $1`, [BUDGET_KEY]);
    expect(pause.rows[0].reason).toMatch(kind === 'ban' ? /blocked|banned|Retry/i : /hard blocked/);
    const { expected, stored } = await compare(FUNDING, s, from, to);
    expect(stored).toEqual(expected);
  });
});

describe('a pause is visible while it lasts', () => {
  it('progress query and the IngestPausedUntil search attribute show it; both clear when it resumes', async () => {
    const from = sec('2024-03-01T00:00:00Z');
    const to = sec('2024-03-11T00:00:00Z');
    const s = series(SPOT, 'bitfinex', listInstruments('bitfinex').filter((i) => i.listedAt < from)[4]!.mapped, '1h');
    await env.addFault({
      kind: 'ban',
      source: 'data-api',
      params: { instrument: s.instrument, market: s.market },
      count: 1,
      retryAfterSeconds: 8,
    });
    const workflowId = backfillWorkflowId(s, from, to);
    const handle = await env.client.workflow.start('backfillSeries', {
      taskQueue: env.taskQueue,
      workflowId,
      args: [{ ...s, from: iso(from), to: iso(to) }],
    });
    const paused = await waitFor(
      async () => {
        const p = await handle.query(progressQuery);
        return p.status === 'paused' ? p : undefined;
      },
      20_000,
      'the paused status',
    );
    expect(Date.parse(paused.pausedUntil!)).toBeGreaterThan(Date.now());
    expect(paused.pauseReason).toMatch(/data-api answered/);
    // What the runbook tells the operator to run (here through the SDK; same visibility query).
    const query = `WorkflowId = '${workflowId}' AND IngestPausedUntil IS NOT NULL AND ExecutionStatus = 'Running'`;
    await waitFor(
      async () => {
        for await (const wf of env.client.workflow.list({ query })) if (wf.workflowId === workflowId) return true;
        return false;
      },
      10_000,
      'visibility to list the paused workflow',
    );
    const result = await handle.result();
    expect(result).toMatchObject({ status: 'completed', pauses: 1 });
    expect(result.pausedUntil).toBeUndefined();
    await waitFor(
      async () =>
        (await env.client.workflow.count(`WorkflowId = '${workflowId}' AND IngestPausedUntil IS NOT NULL`)).count === 0,
      10_000,
      'the search attribute to be removed',
    );
  });
});

describe('reference snapshots', () => {
  const today = new Date().toISOString().slice(0, 10);
  const todayStart = Date.parse(`${today}T00:00:00Z`) / 1000;

  async function refresh(dataset: string, params: Record<string, unknown>, variant?: string) {
    return env.client.workflow.execute('refreshReference', {
      taskQueue: env.taskQueue,
      workflowId: referenceWorkflowId('data-api', dataset, today, variant),
      args: [{ source: 'data-api', dataset, params }],
    });
  }

  it('assets-top-list: a dated snapshot equal to the day ranking; top_assets() answers from it', async () => {
    const result = await refresh('assets-top-list', { maxPages: 2, pageSize: 50 });
    const expected = expectedTopList(todayStart).slice(0, 100);
    expect(expected.length).toBeGreaterThan(50); // so the snapshot spans both pages
    expect(result).toMatchObject({ status: 'completed', pages: 2, topList: expected.length, snapshotDate: today });
    const stored = await env.pool.query(
      `SELECT rank, asset_id, symbol FROM top_list_snapshots
       WHERE source = 'data-api' AND list = 'circulating_mkt_cap_usd' AND quote = 'USD' AND snapshot_date = $1 ORDER BY rank`,
      [today],
    );
    expect(stored.rows).toEqual(expected.map((a, i) => ({ rank: i + 1, asset_id: String(a.ID), symbol: a.SYMBOL })));
    const top = await env.pool.query(`SELECT rank, symbol FROM top_assets(current_date, 10)`);
    expect(top.rows).toEqual(expected.slice(0, 10).map((a, i) => ({ rank: i + 1, symbol: a.SYMBOL })));
    const assets = await env.pool.query(`SELECT count(*)::int AS n FROM assets WHERE source = 'data-api'`);
    expect(assets.rows[0].n).toBeGreaterThanOrEqual(expected.length);
  });

  it('spot-instruments and futures-instruments: every instrument with status and first/last trade; a backfill then starts at the listing', async () => {
    const spot = await refresh('spot-instruments', { markets: ['kraken', 'bitfinex'] }, 'kraken-bitfinex');
    expect(spot.status).toBe('completed');
    const now = Math.floor(Date.now() / 1000);
    for (const market of ['kraken', 'bitfinex']) {
      const exp = expectedInstruments('spot', market, ['ACTIVE', 'RETIRED', 'EXPIRED'], now) as Record<
        string,
        { instruments: Record<string, { INSTRUMENT_STATUS: string; FIRST_TRADE_SPOT_TIMESTAMP: number }> }
      >;
      const instruments = exp[market]!.instruments;
      const stored = await env.pool.query(
        `SELECT instrument, status, extract(epoch FROM first_trade_ts)::float8 AS first FROM instruments
         WHERE source = 'data-api' AND kind = 'spot' AND market = $1 ORDER BY instrument`,
        [market],
      );
      expect(stored.rows).toEqual(
        Object.entries(instruments)
          .map(([id, i]) => ({ instrument: id, status: i.INSTRUMENT_STATUS, first: i.FIRST_TRADE_SPOT_TIMESTAMP }))
          .sort((a, b) => (a.instrument < b.instrument ? -1 : 1)),
      );
    }
    const futures = await refresh('futures-instruments', { markets: ['deribit'] }, 'deribit');
    expect(futures.instruments).toBe(
      Object.keys(
        (
          expectedInstruments('futures', 'deribit', ['ACTIVE', 'RETIRED', 'EXPIRED'], now) as Record<
            string,
            { instruments: object }
          >
        ).deribit!.instruments,
      ).length,
    );

    // With reference data in place, a backfill asked from 2010 starts at the instrument's first trade.
    const late = listInstruments('kraken').find((i) => i.listedAt > sec('2019-01-01T00:00:00Z'))!;
    const s = series(SPOT, 'kraken', late.mapped, '1d');
    const listed = listingTimestamp('kraken', late.mapped, '1d');
    const result = await backfill(s, sec('2010-01-01T00:00:00Z'), listed + 30 * 86_400);
    expect(result.note).toContain("the instrument's first trade");
    expect(result.pages).toBe(1); // no page spent on the years before the listing
    const { expected, stored } = await compare(SPOT, s, listed, listed + 30 * 86_400);
    expect(stored).toEqual(expected);
  });
});
