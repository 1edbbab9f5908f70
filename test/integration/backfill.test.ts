/**
 * The foundation's guarantees, end to end on the real parts: Temporal dev server, PostgreSQL,
 * the simulator over HTTP, the worker (in-process, or a child process we SIGKILL).
 */
import { WorkflowExecutionAlreadyStartedError, WorkflowFailedError } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MALFORMED_IN_A_ROW } from '../../activities/errors';
import { listingTimestamp } from '../../simulator/sources/data-api';
import type { BackfillSeriesInput } from '../../workflows/contracts/backfill';
import { progressQuery } from '../../workflows/contracts/backfill';
import { backfillWorkflowId } from '../../workflows/contracts/ids';
import type { Interval, SeriesKey } from '../../workflows/contracts/series';
import { INTERVAL_SECONDS } from '../../workflows/contracts/series';
import {
  openTestEnv,
  startWorkerProcess,
  startWorkers,
  temporalCli,
  waitFor,
  type RunningWorkers,
  type TestEnv,
} from '../helpers/env';
import { expectedSpotRows, seriesChecksum, storedSpotRows } from '../helpers/expected';

const sec = (iso: string) => Date.parse(iso) / 1000;

function series(market: string, instrument: string, interval: Interval): SeriesKey {
  return { source: 'data-api', dataset: 'spot-ohlcv', market, instrument, interval };
}

function input(
  s: SeriesKey,
  from: string,
  to: string,
  options: BackfillSeriesInput['options'] = {},
): BackfillSeriesInput {
  return { ...s, from, to, options: { heartbeatTimeout: '5s', ...options } };
}

let env: TestEnv;
let workers: RunningWorkers | undefined;

beforeAll(async () => {
  env = await openTestEnv('backfill');
});

afterAll(async () => {
  await workers?.stop();
  await env?.close();
});

async function runBackfill(i: BackfillSeriesInput, workflowId = backfillWorkflowId(i, sec(i.from), sec(i.to!))) {
  return env.client.workflow.execute('backfillSeries', { taskQueue: env.taskQueue, workflowId, args: [i] });
}

describe('backfillSeries on real Temporal + PostgreSQL + simulator', () => {
  beforeAll(async () => {
    workers = await startWorkers(env);
  });

  it('stores exactly the rows the simulator generates, across pages, chunks and continue-as-new', async () => {
    const s = series('kraken', 'ETH-USD', '1h');
    const from = '2024-01-01T00:00:00Z';
    const to = '2024-07-01T00:00:00Z'; // 4368 hourly periods = 3 pages of ≤ 2000
    const i = input(s, from, to, { pagesPerActivity: 1, continueAsNewAfter: 2 });
    const result = await runBackfill(i);
    const expected = expectedSpotRows(s, sec(from), sec(to));
    expect(expected.length).toBe(4368);
    expect(expected.some((r) => r.is_filler)).toBe(true); // the series has filler periods to store
    const stored = await storedSpotRows(env.pool, s, sec(from), sec(to));
    expect(stored).toEqual(expected);
    expect(result).toMatchObject({
      status: 'completed',
      percent: 100,
      pages: 3,
      chunks: 3,
      rowsReceived: 4368,
      rowsInserted: 4368,
    });
    expect(result.runs).toBe(2); // continued as new once (after 2 chunks)

    // Lineage: every stored row points at a committed run of this job, and the checkpoint is complete.
    const lineage = await env.pool.query(
      `SELECT count(*)::int AS n FROM spot_ohlcv t JOIN ingestion_runs r ON r.id = t.ingest_run_id
       WHERE t.market = $1 AND t.instrument = $2 AND t.interval = $3 AND r.job_id = $4`,
      [s.market, s.instrument, s.interval, result.jobId],
    );
    expect(lineage.rows[0].n).toBe(4368);
    const cp = await env.pool.query(`SELECT next_ts, completed_at FROM ingest_checkpoints WHERE job_id = $1`, [
      result.jobId,
    ]);
    expect(new Date(cp.rows[0].next_ts).toISOString()).toBe('2024-07-01T00:00:00.000Z');
    expect(cp.rows[0].completed_at).not.toBeNull();
  });

  it('sets search attributes so the UI can filter, and answers the progress query', async () => {
    const s = series('coinbase', 'BTC-USD', '1d');
    const i = input(s, '2023-01-01T00:00:00Z', '2024-01-01T00:00:00Z');
    const workflowId = backfillWorkflowId(s, sec(i.from), sec(i.to!));
    const handle = await env.client.workflow.start('backfillSeries', {
      taskQueue: env.taskQueue,
      workflowId,
      args: [i],
    });
    await handle.result();
    const progress = await handle.query(progressQuery);
    expect(progress).toMatchObject({
      status: 'completed',
      percent: 100,
      rowsReceived: 365,
      cursor: '2024-01-01T00:00:00Z',
    });
    const found = await waitFor(
      async () => {
        const list: string[] = [];
        for await (const wf of env.client.workflow.list({
          query: `WorkflowType = 'backfillSeries' AND IngestSource = 'data-api' AND IngestMarket = 'coinbase' AND IngestInstrument = 'BTC-USD' AND IngestInterval = '1d' AND IngestKind = 'backfill' AND IngestPercent = 100`,
        })) {
          list.push(wf.workflowId);
        }
        return list.includes(workflowId) ? list : undefined;
      },
      20_000,
      'visibility to list the workflow by its search attributes',
    );
    expect(found).toContain(workflowId);
  });

  it('running the same backfill twice leaves identical table contents, and never runs it twice at once', async () => {
    const s = series('binance', 'SOL-USDT', '1h');
    const i = input(s, '2024-02-01T00:00:00Z', '2024-03-01T00:00:00Z');
    const workflowId = backfillWorkflowId(s, sec(i.from), sec(i.to!));
    const first = await env.client.workflow.start('backfillSeries', {
      taskQueue: env.taskQueue,
      workflowId,
      args: [i],
    });
    // Same business key while running: Temporal refuses a second execution.
    await expect(
      env.client.workflow.start('backfillSeries', { taskQueue: env.taskQueue, workflowId, args: [i] }),
    ).rejects.toBeInstanceOf(WorkflowExecutionAlreadyStartedError);
    await first.result();
    const before = await seriesChecksum(env.pool, s);
    expect(before.rows).toBe(29 * 24);

    // Re-running a finished job (under another workflow ID) finds its checkpoint complete:
    // no request, no write.
    const again = await runBackfill(i, `${workflowId}/again`);
    expect(again).toMatchObject({ status: 'completed', pages: 0, chunks: 0, rowsReceived: 0 });
    expect(await seriesChecksum(env.pool, s)).toEqual(before);

    // Forcing a full re-fetch (checkpoint removed) rewrites nothing: every row is unchanged.
    await env.pool.query('DELETE FROM ingest_checkpoints WHERE job_id = $1', [first.workflowId]);
    const refetch = await runBackfill(i, `${workflowId}/refetch`);
    expect(refetch).toMatchObject({ rowsReceived: 29 * 24, rowsInserted: 0, rowsUpdated: 0, rowsUnchanged: 29 * 24 });
    expect(await seriesChecksum(env.pool, s)).toEqual(before);
  });

  it('starts at the listing date when the range begins before the instrument traded', async () => {
    const s = series('bitstamp', 'LTC-USD', '1d');
    const listed = listingTimestamp(s.market, s.instrument, s.interval);
    const from = listed - 30 * 86_400;
    const to = listed + 20 * 86_400;
    const i = input(s, new Date(from * 1000).toISOString(), new Date(to * 1000).toISOString());
    const result = await runBackfill(i);
    const stored = await storedSpotRows(env.pool, s, from, to);
    expect(stored).toEqual(expectedSpotRows(s, from, to));
    expect(stored[0]!.ts).toBe(listed);
    expect(stored).toHaveLength(20);
    expect(result.status).toBe('completed');
  });

  it('waits out a 429 burst as durable pauses (Retry-After), retries 500s, and the data still completes exactly', async () => {
    const s = series('bitfinex', 'LTC-USD', '1h');
    const from = '2024-03-01T00:00:00Z';
    const to = '2024-05-01T00:00:00Z';
    // 500s (retried by the activity's retry policy), then a 429 burst with Retry-After 1 s.
    await env.sim.addFault({
      kind: 'server-error',
      source: 'data-api',
      params: { instrument: s.instrument, market: s.market },
      count: 2,
    });
    await env.sim.addFault({
      kind: 'rate-limit',
      source: 'data-api',
      params: { instrument: s.instrument, market: s.market },
      count: 3,
      retryAfterSeconds: 1,
    });
    const result = await runBackfill(input(s, from, to, { pagesPerActivity: 1 }));
    expect(result.status).toBe('completed');
    // Each 429 paused the source (fleet-wide) and the workflow waited: not a failure, not a retry storm.
    expect(result.pauses).toBe(3);
    const pause = await env.pool.query(`SELECT reason, set_by FROM source_pauses WHERE source = 'data-api'`);
    expect(pause.rows[0]).toMatchObject({ set_by: 'api', reason: expect.stringContaining('Rate limit excedeed') });
    expect(await storedSpotRows(env.pool, s, sec(from), sec(to))).toEqual(expectedSpotRows(s, sec(from), sec(to)));
    const ours = (await env.sim.listFaults()).filter((f) => f.params?.instrument === s.instrument);
    // Both faults fired in full: the run really went through 3 × 429 and 2 × 500.
    expect(ours.map((f) => [f.kind, f.hits])).toEqual([
      ['server-error', 2],
      ['rate-limit', 3],
    ]);
    const hist = await env.client.workflow.getHandle(backfillWorkflowId(s, sec(from), sec(to))).fetchHistory();
    const retried = (hist.events ?? []).filter(
      (e) => e.activityTaskStartedEventAttributes && (e.activityTaskStartedEventAttributes.attempt ?? 1) > 1,
    );
    expect(retried.length).toBeGreaterThan(0);
  });

  it("a body that is not the API's JSON is asked again a bounded number of times in a row, then fails the page with the named MalformedResponseError, visible in the history; nothing of it is stored", async () => {
    const s = series('okex', 'ADA-USDT', '1h');
    const from = '2024-01-01T00:00:00Z';
    const to = '2024-01-10T00:00:00Z';
    const faultId = await env.sim.addFault({
      kind: 'malformed',
      source: 'data-api',
      params: { instrument: s.instrument, market: s.market },
    });
    const workflowId = backfillWorkflowId(s, sec(from), sec(to));
    const err = await runBackfill(input(s, from, to)).catch((e: unknown) => e);
    const hits = (await env.sim.listFaults()).find((f) => f.id === faultId.id)?.hits;
    await env.sim.removeFault(faultId);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const activityFailure = (err as WorkflowFailedError).cause;
    expect(activityFailure).toBeInstanceOf(ActivityFailure);
    const appFailure = (activityFailure as ActivityFailure).cause as ApplicationFailure;
    expect(appFailure).toBeInstanceOf(ApplicationFailure);
    expect(appFailure.type).toBe('MalformedResponseError');
    expect(appFailure.nonRetryable).toBe(true);
    expect(appFailure.message).toContain('not valid JSON');
    expect(appFailure.message).toContain(`${MALFORMED_IN_A_ROW} answers in a row`);

    const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
    const failed = (history.events ?? []).find((e) => e.activityTaskFailedEventAttributes);
    expect(failed?.activityTaskFailedEventAttributes?.failure?.applicationFailureInfo?.type).toBe(
      'MalformedResponseError',
    );
    expect(failed?.activityTaskFailedEventAttributes?.failure?.applicationFailureInfo?.nonRetryable).toBe(true);
    // A bounded number of answers in a row (a proxy's page usually passes), then final: no retry storm.
    const started = (history.events ?? []).filter((e) => e.activityTaskStartedEventAttributes);
    expect(started.at(-1)?.activityTaskStartedEventAttributes?.attempt).toBe(1);
    expect(hits).toBe(MALFORMED_IN_A_ROW);
    expect(await storedSpotRows(env.pool, s, sec(from), sec(to))).toEqual([]);
  });

  it('one malformed answer on a late attempt (after 500s failed the earlier ones) is retried, not final: the run completes exactly', async () => {
    // Regression (chaos seed 13): the bound counted activity attempts of any failure, so a single
    // proxy page on attempt 3 failed a backfill. Only malformed answers in a row count now.
    const s = series('coinbase', 'ETH-USD', '1h');
    const from = '2024-02-01T00:00:00Z';
    const to = '2024-02-10T00:00:00Z';
    const params = { instrument: s.instrument, market: s.market };
    await env.sim.addFault({ kind: 'server-error', source: 'data-api', params, count: 2 });
    await env.sim.addFault({ kind: 'malformed', source: 'data-api', params, count: MALFORMED_IN_A_ROW - 1 });
    const result = await runBackfill(input(s, from, to, { pagesPerActivity: 1 }));
    expect(result.status).toBe('completed');
    expect(await storedSpotRows(env.pool, s, sec(from), sec(to))).toEqual(expectedSpotRows(s, sec(from), sec(to)));
    const ours = (await env.sim.listFaults()).filter((f) => f.params?.instrument === s.instrument);
    expect(ours.map((f) => [f.kind, f.hits])).toEqual([
      ['server-error', 2],
      ['malformed', MALFORMED_IN_A_ROW - 1],
    ]);
  });

  it("a poisoned page fails with ResponseSchemaError; after the cause is gone, the runbook's reset completes it exactly", async () => {
    const s = series('kraken', 'XRP-USD', '1h');
    const from = '2024-01-01T00:00:00Z';
    const to = '2024-05-01T00:00:00Z'; // 2904 periods: page 1 ends at from+1999h, page 2 at from+2903h
    const page2ToTs = String(sec(from) + 2903 * 3600);
    const poison = await env.sim.addFault({
      kind: 'drift-missing-field',
      source: 'data-api',
      params: { instrument: s.instrument, market: s.market, to_ts: page2ToTs },
    });
    const workflowId = backfillWorkflowId(s, sec(from), sec(to));
    const err = await runBackfill(input(s, from, to, { pagesPerActivity: 1 })).catch((e: unknown) => e);
    const app = ((err as WorkflowFailedError).cause as ActivityFailure).cause as ApplicationFailure;
    expect(app.type).toBe('ResponseSchemaError');
    expect(app.nonRetryable).toBe(true);
    expect(app.message).toContain('HIGH');
    // Page 1 is stored and checkpointed; nothing of page 2.
    expect(await storedSpotRows(env.pool, s, sec(from), sec(to))).toEqual(
      expectedSpotRows(s, sec(from), sec(from) + 2000 * 3600),
    );

    await env.sim.removeFault(poison); // the cause is removed
    // docs/runbook.md: reset to the first workflow task; the run resumes from the checkpoint.
    const out = await temporalCli([
      'workflow',
      'reset',
      '--workflow-id',
      workflowId,
      '--type',
      'FirstWorkflowTask',
      '--reason',
      'upstream schema fixed',
    ]);
    expect(out).toContain(`Resetting workflow ${workflowId}`);
    const result = await env.client.workflow.getHandle(workflowId).result();
    expect(result).toMatchObject({ status: 'completed', rowsReceived: 904 });
    expect(await storedSpotRows(env.pool, s, sec(from), sec(to))).toEqual(expectedSpotRows(s, sec(from), sec(to)));
  });

  it('rejects bad workflow input with the named InvalidInputError listing every problem', async () => {
    const bad = {
      source: 'data-api',
      dataset: 'spot-ohlcv',
      market: 'kraken',
      instrument: 'BTC USD',
      interval: '7m',
      from: 'soon',
    };
    const err = await env.client.workflow
      .execute('backfillSeries', { taskQueue: env.taskQueue, workflowId: `bad-input-${Date.now()}`, args: [bad] })
      .catch((e: unknown) => e);
    // Checked by the workflow itself before anything runs: the workflow's own failure, not an activity's.
    const app = (err as WorkflowFailedError).cause as ApplicationFailure;
    expect(app).toBeInstanceOf(ApplicationFailure);
    expect(app.type).toBe('InvalidInputError');
    expect(app.nonRetryable).toBe(true);
    for (const field of ['instrument', 'interval', 'from']) expect(app.message).toContain(field);
  });
});

describe('crash safety', () => {
  it('a worker SIGKILLed mid-backfill: a new worker finishes with exactly the expected rows, no duplicate, no hole', async () => {
    await workers?.stop();
    workers = undefined;
    const s = series('bybit', 'DOGE-USDT', '1m');
    const from = '2024-04-01T00:00:00Z';
    const to = '2024-04-11T00:00:00Z'; // 14400 minutes = 8 pages
    // Slow pages so the kill lands mid-run.
    const slow = await env.sim.addFault({
      kind: 'slow',
      source: 'data-api',
      params: { instrument: s.instrument, market: s.market },
      delayMs: 700,
    });
    // The workers hold an API key: it must reach the API and nothing else (logs, history).
    const apiKey = 'sk-test-9f8e7d6c5b4a';
    const first = await startWorkerProcess(env, { DATA_API_KEY: apiKey, LOG_LEVEL: 'DEBUG' });
    const i = input(s, from, to, { pagesPerActivity: 1, heartbeatTimeout: '3s' });
    const workflowId = backfillWorkflowId(s, sec(from), sec(to));
    const handle = await env.client.workflow.start('backfillSeries', {
      taskQueue: env.taskQueue,
      workflowId,
      args: [i],
    });
    const beforeKill = await waitFor(
      async () => {
        const p = await handle.query(progressQuery);
        return p.chunks >= 2 ? p : undefined;
      },
      60_000,
      'two committed chunks',
    );
    first.child.kill('SIGKILL');
    expect(await first.exited).toBe('SIGKILL');
    expect(beforeKill.percent).toBeLessThan(100); // the kill lands mid-run

    await env.sim.removeFault(slow);
    const second = await startWorkerProcess(env, { DATA_API_KEY: apiKey, LOG_LEVEL: 'DEBUG' });
    try {
      const result = await handle.result();
      expect(result.status).toBe('completed');
    } finally {
      second.child.kill('SIGTERM');
    }
    // SIGTERM is a graceful shutdown: the worker drains and exits 0.
    expect(await second.exited).toBe(0);
    expect(second.output.join('\n')).toContain('stopped');
    // The key (sent as a header: test/unit/sources/data-api-client.test.ts) is never printed
    // nor recorded in Temporal, even at DEBUG.
    for (const out of [first.output, second.output]) expect(out.join('\n')).not.toContain(apiKey);
    const history = JSON.stringify(await handle.fetchHistory());
    expect(history).not.toContain(apiKey);
    const stored = await storedSpotRows(env.pool, s, sec(from), sec(to));
    expect(stored.length).toBe(14_400);
    expect(stored).toEqual(expectedSpotRows(s, sec(from), sec(to)));
    const step = INTERVAL_SECONDS['1m'];
    expect(stored.every((r, k) => r.ts === sec(from) + k * step)).toBe(true);
  });
});
