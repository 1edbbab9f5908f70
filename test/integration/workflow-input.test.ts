/**
 * Workflow inputs on the real stack: an input that can never run fails the workflow at once with
 * the named non-retryable `InvalidInputError` listing every problem (no task retried forever, no
 * silent no-op), and a backfill's checkpoint key is always recomputed from its series: a hand-made
 * `state` naming another job cannot move that job's checkpoint.
 */
import { randomUUID } from 'node:crypto';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BackfillSeriesInput, BackfillSeriesResult } from '../../workflows/contracts/backfill';
import { backfillJobId } from '../../workflows/contracts/ids';
import type { SeriesKey } from '../../workflows/contracts/series';
import { openTestEnv, startWorkers, type RunningWorkers, type TestEnv } from '../helpers/env';

let env: TestEnv;
let workers: RunningWorkers;

beforeAll(async () => {
  env = await openTestEnv('workflow-input');
  workers = await startWorkers(env, { DATA_API_KEY: `workflow-input-${randomUUID()}` });
});

afterAll(async () => {
  await workers?.stop();
  await env?.close();
});

async function failureOf(workflowType: string, input: unknown): Promise<ApplicationFailure> {
  const err = await env.client.workflow
    .execute(workflowType, { taskQueue: env.taskQueue, workflowId: `input-test/${randomUUID()}`, args: [input] })
    .catch((e: unknown) => e);
  expect(err).toBeInstanceOf(WorkflowFailedError);
  const cause = (err as WorkflowFailedError).cause;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  return cause as ApplicationFailure;
}

describe('workflow inputs', () => {
  it('a sync tick that can never run fails at once with InvalidInputError naming every problem', async () => {
    const started = Date.now();
    const f = await failureOf('syncDataset', {
      source: 'data-api',
      dataset: 'spot-ohlcv',
      interval: '2h',
      batchSize: 0,
    });
    expect(f.type).toBe('InvalidInputError');
    expect(f.nonRetryable).toBe(true);
    expect(f.message).toContain('interval: "2h" is not an interval');
    expect(f.message).toContain('batchSize: 0 is not a whole number from 1 to 1000');
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it('a backfill whose heartbeat timeout is not a duration, and a repair with a bad interval, likewise', async () => {
    const backfill = await failureOf('backfillSeries', {
      source: 'data-api',
      dataset: 'spot-ohlcv',
      market: 'kraken',
      instrument: 'BTC-USD',
      interval: '1h',
      from: '2024-01-01T00:00:00Z',
      options: { heartbeatTimeout: 'soon' },
    });
    expect(backfill.type).toBe('InvalidInputError');
    expect(backfill.message).toContain('options.heartbeatTimeout: "soon" is not a duration');
    const repair = await failureOf('repairCoverage', { interval: '5m', concurrency: 0 });
    expect(repair.message).toContain('interval: "5m" is not an interval');
    expect(repair.message).toContain('concurrency: 0 is not a whole number from 1 to 32');
  });

  it("a hand-made state naming another job's checkpoint cannot move it: the key is recomputed from the series", async () => {
    const s: SeriesKey = {
      source: 'data-api',
      dataset: 'spot-ohlcv',
      market: 'kraken',
      instrument: 'ETH-USD',
      interval: '1h',
    };
    const other: SeriesKey = { ...s, instrument: 'LTC-USD' };
    const from = Date.UTC(2024, 2, 1) / 1000;
    const to = from + 48 * 3600;
    const otherJob = backfillJobId(other, from, to);
    const ownJob = backfillJobId(s, from, to);
    const iso = (t: number) => new Date(t * 1000).toISOString();
    const forged: BackfillSeriesInput = {
      ...s,
      from: iso(from),
      to: iso(to),
      state: {
        plan: { jobId: otherJob, from: iso(from), to: iso(to), totalPeriods: 48 },
        progress: {
          status: 'running',
          percent: 0,
          chunks: 0,
          pages: 0,
          rowsReceived: 0,
          rowsInserted: 0,
          rowsUpdated: 0,
          rowsUnchanged: 0,
          runs: 1,
        },
      },
    };
    const result = (await env.client.workflow.execute('backfillSeries', {
      taskQueue: env.taskQueue,
      workflowId: `input-test/forged/${randomUUID()}`,
      args: [forged],
    })) as BackfillSeriesResult;
    expect(result.status).toBe('completed');
    expect(result.jobId).toBe(ownJob);
    const checkpoints = await env.pool.query<{ job_id: string }>(
      `SELECT job_id FROM ingest_checkpoints WHERE job_id = ANY($1::text[]) ORDER BY job_id`,
      [[ownJob, otherJob]],
    );
    expect(checkpoints.rows.map((r) => r.job_id)).toEqual([ownJob]);
  });
});
