/**
 * Issue 11, reconciliation, on the real stack: the Data API's spot OHLCV of kraken BTC-USD and the
 * min-api's Kraken BTC-USD candles, both backfilled from their twins and tracked. The test makes the
 * two agree for one day, then plants disagreements (one close 1% off, one volume 20% off, one close
 * 0.05% off: inside the tolerance); `reconcileSources` reports exactly the two beyond it, with both
 * values, and a later run resolves the one that was fixed.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataApiSimulator } from '../../simulator/sources/data-api';
import { minApiSimulator } from '../../simulator/sources/min-api';
import { startSimulator, type RunningSimulator } from '../../simulator/server';
import type { ReconcileProgress } from '../../workflows/contracts/reconcile';
import { openTestEnv, runCli, startWorkerProcess, type TestEnv, type WorkerProcess } from '../helpers/env';

let env: TestEnv;
let sim: RunningSimulator;
let worker: WorkerProcess;

beforeAll(async () => {
  env = await openTestEnv('reconcile', { ownDatabase: true });
  sim = await startSimulator({ port: 0, sources: [dataApiSimulator, minApiSimulator] });
  worker = await startWorkerProcess(env, {
    DATA_API_BASE_URL: `${sim.url}/data-api`,
    DATA_API_KEY: `reconcile-${randomUUID()}`,
    MIN_API_BASE_URL: `${sim.url}/min-api`,
  });
});

afterAll(async () => {
  worker?.child.kill('SIGTERM');
  await worker?.exited;
  await sim?.close();
  await env?.close();
});

const DAY = '2024-05-01T00:00:00Z';
const NEXT = '2024-05-02T00:00:00Z';

const backfill = (source: string, dataset: string, market: string) =>
  env.client.workflow.execute('backfillSeries', {
    taskQueue: env.taskQueue,
    workflowId: `test-reconcile/backfill/${randomUUID()}`,
    args: [{ source, dataset, market, instrument: 'BTC-USD', interval: '1h', from: DAY, to: NEXT }],
  });

const reconcile = async (): Promise<ReconcileProgress> =>
  (await env.client.workflow.execute('reconcileSources', {
    taskQueue: env.taskQueue,
    workflowId: `test-reconcile/${randomUUID()}`,
    args: [{ asOf: '2024-05-02T06:00:00Z', days: 1 }],
  })) as ReconcileProgress;

const openDiffs = async () =>
  (
    await env.pool.query<{
      h: number;
      column_name: string;
      left_value: number;
      right_value: number;
      resolved: boolean;
    }>(
      `SELECT extract(hour FROM ts AT TIME ZONE 'UTC')::int AS h, column_name, left_value, right_value,
              resolved_at IS NOT NULL AS resolved
       FROM reconcile_diffs ORDER BY ts, column_name`,
    )
  ).rows;

describe('reconciliation of two sources holding the same series', () => {
  it('reports the planted disagreements beyond the tolerance, with both values, and resolves a fixed one', async () => {
    await backfill('data-api', 'spot-ohlcv', 'kraken');
    await backfill('min-api', 'histo-ohlcv', 'Kraken');
    await env.pool.query(
      `INSERT INTO tracked_series (source, dataset, market, instrument, interval, origin, backfill_from, backfilled_at)
       VALUES ('data-api', 'spot-ohlcv', 'kraken', 'BTC-USD', '1h', 'test:reconcile', $1, now()),
              ('min-api', 'histo-ohlcv', 'Kraken', 'BTC-USD', '1h', 'test:reconcile', $1, now())`,
      [DAY],
    );
    // The twins are independent: make the min-api's day agree with the Data API's, then plant.
    const agreed = await env.pool.query(
      `UPDATE minapi_ohlcv m SET close = s.close, volume_from = s.volume
       FROM spot_ohlcv s
       WHERE m.exchange = 'Kraken' AND m.fsym = 'BTC' AND m.tsym = 'USD' AND m.interval = '1h'
         AND s.market = 'kraken' AND s.instrument = 'BTC-USD' AND s.interval = '1h' AND s.ts = m.ts
         AND m.ts >= $1 AND m.ts < $2`,
      [DAY, NEXT],
    );
    expect(agreed.rowCount).toBe(24);
    const plant = (hour: number, set: string) =>
      env.pool.query(
        `UPDATE minapi_ohlcv SET ${set} WHERE exchange = 'Kraken' AND fsym = 'BTC' AND tsym = 'USD' AND interval = '1h'
           AND ts = $1::timestamptz + make_interval(hours => $2)`,
        [DAY, hour],
      );
    await plant(5, 'close = close * 1.01');
    await plant(10, 'volume_from = volume_from * 1.2');
    await plant(15, 'close = close * 1.0005'); // 0.05%: inside the 0.1% tolerance

    const first = await reconcile();
    expect(first).toMatchObject({
      status: 'completed',
      since: '2024-05-01T00:00:00.000Z',
      asOf: '2024-05-02T00:00:00.000Z',
      pairs: 1,
      compared: 24,
      disagreements: 2,
      resolved: 0,
    });
    const diffs = await openDiffs();
    expect(diffs.map((d) => [d.h, d.column_name, d.resolved])).toEqual([
      [5, 'close', false],
      [10, 'volume', false],
    ]);
    expect(diffs[0]!.right_value / diffs[0]!.left_value).toBeCloseTo(1.01, 10);
    expect(diffs[1]!.right_value / diffs[1]!.left_value).toBeCloseTo(1.2, 10);

    // The close is fixed at the source; the next run resolves it and still sees the volume.
    await plant(5, 'close = close / 1.01');
    const second = await reconcile();
    expect(second).toMatchObject({ pairs: 1, compared: 24, disagreements: 1, resolved: 1 });
    expect((await openDiffs()).map((d) => [d.h, d.column_name, d.resolved])).toEqual([
      [5, 'close', true],
      [10, 'volume', false],
    ]);

    // The CLI starts the same workflow (bad options are named before anything starts).
    const bad = await runCli(env, ['reconcile', '--days', '40', '--close-tolerance', '2']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("--close-tolerance '2' is not a fraction from 0 to 1");
  }, 180_000);
});
