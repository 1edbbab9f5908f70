/**
 * Backfills as a Temporal client starts and reads them: the business-key workflow ID a request
 * maps to (aligned exactly as the workflow aligns it), its start spec (input, summary, search
 * attributes), start-or-attach, and the `progress` query.
 */
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { BackfillProgress, BackfillSeriesInput } from '../workflows/contracts/backfill';
import { progressQuery } from '../workflows/contracts/backfill';
import { backfillWorkflowId } from '../workflows/contracts/ids';
import { alignDown, alignUp, type SeriesKey } from '../workflows/contracts/series';
import type { backfillSeries } from '../workflows/backfill-series';
import { startOrAttach, type StartSpec } from './start';

export interface BackfillRequest extends SeriesKey {
  /** ISO-8601; floored to the interval. */
  readonly from: string;
  /** ISO-8601 (exclusive); ceiled to the interval. */
  readonly to: string;
  readonly options?: BackfillSeriesInput['options'];
}

export interface StartedBackfill {
  readonly request: BackfillRequest;
  readonly workflowId: string;
  /** False when a run with this business key was already open (we attached to it). */
  readonly started: boolean;
  readonly handle: WorkflowHandle<typeof backfillSeries>;
}

const toSec = (iso: string) => Math.floor(Date.parse(iso) / 1000);

/** The workflow ID a backfill request maps to (aligned exactly as the workflow will align it). */
export function workflowIdFor(r: BackfillRequest): string {
  return backfillWorkflowId(r, alignDown(toSec(r.from), r.interval), alignUp(toSec(r.to), r.interval));
}

/** How a backfill request is started: its business-key ID, input, summary and search attributes. */
export function backfillStartSpec(r: BackfillRequest, taskQueue: string): StartSpec {
  const input: BackfillSeriesInput = {
    source: r.source,
    dataset: r.dataset,
    market: r.market,
    instrument: r.instrument,
    interval: r.interval,
    from: r.from,
    to: r.to,
    ...(r.options ? { options: r.options } : {}),
  };
  return {
    workflowType: 'backfillSeries',
    workflowId: workflowIdFor(r),
    taskQueue,
    args: [input],
    // Set at start too, so a backfill still waiting for a worker is already listed by kind and series.
    searchAttributes: {
      source: r.source,
      dataset: r.dataset,
      market: r.market,
      instrument: r.instrument,
      interval: r.interval,
      kind: 'backfill',
    },
    summary: `Backfill ${r.source}/${r.dataset} ${r.market} ${r.instrument} ${r.interval} ${r.from} → ${r.to}`,
  };
}

/** Start a backfill, or attach to the open run with the same business key. */
export async function startBackfill(client: Client, taskQueue: string, r: BackfillRequest): Promise<StartedBackfill> {
  const spec = backfillStartSpec(r, taskQueue);
  const { started, handle } = await startOrAttach(client, spec);
  return {
    request: r,
    workflowId: spec.workflowId,
    started,
    handle: handle as WorkflowHandle<typeof backfillSeries>,
  };
}

/** Query progress; undefined while no worker has picked the workflow up yet. */
export async function readProgress(b: StartedBackfill): Promise<BackfillProgress | undefined> {
  try {
    return await b.handle.query(progressQuery);
  } catch {
    return undefined;
  }
}
