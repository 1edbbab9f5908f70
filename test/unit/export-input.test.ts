/**
 * Bad export requests are named, every problem at once, before a workflow starts (the CLI) and
 * again when one does (the workflow's input check): never a stack trace, never a retry loop.
 */
import { describe, expect, it } from 'vitest';
import { parseExportOptions } from '../../cli/export';
import { parseImportOptions } from '../../cli/import';
import { UsageError } from '../../cli/errors';
import { exportDatasetProblems, importFilesProblems } from '../../workflows/contracts/validation';

const none = { market: [], instrument: [], interval: [] };

describe('crypto-ingest export options', () => {
  it('builds the workflow input: ISO range, filters, the destination made absolute', () => {
    expect(
      parseExportOptions(
        {
          ...none,
          source: 'data-api',
          dataset: 'spot-ohlcv',
          from: '2024-01-01',
          to: '2024-03-01',
          market: ['kraken'],
          interval: ['1h'],
          out: 'exports/q1',
        },
        '/srv',
      ),
    ).toEqual({
      source: 'data-api',
      dataset: 'spot-ohlcv',
      from: '2024-01-01T00:00:00.000Z',
      to: '2024-03-01T00:00:00.000Z',
      markets: ['kraken'],
      intervals: ['1h'],
      destination: '/srv/exports/q1',
    });
  });

  it('names every problem at once', () => {
    let err: unknown;
    try {
      parseExportOptions({ ...none, source: 'data-api', dataset: 'nope', from: 'soon', interval: ['2h'] });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).problems).toEqual([
      expect.stringContaining("--dataset: source 'data-api' has no time-series dataset 'nope'"),
      expect.stringContaining('--from'),
      expect.stringContaining("--interval: unknown interval '2h'"),
      '--out is required',
    ]);
  });
});

describe('exportDataset input', () => {
  const ok = {
    source: 'data-api',
    dataset: 'spot-ohlcv',
    from: '2024-01-01T00:00:00Z',
    to: '2024-02-01T00:00:00Z',
    destination: '/exports/a',
  };
  it('accepts what the CLI sends and names what can never run', () => {
    expect(exportDatasetProblems(ok)).toEqual([]);
    expect(
      exportDatasetProblems({ ...ok, to: ok.from, markets: [], intervals: ['2h'], destination: 'rel', extra: 1 }),
    ).toEqual(expect.arrayContaining([expect.stringContaining('input.extra: unknown field')]));
    expect(exportDatasetProblems({ ...ok, to: ok.from, markets: [], intervals: ['2h'], destination: 'rel' })).toEqual([
      `from ${ok.from} is not before to ${ok.from}`,
      'markets: [] is not a non-empty list',
      'intervals[0]: "2h" is not an interval (1m, 1h, 1d)',
      'destination: "rel" is not an absolute path',
    ]);
  });
});

describe('crypto-ingest import options and importFiles input', () => {
  it('a manifest needs nothing else; a directory needs source and dataset; maps are file=table', () => {
    expect(parseImportOptions('exports/q1/manifest.json', { map: [] }, '/srv')).toEqual({
      path: '/srv/exports/q1/manifest.json',
    });
    expect(
      parseImportOptions('/dumps/x', {
        source: 'data-api',
        dataset: 'spot-ohlcv',
        map: ['time=ts', 'exchange=market'],
      }),
    ).toEqual({
      path: '/dumps/x',
      source: 'data-api',
      dataset: 'spot-ohlcv',
      columnMap: { time: 'ts', exchange: 'market' },
    });
    let err: unknown;
    try {
      parseImportOptions('/dumps/x', { map: ['time', 'a=B-C'] });
    } catch (e) {
      err = e;
    }
    expect((err as UsageError).problems).toEqual([
      '--source and --dataset are required unless the path is an export manifest (manifest.json)',
      "--map 'time': expected <file column>=<table column>, e.g. time=ts",
      "--map 'a=B-C': expected <file column>=<table column>, e.g. time=ts",
    ]);
  });

  it('names what can never run', () => {
    expect(importFilesProblems({ path: '/x/manifest.json' })).toEqual([]);
    expect(importFilesProblems({ path: 'rel/../x', source: 'data-api', columnMap: { a: 'B' } })).toEqual([
      'path: "rel/../x" is not an absolute path',
      'source and dataset: give both or neither',
      'columnMap.a: "B" is not a column name',
    ]);
  });
});
