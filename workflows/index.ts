/** Workflow bundle entry: every workflow type, by explicit named re-export. */
export { backfillSeries } from './backfill-series';
export { refreshReference } from './refresh-reference';
