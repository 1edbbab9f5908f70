/**
 * Acceptance: two worker processes backfilling together against an API limit of N calls per
 * second and M per minute. The simulator's own counters must show no window exceeded and zero
 * 429s, and the run must use at least 90% of the binding window. The test has its own simulator
 * (so its limits touch no other test) and its own API key (so its budget is its own).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatorControl } from '../../simulator/control-client';
import { startSimulator, type RunningSimulator } from '../../simulator/server';
import { dataApiSimulator } from '../../simulator/sources/data-api';
import { listInstruments } from '../../simulator/sources/data-api/catalog';
import { backfillWorkflowId } from '../../workflows/contracts/ids';
import type { SeriesKey } from '../../workflows/contracts/series';
import { openTestEnv, startWorkerProcess, type TestEnv, type WorkerProcess } from '../helpers/env';
import { storedSpotRows, expectedSpotRows } from '../helpers/expected';

const N = 4; // per second
const M = 30; // per minute: the binding window (4/s would allow 240/min)

let env: TestEnv;
let sim: RunningSimulator;
let control: SimulatorControl;
const workers: WorkerProcess[] = [];

beforeAll(async () => {
  env = await openTestEnv('fleet');
  sim = await startSimulator({ port: 0, sources: [dataApiSimulator] });
  control = new SimulatorControl(sim.url);
  await control.setLimits('data-api', { second: N, minute: M });
  const workerEnv = {
    DATA_API_BASE_URL: `${sim.url}/data-api`,
    DATA_API_KEY: `fleet-test-${randomUUID()}`,
    DATA_API_RATE_LIMITS: `second=${N},minute=${M}`,
  };
  workers.push(await startWorkerProcess(env, workerEnv), await startWorkerProcess(env, workerEnv));
});

afterAll(async () => {
  for (const w of workers) w.child.kill('SIGTERM');
  await Promise.all(workers.map((w) => w.exited));
  await sim?.close();
  await env?.close();
});

describe('rate budget across the fleet', () => {
  it(`two workers keep to ${N}/s and ${M}/min together, with zero 429s, using ≥ 90% of the binding window`, async () => {
    // 24 series × 3 pages (1h, 5000 periods) = 72 calls: more than two minute-windows' worth.
    const from = Date.UTC(2023, 0, 1) / 1000;
    const to = from + 5_000 * 3600;
    const series: SeriesKey[] = [];
    for (const market of ['kraken', 'coinbase', 'bitstamp', 'bitfinex']) {
      const listed = listInstruments(market).filter((i) => i.listedAt < from);
      for (const i of listed.slice(0, 6)) {
        series.push({ source: 'data-api', dataset: 'spot-ohlcv', market, instrument: i.mapped, interval: '1h' });
      }
    }
    expect(series).toHaveLength(24);
    const started = Date.now();
    const handles = await Promise.all(
      series.map((s) =>
        env.client.workflow.start('backfillSeries', {
          taskQueue: env.taskQueue,
          workflowId: `fleet/${backfillWorkflowId(s, from, to)}`,
          args: [
            {
              ...s,
              from: new Date(from * 1000).toISOString(),
              to: new Date(to * 1000).toISOString(),
              options: { pagesPerActivity: 1 },
            },
          ],
        }),
      ),
    );
    const results = await Promise.all(handles.map((h) => h.result()));
    const seconds = (Date.now() - started) / 1000;
    expect(results.every((r) => r.status === 'completed')).toBe(true);

    const stats = await control.stats('data-api');
    const calls = stats.served;
    const secondUse = stats.windows.second.maxServedAllClients;
    const minuteUse = stats.windows.minute.maxServedAllClients;
    console.log(
      `[fleet] ${calls} calls by 2 workers in ${seconds.toFixed(1)} s; busiest second ${secondUse}/${N}, ` +
        `busiest minute ${minuteUse}/${M} (binding window utilization ${((minuteUse / M) * 100).toFixed(0)}%); ` +
        `429s ${stats.rateLimitRejections}; workflow pauses ${results.reduce((n, r) => n + (r.pauses ?? 0), 0)}`,
    );
    expect(calls).toBeGreaterThanOrEqual(72);
    expect(stats.rateLimitRejections).toBe(0);
    expect(stats.byStatus['429'] ?? 0).toBe(0);
    expect(secondUse).toBeLessThanOrEqual(N);
    expect(minuteUse).toBeLessThanOrEqual(M);
    expect(minuteUse / M).toBeGreaterThanOrEqual(0.9);

    // Both workers did the work, and the data is exact.
    const identities = new Set<string>();
    for (const h of handles) {
      for (const e of (await h.fetchHistory()).events ?? []) {
        const id = e.activityTaskStartedEventAttributes?.identity;
        if (id && e.activityTaskStartedEventAttributes) identities.add(id);
      }
    }
    expect(identities.size).toBe(2);
    const sample = series[5]!;
    expect(await storedSpotRows(env.pool, sample, from, to)).toEqual(expectedSpotRows(sample, from, to));
  }, 400_000);
});
