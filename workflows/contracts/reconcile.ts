/**
 * `reconcileSources`: compare the series two sources both hold (same kind of data, market,
 * instrument and interval), period by period, and record where they disagree beyond a tolerance
 * (docs/reconciliation.md). Plain JSON; evolve only by adding optional fields.
 */
import { defineQuery } from '@temporalio/workflow';

export interface ReconcileTolerance {
  /** Relative difference of the close allowed. @default 0.001 (0.1%) */
  close?: number;
  /** Relative difference of the base volume allowed. @default 0.05 (5%) */
  volume?: number;
}

export interface ReconcileSourcesInput {
  /** Compare the final periods of the `days` UTC days before this instant (ISO). @default the schedule's nominal time, or now */
  asOf?: string;
  /**
   * Whole UTC days before `asOf` compared. Two by default, so a period one source finalized late
   * (after the run) is compared the next day. @default 2
   */
  days?: number;
  tolerance?: ReconcileTolerance;
}

export interface ReconcileResult {
  readonly runId: number;
  readonly pairs: number;
  /** Periods both series hold, compared. */
  readonly compared: number;
  /** Column values beyond the tolerance (new or still there). */
  readonly disagreements: number;
  /** Disagreements earlier runs recorded that now agree. */
  readonly resolved: number;
}

export interface ReconcileProgress extends Partial<ReconcileResult> {
  status: 'comparing' | 'completed';
  asOf: string;
  since: string;
}

export const reconcileProgressQuery = defineQuery<ReconcileProgress>('progress');

export const DEFAULT_TOLERANCE: Required<ReconcileTolerance> = { close: 0.001, volume: 0.05 };
