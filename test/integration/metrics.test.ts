/**
 * The worker's Prometheus endpoint, end to end: a worker process with INGEST_METRICS_PORT serves
 * one /metrics with the domain counters, the database gauges and the Temporal SDK's own metrics;
 * a backfill through the simulator moves them (deltas, never absolute values); a database that
 * fails leaves its gauges out instead of failing the scrape; the server stops with the worker.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool } from '../../activities/db/pool';
import { registry } from '../../activities/metrics';
import type { BackfillSeriesInput } from '../../workflows/contracts/backfill';
import { backfillWorkflowId } from '../../workflows/contracts/ids';
import type { SeriesKey } from '../../workflows/contracts/series';
import { COVERAGE_DAYS, COVERAGE_MISSING_SQL, DbGauges, freePort } from '../../workers/metrics-server';
import { openTestEnv, startWorkerProcess, waitFor, type TestEnv, type WorkerProcess } from '../helpers/env';

/** Samples of a Prometheus text exposition: name, labels, value. */
interface Sample {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly value: number;
}

function parseExposition(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

/** Sum of the samples of `name` whose labels include `match`. */
function sum(samples: Sample[], name: string, match: Record<string, string> = {}): number {
  return samples
    .filter((s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v))
    .reduce((n, s) => n + s.value, 0);
}

function has(samples: Sample[], name: string, match: Record<string, string> = {}): boolean {
  return samples.some((s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v));
}

let env: TestEnv;
let worker: WorkerProcess | undefined;
let port: number;

const H = 3600;
const s: SeriesKey = {
  source: 'data-api',
  dataset: 'spot-ohlcv',
  market: 'kraken',
  instrument: 'BTC-USD',
  interval: '1h',
};
const empty: SeriesKey = { ...s, instrument: 'ETH-USD', interval: '1d' };
// The last three closed days' hours up to the current hour: one page, recent enough for the lag
// and coverage gauges (the shared simulator keeps real time).
const to = Math.floor(Date.now() / 1000 / H) * H;
const from = to - 72 * H;
/** The hours closed after `to` by time `ms`: holes the 1h series has once the clock passes an hour. */
const hoursClosedAfterTo = (ms: number) => (Math.floor(ms / 1000 / H) * H - to) / H;

async function scrape(): Promise<{ text: string; samples: Sample[] }> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
  const text = await res.text();
  return { text, samples: parseExposition(text) };
}

beforeAll(async () => {
  env = await openTestEnv('metrics', { ownDatabase: true });
  // Tracked, so the lag and coverage gauges have a series to report.
  await env.pool.query(
    `INSERT INTO tracked_series (source, dataset, market, instrument, interval, origin, backfill_from, backfilled_at)
     VALUES ($1, $2, $3, $4, $5, 'test:metrics', to_timestamp($6), now())`,
    [s.source, s.dataset, s.market, s.instrument, s.interval, from],
  );
  // A tracked series with nothing stored: holes in every day (its history starts 30 days back,
  // beyond the coverage gauge's window), no watermark (no lag reported).
  await env.pool.query(
    `INSERT INTO tracked_series (source, dataset, market, instrument, interval, origin, backfill_from, backfilled_at)
     VALUES ($1, $2, $3, $4, '1d', 'test:metrics', to_timestamp($5), now())`,
    [empty.source, empty.dataset, empty.market, empty.instrument, Math.floor(to / 86_400) * 86_400 - 30 * 86_400],
  );
  port = await freePort();
  worker = await startWorkerProcess(env, {
    INGEST_METRICS_PORT: String(port),
    INGEST_METRICS_HOST: '127.0.0.1',
    // A budget of its own on the shared simulator.
    DATA_API_KEY: `metrics-${randomUUID()}`,
  });
});

afterAll(async () => {
  if (worker && worker.child.exitCode === null) worker.child.kill('SIGKILL');
  await env?.close();
});

describe('GET /metrics of a worker process', () => {
  it('moves the domain counters and the SDK metrics with a backfill, and serves the database gauges', async () => {
    const started = Date.now();
    const before = (await scrape()).samples;
    // Every domain metric is declared from the first scrape (dashboards see the names at once).
    for (const name of ['crypto_ingest_worker_process_cpu_seconds_total', 'crypto_ingest_rate_budget_limit'])
      expect(has(before, name), name).toBe(true);
    expect(sum(before, 'crypto_ingest_source_paused_seconds', { source: 'data-api' })).toBe(0);
    expect(has(before, 'crypto_ingest_rate_budget_limit', { source: 'data-api', window: 'second' })).toBe(true);

    const input: BackfillSeriesInput = {
      ...s,
      from: new Date(from * 1000).toISOString(),
      to: new Date(to * 1000).toISOString(),
    };
    const result = await env.client.workflow.execute('backfillSeries', {
      taskQueue: env.taskQueue,
      workflowId: `${backfillWorkflowId(s, from, to)}/metrics-${randomUUID().slice(0, 8)}`,
      args: [input],
    });
    expect(result).toMatchObject({ status: 'completed', rowsInserted: 72, pages: 1 });

    // The database gauges are cached for 10 s: wait for a refresh that sees the backfill.
    const after = await waitFor(
      async () => {
        const { samples } = await scrape();
        return has(samples, 'crypto_ingest_series_lag_seconds', { instrument: s.instrument }) &&
          sum(samples, 'temporal_workflow_completed', { workflow_type: 'backfillSeries' }) >
            sum(before, 'temporal_workflow_completed', { workflow_type: 'backfillSeries' })
          ? samples
          : undefined;
      },
      30_000,
      'the lag gauge and the SDK workflow counter after the backfill',
    );

    const delta = (name: string, match: Record<string, string>) => sum(after, name, match) - sum(before, name, match);
    expect(delta('crypto_ingest_rows_total', { source: 'data-api', dataset: 'spot-ohlcv', outcome: 'inserted' })).toBe(
      72,
    );
    expect(
      delta('crypto_ingest_rows_total', { source: 'data-api', dataset: 'spot-ohlcv', outcome: 'quarantined' }),
    ).toBe(0);
    expect(delta('crypto_ingest_requests_total', { source: 'data-api', outcome: 'ok' })).toBeGreaterThanOrEqual(1);
    expect(delta('crypto_ingest_pages_total', { source: 'data-api', dataset: 'spot-ohlcv' })).toBe(1);
    // The SDK's own metrics, from Core's exporter, in the same scrape.
    expect(delta('temporal_workflow_completed', { workflow_type: 'backfillSeries' })).toBeGreaterThanOrEqual(1);
    expect(delta('temporal_activity_execution_latency_count', { activity_type: 'ingestChunk' })).toBeGreaterThanOrEqual(
      1,
    );

    // Gauges read from PostgreSQL.
    const lag = sum(after, 'crypto_ingest_series_lag_seconds', { ...s });
    const lagIntervals = sum(after, 'crypto_ingest_series_lag_intervals', { ...s });
    expect(lag).toBeGreaterThanOrEqual(0);
    expect(lag).toBeLessThan(3 * H); // the last hour before `to` is stored final
    expect(lagIntervals).toBeCloseTo(lag / H, 1);
    expect(has(after, 'crypto_ingest_series_lag_seconds', { instrument: empty.instrument })).toBe(false);
    // No hole in the backfilled hours; an hour that closed since the backfill (the clock passed a
    // full hour during the test) is one, as the gauge should say.
    const missingHours = sum(after, 'crypto_ingest_coverage_missing_periods', { source: 'data-api', interval: '1h' });
    expect(missingHours).toBeGreaterThanOrEqual(hoursClosedAfterTo(started - 10_000));
    expect(missingHours).toBeLessThanOrEqual(hoursClosedAfterTo(Date.now()));
    // The empty daily series: the 7 whole days before today are holes (today is not closed yet).
    expect(sum(after, 'crypto_ingest_coverage_missing_periods', { source: 'data-api', interval: '1d' })).toBe(7);
    expect(sum(after, 'crypto_ingest_quarantine_rows', { source: 'data-api', dataset: 'spot-ohlcv' })).toBe(0);
    expect(has(after, 'crypto_ingest_rate_budget_used', { source: 'data-api' })).toBe(true);
    expect(sum(after, 'crypto_ingest_metrics_scrape_errors_total')).toBe(0);
  });

  it('counts failed workflows (the SDK) and failed activities (by failure type)', async () => {
    const before = (await scrape()).samples;
    const input: BackfillSeriesInput = {
      ...s,
      dataset: 'no-such-dataset',
      from: new Date(from * 1000).toISOString(),
      to: new Date(to * 1000).toISOString(),
    };
    await expect(
      env.client.workflow.execute('backfillSeries', {
        taskQueue: env.taskQueue,
        workflowId: `metrics-failing-${randomUUID()}`,
        args: [input],
      }),
    ).rejects.toThrow();
    const after = await waitFor(
      async () => {
        const { samples } = await scrape();
        return sum(samples, 'temporal_workflow_failed', { workflow_type: 'backfillSeries' }) >
          sum(before, 'temporal_workflow_failed', { workflow_type: 'backfillSeries' })
          ? samples
          : undefined;
      },
      30_000,
      'temporal_workflow_failed{workflow_type="backfillSeries"} to move',
    );
    const delta = (name: string, match: Record<string, string>) => sum(after, name, match) - sum(before, name, match);
    expect(
      delta('crypto_ingest_activity_failures_total', { activity: 'planBackfill', type: 'InvalidInputError' }),
    ).toBe(1);
    // The SDK metrics the alert rules use exist under those names, with the labels they aggregate by.
    const named = new Set(readFileSync('deploy/prometheus/alerts.yml', 'utf8').match(/\btemporal_[a-z0-9_]+/g));
    expect(named.size).toBeGreaterThan(0);
    for (const name of named) {
      const sample = after.find((x) => x.name === name);
      expect(sample, name).toBeDefined();
      expect(Object.keys(sample!.labels)).toEqual(expect.arrayContaining(['namespace', 'task_queue', 'workflow_type']));
    }
  });

  it('counts coverage holes as coverage_report_at does over the same days, without walking the whole history', async () => {
    const client = await env.pool.connect();
    try {
      // One transaction: both read the same now().
      await client.query('BEGIN');
      const ours = await client.query<{ source: string; dataset: string; interval: string; missing: number }>(
        `${COVERAGE_MISSING_SQL} ORDER BY source, dataset, interval`,
        [COVERAGE_DAYS],
      );
      const report = await client.query<{ source: string; dataset: string; interval: string; missing: number }>(
        `SELECT source, dataset, interval, sum(missing)::float8 AS missing
         FROM coverage_report_at(now())
         WHERE day >= (to_timestamp((floor(extract(epoch FROM now()) / 86400) - $1) * 86400) AT TIME ZONE 'UTC')::date
         GROUP BY source, dataset, interval ORDER BY source, dataset, interval`,
        [COVERAGE_DAYS],
      );
      // The whole history of the empty daily series: 30 days of holes, of which the gauge counts 7.
      const whole = await client.query<{ missing: number }>(
        `SELECT sum(missing)::float8 AS missing FROM coverage_report_at(now()) WHERE instrument = $1 AND interval = '1d'`,
        [empty.instrument],
      );
      const clock = await client.query<{ now_ms: number }>(
        `SELECT (extract(epoch FROM now()) * 1000)::float8 AS now_ms`,
      );
      await client.query('COMMIT');
      const nowMs = clock.rows[0]!.now_ms;
      expect(ours.rows).toEqual(report.rows);
      // The 1h series was backfilled up to `to`; the hours the clock has closed since are holes.
      expect(ours.rows.map((r) => [r.interval, r.missing])).toEqual([
        ['1d', 7],
        ['1h', hoursClosedAfterTo(nowMs)],
      ]);
      // 30 days, and one more for each midnight the clock passed since `to`.
      expect(whole.rows[0]!.missing).toBe(30 + Math.floor(nowMs / 1000 / 86_400) - Math.floor(to / 86_400));
    } finally {
      client.release();
    }
  });

  it("serves the syncs' plan: planned calls, lagging series, and their need per window (stale schedules hold none)", async () => {
    const source = `test-metrics-${randomUUID().slice(0, 8)}`;
    const other = `${source}-stale`;
    await env.pool.query(
      `INSERT INTO sync_demand (source, dataset, interval, series, calls_per_tick, every_seconds, lagging, as_of, updated_at)
       VALUES ($1, 'spot-ohlcv', '1m', 40, 40, 60, 3, now(), now()),
              ($1, 'spot-ohlcv', '1h', 10, 10, 3600, 0, now(), now()),
              ($2, 'spot-ohlcv', '1h', 10, 10, 3600, 0, now(), now() - interval '3 hours')`,
      [source, other],
    );
    try {
      await new DbGauges(env.pool, { served: [{ source, datasets: ['spot-ohlcv'] }] }).refresh();
      const samples = parseExposition(await registry.metrics());
      expect(sum(samples, 'crypto_ingest_sync_planned_calls', { source, interval: '1m' })).toBe(40);
      expect(sum(samples, 'crypto_ingest_sync_lagging_series', { source, interval: '1m' })).toBe(3);
      // 40 calls a minute + 10 an hour: 2,410 an hour, 57,840 a day.
      expect(sum(samples, 'crypto_ingest_rate_budget_sync_need', { source, window: 'hour' })).toBeCloseTo(2_410, 6);
      expect(sum(samples, 'crypto_ingest_rate_budget_sync_need', { source, window: 'day' })).toBeCloseTo(57_840, 6);
      // A schedule that stopped ticking (updated 3 hours ago, every hour): no plan, no lag, no budget held.
      expect(has(samples, 'crypto_ingest_rate_budget_sync_need', { source: other })).toBe(false);
      expect(has(samples, 'crypto_ingest_sync_planned_calls', { source: other })).toBe(false);
      expect(has(samples, 'crypto_ingest_sync_lagging_series', { source: other })).toBe(false);
    } finally {
      await env.pool.query(`DELETE FROM sync_demand WHERE source IN ($1, $2)`, [source, other]);
    }
  });

  it('serves the open reconciliation disagreements by source pair and column', async () => {
    const left = `test-left-${randomUUID().slice(0, 8)}`;
    const run = await env.pool.query<{ id: string }>(
      `INSERT INTO reconcile_runs (as_of, since, pairs, compared, disagreements, workflow_id)
       VALUES (now(), now() - interval '1 day', 1, 24, 3, 'test') RETURNING id`,
    );
    const id = run.rows[0]!.id;
    await env.pool.query(
      `INSERT INTO reconcile_diffs (left_source, left_dataset, right_source, right_dataset, market, instrument, interval,
         ts, column_name, left_value, right_value, relative_diff, tolerance, run_id, resolved_at)
       VALUES ($1, 'a', 'right', 'b', 'm', 'i', '1h', '2024-01-01T00:00:00Z', 'close', 1, 2, 0.5, 0.001, $2, NULL),
              ($1, 'a', 'right', 'b', 'm', 'i', '1h', '2024-01-01T01:00:00Z', 'close', 1, 2, 0.5, 0.001, $2, NULL),
              ($1, 'a', 'right', 'b', 'm', 'i', '1h', '2024-01-01T02:00:00Z', 'close', 1, 2, 0.5, 0.001, $2, now()),
              ($1, 'a', 'right', 'b', 'm', 'i', '1h', '2024-01-01T03:00:00Z', 'volume', 1, 2, 0.5, 0.05, $2, NULL)`,
      [left, id],
    );
    try {
      await new DbGauges(env.pool, { served: [] }).refresh();
      const samples = parseExposition(await registry.metrics());
      const at = (column: string) =>
        sum(samples, 'crypto_ingest_reconcile_disagreements', { left_source: left, right_source: 'right', column });
      expect([at('close'), at('volume')]).toEqual([2, 1]); // the resolved one is not open
    } finally {
      await env.pool.query(`DELETE FROM reconcile_diffs WHERE left_source = $1`, [left]);
      await env.pool.query(`DELETE FROM reconcile_runs WHERE id = $1`, [id]);
    }
  });

  it('leaves a gauge out and counts the error when its query fails, without failing', async () => {
    const bad = new URL(env.workerEnv.DATABASE_URL!);
    bad.pathname = '/no_such_database';
    const pool = createPool(bad.toString(), { max: 1 });
    try {
      const errorsBefore = sum(parseExposition(await registry.metrics()), 'crypto_ingest_metrics_scrape_errors_total');
      await new DbGauges(pool, { served: [{ source: 'data-api', datasets: ['spot-ohlcv'] }] }).refresh();
      const samples = parseExposition(await registry.metrics());
      expect(has(samples, 'crypto_ingest_source_paused_seconds')).toBe(false);
      expect(has(samples, 'crypto_ingest_series_lag_seconds')).toBe(false);
      expect(has(samples, 'crypto_ingest_sync_lagging_series')).toBe(false);
      expect(sum(samples, 'crypto_ingest_metrics_scrape_errors_total') - errorsBefore).toBe(7);
    } finally {
      await pool.end();
    }
  });

  it('stops serving when the worker stops', async () => {
    worker!.child.kill('SIGTERM');
    expect(await worker!.exited).toBe(0);
    await expect(fetch(`http://127.0.0.1:${port}/metrics`)).rejects.toThrow();
  });
});
