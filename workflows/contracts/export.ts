/**
 * `exportDataset`: a dataset written out as Parquet files, one per dataset / market / interval /
 * month / instrument, with one manifest per export (docs/export.md). Plain JSON; evolve only by
 * adding optional fields.
 */
import { defineQuery } from '@temporalio/workflow';
import type { Interval } from './series';

export interface ExportDatasetInput {
  source: string;
  dataset: string;
  /** First instant exported (inclusive), ISO-8601. */
  from: string;
  /** End of the export (exclusive), ISO-8601. */
  to: string;
  /** Only these markets / instruments / intervals (each: all when absent). */
  markets?: string[];
  instruments?: string[];
  intervals?: Interval[];
  /**
   * The export's directory, on the filesystem every worker sees (a shared volume): files go under
   * it as `<dataset>/<market>/<interval>/<YYYY-MM>/<instrument>.parquet`, the manifest is
   * `manifest.json`.
   */
  destination: string;
}

/** One file of an export: a series' rows of one UTC month. */
export interface ExportPart {
  readonly market: string;
  readonly instrument: string;
  readonly interval: Interval;
  /** `YYYY-MM`. */
  readonly month: string;
}

/** What one `exportParts` activity did with its slice of the plan. */
export interface ExportPartsResult {
  /** Files written (new or changed). */
  written: number;
  /** Files already there with the same content (checksum): kept as they were. */
  kept: number;
  /** Parts without rows in the range after all (the ledger is per day, the range per instant): no file. */
  empty: number;
  rows: number;
}

export interface ExportProgress {
  status: 'planning' | 'writing' | 'completed';
  exportId?: string;
  /** Files planned, written (new or changed) and kept (already there, same checksum). */
  files: number;
  written: number;
  kept: number;
  /** Parts without rows in the range after all: no file. */
  empty?: number;
  rows: number;
  /** 0–100 by files done. */
  percent: number;
  /** The manifest's path, once written. */
  manifest?: string;
}

export const exportProgressQuery = defineQuery<ExportProgress>('progress');
