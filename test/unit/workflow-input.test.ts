/**
 * Workflow inputs are checked before use (`workflows/contracts/validation.ts`): every problem at
 * once, named by its path; what the schedules and the CLI send passes.
 */
import { describe, expect, it } from 'vitest';
import {
  backfillSeriesProblems,
  backfillUniverseProblems,
  refreshReferenceProblems,
  refreshUniverseProblems,
  repairCoverageProblems,
  syncDatasetProblems,
} from '../../workflows/contracts/validation';

describe('workflow input checks', () => {
  it('a sync input that can never run: every problem, by name', () => {
    expect(
      syncDatasetProblems({
        source: 'data-api',
        dataset: 'spot-ohlcv',
        interval: '2h',
        batchSize: 0,
        concurrency: 1e6,
        asOf: 'soon',
        tickEvery: 'hourly',
      }),
    ).toEqual([
      'interval: "2h" is not an interval (1m, 1h, 1d)',
      'asOf: "soon" is not an ISO-8601 time',
      'batchSize: 0 is not a whole number from 1 to 1000',
      'concurrency: 1000000 is not a whole number from 1 to 32',
      'tickEvery: "hourly" is not a duration from 1s to 31622400s (e.g. 30s, 2m)',
    ]);
    expect(
      syncDatasetProblems({
        source: 'data-api',
        dataset: 'spot-ohlcv',
        interval: '1h',
        lookbackPeriods: 3,
        batchSize: 100,
        concurrency: 4,
        tickEvery: '1h',
      }),
    ).toEqual([]);
    expect(syncDatasetProblems({ source: 'data-api', dataset: 'spot-ohlcv', interval: '1h', batchsize: 5 })).toEqual([
      'input.batchsize: unknown field (known: source, dataset, interval, asOf, lookbackPeriods, batchSize, concurrency, maxPagesPerSeries, tickEvery)',
    ]);
    expect(syncDatasetProblems(null)).toEqual(['input: not an object']);
  });

  it('a backfill: ids, interval, times and options, including a heartbeat timeout that is not a duration', () => {
    const ok = {
      source: 'data-api',
      dataset: 'spot-ohlcv',
      market: 'kraken',
      instrument: 'BTC-USD',
      interval: '1h',
      from: '2024-01-01T00:00:00Z',
    };
    expect(backfillSeriesProblems(ok)).toEqual([]);
    expect(
      backfillSeriesProblems({
        ...ok,
        options: { pagesPerActivity: 5, continueAsNewAfter: 1, heartbeatTimeout: '30s' },
      }),
    ).toEqual([]);
    expect(
      backfillSeriesProblems({
        ...ok,
        market: 'a b',
        from: 'yesterday',
        options: { heartbeatTimeout: 'soon', pagesPerActivity: 0 },
      }),
    ).toEqual([
      'market: "a b" is not an id (letters, digits, dot, dash, underscore; 1–100)',
      'from: "yesterday" is not an ISO-8601 time',
      'options.pagesPerActivity: 0 is not a whole number from 1 to 50',
      'options.heartbeatTimeout: "soon" is not a duration from 1s to 600s (e.g. 30s, 2m)',
    ]);
  });

  it('the other workflows: what schedules and the CLI send passes; the rest is named', () => {
    expect(
      refreshReferenceProblems({ source: 'data-api', dataset: 'spot-instruments', params: { markets: ['kraken'] } }),
    ).toEqual([]);
    expect(refreshReferenceProblems({ source: '', dataset: 'x', params: [] })).toEqual([
      'source: "" is not an id (letters, digits, dot, dash, underscore; 1–100)',
      'params: not an object',
    ]);
    expect(refreshUniverseProblems({ config: { version: 1, references: [], track: [] } })).toEqual([]);
    expect(refreshUniverseProblems({ config: 'x' })).toEqual([
      'config: not an object (the universe config, see docs/universe.md)',
    ]);
    expect(backfillUniverseProblems({ asOf: '2026-01-01T00:00:00Z', concurrency: 4 })).toEqual([]);
    expect(backfillUniverseProblems({ from: '2026-01-01T00:00:00Z', concurrency: 0 })).toEqual([
      'from, to: give both (an explicit range) or neither',
      'concurrency: 0 is not a whole number from 1 to 64',
    ]);
    expect(repairCoverageProblems({})).toEqual([]);
    expect(repairCoverageProblems({ interval: '5m', maxRanges: -1, dryRun: 'yes' })).toEqual([
      'interval: "5m" is not an interval (1m, 1h, 1d)',
      'maxRanges: -1 is not a whole number from 1 to 100000',
      'dryRun: "yes" is not true or false',
    ]);
  });
});
