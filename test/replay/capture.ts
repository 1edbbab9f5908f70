/**
 * Records the histories `replay.test.ts` replays: every workflow type run on the real stack (the
 * integration global setup: Temporal dev server, private PostgreSQL, simulator, real workers)
 * through realistic scenarios, each saved with `handle.fetchHistory()` as
 * `histories/<workflowType>--<scenario>.json`. Paths covered: a plain run, a rate-limit pause
 * (durable timer), continue-as-new, a failed run, children (universe refresh → reference refresh
 * and universe backfill → backfill), a child already running, a schedule tick, concurrent lanes.
 *
 * Not part of `npm test`: run with `npm run capture:histories` (config `capture.config.ts`, its
 * own data dir). An existing file is kept, never replaced (it may stand for runs still open):
 * `CAPTURE_TAG=<change-id>` records new files beside the old ones, `CAPTURE_OVERWRITE=1` replaces
 * them (only when no run of the old version can be open: docs/runbook.md). Each scenario asserts
 * that its run took the path it is meant to record.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BackfillSeriesInput, BackfillSeriesResult } from '../../workflows/contracts/backfill';
import { backfillWorkflowId, referenceWorkflowId, universeBackfillWorkflowId } from '../../workflows/contracts/ids';
import type { RefreshReferenceProgress } from '../../workflows/contracts/reference';
import type { RepairCoverageProgress } from '../../workflows/contracts/repair';
import type { SeriesKey } from '../../workflows/contracts/series';
import type { SyncDatasetProgress } from '../../workflows/contracts/sync';
import type { ExportProgress } from '../../workflows/contracts/export';
import type { ImportProgress } from '../../workflows/contracts/import';
import type { ReconcileProgress } from '../../workflows/contracts/reconcile';
import type { BackfillUniverseProgress } from '../../workflows/contracts/universe-backfill';
import type { RefreshUniverseProgress, UniverseConfig } from '../../workflows/contracts/universe';
import { openTestEnv, startWorkers, waitFor, type RunningWorkers, type TestEnv } from '../helpers/env';
import { historyFileName, startedAttributes, writeHistory, type History } from './history-files';

const TAG = process.env.CAPTURE_TAG ? `--${process.env.CAPTURE_TAG}` : '';
const OVERWRITE = process.env.CAPTURE_OVERWRITE === '1';
const sec = (iso: string) => Date.parse(iso) / 1000;

let env: TestEnv;
let workers: RunningWorkers | undefined;
const written: string[] = [];

beforeAll(async () => {
  // Own database: the tracked universe is one table.
  env = await openTestEnv('capture', { ownDatabase: true });
  workers = await startWorkers(env, { DATA_API_KEY: `capture-${randomUUID()}` });
});

afterAll(async () => {
  await env?.clearFaults();
  await workers?.stop();
  await env?.close();
  if (written.length) console.log(`[capture] ${written.join('\n[capture] ')}`);
});

type EventKind = keyof NonNullable<History['events']>[number];

function count(history: History, kind: EventKind): number {
  return (history.events ?? []).filter((e) => e[kind] != null).length;
}

function lastEvent(history: History) {
  const last = history.events?.at(-1);
  if (!last) throw new Error('empty history');
  return last;
}

/** Workflow IDs of the children a history started. */
function childIds(history: History): string[] {
  return (history.events ?? []).flatMap((e) => {
    const id = e.startChildWorkflowExecutionInitiatedEventAttributes?.workflowId;
    return id ? [id] : [];
  });
}

/**
 * Fetch a closed run's history (`runId` omitted: the latest run), check it is complete and names
 * its type and ID, and write it as `<type>--<scenario>.json`.
 */
async function save(workflowId: string, scenario: string, runId?: string): Promise<History> {
  const history = await env.client.workflow.getHandle(workflowId, runId).fetchHistory();
  const started = startedAttributes(history);
  expect(started.workflowId).toBe(workflowId);
  const last = lastEvent(history);
  const closed =
    last.workflowExecutionCompletedEventAttributes ??
    last.workflowExecutionFailedEventAttributes ??
    last.workflowExecutionContinuedAsNewEventAttributes;
  expect(closed, `${workflowId}: the run is closed, so its history is complete`).toBeTruthy();
  const file = historyFileName(started.workflowType!.name!, `${scenario}${TAG}`);
  const outcome = await writeHistory(file, history, { overwrite: OVERWRITE });
  written.push(`${outcome === 'written' ? 'wrote' : 'kept (exists)'} ${file} (${history.events?.length} events)`);
  return history;
}

function spot(market: string, instrument: string, interval: SeriesKey['interval']): SeriesKey {
  return { source: 'data-api', dataset: 'spot-ohlcv', market, instrument, interval };
}

function backfillInput(s: SeriesKey, from: string, to: string, options: BackfillSeriesInput['options'] = {}) {
  return { ...s, from, to, options: { heartbeatTimeout: '10s', ...options } };
}

async function startBackfill(i: BackfillSeriesInput) {
  const workflowId = backfillWorkflowId(i, sec(i.from), sec(i.to!));
  return env.client.workflow.start('backfillSeries', { taskQueue: env.taskQueue, workflowId, args: [i] });
}

const universe: UniverseConfig = {
  version: 1,
  references: [{ source: 'data-api', dataset: 'spot-instruments', params: { markets: ['okex'] } }],
  track: [
    {
      name: 'replay-capture',
      source: 'data-api',
      dataset: 'spot-ohlcv',
      intervals: ['1h'],
      instruments: [{ market: 'okex', instrument: 'BTC-USDT' }],
      horizon: 'P1D',
    },
  ],
  backfillConcurrency: 2,
};
const tracked = spot('okex', 'BTC-USDT', '1h');

describe('capture histories on the real stack', () => {
  it('backfillSeries: continue-as-new after each chunk (two runs, each its own history)', async () => {
    // 2,880 minutes = 2 pages of ≤ 2,000: one chunk per run, so the first run continues as new.
    const i = backfillInput(spot('kraken', 'ETH-USD', '1m'), '2024-01-01T00:00:00Z', '2024-01-03T00:00:00Z', {
      pagesPerActivity: 1,
      continueAsNewAfter: 1,
    });
    const handle = await startBackfill(i);
    const result: BackfillSeriesResult = await handle.result();
    expect(result).toMatchObject({ status: 'completed', runs: 2, pages: 2, rowsReceived: 2880 });
    const first = await save(handle.workflowId, 'continue-as-new-run-1', handle.firstExecutionRunId);
    expect(lastEvent(first).workflowExecutionContinuedAsNewEventAttributes).toBeTruthy();
    const second = await save(handle.workflowId, 'continue-as-new-run-2');
    expect(startedAttributes(second).continuedExecutionRunId).toBe(handle.firstExecutionRunId);
    expect(lastEvent(second).workflowExecutionCompletedEventAttributes).toBeTruthy();
  });

  it('backfillSeries: a 429 pauses the source; the workflow waits on a durable timer, then completes', async () => {
    const s = spot('bitfinex', 'LTC-USD', '1h');
    await env.addFault({
      kind: 'rate-limit',
      source: 'data-api',
      params: { market: s.market, instrument: s.instrument },
      count: 1,
      retryAfterSeconds: 1,
    });
    const handle = await startBackfill(backfillInput(s, '2024-03-01T00:00:00Z', '2024-03-04T00:00:00Z'));
    const result: BackfillSeriesResult = await handle.result();
    await env.clearFaults();
    expect(result).toMatchObject({ status: 'completed', pauses: 1, rowsReceived: 72 });
    const history = await save(handle.workflowId, 'rate-limit-pause');
    expect(count(history, 'timerStartedEventAttributes')).toBe(1);
  });

  it('backfillSeries: a malformed page fails the run with a non-retryable failure', async () => {
    const s = spot('okex', 'ADA-USDT', '1h');
    await env.addFault({
      kind: 'malformed',
      source: 'data-api',
      params: { market: s.market, instrument: s.instrument },
    });
    const handle = await startBackfill(backfillInput(s, '2024-01-01T00:00:00Z', '2024-01-03T00:00:00Z'));
    const err = await handle.result().catch((e: unknown) => e);
    await env.clearFaults();
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const history = await save(handle.workflowId, 'malformed-page-fails');
    expect(lastEvent(history).workflowExecutionFailedEventAttributes).toBeTruthy();
  });

  it('refreshReference: a 429 on the snapshot pauses it, then the snapshot completes', async () => {
    await env.addFault({
      kind: 'rate-limit',
      source: 'data-api',
      pathPrefix: '/spot/v1/markets/instruments',
      params: { market: 'kraken' },
      count: 1,
      retryAfterSeconds: 1,
    });
    const day = new Date().toISOString().slice(0, 10);
    const workflowId = referenceWorkflowId('data-api', 'spot-instruments', day, 'kraken');
    const result: RefreshReferenceProgress = await env.client.workflow.execute('refreshReference', {
      taskQueue: env.taskQueue,
      workflowId,
      args: [{ source: 'data-api', dataset: 'spot-instruments', params: { markets: ['kraken'] } }],
    });
    await env.clearFaults();
    expect(result).toMatchObject({ status: 'completed', pauses: 1 });
    expect(result.instruments).toBeGreaterThan(0);
    const history = await save(workflowId, 'rate-limit-pause');
    expect(count(history, 'timerStartedEventAttributes')).toBe(1);
  });

  it('refreshUniverse → refreshReference and backfillUniverse → backfillSeries (children); a second refresh finds the backfill running', async () => {
    // Slow the new series' first fetch, so the universe backfill is still running when the second
    // refresh tries to start it (that start fails with "already started", which the workflow expects).
    await env.addFault({
      kind: 'slow',
      source: 'data-api',
      params: { market: tracked.market, instrument: tracked.instrument },
      count: 1,
      delayMs: 8_000,
    });
    const firstId = 'replay-capture/refresh-universe/1';
    const first: RefreshUniverseProgress = await env.client.workflow.execute('refreshUniverse', {
      taskQueue: env.taskQueue,
      workflowId: firstId,
      args: [{ config: universe }],
    });
    expect(first).toMatchObject({ status: 'completed', references: 1, tracked: 1, added: 1, pendingBackfill: 1 });
    const secondId = 'replay-capture/refresh-universe/2';
    const second: RefreshUniverseProgress = await env.client.workflow.execute('refreshUniverse', {
      taskQueue: env.taskQueue,
      workflowId: secondId,
      args: [{ config: universe }],
    });
    expect(second).toMatchObject({ status: 'completed', added: 0, pendingBackfill: 1 });

    const backfillId = universeBackfillWorkflowId('pending');
    const backfill: BackfillUniverseProgress = await env.client.workflow.getHandle(backfillId).result();
    await env.clearFaults();
    expect(backfill).toMatchObject({ status: 'completed', started: 1, completed: 1, failed: 0 });

    const refresh = await save(firstId, 'tracks-new-series');
    const children = childIds(refresh);
    expect(children).toHaveLength(2); // the reference snapshot and the universe backfill
    expect(children[1]).toBe(backfillId);
    const again = await save(secondId, 'backfill-already-running');
    expect(count(again, 'startChildWorkflowExecutionFailedEventAttributes')).toBe(1);
    await save(children[0]!, 'universe-child');
    const universeBackfill = await save(backfillId, 'pending-series');
    const [seriesId] = childIds(universeBackfill);
    expect(seriesId).toMatch(/^backfill\/data-api\/spot-ohlcv\/okex\/BTC-USDT\/1h\//);
    const child = await save(seriesId!, 'universe-child');
    expect(startedAttributes(child).parentWorkflowExecution?.workflowId).toBe(backfillId);
  });

  it('backfillUniverse: an explicit range over the tracked series (as the CLI starts it)', async () => {
    const workflowId = 'universe-backfill/manual-replay-capture';
    const result: BackfillUniverseProgress = await env.client.workflow.execute('backfillUniverse', {
      taskQueue: env.taskQueue,
      workflowId,
      args: [
        {
          source: 'data-api',
          dataset: 'spot-ohlcv',
          interval: '1h',
          from: '2024-06-01T00:00:00Z',
          to: '2024-06-03T00:00:00Z',
          concurrency: 2,
        },
      ],
    });
    expect(result).toMatchObject({ status: 'completed', started: 1, completed: 1, rows: 48 });
    const history = await save(workflowId, 'explicit-range');
    expect(childIds(history)).toEqual([
      backfillWorkflowId(tracked, sec('2024-06-01T00:00:00Z'), sec('2024-06-03T00:00:00Z')),
    ]);
  });

  it('syncDataset: a schedule tick (nominal time from TemporalScheduledStartTime)', async () => {
    const scheduleId = 'replay-capture/sync/1h';
    const schedule = await env.client.schedule.create({
      scheduleId,
      spec: { intervals: [{ every: '1h' }] },
      action: {
        type: 'startWorkflow',
        workflowType: 'syncDataset',
        taskQueue: env.taskQueue,
        workflowId: scheduleId,
        args: [{ source: 'data-api', dataset: 'spot-ohlcv', interval: '1h' }],
      },
      state: { paused: true, note: 'triggered by the capture' },
    });
    try {
      await schedule.trigger();
      const runId = await waitFor(
        async () => (await schedule.describe()).info.recentActions[0]?.action.workflow.workflowId,
        20_000,
        'the triggered run',
      );
      const result: SyncDatasetProgress = await env.client.workflow.getHandle(runId).result();
      expect(result).toMatchObject({ status: 'completed', series: 1, synced: 1, failed: 0 });
      const history = await save(runId, 'schedule-tick');
      expect(startedAttributes(history).searchAttributes?.indexedFields?.TemporalScheduledStartTime).toBeTruthy();
    } finally {
      await schedule.delete();
    }
  });

  it('syncDataset: a 429 pauses the tick; the batch resumes after a durable timer', async () => {
    await env.addFault({
      kind: 'rate-limit',
      source: 'data-api',
      params: { market: tracked.market, instrument: tracked.instrument },
      count: 1,
      retryAfterSeconds: 1,
    });
    const workflowId = 'replay-capture/sync/rate-limit-pause';
    const result: SyncDatasetProgress = await env.client.workflow.execute('syncDataset', {
      taskQueue: env.taskQueue,
      workflowId,
      args: [{ source: 'data-api', dataset: 'spot-ohlcv', interval: '1h', asOf: new Date().toISOString() }],
    });
    await env.clearFaults();
    expect(result).toMatchObject({ status: 'completed', series: 1, synced: 1, failed: 0 });
    const history = await save(workflowId, 'rate-limit-pause');
    expect(count(history, 'timerStartedEventAttributes')).toBe(1);
  });

  it('syncDataset: a tick that keeps the plan stops when the budget frees after its next tick', async () => {
    // A 429 asking for two hours, on a tick whose next one was due an hour ago: no timer, cut short.
    await env.addFault({
      kind: 'rate-limit',
      source: 'data-api',
      params: { market: tracked.market, instrument: tracked.instrument },
      count: 1,
      retryAfterSeconds: 7_200,
    });
    const workflowId = 'replay-capture/sync/cut-short';
    const asOf = new Date(Date.now() - 2 * 3_600_000).toISOString();
    try {
      const result: SyncDatasetProgress = await env.client.workflow.execute('syncDataset', {
        taskQueue: env.taskQueue,
        workflowId,
        args: [{ source: 'data-api', dataset: 'spot-ohlcv', interval: '1h', asOf, tickEvery: '1h' }],
      });
      expect(result).toMatchObject({ status: 'completed', series: 0, synced: 0, lagging: 1, plannedCalls: 1 });
      expect(result.cutShort?.reason).toContain('answered');
      const history = await save(workflowId, 'cut-short');
      expect(count(history, 'timerStartedEventAttributes')).toBe(0);
    } finally {
      await env.clearFaults();
      // The fleet pause the 429 set (and the window it marked spent) would hold every later scenario.
      await env.pool.query(`DELETE FROM source_pauses WHERE source LIKE 'data-api%'`);
      await env.pool.query(`DELETE FROM rate_budget_windows WHERE source LIKE 'data-api%'`);
    }
  });

  it('repairCoverage: a dry run reports holes; a repair (two lanes, one paused by a 429) fills them', async () => {
    const start = (
      await env.pool.query(
        `SELECT extract(epoch FROM backfill_from)::float8 AS f FROM tracked_series
         WHERE market = $1 AND instrument = $2 AND interval = $3`,
        [tracked.market, tracked.instrument, tracked.interval],
      )
    ).rows[0].f as number;
    await env.pool.query(
      `DELETE FROM spot_ohlcv WHERE market = $1 AND instrument = $2 AND interval = $3
         AND ts IN (to_timestamp($4), to_timestamp($5))`,
      [tracked.market, tracked.instrument, tracked.interval, start + 2 * 3600, start + 5 * 3600],
    );
    const input = { source: 'data-api', dataset: 'spot-ohlcv', interval: '1h' };
    const dryId = 'replay-capture/repair/dry-run';
    const dry: RepairCoverageProgress = await env.client.workflow.execute('repairCoverage', {
      taskQueue: env.taskQueue,
      workflowId: dryId,
      args: [{ ...input, dryRun: true }],
    });
    expect(dry).toMatchObject({ status: 'completed', missing: 2, ranges: 2, filled: 0 });
    await save(dryId, 'dry-run');

    await env.addFault({
      kind: 'rate-limit',
      source: 'data-api',
      params: { market: tracked.market, instrument: tracked.instrument },
      count: 1,
      retryAfterSeconds: 1,
    });
    const repairId = 'replay-capture/repair/fills-holes';
    const repaired: RepairCoverageProgress = await env.client.workflow.execute('repairCoverage', {
      taskQueue: env.taskQueue,
      workflowId: repairId,
      args: [input],
    });
    await env.clearFaults();
    expect(repaired).toMatchObject({ status: 'completed', missing: 2, filled: 2, remaining: 0 });
    const history = await save(repairId, 'fills-holes-after-pause');
    expect(count(history, 'timerStartedEventAttributes')).toBe(1);
  });

  it('exportDataset: files in two lanes, then the manifest; importFiles: that export loaded back', async () => {
    const destination = mkdtempSync(path.join(tmpdir(), 'capture-export-'));
    const workflowId = 'replay-capture/export';
    const result: ExportProgress = await env.client.workflow.execute('exportDataset', {
      taskQueue: env.taskQueue,
      workflowId,
      args: [
        {
          source: 'data-api',
          dataset: 'spot-ohlcv',
          from: '2024-01-01T00:00:00Z',
          to: new Date().toISOString(),
          markets: [tracked.market],
          destination,
        },
      ],
    });
    expect(result.status).toBe('completed');
    expect(result.files).toBeGreaterThanOrEqual(1);
    await save(workflowId, 'files-and-manifest');

    // Import it back (the rows are stored: every one unchanged).
    const importId = 'replay-capture/import';
    const imported: ImportProgress = await env.client.workflow.execute('importFiles', {
      taskQueue: env.taskQueue,
      workflowId: importId,
      args: [{ path: path.join(destination, 'manifest.json') }],
    });
    expect(imported).toMatchObject({ status: 'completed', inserted: 0, updated: 0 });
    expect(imported.unchanged).toBe(result.rows);
    await save(importId, 'export-manifest');
    rmSync(destination, { recursive: true, force: true });
  });

  it('reconcileSources: one run (the capture tracks one source: no pair)', async () => {
    const workflowId = 'replay-capture/reconcile';
    const result: ReconcileProgress = await env.client.workflow.execute('reconcileSources', {
      taskQueue: env.taskQueue,
      workflowId,
      args: [{ days: 2 }],
    });
    expect(result).toMatchObject({ status: 'completed', disagreements: 0 });
    await save(workflowId, 'one-run');
  });
});
