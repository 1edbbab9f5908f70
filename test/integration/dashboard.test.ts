/**
 * The data-quality dashboard end to end: a real backfill through the simulator and a worker, a hole
 * punched into the stored hours and found by the real coverage audit (`crypto-ingest repair
 * --dry-run`), a failed workflow, and a quarantined row, a drift event, a pause and a
 * reconciliation disagreement in their tables. Then `crypto-ingest dashboard` (a child process,
 * logged in as the local stack's `crypto_ingest_dashboard`, a member of `crypto_ingest_reader`, which
 * may not read a single fact table nor write anything) is opened in headless Chromium (Debian's, driven by playwright-core): the page loads
 * with no console error and shows the series, the hole with its repair command (copied with one
 * click), the failed workflow linked into the Temporal UI, and the rest. A screenshot goes to
 * test-output/dashboard.png.
 *
 * Needs Chromium: `bash scripts/install-chromium.sh` prints one (installing Debian's when root;
 * `npm test` runs it). Without one this test FAILS, it never skips.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createPool } from '../../activities/db/pool';
import type { BackfillSeriesInput } from '../../workflows/contracts/backfill';
import { backfillWorkflowId } from '../../workflows/contracts/ids';
import type { SeriesKey } from '../../workflows/contracts/series';
import { openTestEnv, runCli, startWorkerProcess, waitFor, type TestEnv, type WorkerProcess } from '../helpers/env';

const H = 3600;
const D = 86_400;
const UI = 'http://temporal-ui.test:8233';
const OUT = path.resolve('test-output');

const s: SeriesKey = {
  source: 'data-api',
  dataset: 'spot-ohlcv',
  market: 'kraken',
  instrument: 'BTC-USD',
  interval: '1h',
};
/** Tracked, backfilled, never stored: shows as "never". */
const silent: SeriesKey = { ...s, market: 'bitstamp', instrument: 'ETH-USD' };
// Three days of hours up to the current one; the hole is two hours of the middle (whole) day.
const to = Math.floor(Date.now() / 1000 / H) * H;
const from = to - 72 * H;
const holeDay = (Math.floor(from / D) + 1) * D;
const holeDayText = new Date(holeDay * 1000).toISOString().slice(0, 10);

let env: TestEnv;
let worker: WorkerProcess | undefined;
let dashboard: ChildProcess | undefined;
let dashboardUrl = '';
let browser: Browser | undefined;
let readerUrl = '';
/** The local stack's dashboard login (stack/postgres-local.ts), here on this file's own database. */
const role = 'crypto_ingest_dashboard';
const failedId = `dashboard-failing-${randomUUID().slice(0, 8)}`;

/** `crypto-ingest dashboard` as an operator runs it; resolves with its URL once it listens. */
function startDashboard(): Promise<{ child: ChildProcess; url: string; output: string[] }> {
  const child = spawn(
    process.execPath,
    [path.resolve('bin/crypto-ingest.mjs'), 'dashboard', '--port', '0', '--temporal-ui-url', UI],
    {
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/tmp',
        TEMPORAL_ADDRESS: env.workerEnv.TEMPORAL_ADDRESS!,
        TEMPORAL_NAMESPACE: env.workerEnv.TEMPORAL_NAMESPACE!,
        DATABASE_URL: readerUrl,
        DATA_API_RATE_LIMITS: 'second=20,minute=300,hour=3000,day=7500,month=11000',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const output: string[] = [];
  return new Promise((resolve, reject) => {
    const onData = (b: Buffer) => {
      for (const line of b.toString().split('\n')) {
        if (line) output.push(line);
        const m = /^dashboard: (http:\/\/\S+)/.exec(line);
        if (m) resolve({ child, url: m[1]!, output });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => reject(new Error(`dashboard exited (${code}):\n${output.join('\n')}`)));
    setTimeout(() => reject(new Error(`dashboard not listening after 60 s:\n${output.join('\n')}`)), 60_000).unref();
  });
}

beforeAll(async () => {
  const found = spawnSync('bash', ['scripts/install-chromium.sh'], { encoding: 'utf8' });
  if (found.status !== 0)
    throw new Error(`no Chromium: \`bash scripts/install-chromium.sh\` exited ${found.status}: ${found.stderr.trim()}`);
  const executablePath = found.stdout.trim();

  env = await openTestEnv('dashboard', { ownDatabase: true });
  // The dashboard's login as the local stack makes it: only a member of the reader role (sql/0016).
  const stackReader = new URL(inject('dashboardDatabaseUrl'));
  expect(decodeURIComponent(stackReader.username)).toBe(role);
  const u = new URL(env.workerEnv.DATABASE_URL!);
  u.username = stackReader.username;
  u.password = stackReader.password;
  readerUrl = u.toString();

  for (const k of [s, silent])
    await env.pool.query(
      `INSERT INTO tracked_series (source, dataset, market, instrument, interval, origin, backfill_from, backfilled_at)
       VALUES ($1, $2, $3, $4, $5, 'test:dashboard', to_timestamp($6), now())`,
      [k.source, k.dataset, k.market, k.instrument, k.interval, from],
    );
  worker = await startWorkerProcess(env, { DATA_API_KEY: `dashboard-${randomUUID()}` });

  // The data: a real backfill, then two hours deleted and the ledger recounted by the real audit.
  const input: BackfillSeriesInput = {
    ...s,
    from: new Date(from * 1000).toISOString(),
    to: new Date(to * 1000).toISOString(),
  };
  const done = await env.client.workflow.execute('backfillSeries', {
    taskQueue: env.taskQueue,
    workflowId: `${backfillWorkflowId(s, from, to)}/dashboard-${randomUUID().slice(0, 8)}`,
    args: [input],
  });
  expect(done).toMatchObject({ status: 'completed', rowsInserted: 72 });
  const punched = await env.pool.query(
    `DELETE FROM spot_ohlcv WHERE market = $1 AND instrument = $2 AND interval = $3
       AND ts IN (to_timestamp($4), to_timestamp($4 + 3600))`,
    [s.market, s.instrument, s.interval, holeDay + 5 * H],
  );
  expect(punched.rowCount).toBe(2);
  const audit = await runCli(
    env,
    [
      'repair',
      '--dry-run',
      '--source',
      s.source,
      '--dataset',
      s.dataset,
      '--interval',
      s.interval,
      '--since',
      new Date(from * 1000).toISOString().slice(0, 10),
      '--task-queue',
      env.taskQueue,
      '--wait',
    ],
    { DATABASE_URL: env.workerEnv.DATABASE_URL! },
  );
  expect(audit.code, audit.stderr).toBe(0);

  // A workflow that fails (an unknown dataset: a named, non-retryable input error).
  await expect(
    env.client.workflow.execute('backfillSeries', {
      taskQueue: env.taskQueue,
      workflowId: failedId,
      args: [{ ...input, dataset: 'no-such-dataset' }],
      searchAttributes: { IngestKind: ['backfill'], IngestSource: ['data-api'] },
    }),
  ).rejects.toThrow();
  await waitFor(
    async () => {
      for await (const w of env.client.workflow.list({ query: `WorkflowId = '${failedId}'` }))
        if (w.status.name === 'FAILED') return true;
      return false;
    },
    30_000,
    'the failed workflow in visibility',
  );

  // What the pipeline records elsewhere, planted: a quarantined row, a drift event, a pause, a disagreement.
  await env.pool.query(
    `INSERT INTO quarantine (source, dataset, market, instrument, interval, ts, reason, raw, raw_sha256, request)
     VALUES ('data-api', 'spot-ohlcv', 'kraken', 'BTC-USD', '1h', to_timestamp($1), 'close NaN is not a finite number',
             '{"CLOSE": "NaN", "TIMESTAMP": 1}', 'sha-dashboard', '/spot/v1/historical/hours?market=kraken')`,
    [holeDay],
  );
  await env.pool.query(
    `INSERT INTO schema_drift (source, dataset, field, sample) VALUES ('data-api', 'spot-ohlcv', 'NEW_FIELD_X', '42')`,
  );
  await env.pool.query(
    `INSERT INTO source_pauses (source, paused_until, reason, set_by)
     VALUES ('data-api#dashboard', now() + interval '10 minutes', 'quota: month window exhausted (X-RateLimit-Remaining-Month: 0)', 'api')`,
  );
  const run = await env.pool.query<{ id: string }>(
    `INSERT INTO reconcile_runs (as_of, since, pairs, compared, disagreements, workflow_id, finished_at)
     VALUES (now(), now() - interval '2 days', 1, 24, 1, 'reconcile/test', now()) RETURNING id`,
  );
  await env.pool.query(
    `INSERT INTO reconcile_diffs (left_source, left_dataset, right_source, right_dataset, market, instrument, interval,
                                  ts, column_name, left_value, right_value, relative_diff, tolerance, run_id)
     VALUES ('data-api', 'spot-ohlcv', 'min-api', 'histo-ohlcv', 'kraken', 'BTC-USD', '1h', to_timestamp($1), 'close',
             100, 101, 0.0099, 0.001, $2)`,
    [holeDay + 10 * H, run.rows[0]!.id],
  );

  const started = await startDashboard();
  dashboard = started.child;
  dashboardUrl = started.url;
  browser = await chromium.launch({ executablePath, headless: true, args: ['--no-sandbox'] });
});

afterAll(async () => {
  await browser?.close();
  dashboard?.kill('SIGTERM');
  if (worker && worker.child.exitCode === null) worker.child.kill('SIGKILL');
  await env?.close();
});

describe('crypto-ingest dashboard', () => {
  it('logs in as a reader that can read no fact table and write nothing', async () => {
    // Exactly the ledgers the dashboard shows, and nothing else of the schema.
    const granted = await env.pool.query<{ table_name: string }>(
      `SELECT c.relname AS table_name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm')
         AND has_table_privilege($1, c.oid, 'SELECT') ORDER BY 1`,
      [role],
    );
    expect(granted.rows.map((r) => r.table_name)).toEqual(
      [
        'coverage_daily',
        'ingestion_runs',
        'quarantine',
        'rate_budget_windows',
        'reconcile_diffs',
        'reconcile_runs',
        'schema_drift',
        'series_watermarks',
        'source_pauses',
        'sync_demand',
        'tracked_series',
      ].sort(),
    );
    const writable = await env.pool.query(
      `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
         AND (has_table_privilege($1, c.oid, 'INSERT') OR has_table_privilege($1, c.oid, 'UPDATE')
              OR has_table_privilege($1, c.oid, 'DELETE') OR has_table_privilege($1, c.oid, 'TRUNCATE'))`,
      [role],
    );
    expect(writable.rows).toEqual([]);
    // The role alone, without the dashboard's read-only sessions.
    const reader = createPool(readerUrl, { max: 1 });
    try {
      const code = (q: string) =>
        reader.query(q).then(
          () => 'ok',
          (e: { code?: string }) => e.code,
        );
      expect(await code('SELECT count(*) FROM coverage_daily')).toBe('ok');
      expect(await code('SELECT count(*) FROM spot_ohlcv')).toBe('42501');
      expect(await code('SELECT count(*) FROM futures_ohlcv')).toBe('42501');
      expect(await code('SELECT count(*) FROM minapi_ohlcv')).toBe('42501');
      expect(await code(`DELETE FROM quarantine`)).toBe('42501');
      expect(await code(`UPDATE coverage_daily SET present = 0`)).toBe('42501');
    } finally {
      await reader.end();
    }
    const config = (await (await fetch(new URL('/api/config', dashboardUrl))).json()) as { database: unknown };
    expect(config.database).toEqual({ user: role, read_only: 'on' });
    // Anything but GET is refused by the server itself.
    const res = await fetch(new URL('/api/freshness', dashboardUrl), { method: 'POST' });
    expect(res.status).toBe(405);
    // A bad query parameter is a named 400, not a stack trace.
    const bad = await fetch(new URL('/api/coverage?days=nine', dashboardUrl));
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toContain('days=nine');
    for (const p of ['/api/freshness?limit=0', '/api/throughput?minutes=x', '/api/quarantine?hours=-1']) {
      const r = await fetch(new URL(p, dashboardUrl));
      expect(r.status, p).toBe(400);
    }
  });

  it('serves every panel from the ledgers, with the hole and its repair command', async () => {
    const get = async <T>(p: string): Promise<T> => {
      const r = await fetch(new URL(p, dashboardUrl));
      expect(r.status, `${p}: ${r.status}`).toBe(200);
      return (await r.json()) as T;
    };
    const cov = await get<{
      days: string[];
      series: Array<{
        market: string;
        states: string[];
        missing: number[];
        repair: string | null;
        repairs: Record<string, string>;
      }>;
    }>('/api/coverage?days=7&scope=data-api/spot-ohlcv/1h');
    const kraken = cov.series.find((x) => x.market === 'kraken')!;
    const at = cov.days.indexOf(holeDayText);
    expect(at).toBeGreaterThanOrEqual(0);
    expect(kraken.states[at]).toBe('holes');
    expect(kraken.missing[at]).toBe(2);
    // The day before the series' history is "not listed"; the whole day after the hole is complete.
    expect(kraken.states[at - 2]).toBe('not-listed');
    expect(kraken.states[at + 1]).toBe('complete');
    // Every day of both series, as the coverage report counts them over the same days.
    const report = await env.pool.query<{ market: string; day: string; missing: number }>(
      `SELECT market, to_char(day, 'YYYY-MM-DD') AS day, sum(missing)::int AS missing
       FROM coverage_report_at(now()) WHERE instrument IN ($1, $2) AND day >= $3::date
       GROUP BY 1, 2`,
      [s.instrument, silent.instrument, cov.days[0]],
    );
    for (const series of cov.series) {
      const reported = cov.days.map(
        (day) => report.rows.find((r) => r.market === series.market && r.day === day)?.missing ?? 0,
      );
      expect(series.missing, series.market).toEqual(reported);
    }
    expect(kraken.repair).toBe(
      `crypto-ingest repair --source data-api --dataset spot-ohlcv --interval 1h --since ${holeDayText} --wait`,
    );
    // A clicked red day copies its own command: one per day with holes, and none for the others.
    expect(Object.keys(kraken.repairs)).toEqual(cov.days.filter((_, i) => kraken.states[i] === 'holes'));
    expect(kraken.repairs[holeDayText]).toBe(kraken.repair);
    const tp = await get<{ points: Array<{ dataset: string; rows: number }> }>('/api/throughput?minutes=60');
    expect(tp.points.filter((p) => p.dataset === 'spot-ohlcv').reduce((n, p) => n + p.rows, 0)).toBe(72);
  });

  it('loads in headless Chromium with no console error and shows the series, the hole, the failed workflow', async () => {
    const context = await browser!.newContext({ viewport: { width: 1500, height: 1000 } });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(dashboardUrl).origin });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('requestfailed', (r) => problems.push(`requestfailed: ${r.url()} ${r.failure()?.errorText ?? ''}`));
    await page.goto(dashboardUrl);
    await page.waitForSelector('body[data-loaded]', { timeout: 30_000 });

    // No panel failed.
    expect(await page.locator('section[data-error]').count()).toBe(0);
    // Freshness: the stored series is fresh, the never-stored one says so.
    const row = page.locator(`tr[data-series="data-api/spot-ohlcv/kraken/BTC-USD/1h"]`);
    await expect(row.locator('.badge').textContent()).resolves.toBe('fresh');
    await expect(
      page.locator(`tr[data-series="data-api/spot-ohlcv/bitstamp/ETH-USD/1h"] .badge`).textContent(),
    ).resolves.toBe('never');
    // The hole, with the command that repairs it, copied with one click.
    const command = `crypto-ingest repair --source data-api --dataset spot-ohlcv --interval 1h --since ${holeDayText} --wait`;
    const hole = page.locator(`tr[data-hole="data-api/spot-ohlcv/kraken/BTC-USD/1h"]`);
    await expect(hole.locator('[data-testid=repair-command]').textContent()).resolves.toBe(command);
    await hole.locator('button.copy').click();
    await expect(page.evaluate('navigator.clipboard.readText()')).resolves.toBe(command);
    // The heatmap (ECharts) holds the hole as a red cell.
    // (Evaluated in the page: this file is compiled without the DOM types.)
    const chartOption = (id: string) =>
      page.evaluate(`echarts.getInstanceByDom(document.getElementById('${id}')).getOption()`) as Promise<{
        series: Array<{ name: string; data: number[][] }>;
      }>;
    const holesCells = (await chartOption('coverage-chart')).series[0]!.data.filter((c) => c[2] === 1).length;
    expect(holesCells).toBeGreaterThanOrEqual(1);
    // Throughput has a line for the dataset.
    const lines = (await chartOption('throughput-chart')).series.map((x) => x.name);
    expect(lines).toContain('data-api/spot-ohlcv');
    // The failed workflow, linked into the Temporal UI.
    const link = page.locator('[data-testid=workflows-failed] a', { hasText: failedId });
    await expect(link.getAttribute('href')).resolves.toMatch(
      new RegExp(`^${UI}/namespaces/[^/]+/workflows/${failedId}/[0-9a-f-]+/history$`),
    );
    // Quarantine sample, drift event, pause and its cause, the disagreement.
    await expect(page.locator('[data-testid=quarantine-recent]').textContent()).resolves.toContain(
      'close NaN is not a finite number',
    );
    await expect(page.locator('[data-testid=drift-events]').textContent()).resolves.toContain('NEW_FIELD_X');
    await expect(page.locator('[data-testid=pauses]').textContent()).resolves.toContain('month window exhausted');
    await expect(page.locator('[data-testid=reconcile-diffs]').textContent()).resolves.toContain('0.990%');
    // (The namespace is shared with other test files, whose workflows may have failed too.)
    await expect(
      page.locator('[data-testid=chips] .badge', { hasText: 'failed workflow' }).textContent(),
    ).resolves.toMatch(/^[1-9]\d* failed workflows?$/);

    fs.mkdirSync(OUT, { recursive: true });
    const shot = path.join(OUT, 'dashboard.png');
    await page.screenshot({ path: shot, fullPage: true });
    expect(fs.statSync(shot).size).toBeGreaterThan(20_000);
    expect(problems).toEqual([]);
    await context.close();
  });
});
