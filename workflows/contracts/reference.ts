/**
 * `refreshReference`: one snapshot of a reference dataset (assets, top lists, markets,
 * instruments). Plain JSON.
 */
import { defineQuery } from '@temporalio/workflow';

export interface RefreshReferenceInput {
  /** Source id, e.g. `data-api`. */
  source: string;
  /** Reference dataset id within the source, e.g. `assets-top-list`. */
  dataset: string;
  /** Dataset parameters (see docs/datasets.md); validated by the activity. */
  params?: Record<string, unknown>;
}

export interface RefreshReferenceProgress {
  status: 'running' | 'paused' | 'completed';
  pausedUntil?: string;
  pauseReason?: string;
  pauses: number;
  pages: number;
  assets: number;
  topList: number;
  markets: number;
  instruments: number;
  changed: number;
  snapshotDate?: string;
  /** What the snapshot's pages reported as odd and handled (e.g. coin list ids shared by several coins). */
  warnings?: string[];
}

export const referenceProgressQuery = defineQuery<RefreshReferenceProgress>('progress');
