/**
 * `backfillUniverse`: backfill many tracked series with a sliding window of concurrent
 * `backfillSeries` children (business-key IDs: restarting never duplicates work), continuing as new
 * when the history grows. Without an explicit range it takes the series whose initial backfill is
 * due, from their coverage start up to `asOf`, and marks each done when its child completes.
 */
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  executeChild,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import {
  universeBackfillProgressQuery,
  type BackfillUniverseInput,
  type BackfillUniverseProgress,
  type SeriesPage,
} from './contracts/universe-backfill';
import { backfillWorkflowId } from './contracts/ids';
import { SA } from './contracts/search-attributes';
import { seriesCursor } from './contracts/series';
import { databaseActivities } from './activity-profiles';
import { nominalTime } from './sync-dataset';
import { backfillSeries } from './backfill-series';
import { backfillUniverseProblems } from './contracts/validation';
import { requireValidInput } from './input';

function describe(p: BackfillUniverseProgress): string {
  return [
    `**Universe backfill** up to ${p.asOf}`,
    '',
    `Status: ${p.status}; series started ${p.started}, completed ${p.completed}, failed ${p.failed}, running ${p.running}`,
    `Rows received ${p.rows}; run ${p.runs}`,
    ...(p.failures.length ? [`Failed (reset or restart them): ${p.failures.join(', ')}`] : []),
  ].join('\n');
}

export async function backfillUniverse(input: BackfillUniverseInput): Promise<BackfillUniverseProgress> {
  requireValidInput('universe backfill', backfillUniverseProblems(input));
  const asOf = input.state?.asOf ?? nominalTime(input.asOf);
  let progress: BackfillUniverseProgress = input.state
    ? { ...input.state.progress, runs: input.state.progress.runs + 1, running: 0 }
    : { status: 'running', asOf, started: 0, completed: 0, failed: 0, running: 0, rows: 0, failures: [], runs: 1 };
  setHandler(universeBackfillProgressQuery, () => progress);
  upsertSearchAttributes([{ key: SA.kind, value: 'universe' }]);
  setCurrentDetails(describe(progress));

  const explicit = input.from !== undefined && input.to !== undefined;
  const concurrency = Math.max(1, input.concurrency ?? 4);
  const db = databaseActivities();
  let after = input.state?.after ?? null;
  let buffer: SeriesPage['series'] = [];
  let exhausted = false;
  let stopStarting = false;
  /** Series start in keyset order, so everything up to the last started one is handled. */
  let lastStarted: string | null = after;

  // Lanes share one buffer of series; one page is fetched at a time.
  let fetching: Promise<void> | undefined;
  const next = async () => {
    while (buffer.length === 0 && !exhausted) {
      fetching ??= (async () => {
        const page = await db.listTrackedSeries({
          filter: { source: input.source, dataset: input.dataset, interval: input.interval },
          after,
          limit: Math.max(20, concurrency * 4),
          onlyPending: !explicit,
        });
        buffer = page.series;
        after = page.next;
        exhausted = page.next === null;
      })().finally(() => {
        fetching = undefined;
      });
      await fetching;
    }
    return buffer.shift();
  };

  const lane = async () => {
    for (;;) {
      if (stopStarting) return;
      const s = await next();
      if (!s) return;
      const from = explicit ? input.from! : s.backfillFrom;
      const to = explicit ? input.to! : asOf;
      if (Date.parse(from) >= Date.parse(to)) continue;
      const series = {
        source: s.source,
        dataset: s.dataset,
        market: s.market,
        instrument: s.instrument,
        interval: s.interval,
      };
      lastStarted = seriesCursor(series);
      progress = { ...progress, started: progress.started + 1, running: progress.running + 1 };
      setCurrentDetails(describe(progress));
      const workflowId = backfillWorkflowId(series, Date.parse(from) / 1000, Date.parse(to) / 1000);
      try {
        const r = await executeChild(backfillSeries, { workflowId, args: [{ ...series, from, to }] });
        if (!explicit) await db.markBackfilled(series);
        progress = { ...progress, completed: progress.completed + 1, rows: progress.rows + r.rowsReceived };
      } catch {
        // A failed series stays pending (the next universe refresh tries again); the rest go on.
        progress = {
          ...progress,
          failed: progress.failed + 1,
          failures: [...progress.failures, workflowId].slice(-20),
        };
      }
      progress = { ...progress, running: progress.running - 1 };
      setCurrentDetails(describe(progress));
      // Keep histories short: stop starting new children, let the lanes drain, continue as new.
      if (workflowInfo().continueAsNewSuggested) stopStarting = true;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));

  if (stopStarting && !(exhausted && buffer.length === 0)) {
    // Series read but not started are read again: resume after the last one started.
    await condition(allHandlersFinished);
    await continueAsNew<typeof backfillUniverse>({ ...input, state: { asOf, after: lastStarted, progress } });
  }
  progress = { ...progress, status: 'completed' };
  setCurrentDetails(describe(progress));
  return progress;
}
