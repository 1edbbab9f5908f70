/**
 * `reconcileSources`: on its daily schedule, compare the series two sources both hold over the
 * last day(s) of final periods, and record where close or volume disagree beyond the tolerance
 * (`reconcile_diffs`; docs/reconciliation.md). One activity: it reads the database only.
 */
import { setCurrentDetails, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import { reconcileProgressQuery, type ReconcileProgress, type ReconcileSourcesInput } from './contracts/reconcile';
import { SA } from './contracts/search-attributes';
import { reconcileActivities } from './activity-profiles';
import { nominalTime } from './sync-dataset';
import { reconcileSourcesProblems } from './contracts/validation';
import { requireValidInput } from './input';

function describe(p: ReconcileProgress): string {
  return [
    `**Reconciliation** ${p.since} → ${p.asOf}`,
    '',
    `Status: ${p.status}`,
    ...(p.pairs !== undefined
      ? [
          `Pairs of series held by two sources: ${p.pairs}; periods compared: ${p.compared}`,
          `Disagreements beyond the tolerance: ${p.disagreements}${p.disagreements ? ' (see reconcile_diffs, docs/reconciliation.md)' : ''}; resolved since: ${p.resolved}`,
        ]
      : []),
  ].join('\n');
}

export async function reconcileSources(input: ReconcileSourcesInput): Promise<ReconcileProgress> {
  requireValidInput('reconciliation', reconcileSourcesProblems(input));
  const asOf = nominalTime(input.asOf);
  const until = Math.floor(Date.parse(asOf) / 86_400_000) * 86_400; // whole UTC days before asOf
  const since = until - (input.days ?? 2) * 86_400;
  let progress: ReconcileProgress = {
    status: 'comparing',
    asOf: new Date(until * 1000).toISOString(),
    since: new Date(since * 1000).toISOString(),
  };
  setHandler(reconcileProgressQuery, () => progress);
  upsertSearchAttributes([{ key: SA.kind, value: 'reconcile' }]);
  setCurrentDetails(describe(progress));
  const r = await reconcileActivities().reconcileSources({
    asOf: until,
    since,
    ...(input.tolerance ? { tolerance: input.tolerance } : {}),
  });
  progress = { ...progress, ...r, status: 'completed' };
  setCurrentDetails(describe(progress));
  return progress;
}
