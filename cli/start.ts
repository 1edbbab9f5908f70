/**
 * Starting a workflow from the CLI: start it (or attach to the open run with the same ID), print
 * its ID and the exact `temporal workflow query` command, and with `--wait` watch it to the end.
 */
import { WorkflowExecutionAlreadyStartedError, type Client, type WorkflowHandle } from '@temporalio/client';
import type { SearchAttributePair } from '@temporalio/common';
import { SA } from '../workflows/contracts/search-attributes';
import type { TemporalTarget } from './connect';
import type { CliContext } from './context';
import { queryCommand, watchAndSummarize } from './watch';

export interface StartSpec {
  readonly workflowType: string;
  readonly workflowId: string;
  readonly taskQueue: string;
  readonly args: unknown[];
  /** Search attributes by contract key name (IngestKind, IngestSource…), set at start so lists show it at once. */
  readonly searchAttributes?: Readonly<Partial<Record<keyof typeof SA, string>>>;
  readonly summary?: string;
}

export function searchAttributePairs(sa: StartSpec['searchAttributes']): SearchAttributePair[] {
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

/** `started <id>` / `attached to <id> …`, then how to follow it. */
export function startedLines(
  target: TemporalTarget,
  workflowId: string,
  started: boolean,
  taskQueue: string,
): string[] {
  return [
    started
      ? `started ${workflowId}`
      : `attached to ${workflowId} (a run with this ID is already open; nothing new was started)`,
    `  task queue: ${taskQueue}`,
    `  progress:   ${queryCommand(target, workflowId)}`,
    `  watch:      crypto-ingest status '${workflowId}'`,
  ];
}

/** Start (or attach), print, and with `wait` watch it to the end (exit 3 if it does not complete). */
export async function runStart(ctx: CliContext, spec: StartSpec, wait: boolean): Promise<void> {
  const session = await ctx.temporal();
  const { started } = await startOrAttach(session.client, spec);
  for (const line of startedLines(session.target, spec.workflowId, started, spec.taskQueue)) ctx.out.log(line);
  if (wait) await watchAndSummarize(session.client, [spec.workflowId], { out: ctx.out, target: session.target });
}
