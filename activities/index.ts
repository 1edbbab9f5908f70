/**
 * The activities, built from their dependencies (the samples' dependency-injection pattern).
 * Workflows import this module as a type only.
 */
import { createFetchReferenceSnapshot } from './fetch-reference-snapshot';
import { createIngestChunk } from './ingest-chunk';
import { createOperationsActivities } from './operations';
import { createPlanBackfill } from './plan-backfill';
import type { ActivityDeps } from './runtime';

export function createActivities(deps: ActivityDeps) {
  return {
    planBackfill: createPlanBackfill(deps),
    ingestChunk: createIngestChunk(deps),
    fetchReferenceSnapshot: createFetchReferenceSnapshot(deps),
    ...createOperationsActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
export type { ActivityDeps, SourceRuntime } from './runtime';
export type { IngestChunkInput, IngestChunkResult } from './ingest-chunk';
export type { PlanResult } from './plan-backfill';
export type { RefreshReferenceResult } from './fetch-reference-snapshot';
export type {
  GapFindResult,
  RepairRangeResult,
  ResolveUniverseResult,
  SeriesPage,
  SyncBatchResult,
} from './operations';
