/**
 * Issue 12: the plan is kept at run time, on the real stack (a worker process, its own PostgreSQL
 * database, a private Data API twin). The worker's budget is a month window of 5,000 calls; the
 * test spends all but a few of them (it writes the fleet budget's window, as if other calls had) so
 * the steady state needs more than is left:
 *
 * 1. Fairness: three ticks of a 6-series sync, each with budget for 2 series, each cut short
 *    (the budget frees only after the next tick is due). Each tick syncs 2 series no earlier tick
 *    did, so after three ticks every series advanced; each reports the series it left.
 * 2. Syncs first: a backfill stops where only the syncs' recorded need is left in the window
 *    (it pauses, saying so); the next sync tick then gets every call it needs.
 */
import { createHash, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatorControl } from '../../simulator/control-client';
import { listInstruments } from '../../simulator/sources/data-api/catalog';
import { dataApiSimulator } from '../../simulator/sources/data-api';
import { startSimulator, type RunningSimulator } from '../../simulator/server';
import { progressQuery } from '../../workflows/contracts/backfill';
import type { SyncDatasetProgress } from '../../workflows/contracts/sync';
import { openTestEnv, startWorkerProcess, waitFor, type TestEnv, type WorkerProcess } from '../helpers/env';

const H = 3600;
const MONTH = 2_592_000;
const LIMIT = 5_000;
const API_KEY = `plan-kept-${randomUUID()}`;
/** The fleet budget's key of this worker: the source id and a fingerprint of its API key. */
const BUDGET_KEY = `data-api#${createHash('sha256').update(API_KEY).digest('hex').slice(0, 12)}`;

let env: TestEnv;
let sim: RunningSimulator;
let control: SimulatorControl;
let worker: WorkerProcess;

beforeAll(async () => {
  env = await openTestEnv('plan-kept', { ownDatabase: true });
  sim = await startSimulator({ port: 0, sources: [dataApiSimulator] });
  control = new SimulatorControl(sim.url);
  worker = await startWorkerProcess(env, {
    DATA_API_BASE_URL: `${sim.url}/data-api`,
    DATA_API_KEY: API_KEY,
    DATA_API_RATE_LIMITS: `month=${LIMIT}`,
  });
});

afterAll(async () => {
  worker?.child.kill('SIGTERM');
  await worker?.exited;
  await sim?.close();
  await env?.close();
});

/** The month window of the fleet budget has `used` calls spent. */
const setMonthUsed = (used: number) =>
  env.pool.query(
    `INSERT INTO rate_budget_windows (source, window_seconds, window_start, used)
     VALUES ($1, $2::int, floor(extract(epoch FROM clock_timestamp()) / $2::int)::bigint * $2::int, $3::int)
     ON CONFLICT (source, window_seconds) DO UPDATE SET used = EXCLUDED.used, window_start = EXCLUDED.window_start`,
    [BUDGET_KEY, MONTH, used],
  );

const watermarks = async (): Promise<Map<string, number>> => {
  const res = await env.pool.query<{ instrument: string; last: number }>(
    `SELECT instrument, extract(epoch FROM last_ts)::float8 AS last FROM series_watermarks
     WHERE source = 'data-api' AND dataset = 'spot-ohlcv' AND interval = '1h'`,
  );
  return new Map(res.rows.map((r) => [r.instrument, Number(r.last)]));
};

let lastTickId = '';
const tick = async (asOf: number): Promise<SyncDatasetProgress> =>
  (await env.client.workflow.execute('syncDataset', {
    taskQueue: env.taskQueue,
    workflowId: (lastTickId = `test-plan-kept/sync/${asOf}/${randomUUID()}`),
    args: [
      {
        source: 'data-api',
        dataset: 'spot-ohlcv',
        interval: '1h',
        asOf: new Date(asOf * 1000).toISOString(),
        tickEvery: '1h',
        batchSize: 2,
        concurrency: 1,
      },
    ],
  })) as SyncDatasetProgress;

describe('the plan at run time, with less budget than the steady state needs', () => {
  it('shares a short budget fairly across ticks, reports the lag, and backfills yield to the syncs', async () => {
    const hour = Math.floor(Date.now() / 1000 / H) * H;
    const old = hour - 90 * 86_400;
    const kraken = listInstruments('kraken').filter((i) => i.listedAt < old && i.retiredAt === undefined);
    const tracked = kraken.slice(0, 6).map((i) => i.mapped);
    const backfilled = kraken[6]!.mapped;
    expect(tracked).toHaveLength(6);

    // Six hourly series, backfilled and stored up to five hours ago.
    const seeded = hour - 5 * H;
    await env.pool.query(
      `INSERT INTO tracked_series (source, dataset, market, instrument, interval, origin, backfill_from, backfilled_at)
       SELECT 'data-api', 'spot-ohlcv', 'kraken', x, '1h', 'test:plan-kept', to_timestamp($2), now() FROM unnest($1::text[]) x`,
      [tracked, hour - 86_400],
    );
    await env.pool.query(
      `INSERT INTO series_watermarks (source, dataset, market, instrument, interval, first_ts, last_ts, last_final_ts)
       SELECT 'data-api', 'spot-ohlcv', 'kraken', x, '1h', to_timestamp($2), to_timestamp($3), to_timestamp($3)
       FROM unnest($1::text[]) x`,
      [tracked, hour - 86_400, seeded],
    );

    // 1. Three ticks (each already past its next tick's time), each with budget for 2 calls.
    const advancedBy: string[][] = [];
    const results: SyncDatasetProgress[] = [];
    for (const k of [1, 2, 3]) {
      const before = await watermarks();
      await setMonthUsed(LIMIT - 2);
      const r = await tick(hour - (4 - k) * H);
      const after = await watermarks();
      advancedBy.push(tracked.filter((i) => after.get(i)! > before.get(i)!));
      results.push(r);
    }
    // Each tick synced two series no earlier tick had taken: all six advanced (none starved).
    for (const a of advancedBy) expect(a).toHaveLength(2);
    expect(new Set(advancedBy.flat()).size).toBe(6);
    for (const r of results) {
      expect(r.status).toBe('completed');
      expect(r.synced).toBe(2);
      expect(r.pages).toBe(2);
      expect(r.plannedCalls).toBe(6); // 6 series × 1 call (1 new hour + 3 lookback + the open one)
      expect(r.lagging).toBe(4);
      expect(r.cutShort?.reason).toContain(`budget: ${LIMIT} calls per ${MONTH} s used`);
    }
    // What the previous tick left (the first has no previous tick).
    expect(results.map((r) => r.laggingBefore)).toEqual([0, 4, 4]);
    // The UI's details of the last tick say the same (Temporal's built-in metadata query).
    const meta = (await env.client.workflow.getHandle(lastTickId).query('__temporal_workflow_metadata')) as {
      currentDetails?: string;
    };
    expect(meta.currentDetails).toContain('Calls: 2 made of 6 planned');
    expect(meta.currentDetails).toContain('4 series left by the previous tick go first');
    expect(meta.currentDetails).toContain('**Cut short: 4 series left for the next tick** (they go first)');
    const demand = await env.pool.query<{
      series: number;
      calls_per_tick: number;
      every_seconds: number;
      lagging: number;
    }>(`SELECT series, calls_per_tick, every_seconds, lagging FROM sync_demand WHERE source = 'data-api'`);
    expect(demand.rows).toEqual([{ series: 6, calls_per_tick: 6, every_seconds: H, lagging: 4 }]);

    // 2. Syncs first. The syncs need 6 calls an hour: 4,320 of the month; backfills may use the
    // other 680. With 675 used, a 10-day minute backfill (8 calls) gets 5, then waits.
    await setMonthUsed(675);
    await control.resetStats('data-api');
    const from = hour - 10 * 86_400;
    const handle = await env.client.workflow.start('backfillSeries', {
      taskQueue: env.taskQueue,
      workflowId: `test-plan-kept/backfill/${randomUUID()}`,
      args: [
        {
          source: 'data-api',
          dataset: 'spot-ohlcv',
          market: 'kraken',
          instrument: backfilled,
          interval: '1m',
          from: new Date(from * 1000).toISOString(),
          to: new Date(hour * 1000).toISOString(),
        },
      ],
    });
    try {
      const paused = await waitFor(
        async () => {
          const p = await handle.query(progressQuery).catch(() => undefined);
          return p?.status === 'paused' ? p : undefined;
        },
        60_000,
        'the backfill to yield',
      );
      expect(paused.pauseReason).toContain('kept for the syncs: 4320/month');
      expect(paused.plannedCalls).toBe(8); // 14,400 minutes, 2,000 a call
      expect((await control.stats('data-api')).totalRequests).toBe(5);

      // The next tick (not yet past its next one) gets all its calls from what the backfill left.
      const r = await tick(hour);
      expect(r.synced).toBe(6);
      expect(r.pages).toBe(6);
      expect(r.lagging).toBe(0);
      expect(r.cutShort).toBeUndefined();
      expect((await control.stats('data-api')).totalRequests).toBe(11);
    } finally {
      await handle.terminate('test done').catch(() => undefined);
    }
  }, 180_000);
});
