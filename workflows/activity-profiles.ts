/**
 * The only `proxyActivities` calls: named timeout and retry profiles. Activities run on their
 * source's own task queue (see contracts/task-queues.ts).
 */
import { proxyActivities, workflowInfo, type ActivityOptions } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { NON_RETRYABLE_FAILURE_TYPES } from './contracts/failure-types';
import { sourceTaskQueue } from './contracts/task-queues';

const retry = {
  initialInterval: '1s',
  backoffCoefficient: 2,
  maximumInterval: '1m',
  nonRetryableErrorTypes: [...NON_RETRYABLE_FAILURE_TYPES],
};

/**
 * Reads and validates; quick (two queries). A short start-to-close, so a backfill whose worker died
 * while planning (every continue-as-new run plans) moves to another worker within seconds, not a minute.
 */
export function planningActivities(source: string) {
  return proxyActivities<Pick<Activities, 'planBackfill'>>({
    taskQueue: sourceTaskQueue(workflowInfo().taskQueue, source),
    startToCloseTimeout: '15s',
    scheduleToCloseTimeout: '1h',
    retry,
  });
}

/**
 * Fetch + write one chunk. Heartbeats, so a dead worker is noticed within `heartbeatTimeout`.
 * A source that stays down fails the workflow after `scheduleToCloseTimeout` (then: fix, reset).
 */
export function ingestActivities(source: string, heartbeatTimeout: ActivityOptions['heartbeatTimeout']) {
  return proxyActivities<Pick<Activities, 'ingestChunk'>>({
    taskQueue: sourceTaskQueue(workflowInfo().taskQueue, source),
    startToCloseTimeout: '10m',
    heartbeatTimeout,
    scheduleToCloseTimeout: '6h',
    retry,
  });
}

/** Fetch + write one reference snapshot (many pages, one transaction). */
export function referenceActivities(source: string) {
  return proxyActivities<Pick<Activities, 'fetchReferenceSnapshot'>>({
    taskQueue: sourceTaskQueue(workflowInfo().taskQueue, source),
    startToCloseTimeout: '15m',
    heartbeatTimeout: '1m',
    scheduleToCloseTimeout: '6h',
    retry,
  });
}

/** Database-only activities of the always-on workflows: they run on the workflow task queue. */
export function databaseActivities() {
  return proxyActivities<
    Pick<Activities, 'resolveUniverse' | 'listTrackedSeries' | 'markBackfilled' | 'planSync' | 'findGaps'>
  >({
    taskQueue: workflowInfo().taskQueue,
    startToCloseTimeout: '30m',
    heartbeatTimeout: '2m',
    scheduleToCloseTimeout: '6h',
    retry,
  });
}

/** Sync and repair fetches: on the source's own task queue (its workers, its rate budget). */
export function sourceOperations(source: string) {
  return proxyActivities<Pick<Activities, 'syncBatch' | 'repairRange'>>({
    taskQueue: sourceTaskQueue(workflowInfo().taskQueue, source),
    startToCloseTimeout: '30m',
    heartbeatTimeout: '2m',
    scheduleToCloseTimeout: '6h',
    retry,
  });
}

/** Exports: database reads and file writes, on the workflow task queue (its workers see the destination). */
export function exportActivities() {
  return proxyActivities<Pick<Activities, 'planExport' | 'exportParts' | 'writeExportManifest'>>({
    taskQueue: workflowInfo().taskQueue,
    startToCloseTimeout: '30m',
    // A heartbeat per file (one series-month, at most 44,640 rows: seconds). A dead worker's slice moves on soon.
    heartbeatTimeout: '20s',
    scheduleToCloseTimeout: '12h',
    retry,
  });
}

/** Imports: file reads and writes through the store, on the workflow task queue (its workers see the files). */
export function importActivities() {
  return proxyActivities<Pick<Activities, 'planImport' | 'importFile'>>({
    taskQueue: workflowInfo().taskQueue,
    startToCloseTimeout: '30m',
    heartbeatTimeout: '1m',
    scheduleToCloseTimeout: '12h',
    retry,
  });
}

/** Reconciliation: one database-only activity, heartbeating per pair, on the workflow task queue. */
export function reconcileActivities() {
  return proxyActivities<Pick<Activities, 'reconcileSources'>>({
    taskQueue: workflowInfo().taskQueue,
    startToCloseTimeout: '1h',
    heartbeatTimeout: '2m',
    scheduleToCloseTimeout: '6h',
    retry,
  });
}
