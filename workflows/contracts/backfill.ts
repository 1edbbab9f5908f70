/**
 * Inputs, results and the progress query of `backfillSeries`. Plain JSON, times as ISO-8601 UTC
 * strings; evolve only by adding optional fields (running histories must still decode).
 */
import { defineQuery } from '@temporalio/workflow';
import type { Interval } from './series';

export interface BackfillSeriesInput {
  /** Source id (folder under activities/sources/), e.g. `data-api`. */
  source: string;
  /** Dataset id within the source, e.g. `spot-ohlcv`. */
  dataset: string;
  /** Market / exchange, e.g. `kraken`. */
  market: string;
  /** Instrument, e.g. `BTC-USD`. */
  instrument: string;
  interval: Interval;
  /** First period to load (inclusive), ISO-8601; floored to the interval. */
  from: string;
  /**
   * End of the range (exclusive), ISO-8601; ceiled to the interval and clamped to the end of the
   * current period. @default now, fixed when the backfill starts.
   */
  to?: string;
  options?: BackfillOptions;
  /** Internal: carried across continue-as-new. Never set it when starting a backfill. */
  state?: BackfillState;
}

export interface BackfillOptions {
  /**
   * API pages fetched per activity call; the activity writes them in batches of the worker's
   * `INGEST_WRITE_PAGES` (each batch one transaction with its checkpoint) while it fetches the next.
   * @default 50
   */
  pagesPerActivity?: number;
  /**
   * Continue-as-new after this many activity calls in one run, besides whenever the server
   * suggests it. @default 500
   */
  continueAsNewAfter?: number;
  /** Heartbeat timeout of the ingest activity (`ms` format). @default '30s' */
  heartbeatTimeout?: string;
}

/** The normalized plan, fixed by the first run (and carried across continue-as-new). */
export interface BackfillPlan {
  jobId: string;
  from: string;
  to: string;
  /** Periods in the whole range. */
  totalPeriods: number;
}

export interface BackfillState {
  plan: BackfillPlan;
  progress: BackfillProgress;
}

export interface BackfillProgress {
  status: 'planning' | 'running' | 'paused' | 'completed';
  jobId?: string;
  from?: string;
  to?: string;
  /** Next period to fetch; everything before it is stored. */
  cursor?: string;
  /** 0–100, by periods covered. */
  percent: number;
  /** Activity calls (chunks) committed. */
  chunks: number;
  /** API requests made (pages). */
  pages: number;
  /** The plan: the calls made so far plus those the plan counts from this run's checkpoint to the end. */
  plannedCalls?: number;
  rowsReceived: number;
  rowsInserted: number;
  rowsUpdated: number;
  rowsUnchanged: number;
  /** Rows that failed validation and went to the quarantine table. */
  rowsQuarantined?: number;
  /** While paused: until when (ISO) and why (the source's answer or the exhausted budget). */
  pausedUntil?: string;
  pauseReason?: string;
  /** How many times the job waited for its source. */
  pauses?: number;
  /** Why the job starts later than `from` (listing date, the API's history depth), if it does. */
  note?: string;
  /** Runs of this workflow so far (1 + continue-as-new count). */
  runs: number;
}

export type BackfillSeriesResult = BackfillProgress;

export const progressQuery = defineQuery<BackfillProgress>('progress');

export const BACKFILL_DEFAULTS = {
  pagesPerActivity: 50,
  continueAsNewAfter: 500,
  heartbeatTimeout: '30s',
} as const;
