/**
 * A backfill chunk as a pipeline: the chunk's consecutive request windows are fetched with up to
 * `fetchConcurrency` requests in flight (each still through the source's rate gate), taken in
 * order, and written in batches of `writeEveryPages` pages while the next pages are being fetched.
 * Each batch is one `writeChunk` transaction with its rows, lineage and checkpoint: the checkpoint
 * never covers rows that are not committed, and a batch's window depends only on the chunk's input
 * (and the API's "not trading yet" jump), so a retried activity meets the same windows and the
 * store recognises the batches it already committed (exact counters).
 *
 * Stops: a rate limit (the source is paused) ends the chunk after the pages before it, which are
 * written; a "not trading yet" answer moves the next window to the first available period (the
 * requests still in flight are dropped); any other error waits for the batch being written and
 * fails the activity, writing nothing more.
 */
import { INTERVAL_SECONDS, type SeriesKey } from '../workflows/contracts/series';
import type { FetchedPage } from './fetch-range';
import { recordPage } from './metrics';
import { OPEN_GATE, pauseFor, type SourcePause } from './rate-gate';
import type { SourceRuntime } from './runtime';
import type { DatasetSpec, Page } from './sources/types';

export interface PipelineSettings {
  /**
   * Requests of one chunk in flight at once. Unset: 3 for a source without rate limits, 1 for one
   * with a budget (there the budget binds, and one request per activity keeps each grant's way to
   * the API short: several in flight on a busy worker were seen landing past a window's end, a 429).
   */
  readonly fetchConcurrency?: number;
  /** Pages per write transaction. @default 10 */
  readonly writeEveryPages: number;
}

export const DEFAULT_PIPELINE: PipelineSettings = { writeEveryPages: 10 };

/** Requests in flight without rate limits when `fetchConcurrency` is unset. */
export const UNLIMITED_FETCH_CONCURRENCY = 3;

/** One batch to write: its pages and the window it covers, [from, next). */
export interface PageBatch {
  readonly pages: FetchedPage[];
  readonly from: number;
  readonly next: number;
}

export interface PipelineResult {
  /** Next period to fetch. */
  readonly cursor: number;
  readonly pages: number;
  readonly paused?: SourcePause;
}

/** Batches fetched and waiting for (or in) their write before fetching waits. */
const MAX_QUEUED_BATCHES = 2;

type Outcome = { readonly page: Page } | { readonly error: unknown };

/**
 * Fetch up to `maxPages` windows of `series` from `start` towards `end` and hand them, in order and
 * in batches, to `write` (called one batch at a time, never two at once).
 */
export async function pipelineChunk(args: {
  readonly source: SourceRuntime;
  readonly dataset: DatasetSpec<unknown>;
  readonly series: SeriesKey;
  readonly start: number;
  readonly end: number;
  readonly maxPages: number;
  readonly settings: PipelineSettings;
  readonly signal: AbortSignal;
  readonly write: (batch: PageBatch) => Promise<void>;
  /** Where the pipeline is, for heartbeats. */
  readonly onProgress?: (cursor: number, pages: number) => void;
}): Promise<PipelineResult> {
  const { source, dataset, series, start, end, signal } = args;
  const step = INTERVAL_SECONDS[series.interval];
  const span = dataset.maxPeriodsPerRequest(series.interval) * step;
  const maxPages = Math.max(1, Math.floor(args.maxPages));
  const concurrency = Math.max(
    1,
    Math.floor(args.settings.fetchConcurrency ?? (source.gate === OPEN_GATE ? UNLIMITED_FETCH_CONCURRENCY : 1)),
  );
  const writeEvery = Math.max(1, Math.floor(args.settings.writeEveryPages));

  // Requests in flight, in window order. One at a time until a page comes back with rows: a
  // "not trading yet" answer (only ever at the start of a series) would make the others wasted calls.
  const queue: Array<{ from: number; to: number; outcome: Promise<Outcome> }> = [];
  let nextFrom = start;
  let launched = 0;
  let ramped = false;
  let stopped = false;
  const launch = (): void => {
    while (!stopped && queue.length < (ramped ? concurrency : 1) && launched < maxPages && nextFrom < end) {
      const w = { from: nextFrom, to: Math.min(nextFrom + span, end) - step };
      nextFrom = w.to + step;
      launched++;
      queue.push({
        ...w,
        outcome: dataset
          .fetchPage(
            { source: source.definition.id, config: source.config, signal, gate: source.gate },
            { series, from: w.from, to: w.to },
          )
          .then(
            (page): Outcome => ({ page }),
            (error: unknown): Outcome => ({ error }),
          ),
      });
    }
  };
  /** Let the requests still in flight finish and drop their answers, so none outlives the activity. */
  const drop = async (): Promise<void> => {
    const left = queue.splice(0);
    launched -= left.length;
    await Promise.all(left.map((q) => q.outcome));
  };

  let cursor = start;
  let pageCount = 0;
  let batch: PageBatch = { pages: [], from: start, next: start };
  // Batches are written one after another (the checkpoint only moves forward), by a chain the
  // fetching never waits for unless `MAX_QUEUED_BATCHES` are waiting to be written (bounded memory).
  let writing: Promise<void> = Promise.resolve();
  const queued: Array<Promise<void>> = [];
  const flush = async (): Promise<void> => {
    if (batch.pages.length === 0) return;
    const b: PageBatch = { ...batch, next: cursor };
    batch = { pages: [], from: cursor, next: cursor };
    if (queued.length >= MAX_QUEUED_BATCHES) await queued.shift();
    writing = writing.then(() => args.write(b)); // a failed write skips the ones after it
    writing.catch(() => undefined); // awaited later; never unhandled meanwhile
    queued.push(writing);
  };

  let paused: SourcePause | undefined;
  launch();
  try {
    while (queue.length > 0) {
      const w = queue.shift()!;
      const outcome = await w.outcome;
      if ('error' in outcome) {
        stopped = true;
        await drop();
        paused = await pauseFor(outcome.error, source.gate, series.source);
        if (!paused) throw outcome.error;
        break;
      }
      batch.pages.push({ page: outcome.page, from: w.from, to: w.to });
      pageCount++;
      recordPage(source.definition.id, dataset.id);
      if (outcome.page.firstAvailable !== undefined) {
        // "Not trading yet": nothing exists before `firstAvailable`; go on from there.
        cursor = Math.min(end, Math.max(w.to + step, Math.ceil(outcome.page.firstAvailable / step) * step));
        await drop();
        nextFrom = cursor;
        ramped = false;
      } else {
        cursor = w.to + step;
        ramped = true;
      }
      launch();
      args.onProgress?.(cursor, pageCount);
      if (batch.pages.length >= writeEvery) await flush();
    }
    await flush();
    await writing;
  } catch (err) {
    stopped = true;
    await drop();
    await writing.catch(() => undefined);
    throw err;
  }
  return { cursor, pages: pageCount, ...(paused ? { paused } : {}) };
}
