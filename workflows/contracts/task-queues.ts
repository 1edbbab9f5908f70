/**
 * Task queues. Workflows run on one queue; each source's activities run on a queue of their own
 * (`<workflow queue>.<source id>`), so a source's request rate can be limited server-side and its
 * workers scaled on their own. Deriving the activity queue from the workflow's own queue keeps
 * test runs (which use a private workflow queue) isolated without any extra configuration.
 */
export const DEFAULT_TASK_QUEUE = 'crypto-ingest';

export function sourceTaskQueue(workflowTaskQueue: string, sourceId: string): string {
  return `${workflowTaskQueue}.${sourceId}`;
}
