/**
 * Starting a workflow from the CLI: start it (or attach to the open run with the same ID, see
 * `client/start.ts`), print its ID and the exact `temporal workflow query` command, and with
 * `--wait` watch it to the end.
 */
import { startOrAttach, type StartSpec } from '../client/start';
import type { TemporalTarget } from './connect';
import type { CliContext } from './context';
import { queryCommand, watchAndSummarize } from './watch';

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
