/**
 * Test-only workflow bundle entry for the replay test's positive control: the same change as
 * `changed-workflows.ts` (a timer before `backfillSeries` plans), shipped the way docs/runbook.md
 * says, behind `patched()`. Recorded runs have no marker for the patch, so on replay `patched()`
 * answers false and they take the old path: the stored histories still replay.
 */
import { patched, sleep } from '@temporalio/workflow';
import { backfillSeries as currentBackfillSeries } from '../../workflows/backfill-series';
import type { BackfillSeriesInput, BackfillSeriesResult } from '../../workflows/contracts/backfill';

export {
  backfillUniverse,
  refreshReference,
  refreshUniverse,
  repairCoverage,
  syncDataset,
} from '../../workflows/index';

/** New runs wait a second first; runs recorded before the change replay unchanged. */
export async function backfillSeries(input: BackfillSeriesInput): Promise<BackfillSeriesResult> {
  if (patched('replay-test-startup-delay')) await sleep('1 second');
  return currentBackfillSeries(input);
}
