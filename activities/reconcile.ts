/**
 * The activity of `reconcileSources`: pair the tracked series two sources both hold (datasets of
 * the same `comparable.kind`, same interval and instrument, market names equal but for case),
 * compare their final periods of the window, and record the close and volume values that differ
 * by more than the tolerance (relative to the larger of the two).
 */
import { activityInfo, heartbeat } from '@temporalio/activity';
import type { SeriesKey } from '../workflows/contracts/series';
import { DEFAULT_TOLERANCE, type ReconcileResult, type ReconcileTolerance } from '../workflows/contracts/reconcile';
import type { Diff, Side } from './db/reconcile-store';
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

export function createReconcileActivities(deps: ActivityDeps) {
  const datasetOf = (s: SeriesKey) => deps.sources.get(s.source)?.definition.datasets[s.dataset];
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
      const runId = await store.startRun(
        input.asOf,
        input.since,
        activityInfo().workflowExecution?.workflowId ?? activityInfo().activityId,
      );
      let compared = 0;
      let disagreements = 0;
      let resolved = 0;
      for (const [k, [left, right]] of pairs.entries()) {
        heartbeat({ pair: k, of: pairs.length });
        const rows = await store.sideBySide(sideOf(left), sideOf(right), input.since, input.asOf);
        const diffs: Diff[] = [];
        for (const r of rows) {
          const c = relativeDiff(r.leftClose, r.rightClose);
          if (c > tol.close)
            diffs.push({
              ts: r.ts,
              column: 'close',
              left: r.leftClose,
              right: r.rightClose,
              relative: c,
              tolerance: tol.close,
            });
          const v = relativeDiff(r.leftVolume, r.rightVolume);
          if (v > tol.volume)
            diffs.push({
              ts: r.ts,
              column: 'volume',
              left: r.leftVolume,
              right: r.rightVolume,
              relative: v,
              tolerance: tol.volume,
            });
        }
        resolved += await store.record(
          runId,
          left,
          right,
          rows.map((r) => r.ts),
          diffs,
        );
        compared += rows.length;
        disagreements += diffs.length;
      }
      await store.finishRun(runId, { pairs: pairs.length, compared, disagreements });
      return { runId, pairs: pairs.length, compared, disagreements, resolved };
    },
  };
}
