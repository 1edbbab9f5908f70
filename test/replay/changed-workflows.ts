/**
 * Test-only workflow bundle entry for the replay test's negative control: the current workflows,
 * except that `backfillSeries` now starts with a timer nobody guarded with `patched()`. Every
 * recorded `backfillSeries` run began with the `planBackfill` activity, so replaying one against
 * this code must fail with `DeterminismViolationError`: proof that the replay test can fail.
 */
import { sleep } from '@temporalio/workflow';
import { backfillSeries as currentBackfillSeries } from '../../workflows/backfill-series';
import type { BackfillSeriesInput, BackfillSeriesResult } from '../../workflows/contracts/backfill';

export {
  backfillUniverse,
  refreshReference,
  refreshUniverse,
  repairCoverage,
  syncDataset,
} from '../../workflows/index';

/** The same workflow type name, with an extra command first: an incompatible change. */
export async function backfillSeries(input: BackfillSeriesInput): Promise<BackfillSeriesResult> {
  await sleep('1 second');
  return currentBackfillSeries(input);
}
