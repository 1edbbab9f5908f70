/**
 * The plan's numbers are what happens: the calls `crypto-ingest universe plan` counts for the
 * pending backfills of a config are the requests a private Data API twin then serves when those
 * backfills run (real CLI, real worker process, real PostgreSQL of its own).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimulatorControl } from '../../simulator/control-client';
import type { RunningSimulator } from '../../simulator/server';
import type { UniverseConfig } from '../../workflows/contracts/universe';
import { openDataApiTwinEnv, runCli, type TestEnv, type TwinEnv } from '../helpers/env';

let env: TestEnv;
let sim: RunningSimulator;
let control: SimulatorControl;

let twin: TwinEnv | undefined;

beforeAll(async () => {
  // Its own database and its own twin (its stats count this file's calls only).
  twin = await openDataApiTwinEnv('plan');
  ({ env, sim, control } = twin);
});

afterAll(async () => {
  await twin?.close();
});

/** The operator CLI with this file's database, pointed at this file's twin. */
const cli = (args: string[]) => runCli(env, args, { DATA_API_BASE_URL: `${sim.url}/data-api` });

describe('universe plan vs. what the backfills then ask', () => {
  it("the plan's backfill calls are the requests the twin serves for them", async () => {
    const config: UniverseConfig = {
      version: 1,
      references: [],
      track: [
        {
          name: 'plan-check',
          source: 'data-api',
          dataset: 'spot-ohlcv',
          intervals: ['1m', '1h'],
          instruments: [{ market: 'kraken', instrument: 'BTC-USD' }],
          horizon: 'P5D',
        },
      ],
    };
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'plan-')), 'universe.json');
    writeFileSync(file, JSON.stringify(config));
    const r = await cli(['universe', 'plan', '--config', file, '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const plan = JSON.parse(r.stdout) as {
      asOf: string;
      sources: Array<{ backfills: { series: Array<{ series: string; from: string; calls: number }> } }>;
    };
    const backfills = plan.sources[0]!.backfills.series;
    expect(backfills.map((b) => b.series).sort()).toEqual([
      'spot-ohlcv/kraken/BTC-USD/1h',
      'spot-ohlcv/kraken/BTC-USD/1m',
    ]);
    const planned = backfills.reduce((n, b) => n + b.calls, 0);
    expect(planned).toBeGreaterThan(backfills.length); // 5 days of minutes: several pages

    await control.resetStats('data-api');
    for (const b of backfills) {
      const [, market, instrument, interval] = b.series.split('/');
      const run = await cli([
        'backfill',
        '--source',
        'data-api',
        '--dataset',
        'spot-ohlcv',
        '--market',
        market!,
        '--instrument',
        instrument!,
        '--interval',
        interval!,
        '--from',
        b.from,
        '--to',
        plan.asOf,
        '--task-queue',
        env.taskQueue,
        '--wait',
      ]);
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
    }
    const stats = await control.stats('data-api');
    expect(stats.totalRequests).toBe(planned);
  });
});
