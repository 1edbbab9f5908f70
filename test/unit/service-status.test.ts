/**
 * `npm start`'s status line: the newest tick per sync schedule, and how a tick is described.
 */
import { describe, expect, it } from 'vitest';
import { describeTick, latestTickPerSchedule } from '../../stack/jobs';
import type { SyncDatasetProgress } from '../../workflows/contracts/sync';

const result = (over: Partial<SyncDatasetProgress>): SyncDatasetProgress => ({
  status: 'completed',
  asOf: '2026-11-26T04:15:05.000Z',
  batches: 1,
  batchesDone: 1,
  series: 2,
  synced: 2,
  pendingBackfill: 0,
  pages: 2,
  rowsInserted: 2,
  rowsUpdated: 0,
  rowsUnchanged: 20,
  rowsQuarantined: 0,
  upToDate: 2,
  failed: 0,
  failures: [],
  ...over,
});

describe("npm start's status line", () => {
  it('keeps the newest tick of each schedule (newest first in, schedule order kept)', () => {
    expect(
      latestTickPerSchedule([
        'crypto-ingest/sync/data-api/spot-ohlcv/1m-2026-11-26T04:30:05Z',
        'crypto-ingest/sync/data-api/spot-ohlcv/1m-2026-11-26T04:29:05Z',
        'crypto-ingest/sync/min-api/histo-ohlcv/1d-2026-11-26T00:10:00Z',
        'crypto-ingest/sync/data-api/spot-ohlcv/1h-2026-11-26T04:01:00Z',
        'crypto-ingest/sync/data-api/spot-ohlcv/1m-2026-11-26T04:28:05Z',
        'sync-started-by-hand',
      ]),
    ).toEqual([
      {
        schedule: 'data-api/spot-ohlcv/1m',
        workflowId: 'crypto-ingest/sync/data-api/spot-ohlcv/1m-2026-11-26T04:30:05Z',
      },
      {
        schedule: 'min-api/histo-ohlcv/1d',
        workflowId: 'crypto-ingest/sync/min-api/histo-ohlcv/1d-2026-11-26T00:10:00Z',
      },
      {
        schedule: 'data-api/spot-ohlcv/1h',
        workflowId: 'crypto-ingest/sync/data-api/spot-ohlcv/1h-2026-11-26T04:01:00Z',
      },
    ]);
  });

  it('says why a tick is not up to date: awaiting backfill, failed', () => {
    expect(describeTick('data-api/spot-ohlcv/1m', result({}))).toBe('data-api/spot-ohlcv/1m @04:15 2/2 up to date');
    expect(describeTick('data-api/spot-ohlcv/1m', result({ synced: 0, upToDate: 0, pendingBackfill: 2 }))).toBe(
      'data-api/spot-ohlcv/1m @04:15 0/2 up to date, 2 awaiting backfill',
    );
    expect(describeTick('x/y/1h', result({ series: 5, upToDate: 3, failed: 1, pendingBackfill: 1 }))).toBe(
      'x/y/1h @04:15 3/5 up to date, 1 awaiting backfill, 1 failed',
    );
  });
});
