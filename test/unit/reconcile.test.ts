/** Which tracked series reconciliation pairs, and how it measures a difference. */
import { describe, expect, it } from 'vitest';
import { comparablePairs, relativeDiff } from '../../activities/reconcile';
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
