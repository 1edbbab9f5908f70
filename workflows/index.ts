/** Workflow bundle entry: every workflow type, by explicit named re-export. */
export { backfillSeries } from './backfill-series';
export { refreshReference } from './refresh-reference';
export { syncDataset } from './sync-dataset';
export { refreshUniverse } from './refresh-universe';
export { backfillUniverse } from './backfill-universe';
export { repairCoverage } from './repair-coverage';
export { exportDataset } from './export-dataset';
export { importFiles } from './import-files';
export { reconcileSources } from './reconcile-sources';
