/**
 * Acceptance: one sync tick over 1,000 tracked series completes inside the history limits, and
 * its duration is reported. Own database (1,000 tracked series) and its own simulator. The
 * series are seeded as already backfilled up to four hours ago (initial backfills are proven in
 * operations.test.ts); the tick then brings every one to the last closed hour.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addRuntimeInstrument, listInstruments, SIM_MARKETS } from '../../simulator/sources/data-api/catalog';
import { dataApiSimulator, expectedSpotCandles } from '../../simulator/sources/data-api';
import { formatRateLimits } from '../../activities/rate-limits';
import { startSimulator, type RunningSimulator } from '../../simulator/server';
import type { SyncDatasetProgress } from '../../workflows/contracts/sync';
import { openTestEnv, startWorkers, type RunningWorkers, type TestEnv } from '../helpers/env';
import { storedSpotRows } from '../helpers/expected';

const N = 1_000;
const H = 3600;

let env: TestEnv;
let sim: RunningSimulator;
let workers: RunningWorkers;

beforeAll(async () => {
  env = await openTestEnv('sync-scale', { ownDatabase: true });
  sim = await startSimulator({ port: 0, sources: [dataApiSimulator] });
  workers = await startWorkers(env, {
    DATA_API_BASE_URL: `${sim.url}/data-api`,
    DATA_API_KEY: `scale-${randomUUID()}`,
    DATA_API_RATE_LIMITS: formatRateLimits(dataApiSimulator.defaultLimits),
    INGEST_MAX_CONCURRENT_ACTIVITIES: '8',
  });
});
afterAll(async () => {
  await workers?.stop();
  await sim?.close();
  await env?.close();
});

describe('one sync tick over 1,000 tracked series', () => {
  it('completes, brings every series to the last closed period, and stays far inside the history limits', async () => {
    const now = Math.floor(Date.now() / 1000);
    const hour = Math.floor(now / H) * H;
    const listedBefore = hour - 30 * 86_400;
    const series: Array<{ market: string; instrument: string }> = [];
    for (const market of SIM_MARKETS) {
      for (const i of listInstruments(market)) {
        if (i.listedAt < listedBefore && i.retiredAt === undefined) series.push({ market, instrument: i.mapped });
      }
    }
    // One delisted instrument on purpose: it must fail alone, not the tick.
    const retired = SIM_MARKETS.flatMap((m) => listInstruments(m).filter((i) => i.retiredAt !== undefined))[0]!;
    series.push({ market: retired.market, instrument: retired.mapped });
    for (let k = 0; series.length < N; k++) {
      const instrument = `S${String(k).padStart(4, '0')}-USD`;
      addRuntimeInstrument({ market: 'kraken', instrument, listedAt: listedBefore }, now);
      series.push({ market: 'kraken', instrument });
    }
    expect(series).toHaveLength(N);

    // Seed: tracked, initial backfill done, stored (and final) up to four hours ago.
    const seeded = hour - 4 * H;
    const rows = JSON.stringify(series.map((s) => ({ market: s.market, instrument: s.instrument })));
    await env.pool.query(
      `INSERT INTO tracked_series (source, dataset, market, instrument, interval, origin, backfill_from, backfilled_at)
       SELECT 'data-api', 'spot-ohlcv', market, instrument, '1h', 'test:scale', to_timestamp($2), now()
       FROM jsonb_to_recordset($1::jsonb) AS x(market text, instrument text)`,
      [rows, hour - 86_400],
    );
    await env.pool.query(
      `INSERT INTO series_watermarks (source, dataset, market, instrument, interval, first_ts, last_ts, last_final_ts)
       SELECT 'data-api', 'spot-ohlcv', market, instrument, '1h', to_timestamp($2), to_timestamp($3), to_timestamp($3)
       FROM jsonb_to_recordset($1::jsonb) AS x(market text, instrument text)`,
      [rows, hour - 86_400, seeded],
    );

    const started = Date.now();
    const handle = await env.client.workflow.start('syncDataset', {
      taskQueue: env.taskQueue,
      workflowId: `test-sync-scale/${randomUUID()}`,
      args: [{ source: 'data-api', dataset: 'spot-ohlcv', interval: '1h', asOf: new Date(now * 1000).toISOString() }],
    });
    const result: SyncDatasetProgress = await handle.result();
    const seconds = (Date.now() - started) / 1000;
    const history = (await handle.describe()).historyLength;
    console.log(
      `[scale] one tick over ${result.series} series: ${seconds.toFixed(1)} s, ${result.pages} requests, ` +
        `${result.rowsInserted} rows new, ${result.batches} batches, workflow history ${history} events ` +
        `(server suggests continue-as-new at 4,096 and terminates at 51,200)`,
    );
    expect(result).toMatchObject({
      status: 'completed',
      series: N,
      synced: N - 1,
      upToDate: N - 1,
      pendingBackfill: 0,
      failed: 1,
    });
    expect(result.failures[0]).toMatchObject({
      series: expect.stringContaining(retired.mapped),
      type: 'DataInvariantError',
    });
    expect(history).toBeLessThan(500);
    expect(result.pages).toBe(N - 1);

    // Every series is at the last closed hour (its open hour stored provisional).
    const behind = await env.pool.query(
      `SELECT count(*)::int AS n FROM series_watermarks WHERE last_final_ts < to_timestamp($1) AND instrument <> $2`,
      [hour - H, retired.mapped],
    );
    expect(behind.rows[0].n).toBe(0);
    // And the data is right, e.g. for the first and a runtime-listed series.
    for (const s of [series[0]!, series.at(-1)!]) {
      const key = {
        source: 'data-api',
        dataset: 'spot-ohlcv',
        market: s.market,
        instrument: s.instrument,
        interval: '1h' as const,
      };
      const stored = await storedSpotRows(env.pool, key, seeded - 2 * H, hour);
      const expected = expectedSpotCandles(s.market, s.instrument, '1h', seeded - 2 * H, hour);
      expect(stored.map((r) => [r.ts, r.close, r.is_final])).toEqual(expected.map((e) => [e.TIMESTAMP, e.CLOSE, true]));
    }
  }, 300_000);
});
