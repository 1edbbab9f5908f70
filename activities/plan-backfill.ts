/**
 * `planBackfill`: validate a backfill's input (every problem at once, as a non-retryable
 * `InvalidInputError`), normalize its range, and open (or find) its checkpoint.
 */
import { backfillCalls } from './universe-plan';
import { z } from 'zod';
import type { BackfillPlan, BackfillSeriesInput } from '../workflows/contracts/backfill';
import { backfillJobId, canonicalTime } from '../workflows/contracts/ids';
import { alignDown, alignUp, INTERVAL_SECONDS, INTERVALS, type SeriesKey } from '../workflows/contracts/series';
import { InvalidInputError } from './errors';
import { resolveDataset, type ActivityDeps } from './runtime';

const isoTime = z.string().refine((s) => Number.isFinite(Date.parse(s)), 'not an ISO-8601 time');
const idPart = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, dot, dash and underscore only');

export const backfillInputSchema = z.object({
  source: idPart,
  dataset: idPart,
  market: idPart,
  instrument: idPart,
  interval: z.enum(INTERVALS),
  from: isoTime,
  to: isoTime.optional(),
  options: z
    .object({
      pagesPerActivity: z.number().int().min(1).max(50).optional(),
      continueAsNewAfter: z.number().int().min(1).max(5_000).optional(),
      heartbeatTimeout: z.string().optional(),
    })
    .strict()
    .optional(),
  state: z.unknown().optional(),
});

export interface PlanResult {
  readonly plan: BackfillPlan;
  readonly series: SeriesKey;
  /** Why the backfill starts later than `from`, if it does (listing date, the API's history depth). */
  readonly note?: string;
  /** Where the checkpoint stands (ISO). */
  readonly cursor: string;
  readonly completed: boolean;
  /** The calls left from the checkpoint to the end, as the universe plan counts them (`backfillCalls`). */
  readonly callsLeft?: number;
}

/** Parse and normalize; throws `InvalidInputError` naming every problem. Pure except for `now`. */
export function normalizeBackfillInput(
  deps: ActivityDeps,
  input: unknown,
  nowMs: number,
): { series: SeriesKey; from: number; to: number; jobId: string } {
  const parsed = backfillInputSchema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`);
    throw new InvalidInputError(`invalid backfill input: ${problems.join('; ')}`, { details: { problems } });
  }
  const i = parsed.data;
  const { dataset } = resolveDataset(deps, i.source, i.dataset);
  if (!dataset.intervals.includes(i.interval)) {
    throw new InvalidInputError(
      `dataset '${i.dataset}' has no interval '${i.interval}' (has: ${dataset.intervals.join(', ')})`,
    );
  }
  const step = INTERVAL_SECONDS[i.interval];
  const nowS = Math.floor(nowMs / 1000);
  const endOfCurrentPeriod = alignDown(nowS, i.interval) + step;
  const from = alignDown(Math.floor(Date.parse(i.from) / 1000), i.interval);
  const requestedTo =
    i.to === undefined ? endOfCurrentPeriod : alignUp(Math.floor(Date.parse(i.to) / 1000), i.interval);
  const to = Math.min(requestedTo, endOfCurrentPeriod);
  if (from >= to) {
    throw new InvalidInputError(
      `empty range: from ${canonicalTime(from)} is not before to ${canonicalTime(to)}` +
        (requestedTo > to ? ' (to was clamped to the end of the current period)' : ''),
    );
  }
  const series: SeriesKey = {
    source: i.source,
    dataset: i.dataset,
    market: i.market,
    instrument: i.instrument,
    interval: i.interval,
  };
  return { series, from, to, jobId: backfillJobId(series, from, to) };
}

export function createPlanBackfill(deps: ActivityDeps) {
  return async function planBackfill(input: BackfillSeriesInput): Promise<PlanResult> {
    const now = deps.now?.() ?? Date.now();
    const { series, from, to, jobId } = normalizeBackfillInput(deps, input, now);
    const { dataset } = resolveDataset(deps, series.source, series.dataset);
    const step = INTERVAL_SECONDS[series.interval];
    // Start where data can exist: the instrument's first trade (reference data), and no deeper
    // than the API keeps this interval. The job keeps the range it was asked for.
    const notes: string[] = [];
    let startAt = from;
    const floor = dataset.instrumentKind
      ? await deps.store.instrumentFloor(series.source, dataset.instrumentKind, series.market, series.instrument)
      : undefined;
    if (floor !== undefined && alignDown(floor, series.interval) > startAt) {
      startAt = alignDown(floor, series.interval);
      notes.push(`the instrument's first trade is ${canonicalTime(floor)}`);
    }
    const depth = dataset.maxHistorySeconds?.(series.interval);
    if (depth !== undefined) {
      const oldest = alignUp(Math.floor(now / 1000) - depth, series.interval);
      if (oldest > startAt) {
        startAt = oldest;
        notes.push(`the API keeps ${depth / 86_400} days of ${series.interval} history`);
      }
    }
    startAt = Math.min(startAt, to);
    const cp = await deps.store.openCheckpoint({ jobId, series, from, to, startAt });
    return {
      plan: { jobId, from: canonicalTime(from), to: canonicalTime(to), totalPeriods: (to - from) / step },
      series,
      cursor: canonicalTime(cp.nextTs),
      completed: cp.completed || cp.nextTs >= to,
      callsLeft: cp.completed ? 0 : backfillCalls(cp.nextTs, to, step, dataset.maxPeriodsPerRequest(series.interval)),
      ...(notes.length > 0 ? { note: `starts at ${canonicalTime(startAt)}: ${notes.join('; ')}` } : {}),
    };
  };
}
