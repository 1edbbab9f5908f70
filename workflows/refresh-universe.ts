/**
 * `refreshUniverse`: on its schedule, refresh the reference data, resolve which series to track
 * from `config/universe.json`, and hand newly tracked series to a universe backfill, so a new
 * listing is tracked and backfilled without anyone starting anything.
 */
import {
  ParentClosePolicy,
  executeChild,
  setCurrentDetails,
  setHandler,
  startChild,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import { universeProgressQuery, type RefreshUniverseInput, type RefreshUniverseProgress } from './contracts/universe';
import { universeBackfillWorkflowId, universeReferenceWorkflowId } from './contracts/ids';
import { SA } from './contracts/search-attributes';
import { databaseActivities } from './activity-profiles';
import { nominalTime } from './sync-dataset';
import { refreshReference } from './refresh-reference';
import { backfillUniverse } from './backfill-universe';
import { refreshUniverseProblems } from './contracts/validation';
import { requireValidInput } from './input';

function describe(p: RefreshUniverseProgress): string {
  return [
    `**Universe refresh** as of ${p.asOf}`,
    '',
    `Status: ${p.status}`,
    `Reference snapshots: ${p.references}; tracked series: ${p.tracked} (${p.added} added, ${p.removed} dropped)`,
    `Awaiting their initial backfill: ${p.pendingBackfill}${p.backfillWorkflowId ? ` (handed to ${p.backfillWorkflowId})` : ''}`,
    ...(p.unlisted?.length
      ? [
          '',
          `**Not tracked: ${p.unlisted.length} configured instrument(s) their market's instruments reference does not list** ` +
            `(a typo, or not listed yet): ${p.unlisted.join(', ')}`,
        ]
      : []),
  ].join('\n');
}

export async function refreshUniverse(input: RefreshUniverseInput): Promise<RefreshUniverseProgress> {
  requireValidInput('universe refresh', refreshUniverseProblems(input));
  const asOf = nominalTime(input.asOf);
  let progress: RefreshUniverseProgress = {
    status: 'refreshing-references',
    asOf,
    references: 0,
    tracked: 0,
    added: 0,
    removed: 0,
    pendingBackfill: 0,
  };
  setHandler(universeProgressQuery, () => progress);
  upsertSearchAttributes([{ key: SA.kind, value: 'universe' }]);
  setCurrentDetails(describe(progress));

  // 1. Reference data (instruments, top lists): one child per snapshot, all at once.
  await Promise.all(
    input.config.references.map((r) =>
      executeChild(refreshReference, {
        workflowId: universeReferenceWorkflowId(r.source, r.dataset, asOf),
        args: [{ source: r.source, dataset: r.dataset, ...(r.params ? { params: r.params } : {}) }],
      }),
    ),
  );
  progress = { ...progress, status: 'resolving', references: input.config.references.length };
  setCurrentDetails(describe(progress));

  // 2. Which series to track now.
  const r = await databaseActivities().resolveUniverse({ config: input.config, asOf });
  progress = { ...progress, ...r };

  // 3. New series are backfilled by one universe backfill at a time; a running one picks them up.
  if (r.pendingBackfill > 0) {
    progress = { ...progress, status: 'starting-backfills' };
    setCurrentDetails(describe(progress));
    const workflowId = universeBackfillWorkflowId('pending');
    try {
      await startChild(backfillUniverse, {
        workflowId,
        args: [{ asOf, concurrency: input.config.backfillConcurrency ?? 4 }],
        parentClosePolicy: ParentClosePolicy.ABANDON,
      });
    } catch (err) {
      // Already running: it reads pending series as it goes, so it will take the new ones too.
      if ((err as Error).name !== 'WorkflowExecutionAlreadyStartedError') throw err;
    }
    progress = { ...progress, backfillWorkflowId: workflowId };
  }
  progress = { ...progress, status: 'completed' };
  setCurrentDetails(describe(progress));
  return progress;
}
