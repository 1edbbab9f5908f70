/**
 * Starting backfills and watching them, for the embedded default (`npm start`, `npm run demo`)
 * and the CLI: business-key workflow IDs (starting the same backfill again attaches to it),
 * progress read from each workflow's `progress` query.
 */
import { WorkflowExecutionAlreadyStartedError, type Client, type WorkflowHandle } from '@temporalio/client';
import type { BackfillProgress, BackfillSeriesInput } from '../workflows/contracts/backfill';
import { progressQuery } from '../workflows/contracts/backfill';
import { backfillWorkflowId } from '../workflows/contracts/ids';
import { alignDown, alignUp, type Interval, type SeriesKey } from '../workflows/contracts/series';
import type { backfillSeries } from '../workflows/backfill-series';

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

/** Start a backfill, or attach to the open run with the same business key. */
export async function startBackfill(client: Client, taskQueue: string, r: BackfillRequest): Promise<StartedBackfill> {
  const workflowId = workflowIdFor(r);
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
  try {
    const handle = await client.workflow.start<typeof backfillSeries>('backfillSeries', {
      taskQueue,
      workflowId,
      args: [input],
      staticSummary: `Backfill ${r.source}/${r.dataset} ${r.market} ${r.instrument} ${r.interval} ${r.from} → ${r.to}`,
    });
    return { request: r, workflowId, started: true, handle };
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) {
      return {
        request: r,
        workflowId,
        started: false,
        handle: client.workflow.getHandle<typeof backfillSeries>(workflowId),
      };
    }
    throw err;
  }
}

export function label(r: SeriesKey): string {
  return `${r.market} ${r.instrument} ${r.interval}`;
}

export function describeProgress(p: BackfillProgress | undefined): string {
  if (!p) return 'waiting for a worker';
  if (p.status === 'planning') return 'planning';
  return `${String(p.percent).padStart(3)}%  rows ${p.rowsReceived} (new ${p.rowsInserted})  pages ${p.pages}  cursor ${p.cursor ?? '-'}`;
}

/** A few characters: `waiting`, `planning` or the percentage. */
export function shortProgress(p: BackfillProgress | undefined): string {
  if (!p) return 'waiting';
  return p.status === 'planning' ? 'planning' : `${p.percent}%`;
}

/** Query progress; undefined while no worker has picked the workflow up yet. */
export async function readProgress(b: StartedBackfill): Promise<BackfillProgress | undefined> {
  try {
    return await b.handle.query(progressQuery);
  } catch {
    return undefined;
  }
}

/** A few series with ranges ending at the start of today (UTC), so IDs are stable within a day. */
export function demoBackfills(now = Date.now()): BackfillRequest[] {
  const today = alignDown(Math.floor(now / 1000), '1d');
  const iso = (s: number) => new Date(s * 1000).toISOString().replace('.000Z', 'Z');
  const days = (n: number) => iso(today - n * 86_400);
  const s = (market: string, instrument: string, interval: Interval, fromDaysAgo: number): BackfillRequest => ({
    source: 'data-api',
    dataset: 'spot-ohlcv',
    market,
    instrument,
    interval,
    from: days(fromDaysAgo),
    to: iso(today),
  });
  return [
    s('kraken', 'BTC-USD', '1h', 180),
    s('coinbase', 'ETH-USD', '1h', 180),
    s('binance', 'SOL-USDT', '1m', 3),
    s('bitstamp', 'LTC-USD', '1d', 3 * 365),
  ];
}
