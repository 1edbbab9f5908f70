/**
 * `syncDataset`: one incremental tick over every tracked series of a source × dataset × interval,
 * started by its Temporal Schedule; and what its `syncBatch` activities take and return. Plain
 * JSON; evolve only by adding optional fields.
 */
import { defineQuery } from '@temporalio/workflow';
import type { Interval, SeriesCursor, SeriesFailure } from './series';

export interface SyncDatasetInput {
  source: string;
  dataset: string;
  interval: Interval;
  /** Sync up to the period containing this instant (ISO). @default the schedule's nominal time, or now */
  asOf?: string;
  /** Closed periods re-read before the watermark (revisions). @default 1m: 10, 1h: 3, 1d: 2 */
  lookbackPeriods?: number;
  /** Series per activity. @default 100 */
  batchSize?: number;
  /** Activities in flight at once. @default 4 */
  concurrency?: number;
  /** Pages one series may take in one tick (a longer gap finishes on later ticks). @default 3 */
  maxPagesPerSeries?: number;
}

export interface SyncCounts {
  series: number;
  synced: number;
  /** Tracked but never backfilled yet: left to `backfillUniverse`. */
  pendingBackfill: number;
  pages: number;
  rowsInserted: number;
  rowsUpdated: number;
  rowsUnchanged: number;
  rowsQuarantined: number;
  /** Series whose latest stored period is now the last closed one (or later). */
  upToDate: number;
  /** Series that failed with a non-retryable error (the others went on); see `failures`. */
  failed: number;
}

/** All sync counters at zero. */
export const emptySyncCounts = (): SyncCounts => ({
  series: 0,
  synced: 0,
  pendingBackfill: 0,
  pages: 0,
  rowsInserted: 0,
  rowsUpdated: 0,
  rowsUnchanged: 0,
  rowsQuarantined: 0,
  upToDate: 0,
  failed: 0,
});

export interface SyncDatasetProgress extends SyncCounts {
  status: 'planning' | 'running' | 'paused' | 'completed';
  /** The latest failures (at most 20). */
  failures: SeriesFailure[];
  asOf?: string;
  batches: number;
  batchesDone: number;
  pausedUntil?: string;
  pauseReason?: string;
}

/** One batch of tracked series, synced by one `syncBatch` activity. */
export interface SyncBatchInput extends Required<Pick<SyncDatasetInput, 'source' | 'dataset' | 'interval'>> {
  readonly asOf: string;
  /** Keyset start of the batch (exclusive), or null for the first. */
  readonly start: SeriesCursor;
  readonly limit: number;
  readonly lookbackPeriods: number;
  readonly maxPagesPerSeries: number;
}

export interface SyncBatchResult extends SyncCounts {
  readonly failures: SeriesFailure[];
  /** When paused: where to resume (the batch's series after this cursor). */
  readonly paused?: {
    readonly until: string;
    readonly reason: string;
    readonly resumeAfter: SeriesCursor;
    readonly remaining: number;
  };
}

export const syncProgressQuery = defineQuery<SyncDatasetProgress>('progress');

/** Default closed periods a sync tick re-reads before the watermark. */
export const DEFAULT_LOOKBACK: Record<Interval, number> = { '1m': 10, '1h': 3, '1d': 2 };
