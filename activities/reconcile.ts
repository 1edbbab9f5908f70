/**
 * The activity of `reconcileSources`: pair the tracked series two sources both hold (datasets of
 * the same `comparable.kind`, same interval and instrument, market names equal but for case),
 * compare their final periods of the window, and record the close and volume values that differ
 * by more than the tolerance (relative to the larger of the two).
 */
import { activityInfo, heartbeat } from '@temporalio/activity';
import type { SeriesKey } from '../workflows/contracts/series';
import { DEFAULT_TOLERANCE, type ReconcileResult, type ReconcileTolerance } from '../workflows/contracts/reconcile';
import type { Diff, Side, SidePair } from './db/reconcile-store';
import { findSource } from './sources/index';
import type { ActivityDeps } from './runtime';
import type { DatasetSpec } from './sources/types';

/** |a − b| relative to the larger magnitude (0 when both are 0). */
export const relativeDiff = (a: number, b: number): number => {
  const m = Math.max(Math.abs(a), Math.abs(b));
  return m === 0 ? 0 : Math.abs(a - b) / m;
};

/** Pairs of tracked series of different sources holding the same data (left: the smaller source id). */
export function comparablePairs(
  tracked: readonly SeriesKey[],
  datasetOf: (s: SeriesKey) => DatasetSpec<unknown> | undefined,
): Array<[SeriesKey, SeriesKey]> {
  const groups = new Map<string, SeriesKey[]>();
  for (const s of tracked) {
    const kind = datasetOf(s)?.comparable?.kind;
    if (!kind) continue;
    const k = `${kind}\u0001${s.interval}\u0001${s.market.toLowerCase()}\u0001${s.instrument}`;
    groups.set(k, [...(groups.get(k) ?? []), s]);
  }
  const out: Array<[SeriesKey, SeriesKey]> = [];
  for (const g of groups.values())
    for (let i = 0; i < g.length; i++)
      for (let j = i + 1; j < g.length; j++)
        if (g[i]!.source !== g[j]!.source) {
          const [a, b] = g[i]!.source < g[j]!.source ? [g[i]!, g[j]!] : [g[j]!, g[i]!];
          out.push([a, b]);
        }
  return out;
}

/** Where an attempt got to (its heartbeat): a retry goes on with the same run from the next pair. */
interface Progress {
  readonly runId: number;
  readonly next: number;
  readonly compared: number;
  readonly disagreements: number;
  readonly resolved: number;
}

/** The pair's values beyond the tolerance, per compared column. */
function disagreements(rows: readonly SidePair[], tol: Required<ReconcileTolerance>): Diff[] {
  const diffs: Diff[] = [];
  for (const r of rows)
    for (const [column, left, right, tolerance] of [
      ['close', r.leftClose, r.rightClose, tol.close],
      ['volume', r.leftVolume, r.rightVolume, tol.volume],
    ] as const) {
      const relative = relativeDiff(left, right);
      if (relative > tolerance) diffs.push({ ts: r.ts, column, left, right, relative, tolerance });
    }
  return diffs;
}

export function createReconcileActivities(deps: ActivityDeps) {
  // From the registry, not this worker's enabled sources: a worker that serves one source still
  // reconciles every tracked pair (it reads the database only).
  const datasetOf = (s: SeriesKey) => findSource(s.source)?.datasets[s.dataset];
  const sideOf = (s: SeriesKey): Side => {
    const ds = datasetOf(s)!;
    const values = ds.seriesValues(s);
    return {
      series: s,
      table: ds.table,
      where: ds.seriesColumns.map((c, i) => [c.name, values[i]!] as const),
      close: ds.comparable!.close,
      volume: ds.comparable!.volume,
    };
  };
  return {
    /** Compare every pair over [since, asOf) (Unix seconds) and record the disagreements. */
    async reconcileSources(input: {
      asOf: number;
      since: number;
      tolerance?: ReconcileTolerance;
    }): Promise<ReconcileResult> {
      const store = deps.reconcile;
      if (!store) throw new Error('reconciliation needs a database (ActivityDeps.reconcile)');
      const tol = { ...DEFAULT_TOLERANCE, ...input.tolerance };
      const pairs = comparablePairs(await store.tracked(), datasetOf);
      const beat = activityInfo().heartbeatDetails as Progress | undefined;
      let p: Progress = beat ?? {
        runId: await store.startRun(
          input.asOf,
          input.since,
          activityInfo().workflowExecution?.workflowId ?? activityInfo().activityId,
        ),
        next: 0,
        compared: 0,
        disagreements: 0,
        resolved: 0,
      };
      for (let k = p.next; k < pairs.length; k++) {
        heartbeat(p);
        const [left, right] = pairs[k]!;
        const rows = await store.sideBySide(sideOf(left), sideOf(right), input.since, input.asOf);
        const diffs = disagreements(rows, tol);
        const resolved = await store.record(
          p.runId,
          left,
          right,
          rows.map((r) => r.ts),
          diffs,
        );
        p = {
          runId: p.runId,
          next: k + 1,
          compared: p.compared + rows.length,
          disagreements: p.disagreements + diffs.length,
          resolved: p.resolved + resolved,
        };
      }
      heartbeat(p);
      await store.finishRun(p.runId, { pairs: pairs.length, compared: p.compared, disagreements: p.disagreements });
      return {
        runId: p.runId,
        pairs: pairs.length,
        compared: p.compared,
        disagreements: p.disagreements,
        resolved: p.resolved,
      };
    },
  };
}
