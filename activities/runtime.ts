/**
 * What activities are built from: the store, and each enabled source with its parsed config
 * and its request gate. Created once per worker process (`workers/ingest-worker.ts`).
 */
import type { RateGate } from './rate-gate';
import type { IngestStore } from './db/store';
import type { ReferenceStore } from './db/reference-store';
import type { CoverageStore } from './db/coverage-store';
import type { UniverseStore } from './db/universe-store';
import type { PgSyncDemandStore } from './db/sync-demand-store';
import type { PgExportStore } from './db/export-store';
import type { PgReconcileStore } from './db/reconcile-store';
import type { DatasetSpec, SourceDefinition } from './sources/types';
import { InvalidInputError } from './errors';
import type { PipelineSettings } from './page-pipeline';

export interface SourceRuntime {
  readonly definition: SourceDefinition<unknown>;
  readonly config: unknown;
  readonly gate: RateGate;
  /**
   * The gate of backfills and repairs: the same budget, less what the syncs need (syncs first,
   * `PgRateGate.background`). @default `gate`
   */
  readonly backgroundGate?: RateGate;
}

/** The source with its background gate as its gate: what a backfill or a repair fetches through. */
export const asBackground = (source: SourceRuntime): SourceRuntime =>
  source.backgroundGate === undefined ? source : { ...source, gate: source.backgroundGate };

export interface ActivityDeps {
  readonly store: IngestStore;
  readonly references: ReferenceStore;
  readonly universe: UniverseStore;
  readonly coverage: CoverageStore;
  /** What reconciliation reads and records; without it reconciliation fails. */
  readonly reconcile?: PgReconcileStore;
  /** What exports read and record; without it exports fail. */
  readonly exports?: PgExportStore;
  /** The syncs' recorded plan (`sync_demand`); without it a tick records nothing. */
  readonly syncDemand?: PgSyncDemandStore;
  readonly sources: ReadonlyMap<string, SourceRuntime>;
  /** Unix milliseconds; injectable for tests. */
  readonly now?: () => number;
  /** How a backfill chunk fetches and writes (`page-pipeline.ts`). @default DEFAULT_PIPELINE */
  readonly pipeline?: PipelineSettings;
}

/** Look up an enabled source, or throw the non-retryable `InvalidInputError` listing the enabled ones. */
export function resolveSource(deps: ActivityDeps, sourceId: string): SourceRuntime {
  const source = deps.sources.get(sourceId);
  if (!source) {
    throw new InvalidInputError(
      `unknown or disabled source '${sourceId}' (enabled: ${[...deps.sources.keys()].join(', ') || 'none'})`,
      { details: { source: sourceId } },
    );
  }
  return source;
}

/** Look up a source and dataset, or throw the non-retryable `InvalidInputError` listing what exists. */
export function resolveDataset(
  deps: ActivityDeps,
  sourceId: string,
  datasetId: string,
): { source: SourceRuntime; dataset: DatasetSpec<unknown> } {
  const source = resolveSource(deps, sourceId);
  const dataset = source.definition.datasets[datasetId];
  if (!dataset) {
    throw new InvalidInputError(
      `source '${sourceId}' has no dataset '${datasetId}' (datasets: ${Object.keys(source.definition.datasets).join(', ')})`,
      { details: { source: sourceId, dataset: datasetId } },
    );
  }
  return { source, dataset };
}
