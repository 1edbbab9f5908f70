/**
 * `ingestChunk`: fetch up to `maxPages` consecutive pages of one series starting at `cursor`,
 * then write them, their lineage and the new checkpoint in one transaction. Returns counts and
 * the next cursor, never rows. Safe to retry at any point: the merge only changes rows whose
 * values differ, and the checkpoint only moves forward.
 */
import { activityInfo, Context, heartbeat } from '@temporalio/activity';
import type { SeriesKey } from '../workflows/contracts/series';
import { INTERVAL_SECONDS } from '../workflows/contracts/series';
import { canonicalTime } from '../workflows/contracts/ids';
import { InvalidInputError } from './errors';
import { pauseFor, type SourcePause } from './rate-gate';
import { resolveDataset, type ActivityDeps, type SourceRuntime } from './runtime';
import type { DatasetSpec, Page } from './sources/types';

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

/** Unix seconds of an ISO instant, or the non-retryable `InvalidInputError` naming the field. */
export function toSeconds(iso: string, what: string): number {
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) throw new InvalidInputError(`${what} is not an ISO-8601 time: ${iso}`);
  return Math.floor(ms / 1000);
}

/**
 * Keep heartbeating while `fn` runs (a slow request or a long merge must not look like a dead
 * worker), with `details` as the latest checkpoint hint.
 */
export async function withHeartbeats<T>(details: () => unknown, fn: () => Promise<T>): Promise<T> {
  const timeoutMs = activityInfo().heartbeatTimeoutMs;
  const every = Math.max(250, Math.floor((timeoutMs && timeoutMs > 0 ? timeoutMs : 30_000) / 3));
  const timer = setInterval(() => heartbeat(details()), every);
  try {
    return await fn();
  } finally {
    clearInterval(timer);
  }
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

/** One page with the window it asked for. */
export interface FetchedPage {
  readonly page: Page;
  /** Requested periods (inclusive, Unix seconds). */
  readonly from: number;
  readonly to: number;
}

export interface FetchedRange {
  readonly pages: FetchedPage[];
  /** Next period to fetch. */
  readonly cursor: number;
  readonly paused?: SourcePause;
}

/**
 * Fetch up to `maxPages` consecutive pages of one series from `start` (aligned) towards `end`
 * (exclusive), heartbeating. A rate limit pauses the source and stops early (not an error).
 * Shared by backfills, syncs and repairs.
 */
export async function fetchRange(
  source: SourceRuntime,
  dataset: DatasetSpec<unknown>,
  series: SeriesKey,
  start: number,
  end: number,
  maxPages: number,
): Promise<FetchedRange> {
  const step = INTERVAL_SECONDS[series.interval];
  const cap = dataset.maxPeriodsPerRequest(series.interval);
  const signal = Context.current().cancellationSignal;
  let cursor = start;
  const pages: FetchedPage[] = [];
  let paused: SourcePause | undefined;
  await withHeartbeats(
    () => ({ cursor: canonicalTime(cursor), pages: pages.length }),
    async () => {
      while (pages.length < maxPages && cursor < end) {
        const periods = Math.min(cap, Math.round((end - cursor) / step));
        const req = { series, from: cursor, to: cursor + (periods - 1) * step };
        heartbeat({ cursor: canonicalTime(cursor), pages: pages.length });
        let page: Page;
        try {
          page = await dataset.fetchPage({ config: source.config, signal, gate: source.gate }, req);
        } catch (err) {
          paused = await pauseFor(err, source.gate, series.source);
          if (paused) break;
          throw err;
        }
        pages.push({ page, from: req.from, to: req.to });
        // "Not trading yet": nothing exists before `firstAvailable`; jump there.
        cursor =
          page.firstAvailable !== undefined
            ? Math.min(end, Math.max(req.to + step, Math.ceil(page.firstAvailable / step) * step))
            : req.to + step;
      }
    },
  );
  return { pages, cursor, ...(paused ? { paused } : {}) };
}

/** A period is final once it has closed on both our clock and the API's (the pages' `Date`). */
export function finalBeforeOf(pages: ReadonlyArray<{ page: Page }>, nowMs: number): number {
  const serverTimes = pages.map((p) => p.page.serverTime).filter((t): t is number => t !== undefined);
  return Math.min(Math.floor(nowMs / 1000), ...serverTimes);
}

/** Lineage of the current activity attempt. */
export function lineageNow(startedAt: Date) {
  const info = activityInfo();
  return {
    workflowId: info.workflowExecution?.workflowId ?? '(none)',
    workflowRunId: info.workflowExecution?.runId ?? '(none)',
    activityId: info.activityId,
    attempt: info.attempt,
    startedAt,
  };
}

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
        }),
    );
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
