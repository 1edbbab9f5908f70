/**
 * `repairCoverage`: audit the coverage ledger of the tracked series and re-fetch their holes; and
 * what its `findGaps` / `repairRange` activities return. Plain JSON; evolve only by adding optional
 * fields.
 */
import { defineQuery } from '@temporalio/workflow';
import type { Interval, SeriesCursor, SeriesFailure, SeriesKey } from './series';

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

/** One page of audited series (`findGaps`): missing periods, and the hole ranges found. */
export interface GapFindResult {
  readonly series: number;
  readonly missing: number;
  readonly ranges: Array<{ series: SeriesKey; from: string; to: string; periods: number }>;
  readonly next: SeriesCursor;
}

/** One hole range re-fetched (`repairRange`). */
export interface RepairRangeResult {
  readonly filled: number;
  readonly certified: number;
  readonly quarantined: number;
  readonly paused?: { readonly until: string; readonly reason: string };
  /** When paused: the first period not yet fetched (ISO); the repair resumes from it. */
  readonly next?: string;
}

export const repairProgressQuery = defineQuery<RepairCoverageProgress>('progress');
