/**
 * Reference snapshots as a Temporal client starts them: one `refreshReference` workflow per source
 * dataset and UTC day (its business key), started or attached to, then awaited.
 */
import type { Client } from '@temporalio/client';
import { referenceWorkflowId } from '../workflows/contracts/ids';
import type { RefreshReferenceInput, RefreshReferenceProgress } from '../workflows/contracts/reference';
import type { refreshReference } from '../workflows/refresh-reference';
import { startOrAttach } from './start';

/** Start (or attach to) today's snapshot of each reference dataset and wait for them. */
export async function refreshReferences(
  client: Client,
  taskQueue: string,
  refs: readonly RefreshReferenceInput[],
): Promise<Array<{ workflowId: string; result: RefreshReferenceProgress }>> {
  const day = new Date().toISOString().slice(0, 10);
  return Promise.all(
    refs.map(async (r) => {
      const workflowId = referenceWorkflowId(r.source, r.dataset, day);
      const input: RefreshReferenceInput = r;
      await startOrAttach(client, {
        workflowType: 'refreshReference',
        workflowId,
        taskQueue,
        args: [input],
        summary: `Reference snapshot ${r.source}/${r.dataset} of ${day}`,
      });
      return { workflowId, result: await client.workflow.getHandle<typeof refreshReference>(workflowId).result() };
    }),
  );
}
