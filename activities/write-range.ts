/**
 * Write what a sync or repair fetched for one series: the rows, lineage, watermark and coverage
 * ledger in one transaction (`IngestStore.writeChunk`), without a checkpoint.
 */
import { Context } from '@temporalio/activity';
import { seriesPath } from '../workflows/contracts/ids';
import type { SeriesKey } from '../workflows/contracts/series';
import { finalBeforeOf, lineageNow, type FetchedRange } from './fetch-range';
import { recordWrite } from './metrics';
import type { ActivityDeps } from './runtime';
import type { DatasetSpec } from './sources/types';

/**
 * Write what a sync or repair fetched for one series: rows, lineage, watermark and ledger in one
 * transaction, with no checkpoint (these ranges are not resumable jobs; the watermark is their state).
 */
export async function writeRange(
  deps: ActivityDeps,
  kind: 'sync' | 'repair',
  s: SeriesKey,
  dataset: DatasetSpec<unknown>,
  fetched: FetchedRange,
  from: number,
  end: number,
  startedAt: Date,
) {
  const finalBefore = finalBeforeOf(fetched.pages, deps.now?.() ?? Date.now());
  const written = await deps.store.writeChunk({
    job: { jobId: `${kind}/${seriesPath(s)}`, series: s, from, to: end },
    dataset,
    pages: fetched.pages.map((p) => p.page),
    windowFrom: from,
    nextCursor: fetched.cursor,
    finalBefore,
    lineage: lineageNow(startedAt),
    checkpoint: false,
    signal: Context.current().cancellationSignal,
  });
  recordWrite(s.source, dataset.id, written);
  return { ...written, finalBefore };
}
