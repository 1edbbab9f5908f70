/**
 * `importFiles`: Parquet or Arrow IPC files loaded into a dataset's table through the ingestion
 * path (validation, quarantine, COPY, merge, lineage naming the file), e.g. a previous export or a
 * legacy table's dump (docs/export.md). Plain JSON; evolve only by adding optional fields.
 */
import { defineQuery } from '@temporalio/workflow';

export interface ImportFilesInput {
  /**
   * A `manifest.json` of an export (its source, dataset and files, each checked against its
   * SHA-256), a directory (every `.parquet`, `.arrow`, `.feather` under it) or one file; a path the
   * workers see.
   */
  path: string;
  /** Needed unless `path` is a manifest. */
  source?: string;
  dataset?: string;
  /** Column names of the files → the table's (a legacy dump's `time` → `ts`, …). */
  columnMap?: Record<string, string>;
}

export interface ImportFileResult {
  readonly rows: number;
  readonly series: number;
  readonly inserted: number;
  readonly updated: number;
  readonly unchanged: number;
  readonly quarantined: number;
}

export interface ImportProgress {
  status: 'planning' | 'loading' | 'completed';
  source?: string;
  dataset?: string;
  files: number;
  filesDone: number;
  rows: number;
  inserted: number;
  updated: number;
  unchanged: number;
  quarantined: number;
  /** 0–100 by files done. */
  percent: number;
}

export const importProgressQuery = defineQuery<ImportProgress>('progress');
