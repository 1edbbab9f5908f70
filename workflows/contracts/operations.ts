/**
 * Inputs, results and progress of the always-on workflows: the tracked universe
 * (`refreshUniverse`), incremental sync (`syncDataset`, started by Temporal Schedules), universe
 * backfill (`backfillUniverse`) and coverage repair (`repairCoverage`). Plain JSON; evolve only by
 * adding optional fields.
 */
import { defineQuery } from '@temporalio/workflow';
import type { Interval } from './series';

// ---------------------------------------------------------------------------------------------
// The universe configuration (what to track). Validated by `activities/universe-config.ts`.

/** One rule: which series to track, and how far back to backfill a newly tracked one. */
export interface TrackRule {
  /** A name for the rule (shown in `tracked_series.origin`). */
  name: string;
  source: string;
  dataset: string;
  intervals: Interval[];
  /** Explicit series. */
  instruments?: Array<{ market: string; instrument: string }>;
  /** Or a selection from the reference tables (instruments, top lists). */
  select?: {
    /** Markets to take instruments from (as the source spells them). */
    markets: string[];
    /** Quote currencies, e.g. USD, USDT. */
    quotes?: string[];
    /** Base assets, e.g. BTC, ETH. */
    bases?: string[];
    /** The top N assets of a dated top list (`top_assets()`), as bases. */
    topAssets?: { n: number; source?: string; list?: string; quote?: string };
    /** Instrument statuses to accept. @default ['ACTIVE'] */
    statuses?: string[];
  };
  /**
   * How far back a newly tracked series is backfilled: an ISO-8601 duration of days (`P365D`), or
   * `listing` (from the instrument's first trade). Never before the listing. @default 'P30D'
   */
  horizon?: string;
}

/** Timing of one schedule: `every` as an `ms`-style duration (`1h`, `5m`), with an optional offset. */
export interface ScheduleTiming {
  every: string;
  offset?: string;
}

export interface UniverseConfig {
  version: 1;
  /** Reference snapshots refreshed before the universe is resolved. */
  references: Array<{ source: string; dataset: string; params?: Record<string, unknown> }>;
  track: TrackRule[];
  /** Schedule timings; defaults in the `schedules apply` command. */
  schedules?: {
    universe?: ScheduleTiming;
    sync?: Partial<Record<Interval, ScheduleTiming>>;
    repair?: ScheduleTiming;
  };
  /** Sync tuning. */
  sync?: { lookbackPeriods?: Partial<Record<Interval, number>>; batchSize?: number; concurrency?: number };
  /** How many series a universe backfill runs at once. @default 4 */
  backfillConcurrency?: number;
}

// ---------------------------------------------------------------------------------------------
// refreshUniverse

export interface RefreshUniverseInput {
  config: UniverseConfig;
  /** The instant the universe is resolved for (ISO). @default the schedule's nominal time, or now */
  asOf?: string;
}

export interface RefreshUniverseProgress {
  status: 'refreshing-references' | 'resolving' | 'starting-backfills' | 'completed';
  asOf?: string;
  references: number;
  tracked: number;
  added: number;
  removed: number;
  /** Tracked series without a completed initial backfill, handed to `backfillUniverse`. */
  pendingBackfill: number;
  backfillWorkflowId?: string;
  /**
   * Explicitly configured instruments (`source/dataset/market/instrument`) their market's
   * instruments reference does not list: not tracked. A typo, or not listed yet.
   */
  unlisted?: string[];
}

// ---------------------------------------------------------------------------------------------
// syncDataset (one Temporal Schedule per source × dataset × interval)

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

/** One series that failed in a tick or repair: what and why (failure type and message). */
export interface SeriesFailure {
  series: string;
  type: string;
  message: string;
}

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

// ---------------------------------------------------------------------------------------------
// backfillUniverse

export interface BackfillUniverseInput {
  /** Restrict to tracked series of this source / dataset / interval. */
  source?: string;
  dataset?: string;
  interval?: Interval;
  /**
   * Explicit range for every selected series (ISO). Without it, each series is backfilled from its
   * `backfill_from` up to `asOf`, and only series whose initial backfill is not done are taken.
   */
  from?: string;
  to?: string;
  asOf?: string;
  /** Series backfilled at once (a sliding window of child workflows). @default 4 */
  concurrency?: number;
  /** Internal: carried across continue-as-new. */
  state?: BackfillUniverseState;
}

export interface BackfillUniverseState {
  asOf: string;
  /** Keyset cursor into the selected series. */
  after: string | null;
  progress: BackfillUniverseProgress;
}

export interface BackfillUniverseProgress {
  status: 'running' | 'completed';
  asOf?: string;
  /** Series started so far (children), completed, failed. */
  started: number;
  completed: number;
  failed: number;
  running: number;
  rows: number;
  /** Workflow IDs of failed children (the latest few). */
  failures: string[];
  runs: number;
}

// ---------------------------------------------------------------------------------------------
// repairCoverage

export interface RepairCoverageInput {
  source?: string;
  dataset?: string;
  interval?: Interval;
  /** Audit and repair from this instant (ISO). @default 7 days before `asOf` */
  since?: string;
  asOf?: string;
  /** Most hole ranges repaired in one run. @default 500 */
  maxRanges?: number;
  /** Ranges repaired at once. @default 4 */
  concurrency?: number;
  /** Only audit (recount the ledger, so `coverage_gaps` shows every hole); repair nothing. */
  dryRun?: boolean;
}

export interface RepairCoverageProgress {
  status: 'auditing' | 'repairing' | 'paused' | 'completed';
  asOf?: string;
  since?: string;
  series: number;
  /** Missing periods found by the audit. */
  missing: number;
  ranges: number;
  rangesDone: number;
  /** Periods stored by the repair. */
  filled: number;
  /** Periods the API confirmed empty (certified, no longer holes). */
  certified: number;
  /** Missing periods still open after the run. */
  remaining: number;
  /** Ranges whose repair failed with a non-retryable error (at most 20 kept). */
  failures?: SeriesFailure[];
}

export const universeProgressQuery = defineQuery<RefreshUniverseProgress>('progress');
export const syncProgressQuery = defineQuery<SyncDatasetProgress>('progress');
export const universeBackfillProgressQuery = defineQuery<BackfillUniverseProgress>('progress');
export const repairProgressQuery = defineQuery<RepairCoverageProgress>('progress');

/** Default closed periods a sync tick re-reads before the watermark. */
export const DEFAULT_LOOKBACK: Record<Interval, number> = { '1m': 10, '1h': 3, '1d': 2 };
