/**
 * The CLI's argument validation: every problem of one invocation at once, unknown sources,
 * datasets and intervals named with what exists, dates and durations checked.
 */
import { describe, expect, it } from 'vitest';
import { parseDay, parseInstant } from '../../cli/args';
import { parseBackfillOptions } from '../../cli/backfill';
import { UsageError } from '../../cli/errors';
import { parseGapsOptions } from '../../cli/gaps';
import { parseRepairOptions } from '../../cli/repair';
import { parsePauseOptions } from '../../cli/source';
import { parseStatusOptions, statusQuery } from '../../cli/status';
import { parseUniverseBackfillOptions } from '../../cli/universe';
import { parseDurationMs } from '../../workflows/contracts/series';

function problemsOf(fn: () => unknown): readonly string[] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as UsageError).problems;
  }
  throw new Error('expected a UsageError');
}

const NOW = Date.parse('2026-03-01T12:34:56Z');
const good = {
  source: 'data-api',
  dataset: 'spot-ohlcv',
  market: 'kraken',
  instrument: 'BTC-USD',
  interval: '1h',
  from: '2024-01-01',
};

describe('dates and durations', () => {
  it('accepts calendar days and zoned ISO instants only', () => {
    expect(parseDay('2024-02-29')).toBe('2024-02-29');
    expect(parseDay('2023-02-29')).toBeUndefined();
    expect(parseDay('2024-13-01')).toBeUndefined();
    expect(parseDay('yesterday')).toBeUndefined();
    expect(parseInstant('2024-01-01')).toBe(Date.parse('2024-01-01T00:00:00Z'));
    expect(parseInstant('2024-01-01T06:30:00Z')).toBe(Date.parse('2024-01-01T06:30:00Z'));
    expect(parseInstant('2024-01-01T06:30:00+02:00')).toBe(Date.parse('2024-01-01T04:30:00Z'));
    expect(parseInstant('2024-01-01T06:30:00')).toBeUndefined(); // no zone: ambiguous
    expect(parseInstant('2024-02-30T00:00:00Z')).toBeUndefined();
    expect(parseInstant('1704067200')).toBeUndefined();
  });

  it('parses durations like 30m, 2h, 1d', () => {
    expect(parseDurationMs('30m')).toBe(1_800_000);
    expect(parseDurationMs('2h')).toBe(7_200_000);
    expect(parseDurationMs('1d')).toBe(86_400_000);
    expect(parseDurationMs('90s')).toBe(90_000);
    expect(parseDurationMs('1w')).toBeUndefined();
    expect(parseDurationMs('-5m')).toBeUndefined();
  });
});

describe('backfill', () => {
  it('builds the request: dates canonical, to defaulting to now, options only when given', () => {
    expect(parseBackfillOptions(good, NOW)).toEqual({
      source: 'data-api',
      dataset: 'spot-ohlcv',
      market: 'kraken',
      instrument: 'BTC-USD',
      interval: '1h',
      from: '2024-01-01T00:00:00Z',
      to: '2026-03-01T12:34:56Z',
    });
    expect(parseBackfillOptions({ ...good, to: '2024-02-01T00:00:00Z', pagesPerActivity: '10' }, NOW)).toMatchObject({
      to: '2024-02-01T00:00:00Z',
      options: { pagesPerActivity: 10 },
    });
  });

  it('lists every problem at once, naming what exists', () => {
    const problems = problemsOf(() =>
      parseBackfillOptions(
        { source: 'data-api', dataset: 'spot-ohlcv', interval: '5m', from: '2024-02-30', pagesPerActivity: '0' },
        NOW,
      ),
    );
    expect(problems).toEqual([
      '--market is required',
      '--instrument is required',
      "--interval: unknown interval '5m' (intervals: 1m, 1h, 1d)",
      "--from '2024-02-30' is not a date (YYYY-MM-DD or an ISO-8601 instant with a zone, e.g. 2024-01-01T00:00:00Z)",
      "--pages-per-activity '0' is not a whole number from 1 to 50",
    ]);
  });

  it('names an unknown source with the registered ones', () => {
    const problems = problemsOf(() => parseBackfillOptions({ ...good, source: 'coingecko' }, NOW));
    expect(problems).toEqual(["--source: unknown source 'coingecko' (sources: data-api, min-api)"]);
  });

  it("names an unknown dataset with the source's datasets, and hints at reference datasets", () => {
    const [p1] = problemsOf(() => parseBackfillOptions({ ...good, dataset: 'trades' }, NOW));
    expect(p1).toBe(
      "--dataset: source 'data-api' has no time-series dataset 'trades' (datasets: spot-ohlcv, futures-ohlcv, futures-open-interest, futures-funding-rate)",
    );
    const [p2] = problemsOf(() => parseBackfillOptions({ ...good, dataset: 'spot-instruments' }, NOW));
    expect(p2).toContain("'spot-instruments' is a reference dataset");
  });

  it('rejects from ≥ to, and a from in the future when to defaults to now', () => {
    expect(problemsOf(() => parseBackfillOptions({ ...good, from: '2024-02-01', to: '2024-01-01' }, NOW))).toEqual([
      '--from 2024-02-01T00:00:00Z must be before --to 2024-01-01T00:00:00Z',
    ]);
    expect(problemsOf(() => parseBackfillOptions({ ...good, from: '2027-01-01' }, NOW))).toEqual([
      '--from 2027-01-01T00:00:00Z is not in the past (the range ends now unless --to is given)',
    ]);
  });

  it('reports every missing option when none is given', () => {
    expect(problemsOf(() => parseBackfillOptions({}, NOW))).toEqual([
      '--source is required',
      '--dataset is required',
      '--market is required',
      '--instrument is required',
      '--interval is required',
      '--from is required',
    ]);
  });
});

describe('status', () => {
  it('builds the visibility query', () => {
    expect(statusQuery({})).toBe("IngestKind IS NOT NULL AND ExecutionStatus = 'Running'");
    expect(statusQuery({ kind: 'sync', source: 'data-api' })).toBe(
      "IngestKind = 'sync' AND IngestSource = 'data-api' AND ExecutionStatus = 'Running'",
    );
    expect(statusQuery({ kind: 'backfill', all: true })).toBe("IngestKind = 'backfill'");
  });

  it('validates kind, source and limit together', () => {
    expect(problemsOf(() => parseStatusOptions({ kind: 'nightly', source: 'x', limit: '0' }))).toEqual([
      "--kind: unknown kind 'nightly' (kinds: backfill, sync, repair, reference, universe, export, import, reconcile)",
      "--source: unknown source 'x' (sources: data-api, min-api)",
      "--limit '0' is not a whole number from 1 to 10000",
    ]);
    expect(parseStatusOptions({ kind: 'universe' })).toEqual({ kind: 'universe', all: false, limit: 100 });
  });
});

describe('gaps', () => {
  it('validates the filters, interval against the dataset', () => {
    expect(
      problemsOf(() =>
        parseGapsOptions({ source: 'min-api', dataset: 'futures-ohlcv', interval: '1w', since: '2024-1-1' }),
      ),
    ).toEqual([
      "--dataset: source 'min-api' has no time-series dataset 'futures-ohlcv' (datasets: histo-ohlcv)",
      "--interval: unknown interval '1w' (intervals: 1m, 1h, 1d)",
      "--since '2024-1-1' is not a date of the form YYYY-MM-DD",
    ]);
    expect(problemsOf(() => parseGapsOptions({ dataset: 'spot-ohlcv' }))).toEqual(['--dataset needs --source']);
  });

  it('defaults the limit for tables, not for JSON', () => {
    expect(parseGapsOptions({ source: 'data-api', market: 'kraken', since: '2024-01-01' })).toEqual({
      filter: { source: 'data-api', market: 'kraken', since: '2024-01-01' },
      limit: 500,
    });
    expect(parseGapsOptions({ json: true }).limit).toBeUndefined();
    expect(parseGapsOptions({ limit: '0' }).limit).toBeUndefined();
  });
});

describe('source pause', () => {
  it('needs a known source and a duration', () => {
    expect(problemsOf(() => parsePauseOptions('coingecko', {}))).toEqual([
      "unknown source 'coingecko' (sources: data-api, min-api)",
      '--for is required (a duration like 30m, 2h or 1d)',
    ]);
    expect(problemsOf(() => parsePauseOptions('data-api', { for: 'a while', reason: ' ' }))).toEqual([
      "--for 'a while' is not a duration like 30m, 2h or 1d",
      '--reason is empty',
    ]);
    const ok = parsePauseOptions('data-api', { for: '2h' });
    expect(ok.source.id).toBe('data-api');
    expect(ok.seconds).toBe(7_200);
    expect(ok.reason).toBe('paused by an operator');
  });
});

describe('universe backfill and repair', () => {
  it('universe backfill: filters, explicit range, concurrency', () => {
    expect(
      parseUniverseBackfillOptions(
        { source: 'data-api', dataset: 'spot-ohlcv', interval: '1h', from: '2024-01-01', concurrency: '8' },
        NOW,
      ),
    ).toEqual({
      source: 'data-api',
      dataset: 'spot-ohlcv',
      interval: '1h',
      from: '2024-01-01T00:00:00Z',
      to: '2026-03-01T12:34:56Z',
      concurrency: 8,
    });
    expect(parseUniverseBackfillOptions({}, NOW)).toEqual({});
    expect(problemsOf(() => parseUniverseBackfillOptions({ to: '2024-01-01', concurrency: '100' }, NOW))).toEqual([
      '--to needs --from',
      "--concurrency '100' is not a whole number from 1 to 64",
    ]);
  });

  it('repair: since as an instant, never in the future', () => {
    expect(parseRepairOptions({ source: 'min-api', interval: '1d', since: '2026-02-01' }, NOW)).toEqual({
      source: 'min-api',
      interval: '1d',
      since: '2026-02-01T00:00:00Z',
    });
    expect(problemsOf(() => parseRepairOptions({ source: 'nope', since: '2026-03-02' }, NOW))).toEqual([
      "--source: unknown source 'nope' (sources: data-api, min-api)",
      '--since 2026-03-02 is not in the past',
    ]);
  });

  it('repair --dry-run: audit only (the workflow recounts the ledger and repairs nothing)', () => {
    expect(parseRepairOptions({ dryRun: true }, NOW)).toEqual({ dryRun: true });
    expect(parseRepairOptions({}, NOW)).toEqual({});
  });
});
