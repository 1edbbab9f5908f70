/**
 * The workflows panel: running ingest workflows, and those that failed, timed out or were
 * terminated recently, each linked into the Temporal UI (its base URL from config). Read through
 * Temporal's visibility API with the same search attributes `crypto-ingest status` uses.
 */
import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import { SA } from '../workflows/contracts/search-attributes';

export interface WorkflowRow {
  readonly type: string;
  readonly workflowId: string;
  readonly runId: string;
  readonly status: string;
  readonly kind: string | null;
  readonly source: string | null;
  readonly dataset: string | null;
  /** Percent done (IngestPercent), while it runs. */
  readonly percent: number | null;
  /** Set while it waits for its source to reopen (IngestPausedUntil). */
  readonly pausedUntil: string | null;
  readonly startTime: string;
  readonly closeTime: string | null;
  /** The run's page in the Temporal UI (null when no UI URL is configured). */
  readonly url: string | null;
}

export interface WorkflowsPanel {
  readonly running: WorkflowRow[];
  readonly failed: WorkflowRow[];
  readonly failedSinceHours: number;
  /** More than the limit matched (the list is cut). */
  readonly more: boolean;
  readonly queries: { running: string; failed: string };
  readonly uiUrl: string | null;
  readonly namespace: string;
}

/** `<ui>/namespaces/<ns>/workflows/<id>/<run>/history`: the run's page in the Temporal UI. */
export function temporalUiLink(uiUrl: string, namespace: string, workflowId: string, runId: string): string {
  const base = uiUrl.replace(/\/+$/, '');
  return `${base}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}/${encodeURIComponent(runId)}/history`;
}

const keyword = (w: WorkflowExecutionInfo, k: typeof SA.kind): string | null => w.typedSearchAttributes.get(k) ?? null;

export async function workflows(
  client: Client,
  o: { namespace: string; uiUrl: string | null; failedSinceHours: number; limit: number; now?: Date },
): Promise<WorkflowsPanel> {
  const since = new Date((o.now ?? new Date()).getTime() - o.failedSinceHours * 3_600_000).toISOString();
  const ingest = `${SA.kind.name} IS NOT NULL`;
  const queries = {
    running: `${ingest} AND ExecutionStatus = 'Running'`,
    failed: `${ingest} AND ExecutionStatus IN ('Failed', 'TimedOut', 'Terminated') AND CloseTime > '${since}'`,
  };
  let more = false;
  const list = async (query: string): Promise<WorkflowRow[]> => {
    const out: WorkflowRow[] = [];
    for await (const w of client.workflow.list({ query, pageSize: Math.min(o.limit + 1, 1000) })) {
      if (out.length === o.limit) {
        more = true;
        break;
      }
      out.push({
        type: w.type,
        workflowId: w.workflowId,
        runId: w.runId,
        status: w.status.name.toLowerCase(),
        kind: keyword(w, SA.kind),
        source: keyword(w, SA.source),
        dataset: keyword(w, SA.dataset),
        percent: w.typedSearchAttributes.get(SA.percent) ?? null,
        pausedUntil: w.typedSearchAttributes.get(SA.pausedUntil)?.toISOString() ?? null,
        startTime: w.startTime.toISOString(),
        closeTime: w.closeTime ? w.closeTime.toISOString() : null,
        url: o.uiUrl ? temporalUiLink(o.uiUrl, o.namespace, w.workflowId, w.runId) : null,
      });
    }
    return out;
  };
  const [running, failed] = await Promise.all([list(queries.running), list(queries.failed)]);
  return {
    running,
    failed,
    failedSinceHours: o.failedSinceHours,
    more,
    queries,
    uiUrl: o.uiUrl,
    namespace: o.namespace,
  };
}
