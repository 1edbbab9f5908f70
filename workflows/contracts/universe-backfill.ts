/**
 * `backfillUniverse`: backfill the tracked series that need it, a sliding window of `backfillSeries`
 * children, continuing as new with a keyset cursor. Plain JSON; evolve only by adding optional fields.
 */
import { defineQuery } from '@temporalio/workflow';
import type { Interval, SeriesCursor, SeriesKey } from './series';

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
  after: SeriesCursor;
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

/** A page of tracked series (`listTrackedSeries`), each with where its coverage starts. */
export interface SeriesPage {
  readonly series: Array<SeriesKey & { backfillFrom: string }>;
  /** Cursor for the next page, or null when this was the last. */
  readonly next: SeriesCursor;
}

export const universeBackfillProgressQuery = defineQuery<BackfillUniverseProgress>('progress');
