/**
 * `ingestChunk`: fetch up to `maxPages` consecutive pages of one series starting at `cursor`, a few
 * requests in flight, and write them in batches while the next are fetched, each batch with its
 * lineage and checkpoint in one transaction (`page-pipeline.ts`). Returns counts and the next
 * cursor, never rows. Safe to retry at any point: the merge only changes rows whose
 * values differ, and the checkpoint only moves forward.
 */
import { Context, heartbeat } from '@temporalio/activity';
import type { SeriesKey } from '../workflows/contracts/series';
import { INTERVAL_SECONDS } from '../workflows/contracts/series';
import { canonicalTime } from '../workflows/contracts/ids';
import { InvalidInputError } from './errors';
import { finalBeforeOf, lineageNow, toSeconds, withHeartbeats } from './fetch-range';
import { DEFAULT_PIPELINE, pipelineChunk } from './page-pipeline';
import { recordWrite } from './metrics';
import { asBackground, resolveDataset, type ActivityDeps } from './runtime';

export interface IngestChunkInput {
  readonly jobId: string;
  readonly series: SeriesKey;
  /** First period to fetch (ISO, aligned). */
  readonly cursor: string;
  /** End of the job's range (ISO, exclusive). */
  readonly end: string;
  /** Job range start (ISO), recorded with the checkpoint. */
  readonly rangeFrom: string;
  readonly maxPages: number;
}

export interface IngestChunkResult {
  /** Next period to fetch (ISO); equals `end` when the range is done. */
  readonly nextCursor: string;
  readonly done: boolean;
  readonly pages: number;
  readonly rowsReceived: number;
  readonly rowsInserted: number;
  readonly rowsUpdated: number;
  readonly rowsUnchanged: number;
  readonly rowsFiller: number;
  readonly rowsProvisional: number;
  /** Rows that failed validation and went to quarantine. */
  readonly rowsQuarantined: number;
  /** `ingestion_runs.id` of the committed chunk (null when nothing was fetched: a pause). */
  readonly runId: number | null;
  /**
   * Set when the source is paused (rate limit, quota, ban, exhausted budget): the workflow waits
   * until `until` (ISO) and goes on from `nextCursor`. Whatever was fetched before is committed.
   */
  readonly paused?: { readonly until: string; readonly reason: string };
}

const EMPTY_COUNTS = {
  pages: 0,
  rowsReceived: 0,
  rowsInserted: 0,
  rowsUpdated: 0,
  rowsUnchanged: 0,
  rowsFiller: 0,
  rowsProvisional: 0,
  rowsQuarantined: 0,
} as const;

export function createIngestChunk(deps: ActivityDeps) {
  return async function ingestChunk(input: IngestChunkInput): Promise<IngestChunkResult> {
    const resolved = resolveDataset(deps, input.series.source, input.series.dataset);
    // A backfill yields to the syncs: it fetches through the background gate.
    const source = asBackground(resolved.source);
    const dataset = resolved.dataset;
    if (INTERVAL_SECONDS[input.series.interval] === undefined) {
      throw new InvalidInputError(`unknown interval ${String(input.series.interval)}`);
    }
    const start = toSeconds(input.cursor, 'cursor');
    const end = toSeconds(input.end, 'end');
    const rangeFrom = toSeconds(input.rangeFrom, 'rangeFrom');
    const startedAt = new Date();
    const totals = { ...EMPTY_COUNTS };
    let runId: number | null = null;
    let at = start;
    let pageCount = 0;
    heartbeat({ cursor: canonicalTime(start), pages: 0 });
    // Pages are fetched a few at a time and written in batches while the next ones are fetched
    // (`page-pipeline.ts`); each batch commits with its checkpoint.
    const result = await withHeartbeats(
      () => ({ cursor: canonicalTime(at), pages: pageCount }),
      () =>
        pipelineChunk({
          source,
          dataset,
          series: input.series,
          start,
          end,
          maxPages: Math.max(1, Math.floor(input.maxPages)),
          settings: deps.pipeline ?? DEFAULT_PIPELINE,
          signal: Context.current().cancellationSignal,
          onProgress: (cursor, pages) => {
            at = cursor;
            pageCount = pages;
            heartbeat({ cursor: canonicalTime(cursor), pages });
          },
          write: async (batch) => {
            const written = await deps.store.writeChunk({
              job: { jobId: input.jobId, series: input.series, from: rangeFrom, to: end },
              dataset,
              pages: batch.pages.map((p) => p.page),
              windowFrom: batch.from,
              nextCursor: batch.next,
              finalBefore: finalBeforeOf(batch.pages, deps.now?.() ?? Date.now()),
              lineage: lineageNow(startedAt),
              signal: Context.current().cancellationSignal,
            });
            recordWrite(input.series.source, dataset.id, written);
            runId = written.runId;
            totals.pages += batch.pages.length;
            totals.rowsReceived += written.received;
            totals.rowsInserted += written.inserted;
            totals.rowsUpdated += written.updated;
            totals.rowsUnchanged += written.unchanged;
            totals.rowsFiller += written.filler;
            totals.rowsProvisional += written.provisional;
            totals.rowsQuarantined += written.quarantined;
          },
        }),
    );
    const { cursor } = result;
    const pause = result.paused;
    if (result.pages === 0) {
      // Paused before the first request: nothing to write.
      return { ...EMPTY_COUNTS, nextCursor: canonicalTime(cursor), done: cursor >= end, runId: null, paused: pause };
    }
    return {
      nextCursor: canonicalTime(cursor),
      done: cursor >= end,
      pages: totals.pages,
      rowsReceived: totals.rowsReceived,
      rowsInserted: totals.rowsInserted,
      rowsUpdated: totals.rowsUpdated,
      rowsUnchanged: totals.rowsUnchanged,
      rowsFiller: totals.rowsFiller,
      rowsProvisional: totals.rowsProvisional,
      rowsQuarantined: totals.rowsQuarantined,
      runId,
      ...(pause ? { paused: pause } : {}),
    };
  };
}
