/**
 * Activities of `syncDataset`: split a dataset's tracked series into batches, and bring each batch
 * up to the tick's instant from the series' watermarks. Returns counts, failures and, when the
 * source pauses, where to resume.
 */
import { heartbeat } from '@temporalio/activity';
import { seriesPath } from '../workflows/contracts/ids';
import { alignDown, INTERVAL_SECONDS, type Interval, type SeriesFailure } from '../workflows/contracts/series';
import { emptySyncCounts, type SyncBatchInput, type SyncBatchResult } from '../workflows/contracts/sync';
import { cursorOf } from './db/universe-store';
import { IngestError } from './errors';
import { fetchRange, toSeconds, withHeartbeats } from './fetch-range';
import { resolveDataset, type ActivityDeps } from './runtime';
import { writeRange } from './write-range';

export function createSyncActivities(deps: ActivityDeps) {
  return {
    /** Split a dataset's tracked series into batches (keyset starts): the sync's plan. */
    async planSync(input: { source: string; dataset: string; interval: Interval; batchSize: number }) {
      resolveDataset(deps, input.source, input.dataset);
      return deps.universe.boundaries(
        { source: input.source, dataset: input.dataset, interval: input.interval },
        input.batchSize,
      );
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
      const series = await deps.universe.page(
        { source: input.source, dataset: input.dataset, interval: input.interval },
        input.start,
        input.limit,
      );
      const counts = emptySyncCounts();
      const failures: SeriesFailure[] = [];
      for (const [k, s] of series.entries()) {
        heartbeat({ done: k, of: series.length });
        counts.series++;
        if (!s.backfilled) {
          counts.pendingBackfill++;
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
            return {
              ...counts,
              failures,
              series: counts.series - 1,
              paused: {
                ...fetched.paused,
                // The series before this one is the last one finished.
                resumeAfter: k === 0 ? input.start : cursorOf(series[k - 1]!),
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
          continue;
        }
        counts.synced++;
        if (fetched.cursor > lastClosed) counts.upToDate++;
      }
      return { ...counts, failures };
    },
  };
}
