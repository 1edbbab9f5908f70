/**
 * `ingestChunk`, `planBackfill` and `repairRange` under `MockActivityEnvironment` with a fake store
 * and source: paging, cursors, finality, not-trading-yet skips, input checks, a repair's bounded
 * batches and its resume point after a pause.
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import { describe, expect, it } from 'vitest';
import { BatchBuilder } from '../../activities/arrow/batch-builder';
import { createActivities, type PlanResult } from '../../activities/index';
import { OPEN_GATE } from '../../activities/rate-gate';
import type { IngestStore, WriteChunkInput } from '../../activities/db/store';
import type { DatasetSpec, Page, PageRequest, SourceDefinition } from '../../activities/sources/types';
import { InvalidInputError, RateLimitedError } from '../../activities/errors';
import { REPAIR_PAGES_PER_WRITE } from '../../activities/repair';
import type { RepairRangeResult } from '../../workflows/contracts/repair';

const H = 3600;
const T0 = Date.UTC(2024, 0, 1) / 1000;
const iso = (s: number) => new Date(s * 1000).toISOString().replace('.000Z', 'Z');

function fakeSetup(
  opts: {
    cap?: number;
    firstAvailable?: number;
    serverTime?: number;
    floor?: number;
    depth?: number;
    /** The n-th request (1-based) is answered with a rate limit. */
    rateLimitAt?: number;
  } = {},
) {
  const requests: PageRequest[] = [];
  const writes: WriteChunkInput[] = [];
  const dataset: DatasetSpec<unknown> = {
    id: 'candles',
    description: 'fake',
    table: 'fake',
    seriesColumns: [],
    seriesValues: () => [],
    columns: [{ name: 'v', type: 'float8', nullable: false }],
    intervals: ['1h'],
    maxPeriodsPerRequest: () => opts.cap ?? 3,
    maxHistorySeconds: () => opts.depth,
    instrumentKind: 'spot',
    async fetchPage(_ctx, req): Promise<Page> {
      requests.push(req);
      if (requests.length === opts.rateLimitAt) throw new RateLimitedError('429 from the fake', 30);
      const b = new BatchBuilder(this.columns, 4);
      if (opts.firstAvailable !== undefined && req.to < opts.firstAvailable) {
        return {
          batch: b.finish(),
          request: 'r',
          responseSha256: 'h',
          serverTime: opts.serverTime,
          firstAvailable: opts.firstAvailable,
          quarantined: [],
          unknownFields: [],
        };
      }
      for (let t = req.from; t <= req.to; t += H) {
        const i = b.addRow();
        b.setNumber(0, i, t);
        b.setNumber(1, i, t / H);
      }
      return {
        batch: b.finish(),
        request: `from=${req.from}`,
        responseSha256: 'h',
        serverTime: opts.serverTime,
        quarantined: [],
        unknownFields: [],
      };
    },
  };
  const source: SourceDefinition<unknown> = {
    id: 'fake',
    description: 'fake',
    envPrefix: 'FAKE',
    budget: () => ({ key: 'fake', limits: 'off' }),
    references: {},
    configSchema: undefined as never,
    datasets: { candles: dataset },
  };
  const store: IngestStore = {
    openCheckpoint: async (job) => ({ nextTs: job.startAt ?? job.from, completed: false }),
    instrumentFloor: async () => opts.floor,
    writeChunk: async (input) => {
      writes.push(input);
      const received = input.pages.reduce((n, p) => n + p.batch.numRows, 0);
      return {
        runId: writes.length,
        received,
        quarantined: input.pages.reduce((n, p) => n + p.quarantined.length, 0),
        inserted: received,
        updated: 0,
        unchanged: 0,
        filler: 0,
        provisional: 0,
        revised: 0,
      };
    },
  };
  const acts = createActivities({
    store,
    references: { writeReference: () => Promise.reject(new Error('not used')) },
    universe: undefined as never,
    coverage: {
      audit: () => Promise.reject(new Error('not used')),
      gaps: () => Promise.reject(new Error('not used')),
      certifyEmpty: async () => 0,
    },
    sources: new Map([['fake', { definition: source, config: {}, gate: OPEN_GATE }]]),
    now: () => (T0 + 1000 * H) * 1000,
  });
  return { acts, requests, writes };
}

const series = { source: 'fake', dataset: 'candles', market: 'm', instrument: 'I-X', interval: '1h' as const };

describe('ingestChunk (MockActivityEnvironment)', () => {
  it('pages forward in windows of at most the cap, then writes everything once', async () => {
    const { acts, requests, writes } = fakeSetup({ cap: 3 });
    const env = new MockActivityEnvironment({ attempt: 2 });
    const heartbeats: unknown[] = [];
    env.on('heartbeat', (d: unknown) => heartbeats.push(d));
    const r = await env.run(acts.ingestChunk, {
      jobId: 'job',
      series,
      cursor: iso(T0),
      end: iso(T0 + 8 * H),
      rangeFrom: iso(T0),
      maxPages: 5,
    });
    expect(requests.map((q) => [(q.from - T0) / H, (q.to - T0) / H])).toEqual([
      [0, 2],
      [3, 5],
      [6, 7],
    ]);
    expect(r).toMatchObject({ nextCursor: iso(T0 + 8 * H), done: true, pages: 3, rowsReceived: 8, rowsInserted: 8 });
    expect(writes).toHaveLength(1);
    expect(writes[0]!.nextCursor).toBe(T0 + 8 * H);
    expect(writes[0]!.lineage.attempt).toBe(2);
    expect(heartbeats.length).toBeGreaterThanOrEqual(3);
    expect(heartbeats[0]).toEqual({ cursor: iso(T0), pages: 0 });
  });

  it('stops after maxPages and returns the next cursor', async () => {
    const { acts } = fakeSetup({ cap: 2 });
    const r = await new MockActivityEnvironment().run(acts.ingestChunk, {
      jobId: 'job',
      series,
      cursor: iso(T0),
      end: iso(T0 + 10 * H),
      rangeFrom: iso(T0),
      maxPages: 2,
    });
    expect(r).toMatchObject({ nextCursor: iso(T0 + 4 * H), done: false, pages: 2, rowsReceived: 4 });
  });

  it('skips ahead to the first available period when the series was not trading yet', async () => {
    const { acts, requests } = fakeSetup({ cap: 3, firstAvailable: T0 + 7 * H });
    const r = await new MockActivityEnvironment().run(acts.ingestChunk, {
      jobId: 'job',
      series,
      cursor: iso(T0),
      end: iso(T0 + 9 * H),
      rangeFrom: iso(T0),
      maxPages: 5,
    });
    expect(requests.map((q) => (q.from - T0) / H)).toEqual([0, 7]);
    expect(r).toMatchObject({ done: true, rowsReceived: 2 });
  });

  it('uses the earlier of its own clock and the server clock to decide finality', async () => {
    const { acts, writes } = fakeSetup({ serverTime: T0 + 5 * H });
    await new MockActivityEnvironment().run(acts.ingestChunk, {
      jobId: 'job',
      series,
      cursor: iso(T0),
      end: iso(T0 + 3 * H),
      rangeFrom: iso(T0),
      maxPages: 1,
    });
    expect(writes[0]!.finalBefore).toBe(T0 + 5 * H);
  });

  it('rejects an unknown source with the non-retryable InvalidInputError', async () => {
    const { acts } = fakeSetup();
    await expect(
      new MockActivityEnvironment().run(acts.ingestChunk, {
        jobId: 'job',
        series: { ...series, source: 'nope' },
        cursor: iso(T0),
        end: iso(T0 + H),
        rangeFrom: iso(T0),
        maxPages: 1,
      }),
    ).rejects.toBeInstanceOf(InvalidInputError);
  });
});

describe('planBackfill (MockActivityEnvironment)', () => {
  it('aligns the range, clamps it to the current period and names the job by business key', async () => {
    const { acts } = fakeSetup();
    const r: PlanResult = await new MockActivityEnvironment().run(acts.planBackfill, {
      ...series,
      from: '2024-01-01T00:30:00Z',
      to: '2030-01-01T00:00:00Z',
    });
    expect(r.plan.from).toBe('2024-01-01T00:00:00Z');
    expect(r.plan.to).toBe(iso(T0 + 1001 * H)); // end of the current period (now = T0 + 1000h)
    expect(r.plan.jobId).toBe(`backfill/fake/candles/m/I-X/1h/2024-01-01T00:00:00Z/${iso(T0 + 1001 * H)}`);
    expect(r.plan.totalPeriods).toBe(1001);
  });

  it("starts at the instrument's first trade and no deeper than the API's history, and says why", async () => {
    const floor = fakeSetup({ floor: T0 + 10 * H + 123 });
    const r: PlanResult = await new MockActivityEnvironment().run(floor.acts.planBackfill, {
      ...series,
      from: iso(T0),
      to: iso(T0 + 100 * H),
    });
    expect(r.cursor).toBe(iso(T0 + 10 * H));
    expect(r.plan.from).toBe(iso(T0)); // the job keeps the range it was asked for
    expect(r.note).toContain("the instrument's first trade");
    const depth = fakeSetup({ depth: 24 * H }); // now = T0 + 1000 h
    const d: PlanResult = await new MockActivityEnvironment().run(depth.acts.planBackfill, {
      ...series,
      from: iso(T0),
      to: iso(T0 + 1000 * H),
    });
    expect(d.cursor).toBe(iso(T0 + 976 * H));
    expect(d.note).toContain('1 days of 1h history');
  });

  it('lists every input problem at once', async () => {
    const { acts } = fakeSetup();
    const err = await new MockActivityEnvironment()
      .run(acts.planBackfill, {
        source: 'fake',
        dataset: 'candles',
        market: '',
        instrument: 'a b',
        interval: '5m',
        from: 'yesterday',
      } as never)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidInputError);
    const msg = (err as Error).message;
    for (const field of ['market', 'instrument', 'interval', 'from']) expect(msg).toContain(field);
  });

  it('rejects an empty range', async () => {
    const { acts } = fakeSetup();
    await expect(
      new MockActivityEnvironment().run(acts.planBackfill, {
        ...series,
        from: '2024-01-02T00:00:00Z',
        to: '2024-01-01T00:00:00Z',
      }),
    ).rejects.toThrow(/empty range/);
  });
});

describe('repairRange (MockActivityEnvironment)', () => {
  it('fetches, writes and certifies a few pages at a time: what it holds in memory is bounded', async () => {
    const { acts, requests, writes } = fakeSetup({ cap: 3 });
    const r = await new MockActivityEnvironment().run(acts.repairRange, {
      series,
      from: iso(T0),
      to: iso(T0 + 29 * H), // 30 periods: 10 pages of 3
    });
    expect(requests).toHaveLength(10);
    expect(writes.map((w) => w.pages.length)).toEqual([REPAIR_PAGES_PER_WRITE, 10 - REPAIR_PAGES_PER_WRITE]);
    expect(r).toEqual({ filled: 30, certified: 0, quarantined: 0 });
  });

  it('after a pause it says where to resume, and a call from there fetches only what is left', async () => {
    const first = fakeSetup({ cap: 3, rateLimitAt: 7 });
    const paused: RepairRangeResult = await new MockActivityEnvironment().run(first.acts.repairRange, {
      series,
      from: iso(T0),
      to: iso(T0 + 29 * H),
    });
    // Pages 1–5 written, page 6 written with the pause (fetched before it), page 7 rate limited.
    expect(paused.paused?.reason).toContain('429 from the fake');
    expect(paused.next).toBe(iso(T0 + 18 * H));
    expect(paused.filled).toBe(18);
    const second = fakeSetup({ cap: 3 });
    const rest: RepairRangeResult = await new MockActivityEnvironment().run(second.acts.repairRange, {
      series,
      from: paused.next!,
      to: iso(T0 + 29 * H),
    });
    expect(second.requests.map((q) => q.from)).toEqual([18, 21, 24, 27].map((h) => T0 + h * H));
    expect(rest.filled).toBe(12);
  });

  it('a retried attempt goes on from the batch its predecessor heartbeat, not from the range start', async () => {
    const { acts, requests } = fakeSetup({ cap: 3 });
    const env = new MockActivityEnvironment({ heartbeatDetails: { cursor: iso(T0 + 15 * H) } });
    const r: RepairRangeResult = await env.run(acts.repairRange, { series, from: iso(T0), to: iso(T0 + 29 * H) });
    expect(requests[0]!.from).toBe(T0 + 15 * H);
    expect(r.filled).toBe(15);
  });
});
