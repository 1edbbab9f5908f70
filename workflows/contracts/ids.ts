/**
 * Business keys. Workflow IDs are built here and nowhere else, so starting the same job twice
 * addresses the same workflow (Temporal refuses a second run while the first is open, and a
 * finished job's checkpoint makes a re-run a no-op).
 */
import type { SeriesKey } from './series';

/** `2024-01-01T00:00:00Z`: second precision, always UTC, so equal instants give equal IDs. */
export function canonicalTime(epochSeconds: number): string {
  return new Date(epochSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function seriesPath(s: SeriesKey): string {
  return `${s.source}/${s.dataset}/${s.market}/${s.instrument}/${s.interval}`;
}

/**
 * `backfill/<source>/<dataset>/<market>/<instrument>/<interval>/<from>/<to>`, e.g.
 * `backfill/data-api/spot-ohlcv/kraken/BTC-USD/1h/2024-01-01T00:00:00Z/2024-02-01T00:00:00Z`.
 * `from` and `to` are Unix seconds, aligned to the interval; `to` is exclusive.
 */
export function backfillWorkflowId(s: SeriesKey, from: number, to: number): string {
  return `backfill/${seriesPath(s)}/${canonicalTime(from)}/${canonicalTime(to)}`;
}

/** The checkpoint key of a backfill: the same business key, whatever workflow ID ran it. */
export const backfillJobId = backfillWorkflowId;

/**
 * `reference/<source>/<dataset>[/<variant>]/<YYYY-MM-DD>`: one snapshot per dataset (and variant,
 * e.g. a quote currency) and UTC day. Starting the same day's refresh twice runs it once.
 */
export function referenceWorkflowId(source: string, dataset: string, day: string, variant?: string): string {
  return `reference/${source}/${dataset}${variant ? `/${variant}` : ''}/${day}`;
}

/**
 * Schedules (one per concern, created idempotently by `crypto-ingest schedules apply`). A
 * scheduled run's workflow ID is `<schedule id>-<nominal time>` (Temporal appends it).
 */
export const SCHEDULE_IDS = {
  universe: 'crypto-ingest/universe',
  repair: 'crypto-ingest/repair',
  reconcile: 'crypto-ingest/reconcile',
  sync: (source: string, dataset: string, interval: string) => `crypto-ingest/sync/${source}/${dataset}/${interval}`,
  /** Every schedule this project manages starts with this. */
  prefix: 'crypto-ingest/',
} as const;

/**
 * A universe backfill: `universe-backfill/pending` is the one a universe refresh hands new series
 * to (one at a time: a running one reads pending series as it goes); the CLI starts others for ranges.
 */
export function universeBackfillWorkflowId(asOf: string): string {
  return `universe-backfill/${asOf}`;
}

/** A reference snapshot taken by a universe refresh (one per refresh instant). */
export function universeReferenceWorkflowId(source: string, dataset: string, asOf: string): string {
  return `reference/${source}/${dataset}/${asOf}`;
}

/**
 * `export/<source>/<dataset>/<destination>`: one export per destination directory (its manifest
 * describes one export); starting it again re-runs it, keeping every file whose content is the same.
 */
export function exportWorkflowId(source: string, dataset: string, destination: string): string {
  return `export/${source}/${dataset}/${destination}`;
}

/** `import/<path>`: importing the same path again re-runs it (and changes nothing already stored). */
export function importWorkflowId(path: string): string {
  return `import${path.startsWith('/') ? '' : '/'}${path}`;
}
