/**
 * The service running by itself: the tracked universe resolved from a config and backfilled
 * without anyone starting anything; a Temporal Schedule tick (triggered with the real `temporal
 * schedule trigger`) bringing every tracked series up to the last closed period, a later tick
 * finalizing the provisional candle; a newly listed instrument picked up; holes reported and
 * repaired; periods the API confirms empty certified. Own database (the universe is one table).
 */
import { randomUUID } from 'node:crypto';
import { ScheduleOverlapPolicy } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addRuntimeInstrument, findInstrument } from '../../simulator/sources/data-api/catalog';
import { expectedSpotCandles } from '../../simulator/sources/data-api';
import type { RepairCoverageProgress } from '../../workflows/contracts/repair';
import type { SyncDatasetProgress } from '../../workflows/contracts/sync';
import type { RefreshUniverseProgress, UniverseConfig } from '../../workflows/contracts/universe';
import { universeBackfillWorkflowId } from '../../workflows/contracts/ids';
import type { Interval, SeriesKey } from '../../workflows/contracts/series';
import { openTestEnv, startWorkers, temporalCli, waitFor, type RunningWorkers, type TestEnv } from '../helpers/env';
import { storedSpotRows } from '../helpers/expected';

let env: TestEnv;
let workers: RunningWorkers;
const schedules: string[] = [];

beforeAll(async () => {
  env = await openTestEnv('operations', { ownDatabase: true });
  workers = await startWorkers(env, { DATA_API_KEY: `operations-${randomUUID()}` });
});
afterAll(async () => {
  for (const id of schedules)
    await env.client.schedule
      .getHandle(id)
      .delete()
      .catch(() => undefined);
  await workers?.stop();
  await env?.close();
});

const MINUTE = 60;
const now = () => Math.floor(Date.now() / 1000);
const spot = (market: string, instrument: string, interval: Interval): SeriesKey => ({
  source: 'data-api',
  dataset: 'spot-ohlcv',
  market,
  instrument,
  interval,
});

/** The new listing of the test (a name no catalogue has), listed three days ago. */
const NEW_BASE = `ZZ${randomUUID()
  .slice(0, 4)
  .toUpperCase()
  .replace(/[^A-Z0-9]/g, 'Q')}`;
const NEW_INSTRUMENT = `${NEW_BASE}-USDT`;

const config: UniverseConfig = {
  version: 1,
  references: [{ source: 'data-api', dataset: 'spot-instruments', params: { markets: ['okex'] } }],
  track: [
    {
      name: 'minutes',
      source: 'data-api',
      dataset: 'spot-ohlcv',
      intervals: ['1m'],
      instruments: [
        { market: 'okex', instrument: 'BTC-USDT' },
        { market: 'okex', instrument: 'ETH-USDT' },
      ],
      horizon: 'P1D',
    },
    {
      name: 'new-listings',
      source: 'data-api',
      dataset: 'spot-ohlcv',
      intervals: ['1h'],
      select: { markets: ['okex'], bases: [NEW_BASE], quotes: ['USDT'] },
      horizon: 'listing',
    },
  ],
};

async function refreshUniverseNow(): Promise<RefreshUniverseProgress> {
  return env.client.workflow.execute('refreshUniverse', {
    taskQueue: env.taskQueue,
    workflowId: `test-universe/${randomUUID()}`,
    args: [{ config }],
  });
}

async function waitForUniverseBackfill() {
  const handle = env.client.workflow.getHandle(universeBackfillWorkflowId('pending'));
  return handle.result();
}

/** Create a paused schedule for a sync (this file's task queue) and return its id. */
async function syncSchedule(interval: Interval): Promise<string> {
  const scheduleId = `test-sync/${interval}/${randomUUID()}`;
  await env.client.schedule.create({
    scheduleId,
    spec: { intervals: [{ every: interval === '1m' ? '1m' : '1h' }] },
    action: {
      type: 'startWorkflow',
      workflowType: 'syncDataset',
      taskQueue: env.taskQueue,
      workflowId: scheduleId,
      args: [{ source: 'data-api', dataset: 'spot-ohlcv', interval }],
    },
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '10m' },
    state: { paused: true, note: 'driven by the test with temporal schedule trigger' },
  });
  schedules.push(scheduleId);
  return scheduleId;
}

/** Wait, if needed, until at most `latestSecond` seconds into the current minute. */
async function untilEarlyInMinute(latestSecond: number): Promise<void> {
  const into = (Date.now() / 1000) % MINUTE;
  if (into > latestSecond) await new Promise((r) => setTimeout(r, (MINUTE - into) * 1000 + 200));
}

/** `temporal schedule trigger` (the real CLI), then the result of the run it started. */
async function triggerAndWait(scheduleId: string, after: Set<string>): Promise<SyncDatasetProgress> {
  await temporalCli(['schedule', 'trigger', '--schedule-id', scheduleId]);
  const runId = await waitFor(
    async () => {
      for await (const wf of env.client.workflow.list({ query: `TemporalScheduledById = '${scheduleId}'` })) {
        if (!after.has(wf.workflowId)) return wf.workflowId;
      }
      return undefined;
    },
    20_000,
    'the triggered run to appear',
  );
  after.add(runId);
  return env.client.workflow.getHandle(runId).result();
}

describe('the tracked universe and incremental sync', () => {
  it('a universe refresh tracks the configured series and backfills them without anyone starting anything', async () => {
    const r = await refreshUniverseNow();
    expect(r).toMatchObject({ status: 'completed', references: 1, tracked: 2, added: 2, pendingBackfill: 2 });
    const backfill = await waitForUniverseBackfill();
    expect(backfill).toMatchObject({ status: 'completed', started: 2, completed: 2, failed: 0 });
    const tracked = await env.pool.query(
      `SELECT instrument, origin, backfilled_at IS NOT NULL AS done FROM tracked_series WHERE active ORDER BY instrument`,
    );
    expect(tracked.rows).toEqual([
      { instrument: 'BTC-USDT', origin: 'config:minutes', done: true },
      { instrument: 'ETH-USDT', origin: 'config:minutes', done: true },
    ]);
  });

  it('a schedule tick brings every tracked series up to the last closed period; a later tick finalizes the provisional candle', async () => {
    const scheduleId = await syncSchedule('1m');
    const seen = new Set<string>();
    // The open period is provisional only if the tick's fetch happens in the same minute as its
    // nominal time: start early in a minute so a slow machine cannot carry it over the boundary
    // (the candle would then rightly be final, and the assertion below would race the clock).
    await untilEarlyInMinute(35);
    const first = await triggerAndWait(scheduleId, seen);
    expect(first).toMatchObject({ status: 'completed', series: 2, synced: 2, upToDate: 2, pendingBackfill: 0 });
    const asOf = Date.parse(first.asOf!) / 1000;
    const open = Math.floor(asOf / MINUTE) * MINUTE; // the period still forming at the tick
    for (const instrument of ['BTC-USDT', 'ETH-USDT']) {
      const s = spot('okex', instrument, '1m');
      const start = (
        await env.pool.query(
          `SELECT extract(epoch FROM backfill_from)::float8 AS f FROM tracked_series WHERE instrument = $1`,
          [instrument],
        )
      ).rows[0].f as number;
      const stored = await storedSpotRows(env.pool, s, start, open + MINUTE);
      const expected = expectedSpotCandles('okex', instrument, '1m', start, open);
      // Every closed period up to the tick, exactly; the open one stored, provisional.
      expect(stored.slice(0, -1)).toEqual(
        expected.map((e) => expect.objectContaining({ ts: e.TIMESTAMP, close: e.CLOSE, is_final: true })),
      );
      expect(stored.at(-1)).toMatchObject({ ts: open, is_final: false });
    }

    // The next minute: the period has closed; the next tick (lookback) finalizes it.
    await new Promise((r) => setTimeout(r, Math.max(0, (open + MINUTE) * 1000 - Date.now()) + 2_000));
    const second = await triggerAndWait(scheduleId, seen);
    expect(second.rowsUpdated).toBeGreaterThanOrEqual(2); // at least the two provisional candles
    for (const instrument of ['BTC-USDT', 'ETH-USDT']) {
      const row = (await storedSpotRows(env.pool, spot('okex', instrument, '1m'), open, open + MINUTE))[0]!;
      const final = expectedSpotCandles('okex', instrument, '1m', open, open + MINUTE)[0]!;
      expect(row).toMatchObject({ ts: open, is_final: true, close: final.CLOSE, volume: final.VOLUME });
    }
  }, 240_000);

  it("a tick syncs up to the schedule's nominal time, not the time it ran (temporal schedule backfill of a past minute)", async () => {
    const scheduleId = await syncSchedule('1m');
    const nominal = (Math.floor(now() / MINUTE) - 15) * MINUTE; // a tick 15 minutes ago
    // As if the series had last been synced half an hour before that tick.
    await env.pool.query(
      `UPDATE series_watermarks SET last_ts = to_timestamp($1), last_final_ts = to_timestamp($1)
       WHERE source = 'data-api' AND dataset = 'spot-ohlcv' AND market = 'okex' AND interval = '1m'`,
      [nominal - 30 * MINUTE],
    );
    await temporalCli([
      'schedule',
      'backfill',
      '--schedule-id',
      scheduleId,
      '--start-time',
      new Date((nominal - 1) * 1000).toISOString(),
      '--end-time',
      new Date((nominal + 1) * 1000).toISOString(),
      '--overlap-policy',
      'AllowAll',
    ]);
    const runId = await waitFor(
      async () => {
        for await (const wf of env.client.workflow.list({ query: `TemporalScheduledById = '${scheduleId}'` }))
          return wf.workflowId;
        return undefined;
      },
      20_000,
      'the backfilled tick to appear',
    );
    const handle = env.client.workflow.getHandle(runId);
    const result = (await handle.result()) as SyncDatasetProgress;
    const started = (await handle.describe()).startTime.getTime() / 1000;
    expect(started - nominal).toBeGreaterThan(14 * MINUTE); // it really ran late
    expect(result).toMatchObject({
      status: 'completed',
      asOf: new Date(nominal * 1000).toISOString(),
      series: 2,
      synced: 2,
      failed: 0,
      rowsInserted: 0, // every period up to now is stored already
    });
    expect(result.rowsUnchanged).toBeGreaterThan(0);
    // It read from the watermark up to its nominal period, and not one period further.
    const windows = await env.pool.query(
      `SELECT extract(epoch FROM min(window_from))::float8 AS first, extract(epoch FROM max(window_to))::float8 AS last
       FROM ingestion_runs WHERE workflow_id = $1`,
      [runId],
    );
    expect(windows.rows[0]).toEqual({ first: nominal - 30 * MINUTE + MINUTE - 10 * MINUTE, last: nominal + MINUTE });
  });

  it('a newly listed instrument is tracked and backfilled from its listing by the next universe refresh', async () => {
    const listedAt = Math.floor(now() / 86_400) * 86_400 - 3 * 86_400;
    // List it on the simulator (and here, so the expected rows know the listing too).
    await env.sim.sourceControl('data-api', 'instruments', { market: 'okex', instrument: NEW_INSTRUMENT, listedAt });
    if (!findInstrument('okex', NEW_INSTRUMENT))
      addRuntimeInstrument({ market: 'okex', instrument: NEW_INSTRUMENT, listedAt }, now());
    const r = await refreshUniverseNow();
    expect(r).toMatchObject({ tracked: 3, added: 1 });
    const backfill = await waitForUniverseBackfill();
    expect(backfill).toMatchObject({ completed: 1, failed: 0 });
    const asOf = Date.parse(backfill.asOf!) / 1000;
    const end = Math.floor(asOf / 3600) * 3600;
    const s = spot('okex', NEW_INSTRUMENT, '1h');
    const stored = await storedSpotRows(env.pool, s, 0, end);
    expect(stored.length).toBe((end - listedAt) / 3600);
    expect(stored.map((x) => [x.ts, x.close])).toEqual(
      expectedSpotCandles('okex', NEW_INSTRUMENT, '1h', listedAt, end).map((e) => [e.TIMESTAMP, e.CLOSE]),
    );
  });
  it("an explicit instrument its market's instruments reference does not list is reported, not tracked", async () => {
    const typo = { market: 'okex', instrument: 'NOPE-USDT' };
    const unreferenced = { market: `nowhere-${randomUUID().slice(0, 6)}`, instrument: 'BTC-USD' }; // no reference: trusted
    const r = await env.client.workflow.execute('refreshUniverse', {
      taskQueue: env.taskQueue,
      workflowId: `test-universe/${randomUUID()}`,
      args: [
        {
          config: {
            ...config,
            track: [
              ...config.track,
              {
                name: 'typo',
                source: 'data-api',
                dataset: 'spot-ohlcv',
                intervals: ['1d'],
                instruments: [typo, unreferenced],
              },
            ],
          },
        },
      ],
    });
    expect(r).toMatchObject({ unlisted: ['data-api/spot-ohlcv/okex/NOPE-USDT'], added: 1 });
    const tracked = await env.pool.query(`SELECT market FROM tracked_series WHERE origin = 'config:typo' AND active`);
    expect(tracked.rows).toEqual([{ market: unreferenced.market }]);
    // Back to the test's universe (the unreferenced one untracked again, its backfill left to fail alone).
    await refreshUniverseNow();
  });
});

describe('coverage: holes reported and repaired, empty periods certified', () => {
  const s = spot('okex', NEW_INSTRUMENT, '1h');

  /** Where the series' coverage starts (its `backfill_from`). */
  async function coverageStart(): Promise<number> {
    const r = await env.pool.query<{ f: number }>(
      `SELECT extract(epoch FROM backfill_from)::float8 AS f FROM tracked_series WHERE instrument = $1 AND interval = '1h'`,
      [NEW_INSTRUMENT],
    );
    return r.rows[0]!.f;
  }

  async function repair(input: Record<string, unknown>): Promise<RepairCoverageProgress> {
    return env.client.workflow.execute('repairCoverage', {
      taskQueue: env.taskQueue,
      workflowId: `test-repair/${randomUUID()}`,
      args: [{ source: 'data-api', dataset: 'spot-ohlcv', interval: '1h', since: '2000-01-01T00:00:00Z', ...input }],
    });
  }

  it('holes punched into the fact table are reported by the gap report and closed by the repair workflow', async () => {
    const start = await coverageStart();
    const day2 = start + 86_400;
    // Punch: two scattered hours and the whole second day.
    await env.pool.query(
      `DELETE FROM spot_ohlcv WHERE market = 'okex' AND instrument = $1 AND interval = '1h'
         AND (ts IN (to_timestamp($2), to_timestamp($3)) OR (ts >= to_timestamp($4) AND ts < to_timestamp($5)))`,
      [NEW_INSTRUMENT, start + 5 * 3600, start + 7 * 3600, day2, day2 + 86_400],
    );
    const audit = await repair({ dryRun: true });
    expect(audit).toMatchObject({ status: 'completed', missing: 26, ranges: 3, filled: 0 });
    const gaps = await env.pool.query(
      `SELECT day::text, expected, present, missing FROM coverage_gaps
       WHERE instrument = $1 AND interval = '1h' ORDER BY day`,
      [NEW_INSTRUMENT],
    );
    const d = (t: number) => new Date(t * 1000).toISOString().slice(0, 10);
    expect(gaps.rows).toEqual([
      { day: d(start), expected: 24, present: 22, missing: 2 },
      { day: d(day2), expected: 24, present: 0, missing: 24 },
    ]);

    const repaired = await repair({});
    expect(repaired).toMatchObject({ status: 'completed', missing: 26, filled: 26, certified: 0, remaining: 0 });
    expect(
      (await env.pool.query(`SELECT count(*)::int AS n FROM coverage_gaps WHERE instrument = $1`, [NEW_INSTRUMENT]))
        .rows[0].n,
    ).toBe(0);
    const end = Math.floor(now() / 3600) * 3600 - 3600;
    const stored = await storedSpotRows(env.pool, s, start, end);
    expect(stored.map((x) => [x.ts, x.close, x.volume])).toEqual(
      expectedSpotCandles('okex', NEW_INSTRUMENT, '1h', start, end).map((e) => [e.TIMESTAMP, e.CLOSE, e.VOLUME]),
    );
  });

  it('an audit as of a past instant counts only the periods closed by then, on its last day too', async () => {
    // Regression (chaos): the audit's count came from the report as of now, so the rest of the
    // as-of day (not yet due) counted as missing, and a repair as of then never reached 0.
    const start = await coverageStart();
    const asOf = start + 86_400 + 10 * 3600 + 1800; // day 2, 10:30
    await env.pool.query(
      `DELETE FROM spot_ohlcv WHERE market = 'okex' AND instrument = $1 AND interval = '1h'
         AND ts >= to_timestamp($2) AND ts < to_timestamp($3)`,
      [NEW_INSTRUMENT, asOf + 1800, start + 2 * 86_400], // 11:00 to the end of day 2
    );
    const audit = await repair({ dryRun: true, asOf: new Date(asOf * 1000).toISOString() });
    expect(audit).toMatchObject({ status: 'completed', missing: 0, ranges: 0 });
    // As of now, those 13 hours are holes, and the repair closes them.
    expect(await repair({})).toMatchObject({ status: 'completed', missing: 13, filled: 13, remaining: 0 });
  });

  it('periods the API confirms empty (before the listing) are certified, not holes', async () => {
    const start = await coverageStart();
    // Someone widens the series' coverage to a day before its listing.
    await env.pool.query(
      `UPDATE tracked_series SET backfill_from = to_timestamp($2) WHERE instrument = $1 AND interval = '1h'`,
      [NEW_INSTRUMENT, start - 86_400],
    );
    const before = await repair({ dryRun: true });
    expect(before.missing).toBe(24);
    const r = await repair({});
    expect(r).toMatchObject({ filled: 0, certified: 24, remaining: 0 });
    const cert = await env.pool.query(
      `SELECT count(*)::int AS n, count(DISTINCT response_sha256)::int AS evidence FROM coverage_certified_empty WHERE instrument = $1`,
      [NEW_INSTRUMENT],
    );
    expect(cert.rows[0]).toEqual({ n: 24, evidence: 1 });
    expect(
      (await env.pool.query(`SELECT count(*)::int AS n FROM coverage_gaps WHERE instrument = $1`, [NEW_INSTRUMENT]))
        .rows[0].n,
    ).toBe(0);
  });
});
