/**
 * The backfill chunk pipeline (`activities/page-pipeline.ts`) with a fake source whose requests
 * take time: requests in flight stay within the bound, the next pages are fetched while a batch is
 * written, batches are written one at a time in window order, and a rate limit or an error ends it
 * as the guarantees require (what comes before a pause is written, nothing after an error).
 */
import { describe, expect, it } from 'vitest';
import { BatchBuilder } from '../../activities/arrow/batch-builder';
import { RateLimitedError, SourceUnavailableError } from '../../activities/errors';
import { pipelineChunk, type PageBatch } from '../../activities/page-pipeline';
import { OPEN_GATE } from '../../activities/rate-gate';
import type { SourceRuntime } from '../../activities/runtime';
import type { DatasetSpec, Page, PageRequest, SourceDefinition } from '../../activities/sources/types';
import type { SeriesKey } from '../../workflows/contracts/series';

const H = 3600;
const T0 = Date.UTC(2024, 0, 1) / 1000;
const series: SeriesKey = { source: 'fake', dataset: 'candles', market: 'm', instrument: 'A-B', interval: '1h' };
const COLUMNS: DatasetSpec<unknown>['columns'] = [{ name: 'v', type: 'float8', nullable: false }];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function fake(opts: { fetchMs?: number; failAt?: number; failWith?: () => Error } = {}) {
  const log: string[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const requests: PageRequest[] = [];
  const dataset = {
    id: 'candles',
    columns: COLUMNS,
    maxPeriodsPerRequest: () => 2,
    async fetchPage(_ctx: unknown, req: PageRequest): Promise<Page> {
      requests.push(req);
      const n = requests.length;
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      log.push(`fetch ${(req.from - T0) / H}`);
      await sleep(opts.fetchMs ?? 5);
      inFlight--;
      if (n === opts.failAt) throw (opts.failWith ?? (() => new SourceUnavailableError('reset')))();
      const b = new BatchBuilder(COLUMNS, 2);
      for (let t = req.from; t <= req.to; t += H) {
        const i = b.addRow();
        b.setNumber(0, i, t);
        b.setNumber(1, i, 1);
      }
      return {
        batch: b.finish(),
        request: 'r',
        responseSha256: 'h',
        serverTime: undefined,
        quarantined: [],
        unknownFields: [],
      };
    },
  } as unknown as DatasetSpec<unknown>;
  const source = {
    definition: { id: 'fake' } as SourceDefinition<unknown>,
    config: {},
    gate: OPEN_GATE,
  } as SourceRuntime;
  return { dataset, source, requests, log, maxInFlight: () => maxInFlight };
}

async function run(
  f: ReturnType<typeof fake>,
  o: { pages: number; concurrency: number; writeEvery: number; writeMs?: number },
) {
  const batches: PageBatch[] = [];
  let writing = 0;
  const result = await pipelineChunk({
    source: f.source,
    dataset: f.dataset,
    series,
    start: T0,
    end: T0 + 100 * H,
    maxPages: o.pages,
    settings: { fetchConcurrency: o.concurrency, writeEveryPages: o.writeEvery },
    signal: new AbortController().signal,
    write: async (b) => {
      expect(writing).toBe(0); // one batch at a time
      writing++;
      f.log.push(`write ${(b.from - T0) / H}-${(b.next - T0) / H}`);
      await sleep(o.writeMs ?? 1);
      batches.push(b);
      writing--;
    },
  });
  return { result, batches };
}

describe('pipelineChunk', () => {
  it('keeps at most the configured requests in flight and writes batches in window order', async () => {
    const f = fake();
    const { result, batches } = await run(f, { pages: 10, concurrency: 3, writeEvery: 4 });
    expect(f.maxInFlight()).toBe(3);
    expect(result).toEqual({ cursor: T0 + 20 * H, pages: 10 });
    expect(batches.map((b) => [(b.from - T0) / H, (b.next - T0) / H, b.pages.length])).toEqual([
      [0, 8, 4],
      [8, 16, 4],
      [16, 20, 2],
    ]);
    expect(f.requests.map((r) => (r.from - T0) / H)).toEqual([0, 2, 4, 6, 8, 10, 12, 14, 16, 18]);
  });

  it('unset, the concurrency is 3 for a source without limits and 1 for one with a budget', async () => {
    for (const [gate, want] of [
      [OPEN_GATE, 3],
      [{ ...OPEN_GATE }, 1], // any gate but the open one stands for a budget
    ] as const) {
      const f = fake();
      (f.source as { gate: unknown }).gate = gate;
      await pipelineChunk({
        source: f.source,
        dataset: f.dataset,
        series,
        start: T0,
        end: T0 + 100 * H,
        maxPages: 8,
        settings: { writeEveryPages: 4 },
        signal: new AbortController().signal,
        write: async () => undefined,
      });
      expect(f.maxInFlight()).toBe(want);
    }
  });

  it('fetches the next pages while a batch is being written', async () => {
    const f = fake({ fetchMs: 5 });
    await run(f, { pages: 8, concurrency: 2, writeEvery: 2, writeMs: 40 });
    const firstWrite = f.log.indexOf('write 0-4');
    const fetchesDuring = f.log.slice(firstWrite + 1, f.log.indexOf('write 4-8')).filter((l) => l.startsWith('fetch'));
    expect(fetchesDuring.length).toBeGreaterThan(0);
  });

  it('a rate limit writes the pages before it and ends at its window (the source is paused)', async () => {
    const f = fake({ failAt: 5, failWith: () => new RateLimitedError('429', 30) });
    const { result, batches } = await run(f, { pages: 10, concurrency: 3, writeEvery: 3 });
    expect(result.paused?.reason).toContain('429');
    expect(result.cursor).toBe(T0 + 8 * H); // the 5th window starts at 8 h
    expect(result.pages).toBe(4);
    expect(batches.flatMap((b) => b.pages.map((p) => (p.from - T0) / H))).toEqual([0, 2, 4, 6]);
  });

  it('any other error fails the chunk: nothing after it is written, and no request outlives it', async () => {
    const f = fake({ failAt: 3 });
    const batches: PageBatch[] = [];
    await expect(
      pipelineChunk({
        source: f.source,
        dataset: f.dataset,
        series,
        start: T0,
        end: T0 + 100 * H,
        maxPages: 10,
        settings: { fetchConcurrency: 3, writeEveryPages: 1 },
        signal: new AbortController().signal,
        write: async (b) => {
          batches.push(b);
        },
      }),
    ).rejects.toBeInstanceOf(SourceUnavailableError);
    expect(batches.flatMap((b) => b.pages.map((p) => (p.from - T0) / H))).toEqual([0, 2]);
    const n = f.requests.length;
    await sleep(30);
    expect(f.requests.length).toBe(n);
  });
});
