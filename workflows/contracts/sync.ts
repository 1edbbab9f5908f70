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
  /**
   * The schedule's period (`1m`, `1h`, `1d`; `schedules apply` sets it): the next tick is due at
   * `asOf` + this. With it the tick keeps the plan: it records its planned calls (backfills and
   * repairs leave them free), and when the budget frees only after the next tick is due it stops
   * there and reports the series it leaves (they go first next tick). @default none: the tick
   * waits out the budget until every series is synced
   */
  tickEvery?: string;
}

/** The plan of a sync tick: its batches in fair order, and what it will cost. */
export interface SyncPlan {
  /** Series of the tick (all active tracked series of the schedule). */
  readonly total?: number;
  readonly starts: SeriesCursor[];
  /** Calls the tick plans: backfilled series × calls per series (with `tickEvery`). */
  readonly plannedCalls?: number;
  /** Backfilled series the previous tick left unsynced (with `tickEvery`). */
  readonly laggingBefore?: number;
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
  /** The plan (with `tickEvery`): calls this tick needs; `pages` are the calls made. */
  plannedCalls?: number;
  /** When the next tick is due (with `tickEvery`). */
  nextTickAt?: string;
  /** Series the previous tick left unsynced (with `tickEvery`). */
  laggingBefore?: number;
  /** Series this tick left for the next one: the budget frees only after the next tick is due. */
  lagging?: number;
  /** Why the tick stopped before every series (the budget's reason and when it frees). */
  cutShort?: { until: string; reason: string };
}

/** One batch of tracked series, synced by one `syncBatch` activity. */
export interface SyncBatchInput extends Required<Pick<SyncDatasetInput, 'source' | 'dataset' | 'interval'>> {
  readonly asOf: string;
  /** Keyset start of the batch (exclusive), or null for the first. */
  readonly start: SeriesCursor;
  /** The next batch's start: this batch reads no series after it (fair order only). @default none (the last batch) */
  readonly end?: SeriesCursor;
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

/** Default pages one series may take in one tick (`SyncDatasetInput.maxPagesPerSeries`). */
export const DEFAULT_MAX_PAGES_PER_SERIES = 3;
