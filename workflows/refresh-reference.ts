/**
 * `refreshReference`: take one snapshot of a reference dataset (assets, a top list, markets and
 * instruments). If the source is rate limited the workflow waits (durable timer) and tries again.
 */
import { setCurrentDetails, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import type { RefreshReferenceInput, RefreshReferenceProgress } from './contracts/reference';
import { referenceProgressQuery } from './contracts/reference';
import { SA } from './contracts/search-attributes';
import { waitOutPause } from './pause';
import { referenceActivities } from './activity-profiles';
import { refreshReferenceProblems } from './contracts/validation';
import { requireValidInput } from './input';

function describe(input: RefreshReferenceInput, p: RefreshReferenceProgress): string {
  const head = `**Reference refresh** ${input.source}/${input.dataset}`;
  if (p.status === 'paused')
    return `${head}\n\n**Paused until ${p.pausedUntil}** (resumes by itself): ${p.pauseReason}`;
  if (p.status === 'running') return `${head}\n\nFetching the snapshot…`;
  return [
    head,
    '',
    `Snapshot of ${p.snapshotDate}: ${p.pages} page(s); assets ${p.assets}, top-list rows ${p.topList}, markets ${p.markets}, instruments ${p.instruments}; ${p.changed} row(s) new or changed`,
    ...(p.warnings?.length ? ['', `**Reported:** ${p.warnings.join('; ')}`] : []),
  ].join('\n');
}

export async function refreshReference(input: RefreshReferenceInput): Promise<RefreshReferenceProgress> {
  requireValidInput('reference refresh', refreshReferenceProblems(input));
  let progress: RefreshReferenceProgress = {
    status: 'running',
    pauses: 0,
    pages: 0,
    assets: 0,
    topList: 0,
    markets: 0,
    instruments: 0,
    changed: 0,
  };
  setHandler(referenceProgressQuery, () => progress);
  upsertSearchAttributes([
    { key: SA.source, value: input.source },
    { key: SA.dataset, value: input.dataset },
    { key: SA.kind, value: 'reference' },
  ]);
  setCurrentDetails(describe(input, progress));
  const { fetchReferenceSnapshot } = referenceActivities(input.source);
  for (;;) {
    const r = await fetchReferenceSnapshot(input);
    if (!r.paused) {
      progress = {
        ...progress,
        status: 'completed',
        pages: r.pages,
        assets: r.assets,
        topList: r.topList,
        markets: r.markets,
        instruments: r.instruments,
        changed: r.changed,
        ...(r.snapshotDate ? { snapshotDate: r.snapshotDate } : {}),
        ...(r.warnings?.length ? { warnings: r.warnings } : {}),
      };
      setCurrentDetails(describe(input, progress));
      return progress;
    }
    const { until, reason } = r.paused;
    await waitOutPause(until, (paused) => {
      progress = paused
        ? { ...progress, status: 'paused', pausedUntil: until, pauseReason: reason }
        : {
            ...progress,
            status: 'running',
            pausedUntil: undefined,
            pauseReason: undefined,
            pauses: progress.pauses + 1,
          };
      setCurrentDetails(describe(input, progress));
    });
  }
}
