/**
 * Guarantee 7 on the real stack: the API's own quota answer sets the pause. A private min-api twin
 * with a day quota of 3 calls answers the 4th call as the real API does (HTTP 200, Type 99, its
 * `RateLimit` report, no `Retry-After`, no `X-RateLimit-*`, keyless), with its clock set 25 s
 * before 00:00 UTC. The backfill pauses until the twin's day ends (not a default minute, and no
 * polling: the twin sees exactly one rejected call), says which window and until when, then
 * completes with exactly the twin's rows.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatorControl } from '../../simulator/control-client';
import { startSimulator, type RunningSimulator } from '../../simulator/server';
import { expectedHisto, minApiSimulator } from '../../simulator/sources/min-api';
import { progressQuery, type BackfillProgress, type BackfillSeriesResult } from '../../workflows/contracts/backfill';
import { backfillWorkflowId } from '../../workflows/contracts/ids';
import type { SeriesKey } from '../../workflows/contracts/series';
import { openTestEnv, startWorkerProcess, waitFor, type TestEnv, type WorkerProcess } from '../helpers/env';
import { expectedTableRows, storedTableRows, tableColumns } from '../helpers/tables';

let env: TestEnv;
let sim: RunningSimulator;
let control: SimulatorControl;
let worker: WorkerProcess;

beforeAll(async () => {
  // Its own database: the pause and the budget of the keyless `min-api` key touch no other test.
  env = await openTestEnv('quota', { ownDatabase: true });
  sim = await startSimulator({ port: 0, sources: [minApiSimulator] });
  control = new SimulatorControl(sim.url);
  worker = await startWorkerProcess(env, { MIN_API_BASE_URL: `${sim.url}/min-api`, MIN_API_KEY: '' });
});

afterAll(async () => {
  worker?.child.kill('SIGTERM');
  await worker?.exited;
  await sim?.close();
  await env?.close();
});

describe('a spent quota window', () => {
  it('pauses the source until the window the answer names resets, spends no call meanwhile, then completes', async () => {
    const H = 3600;
    const from = Date.UTC(2024, 0, 1) / 1000;
    const to = from + 10_000 * H; // 5 pages of 2,000 hours: calls 1–3 pass, the 4th is over the day quota
    const s: SeriesKey = {
      source: 'min-api',
      dataset: 'histo-ohlcv',
      market: 'CCCAGG',
      instrument: 'BTC-USD',
      interval: '1h',
    };

    const twinMidnight = Math.floor(Date.now() / 86_400_000) * 86_400 + 2 * 86_400;
    await control.setClock({ offsetSeconds: twinMidnight - 25 - Date.now() / 1000 });
    await control.setLimits('min-api', { day: 3 });
    const twinOffset = (await control.getClock()).offsetSeconds;

    const handle = await env.client.workflow.start('backfillSeries', {
      taskQueue: env.taskQueue,
      workflowId: backfillWorkflowId(s, from, to),
      args: [
        {
          ...s,
          from: new Date(from * 1000).toISOString(),
          to: new Date(to * 1000).toISOString(),
          options: { pagesPerActivity: 1 },
        },
      ],
    });

    const paused = await waitFor(
      async () => {
        const p = await handle.query(progressQuery).catch(() => undefined);
        return p?.status === 'paused' ? p : undefined;
      },
      60_000,
      'the backfill to pause',
    );
    expect(paused.pauseReason).toContain('quota spent: day window, 4 of 3 calls');
    // Until the twin's midnight, in real time (the twin's clock runs `twinOffset` seconds ahead).
    const expectedUntil = twinMidnight - twinOffset;
    expect(Math.abs(Date.parse(paused.pausedUntil!) / 1000 - expectedUntil)).toBeLessThan(3);
    const pause = await env.pool.query<{ reason: string }>(`SELECT reason FROM source_pauses WHERE source = 'min-api'`);
    expect(pause.rows[0]!.reason).toContain('day window');

    const result = (await handle.result()) as BackfillSeriesResult & BackfillProgress;
    expect(result.status).toBe('completed');
    expect(result.pauses).toBe(1);
    const stats = await control.stats('min-api');
    expect(stats.rateLimitRejections).toBe(1); // no polling of the spent window
    expect(stats.served).toBe(5); // the 5 pages; the rejected call is counted apart

    const columns = await tableColumns(env.pool, 'minapi_ohlcv');
    const expected = expectedTableRows(
      columns,
      ['exchange', 'fsym', 'tsym', 'interval'],
      expectedHisto('CCCAGG', 'BTC', 'USD', '1h', from, to) as unknown as Array<Record<string, unknown>>,
      (r) => r.volumefrom === 0 && r.volumeto === 0,
    );
    const stored = await storedTableRows(
      env.pool,
      'minapi_ohlcv',
      columns,
      { exchange: 'CCCAGG', fsym: 'BTC', tsym: 'USD', interval: '1h' },
      from,
      to,
    );
    expect(stored).toHaveLength(10_000);
    expect(stored).toEqual(expected);
  }, 180_000);
});
