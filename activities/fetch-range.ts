/**
 * The fetch side shared by backfills, syncs and repairs: fetch consecutive pages of one series
 * (through the source's rate gate, heartbeating, a rate limit turning into a pause), decide which
 * periods are final, and describe the current activity attempt for lineage.
 */
import { activityInfo, Context, heartbeat } from '@temporalio/activity';
import { canonicalTime } from '../workflows/contracts/ids';
import { INTERVAL_SECONDS, type SeriesKey } from '../workflows/contracts/series';
import { InvalidInputError } from './errors';
import { recordPage } from './metrics';
import { pauseFor, type SourcePause } from './rate-gate';
import type { SourceRuntime } from './runtime';
import type { DatasetSpec, Page } from './sources/types';

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
          page = await dataset.fetchPage(
            { source: source.definition.id, config: source.config, signal, gate: source.gate },
            req,
          );
        } catch (err) {
          paused = await pauseFor(err, source.gate, series.source);
          if (paused) break;
          throw err;
        }
        pages.push({ page, from: req.from, to: req.to });
        recordPage(source.definition.id, dataset.id);
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
