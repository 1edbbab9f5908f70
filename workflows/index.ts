/** Workflow bundle entry: every workflow type, by explicit named re-export. */
export { backfillSeries } from './backfill-series';
