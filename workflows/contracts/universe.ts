/**
 * `refreshUniverse` and the universe configuration: which series to track (track rules over the
 * reference tables), the schedules' timings, and what a refresh reports. Plain JSON; evolve only by
 * adding optional fields.
 */
import { defineQuery } from '@temporalio/workflow';
import type { Interval } from './series';

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
  /**
   * Compare the series two sources both hold, daily (`reconcileSources`, schedule
   * `crypto-ingest/reconcile`; docs/reconciliation.md). Absent: no reconciliation schedule.
   */
  reconcile?: {
    every?: string;
    offset?: string;
    days?: number;
    tolerance?: { close?: number; volume?: number };
  };
}

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

/** What `resolveUniverse` did to `tracked_series`. */
export interface ResolveUniverseResult {
  readonly tracked: number;
  readonly added: number;
  readonly removed: number;
  /** Tracked series whose initial backfill is not done. */
  readonly pendingBackfill: number;
  /**
   * Explicitly configured instruments (`source/dataset/market/instrument`) that the instruments
   * reference of their market does not list: not tracked (a typo, or not listed yet; a later
   * refresh tracks it once the reference lists it).
   */
  readonly unlisted: string[];
}

export const universeProgressQuery = defineQuery<RefreshUniverseProgress>('progress');
