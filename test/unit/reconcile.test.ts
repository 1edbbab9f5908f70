/** Which tracked series reconciliation pairs, and how it measures a difference. */
import { MockActivityEnvironment } from '@temporalio/testing';
import { describe, expect, it } from 'vitest';
import { comparablePairs, createReconcileActivities, relativeDiff } from '../../activities/reconcile';
import type { ActivityDeps } from '../../activities/runtime';
import type { DatasetSpec } from '../../activities/sources/types';
import type { SeriesKey } from '../../workflows/contracts/series';

const s = (source: string, dataset: string, market: string, instrument = 'BTC-USD', interval = '1h'): SeriesKey =>
  ({ source, dataset, market, instrument, interval }) as SeriesKey;

const spotLike = { comparable: { kind: 'spot-ohlcv', close: 'close', volume: 'volume' } } as DatasetSpec<unknown>;
const other = {} as DatasetSpec<unknown>;
const datasetOf = (k: SeriesKey) => (k.dataset === 'funding' ? other : spotLike);

describe('comparablePairs', () => {
  it('pairs series of different sources with the same kind, interval, instrument and market (case aside)', () => {
    const a = s('data-api', 'spot-ohlcv', 'kraken');
    const b = s('min-api', 'histo-ohlcv', 'Kraken');
    expect(
      comparablePairs(
        [
          b,
          a,
          s('data-api', 'spot-ohlcv', 'coinbase'), // no partner
          s('min-api', 'histo-ohlcv', 'Kraken', 'BTC-USD', '1d'), // another interval
          s('min-api', 'histo-ohlcv', 'Kraken', 'ETH-USD'), // another instrument
          s('data-api', 'funding', 'kraken'), // not comparable
          s('data-api', 'spot-ohlcv-2', 'KRAKEN'), // same source as `a`: never paired with it
        ],
        datasetOf,
      ),
    ).toEqual([
      [a, b],
      [s('data-api', 'spot-ohlcv-2', 'KRAKEN'), b],
    ]);
  });
});

describe('relativeDiff', () => {
  it('is relative to the larger magnitude, 0 for two zeros', () => {
    expect(relativeDiff(100, 101)).toBeCloseTo(1 / 101, 12);
    expect(relativeDiff(101, 100)).toBeCloseTo(1 / 101, 12);
    expect(relativeDiff(0, 0)).toBe(0);
    expect(relativeDiff(0, 5)).toBe(1);
  });
});

describe('reconcileSources (MockActivityEnvironment)', () => {
  const a = s('data-api', 'spot-ohlcv', 'kraken');
  const b = s('min-api', 'histo-ohlcv', 'Kraken');
  const c = s('data-api', 'spot-ohlcv', 'kraken', 'ETH-USD');
  const d = s('min-api', 'histo-ohlcv', 'Kraken', 'ETH-USD');
  const fakeStore = () => {
    const calls: string[] = [];
    const store = {
      tracked: async () => [a, b, c, d],
      startRun: async () => {
        calls.push('startRun');
        return 7;
      },
      sideBySide: async (l: { series: SeriesKey }) => {
        calls.push(`compare ${l.series.instrument}`);
        return [{ ts: 3600, leftClose: 100, rightClose: 102, leftVolume: 1, rightVolume: 1 }];
      },
      record: async (runId: number) => {
        calls.push(`record ${runId}`);
        return 0;
      },
      finishRun: async (runId: number, counts: unknown) => {
        calls.push(`finish ${runId} ${JSON.stringify(counts)}`);
      },
    };
    return { calls, deps: { reconcile: store, sources: new Map() } as unknown as ActivityDeps };
  };

  it('compares every pair in one run, reading the datasets from the registry (not this worker’s sources)', async () => {
    const { calls, deps } = fakeStore();
    const r = await new MockActivityEnvironment().run(createReconcileActivities(deps).reconcileSources, {
      asOf: 86_400,
      since: 0,
    });
    expect(r).toEqual({ runId: 7, pairs: 2, compared: 2, disagreements: 2, resolved: 0 });
    expect(calls).toEqual([
      'startRun',
      'compare BTC-USD',
      'record 7',
      'compare ETH-USD',
      'record 7',
      'finish 7 {"pairs":2,"compared":2,"disagreements":2}',
    ]);
  });

  it('a retried attempt goes on with the same run from the pair after its last heartbeat', async () => {
    const { calls, deps } = fakeStore();
    const env = new MockActivityEnvironment({
      attempt: 2,
      heartbeatDetails: { runId: 5, next: 1, compared: 10, disagreements: 3, resolved: 1 },
    });
    const r = await env.run(createReconcileActivities(deps).reconcileSources, { asOf: 86_400, since: 0 });
    expect(r).toEqual({ runId: 5, pairs: 2, compared: 11, disagreements: 4, resolved: 1 });
    expect(calls).toEqual(['compare ETH-USD', 'record 5', 'finish 5 {"pairs":2,"compared":11,"disagreements":4}']);
  });
});
