/** The CLI's output formats: tables, bars, durations, progress lines, summaries, commands to paste. */
import { ApplicationFailure } from '@temporalio/common';
import { ActivityFailure, WorkflowFailedError } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { describeError, UsageError, UnreachableError } from '../../cli/errors';
import { formatGaps } from '../../cli/gaps';
import { formatCount, formatDuration, formatInstant, percentBar, table } from '../../cli/output';
import { progressLine, viewProgress, workflowLabel } from '../../cli/progress';
import { formatPauses } from '../../cli/source';
import { statusRows } from '../../cli/status';
import { failureOf, queryCommand, resetCommand, summarizeOutcome } from '../../cli/watch';
import type { BackfillProgress } from '../../workflows/contracts/backfill';

const target = { address: '127.0.0.1:7233', namespace: 'default', options: {} };
const ID = 'backfill/data-api/spot-ohlcv/kraken/BTC-USD/1h/2024-01-01T00:00:00Z/2024-02-01T00:00:00Z';

const backfill: BackfillProgress = {
  status: 'running',
  percent: 42,
  chunks: 3,
  pages: 15,
  rowsReceived: 12_345,
  rowsInserted: 12_000,
  rowsUpdated: 5,
  rowsUnchanged: 340,
  cursor: '2024-01-14T01:00:00.000Z',
  runs: 1,
};

describe('basic formats', () => {
  it('tables align columns and trim trailing blanks', () => {
    expect(
      table(
        [{ header: 'A' }, { header: 'NUM', align: 'right' }, { header: 'Z' }],
        [
          ['long value', '1', ''],
          ['x', '1,000', 'end'],
        ],
      ),
    ).toEqual(['A             NUM  Z', 'long value      1', 'x           1,000  end']);
  });

  it('durations, instants, counts, bars', () => {
    expect(formatDuration(0)).toBe('0s');
    expect(formatDuration(45_000)).toBe('45s');
    expect(formatDuration(725_000)).toBe('12m 5s');
    expect(formatDuration(3_600_000 + 59 * 60_000 + 30_000)).toBe('1h 59m');
    expect(formatDuration(3_600_000 + 5_000)).toBe('1h');
    expect(formatDuration(3 * 86_400_000 + 4 * 3_600_000)).toBe('3d 4h');
    expect(formatInstant('2024-01-01T00:00:00.000Z')).toBe('2024-01-01T00:00:00Z');
    expect(formatInstant(undefined)).toBe('-');
    expect(formatCount(1_234_567)).toBe('1,234,567');
    expect(percentBar(42)).toBe('[########............]');
    expect(percentBar(150, 4)).toBe('[####]');
  });
});

describe('progress lines', () => {
  it('backfills: a percent bar, rows, cursor; paused until … (reason)', () => {
    expect(progressLine('backfillSeries', backfill)).toBe(
      '[########............]  42%  rows 12,345 (new 12,000)  pages 15  cursor 2024-01-14T01:00:00Z',
    );
    expect(
      progressLine('backfillSeries', {
        ...backfill,
        status: 'paused',
        pausedUntil: '2024-06-01T10:00:00.000Z',
        pauseReason: '429 from the API',
      }),
    ).toContain('paused until 2024-06-01T10:00:00Z (429 from the API)');
    expect(progressLine('backfillSeries', { ...backfill, status: 'planning' })).toBe('planning');
  });

  it('no answer to the query: waiting for a worker', () => {
    expect(progressLine('backfillSeries', undefined)).toBe('waiting for a worker');
    expect(progressLine('syncDataset', undefined)).toBe('waiting for a worker');
  });

  it('the other workflows: their main counters and a percentage for live bars', () => {
    const sync = {
      status: 'running',
      batches: 4,
      batchesDone: 1,
      series: 380,
      synced: 95,
      pendingBackfill: 2,
      pages: 100,
      rowsInserted: 95,
      rowsUpdated: 190,
      rowsUnchanged: 0,
      rowsQuarantined: 0,
      upToDate: 93,
    };
    expect(progressLine('syncDataset', sync)).toBe(
      'running  batches 1/4  series 380: synced 95, up to date 93, awaiting backfill 2  rows new 95, updated 190',
    );
    expect(viewProgress('syncDataset', sync).percent).toBe(25);
    const repair = {
      status: 'repairing',
      series: 10,
      missing: 40,
      ranges: 8,
      rangesDone: 2,
      filled: 10,
      certified: 1,
      remaining: 29,
    };
    expect(progressLine('repairCoverage', repair)).toBe(
      'repairing  ranges 2/8  series 10  missing 40: filled 10, certified empty 1, remaining 29',
    );
    const ub = {
      status: 'running',
      started: 10,
      completed: 6,
      failed: 1,
      running: 3,
      rows: 5000,
      failures: [],
      runs: 1,
    };
    expect(progressLine('backfillUniverse', ub)).toBe(
      'running  series started 10: completed 6, running 3, failed 1  rows 5,000',
    );
    expect(viewProgress('backfillUniverse', ub).percent).toBe(70);
    const u = {
      status: 'resolving',
      references: 4,
      tracked: 300,
      added: 5,
      removed: 2,
      pendingBackfill: 5,
    };
    expect(progressLine('refreshUniverse', u)).toBe(
      'resolving  references 4  tracked 300 (+5 -2)  awaiting backfill 5',
    );
    expect(progressLine('refreshUniverse', { ...u, unlisted: ['data-api/spot-ohlcv/kraken/SOL-USD'] })).toBe(
      'resolving  references 4  tracked 300 (+5 -2)  awaiting backfill 5  NOT LISTED, not tracked: data-api/spot-ohlcv/kraken/SOL-USD',
    );
    expect(progressLine('somethingNew', { status: 'running', done: 3, note: 'x' })).toBe('running  done 3');
  });

  it('labels a backfill by its series', () => {
    expect(workflowLabel(ID)).toBe('spot-ohlcv kraken BTC-USD 1h');
    expect(workflowLabel('repair/manual-2026-01-01T00:00:00Z')).toBe('repair/manual-2026-01-01T00:00:00Z');
  });

  it('status rows: type, id, progress (and status with --all)', () => {
    const info = (status: string, type = 'backfillSeries') =>
      ({
        type,
        workflowId: ID,
        status: { name: status },
        closeTime: new Date('2024-01-01T00:00:00Z'),
      }) as never;
    expect(statusRows([info('RUNNING')], [undefined], false)).toEqual([['backfillSeries', ID, 'waiting for a worker']]);
    expect(statusRows([info('COMPLETED')], [undefined], true)).toEqual([
      ['backfillSeries', ID, 'completed', 'closed 2024-01-01T00:00:00Z'],
    ]);
  });
});

describe('outcomes and commands', () => {
  it('the runbook commands, quoted for the shell', () => {
    expect(queryCommand(target, ID)).toBe(
      `temporal workflow query --address 127.0.0.1:7233 -w '${ID}' --type progress`,
    );
    expect(resetCommand({ ...target, namespace: 'prod' }, 'x')).toBe(
      "temporal workflow reset --address 127.0.0.1:7233 --namespace prod -w 'x' --type FirstWorkflowTask --reason 'fixed: <what you fixed>'",
    );
  });

  it('a completed backfill: its summary', () => {
    const lines = summarizeOutcome(
      {
        workflowId: ID,
        type: 'backfillSeries',
        status: 'COMPLETED',
        result: {
          ...backfill,
          status: 'completed',
          percent: 100,
          from: '2024-01-01T00:00:00.000Z',
          to: '2024-02-01T00:00:00.000Z',
          note: 'starts at the listing',
        },
      },
      target,
    );
    expect(lines).toEqual([
      `completed ${ID}`,
      '  rows 12,345 received: 12,000 new, 5 updated, 340 unchanged, 0 quarantined',
      '  15 pages in 3 chunks, 1 run; range 2024-01-01T00:00:00Z → 2024-02-01T00:00:00Z',
      '  note: starts at the listing',
    ]);
  });

  it('a failed workflow: type, message and the reset command', () => {
    const err = new WorkflowFailedError(
      'Workflow execution failed',
      new ActivityFailure(
        'activity failed',
        'ingestChunk',
        '1',
        undefined,
        'x',
        ApplicationFailure.create({ type: 'SourceRequestError', message: 'unknown instrument (fix the input)' }),
      ),
      0 as never,
    );
    const failure = failureOf(err);
    expect(failure).toEqual({ type: 'SourceRequestError', message: 'unknown instrument (fix the input)' });
    expect(summarizeOutcome({ workflowId: 'w', type: 'backfillSeries', status: 'FAILED', failure }, target)).toEqual([
      'FAILED w: SourceRequestError: unknown instrument (fix the input)',
      '  fix the cause (docs/runbook.md: "Read a failed history", docs/errors.md), then reset it:',
      "    temporal workflow reset --address 127.0.0.1:7233 -w 'w' --type FirstWorkflowTask --reason 'fixed: <what you fixed>'",
    ]);
    expect(
      summarizeOutcome(
        { workflowId: 'w', type: 't', status: 'TERMINATED', failure: { type: 'TerminatedFailure', message: 'by ops' } },
        target,
      ),
    ).toEqual(['TERMINATED w: TerminatedFailure: by ops']);
  });
});

describe('gaps and pauses', () => {
  it('gaps: table and totals, or "no gaps"', () => {
    expect(formatGaps([], { series: 0, days: 0, missing: 0 })).toEqual(['no gaps']);
    const row = {
      source: 'data-api',
      dataset: 'spot-ohlcv',
      market: 'kraken',
      instrument: 'BTC-USD',
      interval: '1h',
      day: '2024-01-02',
      expected: 24,
      present: 20,
      certifiedEmpty: 1,
      missing: 3,
    };
    expect(formatGaps([row], { series: 1, days: 2, missing: 1_003 })).toEqual([
      'SERIES                                 DAY         EXPECTED  PRESENT  CERTIFIED EMPTY  MISSING',
      'data-api/spot-ohlcv/kraken/BTC-USD/1h  2024-01-02        24       20                1        3',
      '… 1 more day (raise --limit, 0 = all)',
      'total: 1,003 missing periods on 2 days in 1 series',
    ]);
  });

  it('pauses: source, until, remaining, set by, reason', () => {
    expect(
      formatPauses([
        {
          source: 'data-api',
          pausedUntil: new Date('2026-01-01T02:00:00Z'),
          remainingMs: 3_540_000,
          reason: 'maintenance',
          setBy: 'operator',
          setAt: new Date(),
        },
        {
          source: 'min-api#ab12',
          pausedUntil: new Date('2026-01-01T00:00:00Z'),
          remainingMs: -5,
          reason: '429',
          setBy: 'worker',
          setAt: new Date(),
        },
      ]),
    ).toEqual([
      'SOURCE        PAUSED UNTIL          REMAINING  SET BY    REASON',
      'data-api      2026-01-01T02:00:00Z  59m        operator  maintenance',
      'min-api#ab12  2026-01-01T00:00:00Z  ended      worker    429',
    ]);
  });
});

describe('errors', () => {
  it('known errors print their message only; unknown ones no stack unless asked', () => {
    expect(describeError(new UsageError(['a', 'b']))).toEqual({
      message: 'invalid arguments:\n  - a\n  - b',
      exitCode: 1,
    });
    expect(describeError(new UsageError('just one'))).toEqual({ message: 'just one', exitCode: 1 });
    expect(describeError(new UnreachableError('gone')).exitCode).toBe(2);
    const bug = describeError(new TypeError('boom'), false);
    expect(bug.message).toBe('unexpected failure: boom (CRYPTO_INGEST_DEBUG=1 prints the stack trace)');
    expect(bug.message).not.toContain('    at ');
    expect(describeError(new TypeError('boom'), true).message).toContain('    at ');
  });
});
