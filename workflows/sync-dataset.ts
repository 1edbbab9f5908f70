/**
 * `syncDataset`: one tick of incremental sync for every tracked series of a source × dataset ×
 * interval, started by its Temporal Schedule. The tick syncs up to the schedule's nominal time
 * (so a late or caught-up run fetches the window it was meant for), in batches of series with
 * bounded concurrency: a few activities per hundred series, so 1,000+ series stay far inside the
 * history limits.
 *
 * With `tickEvery` (schedules set it) the tick keeps the plan (docs/universe.md, "The plan at run
 * time"): its series come least recently taken first, it records its planned calls, and when the
 * budget frees only after the next tick is due it stops and reports the series it leaves, which
 * the next tick takes first. Without it, it waits out every pause until all series are synced.
 */
import { setCurrentDetails, setHandler, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import {
  DEFAULT_LOOKBACK,
  DEFAULT_MAX_PAGES_PER_SERIES,
  emptySyncCounts,
  syncProgressQuery,
  type SyncBatchResult,
  type SyncCounts,
  type SyncDatasetInput,
  type SyncDatasetProgress,
} from './contracts/sync';
import { parseDurationMs, type SeriesCursor } from './contracts/series';
import { SA, SCHEDULED_START_TIME } from './contracts/search-attributes';
import { waitOutPause } from './pause';
import { databaseActivities, sourceOperations } from './activity-profiles';
import { syncDatasetProblems } from './contracts/validation';
import { requireValidInput } from './input';

/** The schedule's nominal time, the explicit `asOf`, or the workflow's start. */
export function nominalTime(asOf: string | undefined): string {
  if (asOf) return new Date(Date.parse(asOf)).toISOString();
  const scheduled = workflowInfo().typedSearchAttributes.get(SCHEDULED_START_TIME);
  return (scheduled ?? new Date(workflowInfo().startTime)).toISOString();
}

const COUNT_KEYS = Object.keys(emptySyncCounts()) as ReadonlyArray<keyof SyncCounts>;

function describe(input: SyncDatasetInput, p: SyncDatasetProgress): string {
  const head = `**Sync** ${input.source}/${input.dataset} ${input.interval} as of ${p.asOf ?? '…'}`;
  const pause =
    p.status === 'paused' ? [`**Paused until ${p.pausedUntil}** (resumes by itself): ${p.pauseReason}`, ''] : [];
  return [
    head,
    '',
    ...pause,
    `Status: ${p.status}; batches ${p.batchesDone}/${p.batches}`,
    `Series ${p.series}: ${p.synced} synced (${p.upToDate} up to the last closed period), ${p.pendingBackfill} awaiting their initial backfill`,
    ...(p.plannedCalls !== undefined
      ? [
          `Calls: ${p.pages} made of ${p.plannedCalls} planned; next tick due ${p.nextTickAt}` +
            (p.laggingBefore ? `; ${p.laggingBefore} series left by the previous tick go first` : ''),
        ]
      : []),
    ...(p.cutShort
      ? [
          `**Cut short: ${p.lagging} series left for the next tick** (they go first): the budget frees only at ${p.cutShort.until}, after the next tick is due (${p.cutShort.reason}). See docs/universe.md, "When the plan does not fit".`,
        ]
      : []),
    `Pages ${p.pages}; rows ${p.rowsInserted} new, ${p.rowsUpdated} updated (finalized or revised), ${p.rowsUnchanged} unchanged, ${p.rowsQuarantined} quarantined`,
    ...(p.failed > 0
      ? [
          `**${p.failed} series failed** (the others went on): ${p.failures.map((f) => `${f.series}: ${f.type}`).join('; ')}`,
        ]
      : []),
  ].join('\n');
}

export async function syncDataset(input: SyncDatasetInput): Promise<SyncDatasetProgress> {
  requireValidInput('sync', syncDatasetProblems(input));
  const asOf = nominalTime(input.asOf);
  let progress: SyncDatasetProgress = {
    status: 'planning',
    asOf,
    batches: 0,
    batchesDone: 0,
    ...emptySyncCounts(),
    failures: [],
  };
  setHandler(syncProgressQuery, () => progress);
  upsertSearchAttributes([
    { key: SA.source, value: input.source },
    { key: SA.dataset, value: input.dataset },
    { key: SA.interval, value: input.interval },
    { key: SA.kind, value: 'sync' },
  ]);
  setCurrentDetails(describe(input, progress));

  const batchSize = input.batchSize ?? 100;
  const plan = await databaseActivities().planSync({
    source: input.source,
    dataset: input.dataset,
    interval: input.interval,
    batchSize,
    asOf,
    ...(input.tickEvery !== undefined ? { tickEvery: input.tickEvery } : {}),
    ...(input.lookbackPeriods !== undefined ? { lookbackPeriods: input.lookbackPeriods } : {}),
    ...(input.maxPagesPerSeries !== undefined ? { maxPagesPerSeries: input.maxPagesPerSeries } : {}),
  });
  // With the schedule's period, the tick does not wait for budget that frees after the next is due.
  const everyMs = input.tickEvery === undefined ? undefined : parseDurationMs(input.tickEvery);
  const nextTickAt = everyMs === undefined ? undefined : Date.parse(asOf) + everyMs;
  progress = {
    ...progress,
    status: 'running',
    batches: plan.starts.length,
    ...(plan.plannedCalls !== undefined
      ? { plannedCalls: plan.plannedCalls, laggingBefore: plan.laggingBefore ?? 0 }
      : {}),
    ...(nextTickAt !== undefined ? { nextTickAt: new Date(nextTickAt).toISOString() } : {}),
  };
  setCurrentDetails(describe(input, progress));

  const { syncBatch } = sourceOperations(input.source);
  // Each batch ends where the next starts, so a batch re-run or a series tracked meanwhile can never
  // make two batches read the same series.
  const queue = plan.starts.map((start, i) => ({ start, end: plan.starts[i + 1] }));
  const add = (r: SyncBatchResult) => {
    const next = { ...progress };
    for (const k of COUNT_KEYS) next[k] += r[k];
    next.failures = [...progress.failures, ...r.failures].slice(-20);
    progress = next;
  };
  const runBatch = async ({ start, end }: { start: SeriesCursor; end: SeriesCursor | undefined }): Promise<void> => {
    let cursor = start;
    let limit = batchSize;
    for (;;) {
      const r = await syncBatch({
        source: input.source,
        dataset: input.dataset,
        interval: input.interval,
        asOf,
        start: cursor,
        ...(end !== undefined ? { end } : {}),
        limit,
        lookbackPeriods: input.lookbackPeriods ?? DEFAULT_LOOKBACK[input.interval],
        maxPagesPerSeries: input.maxPagesPerSeries ?? DEFAULT_MAX_PAGES_PER_SERIES,
      });
      add(r);
      if (!r.paused) break;
      const { until, reason } = r.paused;
      if (nextTickAt !== undefined && Date.parse(until) > nextTickAt) {
        // The budget frees after the next tick is due: stop here; the series left go first next tick.
        progress = { ...progress, cutShort: progress.cutShort ?? { until, reason } };
        queue.length = 0;
        return;
      }
      // Rate limited: the source is paused fleet-wide; wait (durably), then resume this batch.
      await waitOutPause(until, (paused) => {
        progress = paused
          ? { ...progress, status: 'paused', pausedUntil: until, pauseReason: reason }
          : { ...progress, status: 'running', pausedUntil: undefined, pauseReason: undefined };
        if (paused) setCurrentDetails(describe(input, progress));
      });
      cursor = r.paused.resumeAfter;
      limit = r.paused.remaining;
    }
    progress = { ...progress, batchesDone: progress.batchesDone + 1 };
    setCurrentDetails(describe(input, progress));
  };

  // Bounded concurrency: `concurrency` lanes take the next batch until none is left.
  const lane = async () => {
    for (let next = queue.shift(); next !== undefined; next = queue.shift()) await runBatch(next);
  };
  await Promise.all(Array.from({ length: Math.max(1, input.concurrency ?? 4) }, lane));

  progress = {
    ...progress,
    status: 'completed',
    ...(nextTickAt !== undefined && plan.total !== undefined
      ? { lagging: progress.cutShort ? Math.max(0, plan.total - progress.series) : 0 }
      : {}),
  };
  setCurrentDetails(describe(input, progress));
  return progress;
}
