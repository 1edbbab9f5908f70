/**
 * `backfillSeries`: load one series over a range, chunk by chunk, from its checkpoint.
 * Deterministic and small: the activities do all I/O and return counts and cursors only.
 */
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import {
  BACKFILL_DEFAULTS,
  progressQuery,
  type BackfillPlan,
  type BackfillProgress,
  type BackfillSeriesInput,
  type BackfillSeriesResult,
} from './contracts/backfill';
import { SA } from './contracts/search-attributes';
import { waitOutPause } from './pause';
import { ingestActivities, planningActivities } from './activity-profiles';
import { backfillSeriesProblems } from './contracts/validation';
import { requireValidInput } from './input';

function percentDone(plan: BackfillPlan, cursor: string): number {
  const from = Date.parse(plan.from);
  const to = Date.parse(plan.to);
  return Math.min(100, Math.max(0, Math.floor(((Date.parse(cursor) - from) / (to - from)) * 100)));
}

function describe(input: BackfillSeriesInput, p: BackfillProgress): string {
  const head = `**Backfill** ${input.source}/${input.dataset} ${input.market} ${input.instrument} ${input.interval}`;
  if (p.status === 'planning') return `${head}\n\nPlanning: validating input and reading the checkpoint.`;
  const pause =
    p.status === 'paused' ? [`**Paused until ${p.pausedUntil}** (resumes by itself): ${p.pauseReason}`, ''] : [];
  return [
    head,
    '',
    ...pause,
    `Status: ${p.status}, ${p.percent}% (range ${p.from} → ${p.to})`,
    `Cursor: ${p.cursor} (everything before it is stored)`,
    ...(p.note ? [`Note: ${p.note}`] : []),
    ...(p.plannedCalls !== undefined ? [`Calls: ${p.pages} made of ${p.plannedCalls} planned`] : []),
    `Chunks ${p.chunks}, pages ${p.pages}, rows received ${p.rowsReceived}: ${p.rowsInserted} new, ${p.rowsUpdated} updated, ${p.rowsUnchanged} unchanged, ${p.rowsQuarantined ?? 0} quarantined`,
    `Waited for the source ${p.pauses ?? 0} time(s)`,
    `Run ${p.runs} of this workflow (continue-as-new keeps histories short)`,
  ].join('\n');
}

export async function backfillSeries(input: BackfillSeriesInput): Promise<BackfillSeriesResult> {
  requireValidInput('backfill', backfillSeriesProblems(input));
  const options = { ...BACKFILL_DEFAULTS, ...input.options };
  let progress: BackfillProgress = input.state
    ? { ...input.state.progress, runs: input.state.progress.runs + 1 }
    : {
        status: 'planning',
        percent: 0,
        chunks: 0,
        pages: 0,
        rowsReceived: 0,
        rowsInserted: 0,
        rowsUpdated: 0,
        rowsUnchanged: 0,
        runs: 1,
      };
  setHandler(progressQuery, () => progress);
  setCurrentDetails(describe(input, progress));

  // Every run (the first, each continue-as-new, and any reset) starts from the checkpoint in
  // PostgreSQL, which is written with the data: so `temporal workflow reset --type
  // FirstWorkflowTask` is always safe and resumes exactly where the data stops. The range is
  // fixed by the first run (a later run passes it back, so "now" never moves it).
  const fixed = input.state?.plan;
  const planned = await planningActivities(input.source).planBackfill(
    fixed ? { ...input, from: fixed.from, to: fixed.to, state: undefined } : input,
  );
  // The range is the fixed one, but the plan (its job id, the checkpoint key) is always recomputed
  // from the series by planBackfill: a hand-made `state` cannot point this run at another job.
  const plan: BackfillPlan = planned.plan;
  progress = {
    ...progress,
    status: 'running',
    jobId: plan.jobId,
    from: plan.from,
    to: plan.to,
    cursor: planned.cursor,
    percent: percentDone(plan, planned.cursor),
    ...(planned.note ? { note: planned.note } : {}),
    ...(planned.callsLeft !== undefined ? { plannedCalls: progress.pages + planned.callsLeft } : {}),
  };
  upsertSearchAttributes([
    { key: SA.source, value: input.source },
    { key: SA.dataset, value: input.dataset },
    { key: SA.market, value: input.market },
    { key: SA.instrument, value: input.instrument },
    { key: SA.interval, value: input.interval },
    { key: SA.kind, value: 'backfill' },
    { key: SA.cursor, value: new Date(progress.cursor ?? plan.from) },
    { key: SA.percent, value: progress.percent },
  ]);
  setCurrentDetails(describe(input, progress));

  const { ingestChunk } = ingestActivities(input.source, options.heartbeatTimeout);
  const series = {
    source: input.source,
    dataset: input.dataset,
    market: input.market,
    instrument: input.instrument,
    interval: input.interval,
  };
  let chunksThisRun = 0;
  while (Date.parse(progress.cursor ?? plan.to) < Date.parse(plan.to)) {
    const r = await ingestChunk({
      jobId: plan.jobId,
      series,
      cursor: progress.cursor ?? plan.from,
      end: plan.to,
      rangeFrom: plan.from,
      maxPages: options.pagesPerActivity,
    });
    chunksThisRun++;
    progress = {
      ...progress,
      cursor: r.nextCursor,
      percent: percentDone(plan, r.nextCursor),
      chunks: progress.chunks + (r.runId === null ? 0 : 1),
      pages: progress.pages + r.pages,
      rowsReceived: progress.rowsReceived + r.rowsReceived,
      rowsInserted: progress.rowsInserted + r.rowsInserted,
      rowsUpdated: progress.rowsUpdated + r.rowsUpdated,
      rowsUnchanged: progress.rowsUnchanged + r.rowsUnchanged,
      rowsQuarantined: (progress.rowsQuarantined ?? 0) + r.rowsQuarantined,
    };
    upsertSearchAttributes([
      { key: SA.cursor, value: new Date(r.nextCursor) },
      { key: SA.percent, value: progress.percent },
    ]);
    setCurrentDetails(describe(input, progress));
    if (r.paused) {
      // Not a failure: wait (a durable timer) until the source reopens, then go on by itself.
      const { until, reason } = r.paused;
      await waitOutPause(until, (paused) => {
        progress = paused
          ? { ...progress, status: 'paused', pausedUntil: until, pauseReason: reason }
          : {
              ...progress,
              status: 'running',
              pausedUntil: undefined,
              pauseReason: undefined,
              pauses: (progress.pauses ?? 0) + 1,
            };
        setCurrentDetails(describe(input, progress));
      });
    }
    if (r.done) break;
    if (workflowInfo().continueAsNewSuggested || chunksThisRun >= options.continueAsNewAfter) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof backfillSeries>({ ...input, state: { plan, progress } });
    }
  }
  progress = { ...progress, status: 'completed', percent: 100, cursor: plan.to };
  upsertSearchAttributes([
    { key: SA.cursor, value: new Date(plan.to) },
    { key: SA.percent, value: 100 },
  ]);
  setCurrentDetails(describe(input, progress));
  return progress;
}
