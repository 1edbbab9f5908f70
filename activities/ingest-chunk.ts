/**
 * `ingestChunk`: fetch up to `maxPages` consecutive pages of one series starting at `cursor`,
 * then write them, their lineage and the new checkpoint in one transaction. Returns counts and
 * the next cursor, never rows. Safe to retry at any point: the merge only changes rows whose
 * values differ, and the checkpoint only moves forward.
 */
import { Context } from '@temporalio/activity';
import type { SeriesKey } from '../workflows/contracts/series';
import { INTERVAL_SECONDS } from '../workflows/contracts/series';
import { canonicalTime } from '../workflows/contracts/ids';
import { InvalidInputError } from './errors';
import { fetchRange, finalBeforeOf, lineageNow, toSeconds, withHeartbeats } from './fetch-range';
import { recordWrite } from './metrics';
import { resolveDataset, type ActivityDeps } from './runtime';

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
    const { source, dataset } = resolveDataset(deps, input.series.source, input.series.dataset);
    if (INTERVAL_SECONDS[input.series.interval] === undefined) {
      throw new InvalidInputError(`unknown interval ${String(input.series.interval)}`);
    }
    const start = toSeconds(input.cursor, 'cursor');
    const end = toSeconds(input.end, 'end');
    const rangeFrom = toSeconds(input.rangeFrom, 'rangeFrom');
    const startedAt = new Date();
    const fetched = await fetchRange(
      source,
      dataset,
      input.series,
      start,
      end,
      Math.max(1, Math.floor(input.maxPages)),
    );
    const { pages, cursor } = fetched;
    const pause = fetched.paused;
    if (pages.length === 0) {
      // Paused before the first request: nothing to write.
      return { ...EMPTY_COUNTS, nextCursor: canonicalTime(cursor), done: cursor >= end, runId: null, paused: pause };
    }
    const written = await withHeartbeats(
      () => ({ cursor: canonicalTime(cursor), pages: pages.length, writing: true }),
      () =>
        deps.store.writeChunk({
          job: { jobId: input.jobId, series: input.series, from: rangeFrom, to: end },
          dataset,
          pages: pages.map((p) => p.page),
          windowFrom: start,
          nextCursor: cursor,
          finalBefore: finalBeforeOf(pages, deps.now?.() ?? Date.now()),
          lineage: lineageNow(startedAt),
          signal: Context.current().cancellationSignal,
        }),
    );
    recordWrite(input.series.source, dataset.id, written);
    return {
      nextCursor: canonicalTime(cursor),
      done: cursor >= end,
      pages: pages.length,
      rowsReceived: written.received,
      rowsInserted: written.inserted,
      rowsUpdated: written.updated,
      rowsUnchanged: written.unchanged,
      rowsFiller: written.filler,
      rowsProvisional: written.provisional,
      rowsQuarantined: written.quarantined,
      runId: written.runId,
      ...(pause ? { paused: pause } : {}),
    };
  };
}
