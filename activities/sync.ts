/**
 * Activities of `syncDataset`: split a dataset's tracked series into batches, and bring each batch
 * up to the tick's instant from the series' watermarks. Returns counts, failures and, when the
 * source pauses, where to resume.
 */
import { activityInfo, heartbeat } from '@temporalio/activity';
import { canonicalTime, seriesPath } from '../workflows/contracts/ids';
import {
  alignDown,
  INTERVAL_SECONDS,
  parseDurationMs,
  type Interval,
  type SeriesFailure,
} from '../workflows/contracts/series';
import {
  DEFAULT_LOOKBACK,
  DEFAULT_MAX_PAGES_PER_SERIES,
  emptySyncCounts,
  type SyncBatchInput,
  type SyncBatchResult,
  type SyncPlan,
} from '../workflows/contracts/sync';
import { cursorOf, type SyncTick, type TrackedSeries } from './db/universe-store';
import { syncCallsPerSeries } from './universe-plan';
import { IngestError } from './errors';
import { fetchRange, toSeconds, withHeartbeats } from './fetch-range';
import { resolveDataset, type ActivityDeps } from './runtime';
import { writeRange } from './write-range';

/** This activity's tick: the nominal time and the workflow run that took the series. */
const syncTick = (asOf: string): SyncTick => ({
  asOf,
  runId: activityInfo().workflowExecution?.runId ?? activityInfo().activityId,
});

export function createSyncActivities(deps: ActivityDeps) {
  return {
    /**
     * The sync's plan: its series split into batches, least recently taken first (fair: a tick cut
     * short leaves its rest first in line). With the schedule's period it also plans the tick's
     * calls, counts what the previous tick left, and records both (`sync_demand`: backfills and
     * repairs leave the syncs' need free).
     */
    async planSync(input: {
      source: string;
      dataset: string;
      interval: Interval;
      batchSize: number;
      asOf?: string;
      tickEvery?: string;
      lookbackPeriods?: number;
      maxPagesPerSeries?: number;
    }): Promise<SyncPlan> {
      const { dataset } = resolveDataset(deps, input.source, input.dataset);
      const scope = { source: input.source, dataset: input.dataset, interval: input.interval };
      // A tick planned by a workflow from before the fair order (no asOf) keeps the keyset order.
      if (input.asOf === undefined) return deps.universe.boundaries(scope, input.batchSize);
      const asOf = canonicalTime(toSeconds(input.asOf, 'asOf'));
      const plan = await deps.universe.syncBoundaries(scope, syncTick(asOf), input.batchSize);
      const everyMs = input.tickEvery === undefined ? undefined : parseDurationMs(input.tickEvery);
      if (everyMs === undefined || deps.syncDemand === undefined) return plan;
      const everySeconds = Math.max(1, Math.round(everyMs / 1000));
      const { series, lagging } = await deps.syncDemand.lagging(scope, await deps.syncDemand.previous(scope));
      const perSeries = syncCallsPerSeries({
        everySeconds,
        stepSeconds: INTERVAL_SECONDS[input.interval],
        lookbackPeriods: input.lookbackPeriods ?? DEFAULT_LOOKBACK[input.interval],
        cap: dataset.maxPeriodsPerRequest(input.interval),
        maxPagesPerSeries: input.maxPagesPerSeries ?? DEFAULT_MAX_PAGES_PER_SERIES,
      });
      const plannedCalls = series * perSeries;
      await deps.syncDemand.record({
        ...scope,
        series,
        callsPerTick: plannedCalls,
        everySeconds,
        lagging,
        asOf,
        runId: syncTick(asOf).runId,
      });
      return { ...plan, plannedCalls, laggingBefore: lagging };
    },

    /**
     * Bring a batch of tracked series up to the period containing `asOf`: each from its watermark
     * minus the lookback (re-reading recent periods finalizes provisional candles and catches
     * revisions), at most `maxPagesPerSeries` pages (a longer gap continues next tick), one
     * transaction per series.
     */
    async syncBatch(input: SyncBatchInput): Promise<SyncBatchResult> {
      const { source, dataset } = resolveDataset(deps, input.source, input.dataset);
      const step = INTERVAL_SECONDS[input.interval];
      const asOf = toSeconds(input.asOf, 'asOf');
      const end = alignDown(asOf, input.interval) + step; // includes the open period, as provisional
      const lastClosed = alignDown(asOf, input.interval) - step;
      const scope = { source: input.source, dataset: input.dataset, interval: input.interval };
      // The tick's fair order (a keyset start from an older plan is read as one).
      const tick = syncTick(canonicalTime(asOf));
      const series = await deps.universe.syncPage(scope, tick, input.start, input.limit, input.end);
      // Every series this batch took (synced, awaiting its backfill, or failed) goes last next tick.
      const taken: TrackedSeries[] = [];
      const markTaken = () => deps.universe.markSyncTick(scope, tick, taken);
      const counts = emptySyncCounts();
      const failures: SeriesFailure[] = [];
      for (const [k, s] of series.entries()) {
        heartbeat({ done: k, of: series.length });
        counts.series++;
        if (!s.backfilled) {
          counts.pendingBackfill++;
          taken.push(s);
          continue;
        }
        let fetched: Awaited<ReturnType<typeof fetchRange>>;
        try {
          const anchor = s.lastFinalTs ?? s.lastTs;
          const from = Math.max(
            s.backfillFrom,
            anchor === null ? s.backfillFrom : anchor + step - input.lookbackPeriods * step,
          );
          const startedAt = new Date();
          fetched = await fetchRange(source, dataset, s, from, end, input.maxPagesPerSeries);
          if (fetched.pages.length > 0) {
            const written = await withHeartbeats(
              () => ({ done: k, of: series.length, writing: true }),
              () => writeRange(deps, 'sync', s, dataset, fetched, from, end, startedAt),
            );
            counts.pages += fetched.pages.length;
            counts.rowsInserted += written.inserted;
            counts.rowsUpdated += written.updated;
            counts.rowsUnchanged += written.unchanged;
            counts.rowsQuarantined += written.quarantined;
          }
          if (fetched.paused) {
            await markTaken();
            return {
              ...counts,
              failures,
              series: counts.series - 1,
              paused: {
                ...fetched.paused,
                // The series before this one is the last one finished.
                resumeAfter: k === 0 ? input.start : (series[k - 1]!.fairCursor ?? cursorOf(series[k - 1]!)),
                remaining: series.length - k,
              },
            };
          }
        } catch (err) {
          // One bad series must not stop the tick: a non-retryable failure is reported and the
          // others go on; anything retryable (the API or the database is down) retries the batch.
          if (!(err instanceof IngestError) || err.retryable) throw err;
          counts.failed++;
          failures.push({ series: seriesPath(s), type: err.name, message: err.message });
          taken.push(s);
          continue;
        }
        counts.synced++;
        taken.push(s);
        if (fetched.cursor > lastClosed) counts.upToDate++;
      }
      await markTaken();
      return { ...counts, failures };
    },
  };
}
