/**
 * Start-or-attach: the one way this project starts a workflow. Workflow IDs are business keys, so
 * starting the same job twice attaches to the open run instead of starting a duplicate.
 */
import { WorkflowExecutionAlreadyStartedError, type Client, type WorkflowHandle } from '@temporalio/client';
import type { SearchAttributePair } from '@temporalio/common';
import { SA } from '../workflows/contracts/search-attributes';

export interface StartSpec {
  readonly workflowType: string;
  readonly workflowId: string;
  readonly taskQueue: string;
  readonly args: unknown[];
  /** Search attributes by contract key name (IngestKind, IngestSource…), set at start so lists show it at once. */
  readonly searchAttributes?: Readonly<Partial<Record<keyof typeof SA, string>>>;
  readonly summary?: string;
}

function searchAttributePairs(sa: StartSpec['searchAttributes']): SearchAttributePair[] {
  return Object.entries(sa ?? {})
    .filter((e): e is [keyof typeof SA, string] => e[1] !== undefined)
    .map(([k, v]) => ({ key: SA[k] as SearchAttributePair['key'], value: v }) as SearchAttributePair);
}

/**
 * Start, or attach when a run with this workflow ID is already open. The handle is the started run's
 * (bound to its chain) or, when attached, one to the workflow ID.
 */
export async function startOrAttach(
  client: Client,
  spec: StartSpec,
): Promise<{ started: boolean; handle: WorkflowHandle }> {
  try {
    const handle = await client.workflow.start(spec.workflowType, {
      taskQueue: spec.taskQueue,
      workflowId: spec.workflowId,
      args: spec.args,
      ...(spec.searchAttributes ? { typedSearchAttributes: searchAttributePairs(spec.searchAttributes) } : {}),
      ...(spec.summary ? { staticSummary: spec.summary } : {}),
    });
    return { started: true, handle };
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) {
      return { started: false, handle: client.workflow.getHandle(spec.workflowId) };
    }
    throw err;
  }
}
