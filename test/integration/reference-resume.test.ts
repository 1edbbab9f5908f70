/**
 * A reference snapshot resumes after a pause instead of starting over. A private Data API twin
 * rate limits page 3 of a 5-page top list once: the workflow pauses with pages 1–2 staged in
 * PostgreSQL (`reference_staging`), then fetches pages 3–5 only, so the twin serves each page
 * exactly once, and the snapshot is written whole with the staged rows gone. A pause that spans a
 * UTC day on the API's clock starts over instead: two days' pages are never mixed.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { SimulatorControl } from '../../simulator/control-client';
import type { RunningSimulator } from '../../simulator/server';
import { expectedTopList } from '../../simulator/sources/data-api';
import { referenceWorkflowId } from '../../workflows/contracts/ids';
import { referenceProgressQuery, type RefreshReferenceProgress } from '../../workflows/contracts/reference';
import { openDataApiTwinEnv, waitFor, type TestEnv, type TwinEnv } from '../helpers/env';

let env: TestEnv;
let sim: RunningSimulator;
let control: SimulatorControl;

const DAY = 86_400;
const PAGE_SIZE = 10;
const MAX_PAGES = 5;
/**
 * The twin's clock is frozen 10 s before a minute ends: its 429 then reports the minute window
 * spent (the first window lasting at least the announced `Retry-After`), so the pause lasts those
 * 10 s, long enough to look at the staged pages. The report also marks the fleet budget's current
 * (real) minute spent, so the worker may wait once more, until that minute ends, without calling
 * the API: a workflow counts one or two pauses.
 */
const RETRY_AFTER = 5;
const TODAY = new Date().toISOString().slice(0, 10);
const TODAY_START = Date.parse(`${TODAY}T00:00:00Z`) / 1000;
/** 12:00:50 UTC on the twin. */
const TWIN_TIME_OF_DAY = 12 * 3600 + 50;

let twin: TwinEnv | undefined;

beforeAll(async () => {
  // Its own database and its own twin (its stats count this file's calls only).
  twin = await openDataApiTwinEnv('reference-resume');
  ({ env, sim, control } = twin);
});

afterAll(async () => {
  await twin?.close();
});

beforeEach(async () => {
  await control.setClock({ now: TODAY_START + TWIN_TIME_OF_DAY, offsetSeconds: 0 });
  await control.resetStats('data-api');
});

async function stagedPages(jobId: string): Promise<number> {
  const r = await env.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM reference_staging WHERE job_id = $1', [
    jobId,
  ]);
  return r.rows[0]!.n;
}

async function storedTopList(list: string, day: string) {
  const r = await env.pool.query<{ rank: number; asset_id: string; symbol: string }>(
    `SELECT rank, asset_id, symbol FROM top_list_snapshots
     WHERE source = 'data-api' AND list = $1 AND quote = 'USD' AND snapshot_date = $2 ORDER BY rank`,
    [list, day],
  );
  return r.rows;
}

/** Start the refresh and wait until it reports the pause the rate-limited page 3 caused. */
async function startAndPause(workflowId: string, params: Record<string, unknown>) {
  const handle = await env.client.workflow.start('refreshReference', {
    taskQueue: env.taskQueue,
    workflowId,
    args: [{ source: 'data-api', dataset: 'assets-top-list', params }],
  });
  const paused = await waitFor(
    async () => {
      const p = await handle.query(referenceProgressQuery).catch(() => undefined);
      return p?.status === 'paused' ? p : undefined;
    },
    60_000,
    'the refresh to pause',
  );
  return { handle, paused };
}

describe('a paged reference snapshot', () => {
  it('resumes after a rate-limited middle page from the staged pages: every page is fetched once, the snapshot is written whole, nothing stays staged', async () => {
    const [today, todayStart] = [TODAY, TODAY_START];
    const workflowId = referenceWorkflowId('data-api', 'assets-top-list', today, 'resume');
    await control.addFault({
      kind: 'rate-limit',
      source: 'data-api',
      pathPrefix: '/asset/v1/top/list',
      params: { page: '3', sort_by: 'CIRCULATING_MKT_CAP_USD' },
      count: 1,
      retryAfterSeconds: RETRY_AFTER,
    });

    const { handle, paused } = await startAndPause(workflowId, { maxPages: MAX_PAGES, pageSize: PAGE_SIZE });
    expect(paused.pauseReason).toBeTruthy();
    // The pages fetched before the rate limit are kept while the workflow waits.
    expect(await stagedPages(workflowId)).toBe(2);

    const result = (await handle.result()) as RefreshReferenceProgress;
    expect(result).toMatchObject({
      status: 'completed',
      pages: MAX_PAGES,
      topList: MAX_PAGES * PAGE_SIZE,
      snapshotDate: today,
    });
    expect(result.pauses).toBeGreaterThanOrEqual(1);
    const stats = await control.stats('data-api');
    expect(stats.served).toBe(MAX_PAGES); // pages 1–2 before the pause, 3–5 after: none fetched twice
    expect(stats.injectedRateLimits).toBe(1); // the one rejected call for page 3
    expect(stats.rateLimitRejections).toBe(0);

    const expected = expectedTopList(todayStart).slice(0, MAX_PAGES * PAGE_SIZE);
    expect(await storedTopList('circulating_mkt_cap_usd', today)).toEqual(
      expected.map((a, i) => ({ rank: i + 1, asset_id: String(a.ID), symbol: a.SYMBOL })),
    );
    const assets = await env.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM assets WHERE source = 'data-api' AND asset_id = ANY ($1::text[])`,
      [expected.map((a) => String(a.ID))],
    );
    expect(assets.rows[0]!.n).toBe(expected.length);
    // One lineage row for the snapshot, naming all five requests in page order.
    const runs = await env.pool.query<{ requests: string[] }>('SELECT requests FROM ingestion_runs WHERE job_id = $1', [
      workflowId,
    ]);
    expect(runs.rows).toHaveLength(1);
    expect(runs.rows[0]!.requests.map((r) => new URL(r, sim.url).searchParams.get('page'))).toEqual([
      '1',
      '2',
      '3',
      '4',
      '5',
    ]);
    expect(await stagedPages(workflowId)).toBe(0);
  });

  it("starts over when the pause ends on the API's next day: the snapshot is of one day only", async () => {
    const [today, todayStart] = [TODAY, TODAY_START];
    const yesterday = new Date((todayStart - DAY) * 1000).toISOString().slice(0, 10);
    const workflowId = referenceWorkflowId('data-api', 'assets-top-list', today, 'new-day');
    // The twin's clock on yesterday: pages 1–2 are of yesterday.
    await control.setClock({ now: todayStart - DAY + TWIN_TIME_OF_DAY });
    await control.addFault({
      kind: 'rate-limit',
      source: 'data-api',
      pathPrefix: '/asset/v1/top/list',
      params: { page: '3', sort_by: 'TOTAL_MKT_CAP_USD' },
      count: 1,
      retryAfterSeconds: RETRY_AFTER,
    });

    const { handle } = await startAndPause(workflowId, {
      sortBy: 'TOTAL_MKT_CAP_USD',
      maxPages: MAX_PAGES,
      pageSize: PAGE_SIZE,
    });
    expect(await stagedPages(workflowId)).toBe(2);
    await control.setClock({ now: todayStart + TWIN_TIME_OF_DAY }); // the API's day turns while the workflow waits

    const result = (await handle.result()) as RefreshReferenceProgress;
    expect(result).toMatchObject({ status: 'completed', pages: MAX_PAGES, snapshotDate: today });
    expect(result.pauses).toBeGreaterThanOrEqual(1);
    const stats = await control.stats('data-api');
    // Pages 1–2 of yesterday, page 3 of today (which shows the day turned), then pages 1–5 of today.
    expect(stats.served).toBe(2 + 1 + MAX_PAGES);
    expect(stats.injectedRateLimits).toBe(1);

    const expected = expectedTopList(todayStart, { sortBy: 'TOTAL_MKT_CAP_USD' }).slice(0, MAX_PAGES * PAGE_SIZE);
    expect(await storedTopList('total_mkt_cap_usd', today)).toEqual(
      expected.map((a, i) => ({ rank: i + 1, asset_id: String(a.ID), symbol: a.SYMBOL })),
    );
    expect(await storedTopList('total_mkt_cap_usd', yesterday)).toEqual([]);
    expect(await stagedPages(workflowId)).toBe(0);
  });
});
