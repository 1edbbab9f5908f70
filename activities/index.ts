/**
 * The activities, built from their dependencies (the samples' dependency-injection pattern).
 * Workflows import this module as a type only.
 */
import { createFetchReferenceSnapshot } from './fetch-reference-snapshot';
import { createIngestChunk } from './ingest-chunk';
import { createPlanBackfill } from './plan-backfill';
import { createRepairActivities } from './repair';
import type { ActivityDeps } from './runtime';
import { createSyncActivities } from './sync';
import { createUniverseActivities } from './universe';
import { createUniverseBackfillActivities } from './universe-backfill';
import { createExportActivities } from './export';
import { createImportActivities } from './import';
import { createReconcileActivities } from './reconcile';

export function createActivities(deps: ActivityDeps) {
  return {
    planBackfill: createPlanBackfill(deps),
    ingestChunk: createIngestChunk(deps),
    fetchReferenceSnapshot: createFetchReferenceSnapshot(deps),
    ...createUniverseActivities(deps),
    ...createUniverseBackfillActivities(deps),
    ...createSyncActivities(deps),
    ...createRepairActivities(deps),
    ...createExportActivities(deps),
    ...createImportActivities(deps),
    ...createReconcileActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
export type { ActivityDeps, SourceRuntime } from './runtime';
export type { IngestChunkInput, IngestChunkResult } from './ingest-chunk';
export type { PlanResult } from './plan-backfill';
export type { RefreshReferenceResult } from './fetch-reference-snapshot';
