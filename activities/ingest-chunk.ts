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
import { resolveDataset, type ActivityDeps } from './runtime';
import type { Page } from './sources/types';

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
  /** `ingestion_runs.id` of the committed chunk. */
  readonly runId: number;
}

function toSeconds(iso: string, what: string): number {
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) throw new InvalidInputError(`${what} is not an ISO-8601 time: ${iso}`);
  return Math.floor(ms / 1000);
}

/**
 * Keep heartbeating while `fn` runs (a slow request or a long merge must not look like a dead
 * worker), with `details` as the latest checkpoint hint.
 */
async function withHeartbeats<T>(details: () => unknown, fn: () => Promise<T>): Promise<T> {
  const timeoutMs = activityInfo().heartbeatTimeoutMs;
  const every = Math.max(250, Math.floor((timeoutMs && timeoutMs > 0 ? timeoutMs : 30_000) / 3));
  const timer = setInterval(() => heartbeat(details()), every);
  try {
    return await fn();
  } finally {
    clearInterval(timer);
  }
}

export function createIngestChunk(deps: ActivityDeps) {
  return async function ingestChunk(input: IngestChunkInput): Promise<IngestChunkResult> {
    const { source, dataset } = resolveDataset(deps, input.series.source, input.series.dataset);
    const interval = input.series.interval;
    const step = INTERVAL_SECONDS[interval];
    if (step === undefined) throw new InvalidInputError(`unknown interval ${String(interval)}`);
    const start = toSeconds(input.cursor, 'cursor');
    const end = toSeconds(input.end, 'end');
    const rangeFrom = toSeconds(input.rangeFrom, 'rangeFrom');
    const maxPages = Math.max(1, Math.floor(input.maxPages));
    const info = activityInfo();
    const startedAt = new Date();
    const signal = Context.current().cancellationSignal;
    const cap = dataset.maxPeriodsPerRequest(interval);

    let cursor = start;
    const pages: Page[] = [];
    await withHeartbeats(
      () => ({ cursor: canonicalTime(cursor), pages: pages.length }),
      async () => {
        while (pages.length < maxPages && cursor < end) {
          const periods = Math.min(cap, Math.round((end - cursor) / step));
          const req = { series: input.series, from: cursor, to: cursor + (periods - 1) * step };
          heartbeat({ cursor: canonicalTime(cursor), pages: pages.length });
          const page = await dataset.fetchPage({ config: source.config, signal, gate: source.gate }, req);
          pages.push(page);
          // "Not trading yet": nothing exists before `firstAvailable`; jump there.
          cursor =
            page.firstAvailable !== undefined
              ? Math.min(end, Math.max(req.to + step, Math.ceil(page.firstAvailable / step) * step))
              : req.to + step;
        }
      },
    );

    // A period is final once it has closed on both our clock and the API's.
    const nowS = Math.floor((deps.now?.() ?? Date.now()) / 1000);
    const serverTimes = pages.map((p) => p.serverTime).filter((t): t is number => t !== undefined);
    const finalBefore = Math.min(nowS, ...serverTimes);

    const written = await withHeartbeats(
      () => ({ cursor: canonicalTime(cursor), pages: pages.length, writing: true }),
      () =>
        deps.store.writeChunk({
          job: { jobId: input.jobId, series: input.series, from: rangeFrom, to: end },
          dataset,
          pages,
          windowFrom: start,
          nextCursor: cursor,
          finalBefore,
          lineage: {
            workflowId: info.workflowExecution?.workflowId ?? '(none)',
            workflowRunId: info.workflowExecution?.runId ?? '(none)',
            activityId: info.activityId,
            attempt: info.attempt,
            startedAt,
          },
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
      runId: written.runId,
    };
  };
}
