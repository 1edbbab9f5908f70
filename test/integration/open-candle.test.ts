/**
 * The open candle is provisional: the still-forming period is stored with is_final = false, a later
 * fetch (after it closed) finalizes it with its final values, and a provisional fetch never
 * overwrites a final row. The API's clock decides what is closed, so this file runs its own
 * simulator with a frozen clock (the shared one must keep real time for the other files).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataApiSimulator, expectedSpotCandles } from '../../simulator/sources/data-api';
import { SimulatorControl } from '../../simulator/control-client';
import { startSimulator, type RunningSimulator } from '../../simulator/server';
import type { BackfillSeriesInput, BackfillSeriesResult } from '../../workflows/contracts/backfill';
import { backfillWorkflowId } from '../../workflows/contracts/ids';
import type { SeriesKey } from '../../workflows/contracts/series';
import { openTestEnv, startWorkers, type RunningWorkers, type TestEnv } from '../helpers/env';
import { storedSpotRows } from '../helpers/expected';

let env: TestEnv;
let sim: RunningSimulator;
let control: SimulatorControl;
let workers: RunningWorkers;

beforeAll(async () => {
  env = await openTestEnv('open-candle');
  sim = await startSimulator({ port: 0, sources: [dataApiSimulator] });
  control = new SimulatorControl(sim.url);
  workers = await startWorkers(env, {
    DATA_API_BASE_URL: `${sim.url}/data-api`,
    DATA_API_KEY: `open-candle-${randomUUID()}`,
  });
});
afterAll(async () => {
  await workers?.stop();
  await sim?.close();
  await env?.close();
});

const H = 3600;
const day = Date.parse('2024-06-01T00:00:00Z') / 1000;
const s: SeriesKey = {
  source: 'data-api',
  dataset: 'spot-ohlcv',
  market: 'kraken',
  instrument: 'BTC-USD',
  interval: '1h',
};
const from = day;
const to = day + 13 * H; // up to and including the 12:00 period

async function run(suffix: string): Promise<BackfillSeriesResult> {
  // Each run is a fresh fetch of the range (the previous job's checkpoint is removed).
  await env.pool.query('DELETE FROM ingest_checkpoints WHERE job_id = $1', [backfillWorkflowId(s, from, to)]);
  const input: BackfillSeriesInput = {
    ...s,
    from: new Date(from * 1000).toISOString(),
    to: new Date(to * 1000).toISOString(),
  };
  return env.client.workflow.execute('backfillSeries', {
    taskQueue: env.taskQueue,
    workflowId: `${backfillWorkflowId(s, from, to)}/${suffix}`,
    args: [input],
  }) as Promise<BackfillSeriesResult>;
}

describe('the open candle', () => {
  it('is stored provisional, finalized by a later fetch, and never overwritten by a provisional one', async () => {
    const final = expectedSpotCandles(s.market, s.instrument, s.interval, from, to);
    expect(final).toHaveLength(13);

    // 12:30 on the API's clock: the 12:00 period is still forming.
    await control.setClock({ now: day + 12 * H + 30 * 60 });
    const first = await run('forming');
    expect(first.rowsInserted).toBe(13);
    let stored = await storedSpotRows(env.pool, s, from, to);
    expect(stored.map((r) => r.is_final)).toEqual([...Array(12).fill(true), false]);
    const provisional = stored[12]!;
    expect(provisional.close).not.toBe(final[12]!.CLOSE); // mid-period values differ from the close
    expect(stored.slice(0, 12).map((r) => r.close)).toEqual(final.slice(0, 12).map((r) => r.CLOSE));

    // 14:00: the period has closed; the next fetch finalizes it with its final values.
    await control.setClock({ now: day + 14 * H });
    const second = await run('closed');
    expect(second).toMatchObject({ rowsUpdated: 1, rowsUnchanged: 12 });
    stored = await storedSpotRows(env.pool, s, from, to);
    expect(stored.every((r) => r.is_final)).toBe(true);
    expect(stored[12]!.close).toBe(final[12]!.CLOSE);
    expect(stored[12]!.volume).toBe(final[12]!.VOLUME);

    // Back to 12:30 (a lagging replica, a late retry): the provisional fetch changes nothing.
    await control.setClock({ now: day + 12 * H + 30 * 60 });
    const third = await run('late');
    expect(third).toMatchObject({ rowsInserted: 0, rowsUpdated: 0, rowsUnchanged: 13 });
    stored = await storedSpotRows(env.pool, s, from, to);
    expect(stored[12]).toMatchObject({ is_final: true, close: final[12]!.CLOSE });
  });
});
