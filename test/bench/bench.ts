/**
 * `npm run bench [-- --smoke] [-- --scenario <name>] [-- --keep] [-- --cpu-prof]`: throughput of the
 * real pipeline on its own real stack (private PostgreSQL, Temporal dev server with a db file, the
 * simulator; data dir `.data/bench`, `.data/bench-smoke` with --smoke; free ports), measured, never
 * asserted. One JSON line per scenario on stdout, progress on stderr.
 *
 * Scenarios (each end to end: from the first workflow start to the last workflow's close time, rows
 * counted in PostgreSQL):
 *  - `one-series-1m`: one Data API spot 1m series, 1,000,000 rows, rate limits off, default options.
 *  - `parallel-20`: 20 such series at once, 50,000 rows each.
 *  - `memory-10m`: 10 such series at once, 1,000,000 rows each (10M rows), no baselines: the worker's
 *    RSS over the run, by tenths of it (flat or growing?).
 *  - `rate-bound`: 3 series for two whole minute windows (started on a boundary) under the free tier (simulator limits and the worker's budget =
 *    DATA_API_FREE_TIER) with 150 ms added to every request; requests, 429s and the share of the
 *    binding window used.
 * The no-limit scenarios also time two baselines on the same rows and the same table (see
 * baselines.ts): the database ceiling (psql \copy + the store's merge) and the naive path
 * (1,000-row multi-row INSERT … ON CONFLICT from Node). Each path writes into an empty range: the
 * series' rows are deleted (and the table vacuumed) before the next path.
 *
 * Exit 0 when every scenario stored exactly the expected rows (a full run also writes
 * docs/benchmarks.md and docs/benchmarks-rows-per-second.svg), 1 otherwise, 2 on a crash.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import pg from 'pg';
import { formatRateLimits, RATE_WINDOW_SECONDS, RATE_WINDOWS, type RateWindow } from '../../activities/rate-limits';
import { DATA_API_FREE_TIER } from '../../activities/sources/data-api/config';
import { SimulatorControl } from '../../simulator/control-client';
import { listInstruments, SIM_MARKETS } from '../../simulator/sources/data-api/catalog';
import { findPgBinDir, freePort, startStack, type ManagedProcess, type Stack } from '../../stack/index';
import { REPO_ROOT } from '../../stack/processes';
import { buildWorkflowBundle } from '../../workers/build-workflow-bundle';
import { BACKFILL_DEFAULTS, type BackfillProgress, type BackfillSeriesInput } from '../../workflows/contracts/backfill';
import { backfillWorkflowId } from '../../workflows/contracts/ids';
import type { SeriesKey } from '../../workflows/contracts/series';
import { DEFAULT_TASK_QUEUE } from '../../workflows/contracts/task-queues';
import { expectedCount, runCeiling, runCopyCeiling, runNaive, writeCopyFiles, type BenchSeries } from './baselines';
import { memoryMiB, treeCpuSeconds } from './procfs';
import { writeSvg, type RateSeries } from './report';

const MIN = 60;
const FROM = Date.UTC(2022, 0, 1) / 1000;
const SCENARIOS = ['one-series-1m', 'parallel-20', 'memory-10m', 'rate-bound'] as const;
type ScenarioName = (typeof SCENARIOS)[number];

const SIZES = {
  // rate-bound: two whole minute windows, started on a boundary (119 s: ends inside the second)
  full: {
    oneSeriesRows: 1_000_000,
    parallelSeries: 20,
    parallelRows: 50_000,
    memorySeries: 10,
    memoryRows: 1_000_000,
    rateSeries: 3,
    rateSeconds: 119,
  },
  smoke: {
    oneSeriesRows: 20_000,
    parallelSeries: 20,
    parallelRows: 1_000,
    memorySeries: 2,
    memoryRows: 2_000,
    rateSeries: 3,
    rateSeconds: 5,
  },
};
const SLOW_MS = 150;
/** "Off" on the simulator: every window far beyond what a run can use (a null override means the default). */
const SIM_LIMITS_OFF = Object.fromEntries(RATE_WINDOWS.map((w) => [w, 1_000_000_000]));

/** BENCH_HEAP=1: the worker's heap figures (its /metrics) when its RSS was highest, MiB. */
let heapAtPeak: Record<string, number> = {};
async function heapSample(port: number, rss: number): Promise<void> {
  if ((heapAtPeak.rss ?? 0) >= rss) return;
  try {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const pick = (name: string): number =>
      Math.round(
        Number(new RegExp(`^crypto_ingest_worker_${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text)?.[1]) / 1048576,
      );
    heapAtPeak = {
      rss: Math.round(rss),
      heapTotal: pick('nodejs_heap_size_total_bytes'),
      heapUsed: pick('nodejs_heap_size_used_bytes'),
      external: pick('nodejs_external_memory_bytes'),
      oldSpace: pick('nodejs_heap_space_size_total_bytes\\{space="old"\\}'),
    };
  } catch {
    // a lost sample
  }
}

const say = (line: string): void => {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
};
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const round = (n: number | null | undefined, digits = 1): number | null =>
  n === null || n === undefined || !Number.isFinite(n) ? null : Number(n.toFixed(digits));

interface Baseline {
  seconds: number;
  rows: number;
}

/** One JSON line; every scenario prints the same keys (null where a key does not apply). */
interface ScenarioResult {
  scenario: ScenarioName;
  ok: boolean;
  problems: string[];
  series: number;
  rows: number;
  expectedRows: number;
  seconds: number;
  rowsPerSecond: number | null;
  ceilingSeconds: number | null;
  ceilingRowsPerSecond: number | null;
  naiveSeconds: number | null;
  naiveRowsPerSecond: number | null;
  /** End-to-end rows/s ÷ ceiling rows/s (1 = as fast as the database alone). */
  ratioToCeiling: number | null;
  /** End-to-end rows/s ÷ naive rows/s (> 1 = faster than the naive path). */
  ratioToNaive: number | null;
  /** psql \copy straight into the table (no stage, no merge): the limit of the fresh-range path. */
  copyCeilingSeconds: number | null;
  copyCeilingRowsPerSecond: number | null;
  ratioToCopyCeiling: number | null;
  workerPeakRssMiB: number | null;
  /** The worker's RSS once it is up, before the scenario's first workflow (its fixed cost). */
  workerStartRssMiB: number | null;
  requests: number;
  pages: number;
  chunks: number;
  pauses: number;
  http429: number;
  /** Simulator CPU seconds ÷ elapsed seconds (1 = one core busy all along). */
  simulatorCpuShare: number | null;
  /** CPU seconds used during the scenario, per process tree (postgres: the postmaster and its backends). */
  cpuSeconds: Record<string, number | null>;
  /** From the chunks' lineage and the worker's SDK metrics; see docs/benchmarks.md. */
  phases: Record<string, number | null>;
  /** `memory-10m`: the worker's RSS (MiB) at start and its peak in each tenth of the run's time. */
  memory: { startMiB: number | null; peakMiB: number | null; peakByTenthMiB: Array<number | null> } | null;
  rateBound: {
    limits: Record<string, number | undefined>;
    delayMs: number;
    bindingWindow: RateWindow;
    allowedInBindingWindows: number;
    windowShare: number;
    served: number;
    servedShare: number;
    rateLimitRejections: number;
  } | null;
}

interface PipelineRun {
  seconds: number;
  results: BackfillProgress[];
  timeline: Array<[number, number]>;
  workerPeakRssMiB: number | null;
  workerStartRssMiB: number | null;
  /** [seconds since the first start, RSS MiB], every 500 ms. */
  rssTimeline: Array<[number, number]>;
  cpuSeconds: Record<string, number | null>;
  requests: number;
  http429: number;
  served: number;
  rateLimitRejections: number;
  t0: number;
  t1: number;
  /** Timed runs: rows committed when the time was up (activities still running commit later). */
  rowsAtStop?: number;
  metrics: Record<string, { count: number; sum: number }>;
}

class Bench {
  readonly client: Client;
  readonly pool: pg.Pool;
  readonly control: SimulatorControl;
  readonly binDir = findPgBinDir();
  readonly series = new Map<string, RateSeries>();

  constructor(
    readonly stack: Stack,
    readonly connection: Connection,
    readonly bundlePath: string,
    readonly cpuProf: boolean,
    /** Log every statement's duration during the pipeline runs and summarise them per statement. */
    readonly profile: boolean,
  ) {
    this.client = new Client({ connection, namespace: stack.namespace });
    this.pool = new pg.Pool({ connectionString: stack.databaseUrl, max: 3 });
    this.pool.on('error', () => undefined); // idle connections cut when the stack stops
    this.control = new SimulatorControl(stack.simulatorUrl!);
  }

  get dataDir(): string {
    return this.stack.dataDir;
  }

  /** The supervisor's pid file: the pid on the first line, then a JSON record. */
  pidOf(name: string): number | undefined {
    try {
      const pid = Number(readFileSync(path.join(this.dataDir, 'run', `${name}.pid`), 'utf8').split('\n')[0]);
      return Number.isInteger(pid) && pid > 0 ? pid : undefined;
    } catch {
      return undefined;
    }
  }

  /** Every statement's duration in the postgres log (no parameters), from an empty log on. */
  async statementLog(on: boolean, logFile: string): Promise<void> {
    if (on) writeFileSync(logFile, ''); // the supervisor appends (O_APPEND): writes go to the new end
    await this.pool.query(`ALTER SYSTEM SET log_min_duration_statement = ${on ? 0 : -1}`);
    await this.pool.query(`ALTER SYSTEM SET log_parameter_max_length = 0`);
    await this.pool.query(`SELECT pg_reload_conf()`);
  }

  /** Delete the series' rows and vacuum, so the next path writes into an empty range. */
  async clean(series: BenchSeries[]): Promise<void> {
    for (const s of series)
      await this.pool.query(`DELETE FROM spot_ohlcv WHERE market = $1 AND instrument = $2 AND interval = $3`, [
        s.key.market,
        s.key.instrument,
        s.key.interval,
      ]);
    await this.pool.query('VACUUM spot_ohlcv');
    await this.pool.query('CHECKPOINT').catch(() => undefined);
  }

  async countRows(series: BenchSeries[]): Promise<number> {
    let n = 0;
    for (const s of series) {
      const r = await this.pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM spot_ohlcv WHERE market = $1 AND instrument = $2 AND interval = $3
           AND ts >= to_timestamp($4) AND ts < to_timestamp($5)`,
        [s.key.market, s.key.instrument, s.key.interval, s.from, s.to],
      );
      n += r.rows[0]!.n;
    }
    return n;
  }

  /**
   * Start a fresh worker (its own VmHWM), start one backfill per series, and wait for all of them
   * (`seconds` undefined) or stop them after `seconds` (terminate, progress read first).
   */
  async runPipeline(
    name: ScenarioName,
    series: BenchSeries[],
    env: Record<string, string>,
    seconds?: number,
  ): Promise<PipelineRun> {
    const metricsPort = await freePort();
    const worker: ManagedProcess = await this.stack.startWorker(`bench-${name}`, {
      ...env,
      WORKFLOW_BUNDLE_PATH: this.bundlePath,
      INGEST_METRICS_PORT: String(metricsPort),
      INGEST_METRICS_HOST: '127.0.0.1',
      // experiments only (e.g. V8 heap flags): the worker's NODE_OPTIONS
      ...(process.env.BENCH_WORKER_NODE_OPTIONS ? { NODE_OPTIONS: process.env.BENCH_WORKER_NODE_OPTIONS } : {}),
      ...(this.cpuProf
        ? {
            NODE_OPTIONS: `--import ${pathToFileURL(path.join(REPO_ROOT, 'test', 'bench', 'cpu-profile.mjs')).href}`,
            BENCH_CPU_PROFILE: path.join(this.dataDir, `worker-${name}.cpuprofile`),
          }
        : {}),
    });
    try {
      const pids: Record<string, number | undefined> = {
        worker: worker.pid,
        simulator: this.pidOf('simulator'),
        postgres: this.pidOf('postgres'),
        temporal: this.pidOf('temporal'),
      };
      const cpu = (): Record<string, number | undefined> => ({
        ...Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, pid ? treeCpuSeconds(pid) : undefined])),
        bench: (process.cpuUsage().user + process.cpuUsage().system) / 1e6,
      });
      let peakRss = 0;
      const startRss = memoryMiB(worker.pid)?.rss;
      const rssTimeline: Array<[number, number]> = [];
      let rssFrom = Date.now(); // reset to the first start below
      const memTimer = setInterval(() => {
        const m = memoryMiB(worker.pid);
        if (!m) return;
        peakRss = Math.max(peakRss, m.rss, m.hwm);
        rssTimeline.push([Number(((Date.now() - rssFrom) / 1000).toFixed(1)), Math.round(m.rss)]);
        if (process.env.BENCH_HEAP === '1') void heapSample(metricsPort, m.rss);
      }, 500);
      const keys = series.map((s) => `${s.key.market}/${s.key.instrument}`);
      await this.control.resetStats('data-api');
      const pgLog = path.join(this.dataDir, 'logs', 'postgres.log');
      if (this.profile) await this.statementLog(true, pgLog);
      const timeline: Array<[number, number]> = [];
      let sampling = true;
      if (seconds !== undefined && seconds >= 60) {
        // Whole windows: start on a minute boundary, the worker already up (a partial first window
        // would count its full allowance against a run that only had part of it).
        const wait = 60_000 - (Date.now() % 60_000);
        say(`${name}: waiting ${(wait / 1000).toFixed(0)} s for the next minute`);
        await sleep(wait);
      }
      const t0 = Date.now();
      rssFrom = t0;
      rssTimeline.length = 0;
      // rows committed so far: the checkpoints' counters move in the rows' own transaction
      const sampler = (async () => {
        while (sampling) {
          const at = (Date.now() - t0) / 1000;
          try {
            const r = await this.pool.query<{ n: number }>(
              `SELECT coalesce(sum(rows_written), 0)::float8 AS n FROM ingest_checkpoints
               WHERE interval = '1m' AND market || '/' || instrument = ANY($1)`,
              [keys],
            );
            timeline.push([Number(at.toFixed(2)), Number(r.rows[0]!.n)]);
          } catch {
            // a sample lost is a gap in the plot, nothing more
          }
          await sleep(Math.max(0, 1000 - ((Date.now() - t0) % 1000)));
        }
      })();
      const cpu0 = cpu();
      const handles = [];
      for (const s of series) {
        const input: BackfillSeriesInput = {
          ...s.key,
          from: new Date(s.from * 1000).toISOString(),
          to: new Date(s.to * 1000).toISOString(),
        };
        handles.push(
          await this.client.workflow.start('backfillSeries', {
            taskQueue: DEFAULT_TASK_QUEUE,
            workflowId: backfillWorkflowId(s.key, s.from, s.to),
            args: [input],
          }),
        );
      }
      let results: BackfillProgress[];
      let t1: number;
      let stats;
      let rowsAtStop: number | undefined;
      if (seconds === undefined) {
        results = (await Promise.all(handles.map((h) => h.result()))) as BackfillProgress[];
        stats = await this.control.stats('data-api');
        const closes = await Promise.all(
          handles.map(async (h) => (await h.describe()).closeTime?.getTime() ?? Date.now()),
        );
        t1 = Math.max(...closes);
      } else {
        await sleep(Math.max(0, t0 + seconds * 1000 - Date.now()));
        t1 = Date.now();
        stats = await this.control.stats('data-api');
        rowsAtStop = Number(
          (
            await this.pool.query<{ n: number }>(
              `SELECT coalesce(sum(rows_written), 0)::float8 AS n FROM ingest_checkpoints
               WHERE interval = '1m' AND market || '/' || instrument = ANY($1)`,
              [keys],
            )
          ).rows[0]!.n,
        );
        results = await Promise.all(handles.map((h) => h.query<BackfillProgress>('progress')));
        await Promise.all(handles.map((h) => h.terminate('bench: time is up')));
      }
      const cpu1 = cpu();
      if (this.profile) {
        await this.statementLog(false, pgLog);
        const summary = summariseStatements(pgLog);
        writeFileSync(path.join(this.dataDir, `statements-${name}.txt`), summary);
        process.stderr.write(summary);
      }
      sampling = false;
      await sampler;
      clearInterval(memTimer);
      if (process.env.BENCH_HEAP === '1')
        say(`${name}: the worker's memory at its RSS peak: ${JSON.stringify(heapAtPeak)}`);
      const m = memoryMiB(worker.pid);
      if (m) peakRss = Math.max(peakRss, m.rss, m.hwm);
      const metrics = await scrapeLatencies(
        `http://127.0.0.1:${metricsPort}/metrics`,
        path.join(this.dataDir, `metrics-${name}.txt`),
      );
      const cpuSeconds: Record<string, number | null> = {};
      for (const k of Object.keys(cpu0)) {
        const a = cpu0[k];
        const b = cpu1[k];
        cpuSeconds[k] = a === undefined || b === undefined ? null : round(b - a, 2);
      }
      return {
        seconds: (t1 - t0) / 1000,
        results,
        timeline,
        workerPeakRssMiB: peakRss > 0 ? round(peakRss, 0) : null,
        workerStartRssMiB: startRss !== undefined ? round(startRss, 0) : null,
        rssTimeline,
        cpuSeconds,
        requests: stats.totalRequests,
        http429: stats.byStatus['429'] ?? 0,
        served: stats.served,
        rateLimitRejections: stats.rateLimitRejections,
        t0,
        t1,
        ...(rowsAtStop !== undefined ? { rowsAtStop } : {}),
        metrics,
      };
    } finally {
      await worker.stop();
    }
  }

  /** Write transactions of the run (lineage rows: one per committed batch of pages). */
  async writeTransactions(series: BenchSeries[], sinceMs: number): Promise<number> {
    const r = await this.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM ingestion_runs
       WHERE interval = '1m' AND market || '/' || instrument = ANY($1) AND started_at >= to_timestamp($2)`,
      [series.map((s) => `${s.key.market}/${s.key.instrument}`), sinceMs / 1000 - 1],
    );
    return r.rows[0]!.n;
  }

  /** A no-limit scenario: ceiling, naive, then the pipeline, each into an empty range. */
  async noLimit(name: ScenarioName, series: BenchSeries[]): Promise<ScenarioResult> {
    const problems: string[] = [];
    await this.control.clearFaults();
    await this.control.setLimits('data-api', SIM_LIMITS_OFF);
    say(`${name}: ${series.length} series, writing the rows as COPY text`);
    const files: Array<{ series: BenchSeries; file: string }> = [];
    const directFiles: Array<{ series: BenchSeries; file: string }> = [];
    let expectedRows = 0;
    const dir = path.join(this.dataDir, 'rows');
    mkdirSync(dir, { recursive: true });
    for (const [i, s] of series.entries()) {
      const file = path.join(dir, `${name}-${i}.tsv`);
      const direct = path.join(dir, `${name}-${i}-direct.tsv`);
      expectedRows += await writeCopyFiles(s, file, direct);
      files.push({ series: s, file });
      directFiles.push({ series: s, file: direct });
    }
    await this.emptyRanges(series);

    say(`${name}: ceiling (psql \\copy + the store's merge), ${expectedRows} rows`);
    const ceilingSeconds = await runCeiling(this.binDir, this.stack.databaseUrl, files, path.join(dir, `${name}.sql`));
    const ceiling: Baseline = { seconds: ceilingSeconds, rows: await this.countRows(series) };
    if (ceiling.rows !== expectedRows) problems.push(`ceiling stored ${ceiling.rows} rows, ${expectedRows} expected`);
    await this.clean(series);

    say(`${name}: COPY ceiling (psql \\copy straight into the table), ceiling took ${ceilingSeconds.toFixed(1)} s`);
    const copySeconds = await runCopyCeiling(
      this.binDir,
      this.stack.databaseUrl,
      directFiles,
      path.join(dir, `${name}-direct.sql`),
    );
    const copyCeiling: Baseline = { seconds: copySeconds, rows: await this.countRows(series) };
    if (copyCeiling.rows !== expectedRows)
      problems.push(`COPY ceiling stored ${copyCeiling.rows} rows, ${expectedRows} expected`);
    await this.clean(series);

    say(`${name}: naive (1,000-row INSERT … ON CONFLICT from pg), COPY ceiling took ${copySeconds.toFixed(1)} s`);
    const naiveSeconds = await runNaive(this.stack.databaseUrl, series);
    const naive: Baseline = { seconds: naiveSeconds, rows: await this.countRows(series) };
    if (naive.rows !== expectedRows) problems.push(`naive stored ${naive.rows} rows, ${expectedRows} expected`);
    await this.clean(series);
    for (const f of [...files, ...directFiles]) rmSync(f.file, { force: true });

    say(`${name}: the pipeline, naive took ${naiveSeconds.toFixed(1)} s`);
    const run = await this.runPipeline(name, series, { DATA_API_RATE_LIMITS: 'off' });
    const rows = await this.countRows(series);
    if (rows !== expectedRows) problems.push(`the pipeline stored ${rows} rows, ${expectedRows} expected`);
    for (const r of run.results) if (r.status !== 'completed') problems.push(`a backfill ended ${r.status}`);
    this.series.set(name, { name, points: run.timeline });
    return this.result(name, series, run, rows, expectedRows, problems, ceiling, naive, null, null, copyCeiling);
  }

  /** The series' months partitioned and their ranges empty (before a path writes them). */
  async emptyRanges(series: BenchSeries[]): Promise<void> {
    const lo = Math.min(...series.map((s) => s.from));
    const hi = Math.max(...series.map((s) => s.to));
    await this.pool.query(
      `SELECT ensure_monthly_partitions('spot_ohlcv'::regclass, to_timestamp($1), to_timestamp($2))`,
      [lo, hi],
    );
    await this.clean(series);
  }

  /**
   * Many rows through one worker, no baselines: does its memory stay flat? RSS peaks per tenth of
   * the run's time (the first tenth includes the ramp-up).
   */
  async memory(name: ScenarioName, series: BenchSeries[]): Promise<ScenarioResult> {
    const problems: string[] = [];
    await this.control.clearFaults();
    await this.control.setLimits('data-api', SIM_LIMITS_OFF);
    let expectedRows = 0;
    for (const s of series) expectedRows += expectedCount(s.key, s.from, s.to);
    await this.emptyRanges(series);
    say(`${name}: ${series.length} series, ${expectedRows} rows, the pipeline only`);
    const run = await this.runPipeline(name, series, { DATA_API_RATE_LIMITS: 'off' });
    const rows = await this.countRows(series);
    if (rows !== expectedRows) problems.push(`the pipeline stored ${rows} rows, ${expectedRows} expected`);
    for (const r of run.results) if (r.status !== 'completed') problems.push(`a backfill ended ${r.status}`);
    const peakByTenthMiB = Array.from({ length: 10 }, (_, k) => {
      const inTenth = run.rssTimeline.filter(
        ([t]) => t >= (k * run.seconds) / 10 && (k === 9 || t < ((k + 1) * run.seconds) / 10),
      );
      return inTenth.length === 0 ? null : Math.max(...inTenth.map(([, mib]) => mib));
    });
    this.series.set(name, { name, points: run.timeline });
    await this.clean(series); // 10M rows need not stay for the next scenario
    return this.result(name, series, run, rows, expectedRows, problems, null, null, null, {
      startMiB: run.workerStartRssMiB,
      peakMiB: run.workerPeakRssMiB,
      peakByTenthMiB,
    });
  }

  async rateBound(series: BenchSeries[], seconds: number): Promise<ScenarioResult> {
    const problems: string[] = [];
    await this.control.clearFaults();
    await this.control.setLimits('data-api', DATA_API_FREE_TIER);
    const slow = await this.control.addFault({ kind: 'slow', source: 'data-api', delayMs: SLOW_MS });
    say(
      `rate-bound: ${series.length} series for ${seconds} s, free tier ${formatRateLimits(DATA_API_FREE_TIER)}, +${SLOW_MS} ms a request`,
    );
    let run: PipelineRun;
    try {
      run = await this.runPipeline(
        'rate-bound',
        series,
        { DATA_API_RATE_LIMITS: formatRateLimits(DATA_API_FREE_TIER) },
        seconds,
      );
    } finally {
      await this.control.removeFault(slow);
      await this.control.setLimits('data-api', SIM_LIMITS_OFF);
    }
    this.series.set('rate-bound', { name: 'rate-bound', points: run.timeline });
    // stored rows = exactly the generator's rows up to each checkpoint (rows and checkpoint commit together)
    let rows = 0;
    let expectedRows = 0;
    for (const s of series) {
      const r = await this.pool.query<{ n: number; max: number | null; next: number | null }>(
        `SELECT (SELECT count(*)::int FROM spot_ohlcv WHERE market = $1 AND instrument = $2 AND interval = $3
                   AND ts >= to_timestamp($4) AND ts < to_timestamp($5)) AS n,
                (SELECT extract(epoch FROM max(ts))::float8 FROM spot_ohlcv WHERE market = $1 AND instrument = $2 AND interval = $3) AS max,
                (SELECT extract(epoch FROM max(next_ts))::float8 FROM ingest_checkpoints
                   WHERE market = $1 AND instrument = $2 AND interval = $3) AS next`,
        [s.key.market, s.key.instrument, s.key.interval, s.from, s.to],
      );
      const { n, max, next } = r.rows[0]!;
      const upTo = next ?? s.from;
      const want = expectedCount(s.key, s.from, upTo);
      rows += n;
      expectedRows += want;
      if (n !== want) problems.push(`${s.key.instrument}: ${n} rows stored, ${want} expected up to its checkpoint`);
      if (max !== null && max >= upTo) problems.push(`${s.key.instrument}: rows past its checkpoint`);
    }
    // the binding window: the one allowing the fewest calls over the window instances the run touched
    const t0 = run.t0 / 1000;
    const t1 = run.t1 / 1000;
    let binding: { w: RateWindow; allowed: number } | undefined;
    for (const w of RATE_WINDOWS) {
      const limit = DATA_API_FREE_TIER[w];
      if (limit === undefined) continue;
      const len = RATE_WINDOW_SECONDS[w];
      // the end instant itself opens no window of its own
      const allowed = limit * (Math.floor((t1 - 0.001) / len) - Math.floor(t0 / len) + 1);
      if (!binding || allowed < binding.allowed) binding = { w, allowed };
    }
    return this.result('rate-bound', series, run, rows, expectedRows, problems, null, null, {
      limits: { ...DATA_API_FREE_TIER },
      delayMs: SLOW_MS,
      bindingWindow: binding!.w,
      allowedInBindingWindows: binding!.allowed,
      windowShare: round(run.requests / binding!.allowed, 3)!,
      served: run.served,
      servedShare: round(run.served / binding!.allowed, 3)!,
      rateLimitRejections: run.rateLimitRejections,
    });
  }

  async result(
    name: ScenarioName,
    series: BenchSeries[],
    run: PipelineRun,
    rows: number,
    expectedRows: number,
    problems: string[],
    ceiling: Baseline | null,
    naive: Baseline | null,
    rateBound: ScenarioResult['rateBound'],
    memory: ScenarioResult['memory'] = null,
    copyCeiling: Baseline | null = null,
  ): Promise<ScenarioResult> {
    const rps = (run.rowsAtStop ?? rows) / run.seconds;
    const ceilingRps = ceiling ? ceiling.rows / ceiling.seconds : null;
    const naiveRps = naive ? naive.rows / naive.seconds : null;
    const copyRps = copyCeiling ? copyCeiling.rows / copyCeiling.seconds : null;
    const writeTransactions = await this.writeTransactions(series, run.t0);
    const ingest = run.metrics['temporal_activity_execution_latency|ingestChunk'];
    // schedule-to-start carries no activity type: every task of the source's activity queue
    const queued = run.metrics['temporal_activity_schedule_to_start_latency|'];
    const wfTask = Object.entries(run.metrics).find(([k]) =>
      k.startsWith('temporal_workflow_task_execution_latency'),
    )?.[1];
    const activitySeconds = ingest ? ingest.sum / 1000 : null;
    return {
      scenario: name,
      ok: problems.length === 0,
      problems,
      series: series.length,
      rows,
      expectedRows,
      seconds: round(run.seconds, 2)!,
      rowsPerSecond: round(rps, 0),
      ceilingSeconds: ceiling ? round(ceiling.seconds, 2) : null,
      ceilingRowsPerSecond: round(ceilingRps, 0),
      naiveSeconds: naive ? round(naive.seconds, 2) : null,
      naiveRowsPerSecond: round(naiveRps, 0),
      ratioToCeiling: ceilingRps ? round(rps / ceilingRps, 3) : null,
      ratioToNaive: naiveRps ? round(rps / naiveRps, 3) : null,
      copyCeilingSeconds: copyCeiling ? round(copyCeiling.seconds, 2) : null,
      copyCeilingRowsPerSecond: round(copyRps, 0),
      ratioToCopyCeiling: copyRps ? round(rps / copyRps, 3) : null,
      workerPeakRssMiB: run.workerPeakRssMiB,
      workerStartRssMiB: run.workerStartRssMiB,
      requests: run.requests,
      pages: run.results.reduce((n, r) => n + r.pages, 0),
      chunks: run.results.reduce((n, r) => n + r.chunks, 0),
      pauses: run.results.reduce((n, r) => n + (r.pauses ?? 0), 0),
      http429: run.http429,
      simulatorCpuShare:
        run.cpuSeconds.simulator === null || run.cpuSeconds.simulator === undefined
          ? null
          : round(run.cpuSeconds.simulator / run.seconds, 3),
      cpuSeconds: run.cpuSeconds,
      phases: {
        /** Σ over activities of the ingestChunk activity's execution (SDK metric). */
        activitySeconds: round(activitySeconds, 2),
        activities: ingest ? ingest.count : null,
        /** One series (its activities run one after another): elapsed − Σ activity = time between activities. */
        outsideActivitiesSeconds:
          series.length === 1 && activitySeconds !== null ? round(run.seconds - activitySeconds, 2) : null,
        /** Mean wait of an ingestChunk task in the queue (SDK schedule-to-start), ms. */
        activityQueueMeanMs: queued && queued.count > 0 ? round(queued.sum / queued.count, 1) : null,
        workflowTasks: wfTask ? wfTask.count : null,
        workflowTaskMeanMs: wfTask && wfTask.count > 0 ? round(wfTask.sum / wfTask.count, 2) : null,
        writeTransactions,
      },
      memory,
      rateBound,
    };
  }
}

/**
 * The worker's /metrics, raw text kept beside the logs; the SDK's latency histograms summed per
 * metric and activity/workflow type (`<metric>|<type>` → count, sum in ms).
 */
async function scrapeLatencies(url: string, keep: string): Promise<Record<string, { count: number; sum: number }>> {
  const out: Record<string, { count: number; sum: number }> = {};
  let text: string;
  try {
    text = await (await fetch(url, { signal: AbortSignal.timeout(10_000) })).text();
  } catch (err) {
    say(`metrics scrape failed: ${err instanceof Error ? err.message : String(err)}`);
    return out;
  }
  writeFileSync(keep, text);
  for (const line of text.split('\n')) {
    const m = /^(temporal_\w*latency\w*?)_(sum|count)(?:\{([^}]*)\})? (\S+)$/.exec(line);
    if (!m) continue;
    const labels = m[3] ?? '';
    const type = /(?:activity_type|workflow_type)="([^"]*)"/.exec(labels)?.[1] ?? '';
    const key = `${m[1]}|${type}`;
    const e = (out[key] ??= { count: 0, sum: 0 });
    if (m[2] === 'sum') e.sum += Number(m[4]);
    else e.count += Number(m[4]);
  }
  return out;
}

/** Statement classes of the write path, matched on the logged statement text. */
const STATEMENT_CLASSES: Array<[string, RegExp]> = [
  ['copy into stage', /^COPY "stage_/],
  ['create stage', /^CREATE TEMP TABLE/],
  ['stage stats', /AS received/],
  ['prefilter (DELETE stage USING fact)', /^DELETE FROM "stage_/],
  ['count existing', /^SELECT count\(\*\)::int AS n FROM "stage_/],
  ['revisions', /^INSERT INTO revisions/],
  ['merge', /^INSERT INTO "spot_ohlcv"/],
  ['ingestion_runs insert', /^INSERT INTO ingestion_runs/],
  ['run id (nextval)', /nextval\(pg_get_serial_sequence/],
  ['quarantine', /quarantine/],
  ['drift', /drift/],
  ['watermark', /series_watermarks/],
  ['coverage', /^INSERT INTO coverage_daily/],
  ['checkpoint', /ingest_checkpoints/],
  ['partitions', /ensure_monthly_partitions/],
  ['begin/commit', /^(BEGIN|COMMIT|ROLLBACK)/i],
  ['set/session', /^SET /i],
];

/**
 * Sum the postgres log's `duration: … ms  statement|parse|bind|execute …: <sql>` lines per statement
 * class (log_min_duration_statement = 0).
 */
function summariseStatements(logFile: string): string {
  const sums = new Map<string, { ms: number; n: number }>();
  let text = '';
  try {
    text = readFileSync(logFile, 'utf8');
  } catch {
    return 'no postgres log\n';
  }
  for (const line of text.split('\n')) {
    const m = /duration: ([\d.]+) ms {2}(statement|parse [^:]*|bind [^:]*|execute [^:]*): (.*)$/.exec(line);
    if (!m) continue;
    const sql = m[3]!.trim();
    const cls = STATEMENT_CLASSES.find(([, re]) => re.test(sql))?.[0] ?? `other: ${sql.slice(0, 60)}`;
    // parse + bind + execute of one statement add up; the count is of executions
    const e = sums.get(cls) ?? { ms: 0, n: 0 };
    e.ms += Number(m[1]);
    if (/^(statement|execute)/.test(m[2]!)) e.n += 1;
    sums.set(cls, e);
  }
  const total = [...sums.values()].reduce((a, e) => a + e.ms, 0);
  return (
    [...sums.entries()]
      .sort((a, b) => b[1].ms - a[1].ms)
      .slice(0, 30)
      .map(([k, e]) => `${(e.ms / 1000).toFixed(2).padStart(8)} s ${String(e.n).padStart(7)}×  ${k}`)
      .join('\n') + `\n${(total / 1000).toFixed(2).padStart(8)} s in all logged statements\n`
  );
}

function commitHash(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

async function writeDocs(results: ScenarioResult[], plot: RateSeries[], startedAt: Date): Promise<void> {
  const docs = path.join(REPO_ROOT, 'docs');
  const svg = 'benchmarks-rows-per-second.svg';
  writeSvg(path.join(docs, svg), plot, `rows/s over time (npm run bench, ${startedAt.toISOString().slice(0, 10)})`);
  const n = (v: number | null | undefined, digits = 0): string =>
    v === null || v === undefined
      ? '–'
      : v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
  const noLimit = results.filter((r) => r.rateBound === null);
  const rb = results.filter((r) => r.rateBound !== null);
  const lines = [
    '# Benchmarks',
    '',
    `Written by \`npm run bench\` (\`test/bench/bench.ts\`) on commit \`${commitHash()}\` (HEAD: changes not yet committed`,
    `are measured but not named by it), ${startedAt.toISOString()}.`,
    'Measured, never asserted: the numbers move with the machine (this run: a shared 2-core VM, other',
    'jobs may have been running). The run only checks that every scenario stored exactly the expected rows.',
    '',
    '## Throughput (rate limits off)',
    '',
    '| scenario | rows | seconds | rows/s end to end | rows/s ceiling | rows/s naive | ratio to ceiling | ratio to naive | rows/s COPY ceiling | ratio to COPY ceiling | requests | pages | chunks | pauses | worker RSS at start (MiB) | worker peak RSS (MiB) | simulator CPU share |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...noLimit.map(
      (r) =>
        `| \`${r.scenario}\` | ${n(r.rows)} | ${n(r.seconds, 1)} | ${n(r.rowsPerSecond)} | ${n(r.ceilingRowsPerSecond)} | ${n(r.naiveRowsPerSecond)} | ${n(r.ratioToCeiling, 3)} | ${n(r.ratioToNaive, 3)} | ${n(r.copyCeilingRowsPerSecond)} | ${n(r.ratioToCopyCeiling, 3)} | ${n(r.requests)} | ${n(r.pages)} | ${n(r.chunks)} | ${n(r.pauses)} | ${n(r.workerStartRssMiB)} | ${n(r.workerPeakRssMiB)} | ${n(r.simulatorCpuShare, 3)} |`,
    ),
    '',
    'CPU seconds per process tree during the pipeline run, and the activity phases:',
    '',
    '| scenario | worker | postgres | temporal | simulator | bench | ingestChunk activities | Σ ingestChunk (s) | outside activities (s) | write transactions | mean queue wait (ms) | workflow tasks |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...noLimit.map(
      (r) =>
        `| \`${r.scenario}\` | ${n(r.cpuSeconds.worker, 1)} | ${n(r.cpuSeconds.postgres, 1)} | ${n(r.cpuSeconds.temporal, 1)} | ${n(r.cpuSeconds.simulator, 1)} | ${n(r.cpuSeconds.bench, 1)} | ${n(r.phases.activities)} | ${n(r.phases.activitySeconds, 1)} | ${n(r.phases.outsideActivitiesSeconds, 1)} | ${n(r.phases.writeTransactions)} | ${n(r.phases.activityQueueMeanMs, 1)} | ${n(r.phases.workflowTasks)} |`,
    ),
    '',
    '## Memory over 10M rows (`memory-10m`)',
    '',
    "The worker's RSS (MiB) once up, its peak over the run, and its peak in each tenth of the run's time",
    '(the first tenth holds the ramp-up; a worker that leaks grows tenth after tenth):',
    '',
    '| scenario | rows | seconds | rows/s | at start | peak | ' +
      Array.from({ length: 10 }, (_, k) => `${k + 1}/10`).join(' | ') +
      ' |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ' + Array.from({ length: 10 }, () => '---:').join(' | ') + ' |',
    ...results
      .filter((r) => r.memory !== null)
      .map(
        (r) =>
          `| \`${r.scenario}\` | ${n(r.rows)} | ${n(r.seconds, 1)} | ${n(r.rowsPerSecond)} | ${n(r.memory!.startMiB)} | ${n(r.memory!.peakMiB)} | ${r.memory!.peakByTenthMiB.map((v) => n(v)).join(' | ')} |`,
      ),
    '',
    '## Rate-bound (free tier, +150 ms a request)',
    '',
    '| scenario | series | seconds | rows | requests | served | 429s | pauses | binding window | allowed in its windows | share used (requests) | share used (served) |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: |',
    ...rb.map(
      (r) =>
        `| \`${r.scenario}\` | ${r.series} | ${n(r.seconds, 1)} | ${n(r.rows)} | ${n(r.requests)} | ${n(r.rateBound!.served)} | ${n(r.http429)} | ${n(r.pauses)} | ${r.rateBound!.bindingWindow} | ${n(r.rateBound!.allowedInBindingWindows)} | ${n(r.rateBound!.windowShare, 3)} | ${n(r.rateBound!.servedShare, 3)} |`,
    ),
    '',
    `![rows/s over time](${svg})`,
    '',
    '(The plot is a hand-built SVG polyline, `test/bench/report.ts`: no charting library is installed.)',
    '',
    '## What is measured',
    '',
    "- **End to end**: from the first `backfillSeries` start to the last one's close time (Temporal), default",
    `  backfill options (\`pagesPerActivity\` ${BACKFILL_DEFAULTS.pagesPerActivity}, 2,000 rows a page), one fresh worker per scenario with the`,
    '  default worker settings and the prebuilt workflow bundle (as the Docker image runs it), `DATA_API_RATE_LIMITS=off`',
    "  and the simulator's limits raised out of reach. Rows: `count(*)` in `spot_ohlcv` over the series' ranges,",
    "  checked against the simulator's generator. Instruments listed before 2022-01-01; every range starts there.",
    "- **Database ceiling**: the same rows (the simulator's generator) written as a COPY text file, then one `psql`",
    "  session: per series, one transaction with `\\copy` into the store's own TEMP stage table and the store's own",
    '  merge (`datasetSql(spotOhlcv).merge`: `INSERT … SELECT … ON CONFLICT (market, instrument, interval, ts) DO',
    "  UPDATE … WHERE changed`). Timed: the psql run. Not in it: the store's other statements (stored-row checks,",
    '  lineage, watermark, coverage, checkpoint).',
    "- **COPY ceiling**: the same rows as a COPY text file of the fact table's own columns, `\\copy` by one `psql`",
    '  session straight into `spot_ohlcv`, one transaction per series: no stage, no merge. The pipeline takes this path',
    '  for a batch over a range of its series with nothing stored yet (every batch of these scenarios), so its ratio to',
    '  this ceiling is the one that says how much the pipeline adds; the ratio to the (staged merge) ceiling above',
    '  compares it with the path the issue named. Both are timed on the same table in the same run.',
    '- **Naive path**: the same rows as multi-row `INSERT … VALUES … ON CONFLICT … DO UPDATE`, 1,000 rows per statement,',
    '  each statement its own transaction, from Node with `pg` (one connection). Timed: the statements only.',
    "- Each path writes into an empty range on the same table: before each, the series' rows are deleted and",
    '  `spot_ohlcv` vacuumed (same series, same rows; ceiling first, then the COPY ceiling, then naive, then the',
    '  pipeline).',
    '- **Worker peak RSS**: `/proc/<worker>/status` VmRSS/VmHWM sampled every 500 ms; at start: VmRSS once the worker',
    "  says it runs. The worker runs as the image runs it: `node dist/ingest-worker.mjs` with the image's malloc settings",
    '  (`workers/build-worker.ts`), workflows and activities in one process. `BENCH_HEAP=1` also reports its V8 heap and',
    '  external memory at the RSS peak (from its `/metrics`). **Simulator CPU share**: its utime+stime over the',
    '  scenario ÷ elapsed (1 = one core). CPU per tree: the process and its descendants.',
    '- **memory-10m**: 10 series × 1,000,000 rows at once through one worker (its default 4 activity slots), no',
    "  baselines; the worker's RSS peak in each tenth of the run's time shows whether it grows.",
    "- **Activities**: ingestChunk = the worker SDK's `temporal_activity_execution_latency` (count, Σ); outside activities",
    '  (one series only, its activities run one after another) = elapsed − Σ ingestChunk; write transactions = the',
    "  lineage rows (`ingestion_runs`), one per committed batch of pages; queue wait = the SDK's schedule-to-start of the",
    "  source's activity queue. Rows over time (the plot): the backfill checkpoints' `rows_written`, sampled every",
    '  second (they commit with the rows). Where the time goes inside the activities: see Profiling below.',
    '- **Rate-bound**: the simulator enforces `DATA_API_FREE_TIER` and the worker budgets for the same; a `slow` fault',
    '  adds 150 ms to every request; the workflows are terminated after the time box. The binding window is the one',
    '  allowing the fewest calls over the window instances the run touched (fixed UTC windows); the share is',
    "  requests made (or served) ÷ that allowance. Its row check: exactly the generator's rows up to each checkpoint.",
    '',
    '## Profiling',
    '',
    "`npm run bench -- --scenario one-series-1m --profile` runs the same scenario with every statement's duration",
    'logged by PostgreSQL during the pipeline run (`log_min_duration_statement = 0`, no parameters), summed per',
    "statement of the write path (`<data dir>/statements-<scenario>.txt`, also on stderr), and the worker under V8's",
    'sampling profiler (`--cpu-prof` alone: only the profiler); `node --import tsx test/bench/profile-summary.ts',
    '<data dir>/worker-<scenario>.cpuprofile` sums its self time by area and by function. Both slow the run down: their',
    'numbers are for finding where time goes, not for this table. The data dir is kept.',
    '',
    "## The run's JSON lines",
    '',
    '```json',
    ...results.map((r) => JSON.stringify(r)),
    '```',
    '',
  ];
  // formatted as the repository formats its markdown (`npx prettier --check docs`)
  const file = path.join(docs, 'benchmarks.md');
  const prettier = await import('prettier');
  const options = (await prettier.resolveConfig(file)) ?? {};
  writeFileSync(file, await prettier.format(lines.join('\n'), { ...options, filepath: file }));
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      smoke: { type: 'boolean' },
      scenario: { type: 'string' },
      keep: { type: 'boolean' },
      'cpu-prof': { type: 'boolean' },
      profile: { type: 'boolean' },
    },
  });
  const smoke = values.smoke === true;
  const only = values.scenario as ScenarioName | undefined;
  if (only !== undefined && !SCENARIOS.includes(only))
    throw new Error(`--scenario must be one of ${SCENARIOS.join(', ')}, got ${only}`);
  const sizes = smoke ? SIZES.smoke : SIZES.full;
  const startedAt = new Date();
  const dataDir = path.join(REPO_ROOT, '.data', smoke ? 'bench-smoke' : 'bench');
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  const verbose = process.env.BENCH_LOG === '1';

  // instruments trading all along the ranges, in a fixed order
  const candidates: SeriesKey[] = SIM_MARKETS.flatMap((market) =>
    listInstruments(market)
      .filter((i) => i.listedAt < FROM - 86_400 && i.retiredAt === undefined)
      .map((i) => ({
        source: 'data-api',
        dataset: 'spot-ohlcv',
        market,
        instrument: i.mapped,
        interval: '1m' as const,
      })),
  );
  const take = (n: number): SeriesKey[] => {
    if (candidates.length < n) throw new Error(`only ${candidates.length} instruments listed before 2022`);
    return candidates.splice(0, n);
  };
  const plan = {
    'one-series-1m': take(1).map((key) => ({ key, from: FROM, to: FROM + sizes.oneSeriesRows * MIN })),
    'parallel-20': take(sizes.parallelSeries).map((key) => ({ key, from: FROM, to: FROM + sizes.parallelRows * MIN })),
    'memory-10m': take(sizes.memorySeries).map((key) => ({ key, from: FROM, to: FROM + sizes.memoryRows * MIN })),
    'rate-bound': take(sizes.rateSeries).map((key) => ({ key, from: FROM, to: Date.UTC(2025, 0, 1) / 1000 })),
  } satisfies Record<ScenarioName, BenchSeries[]>;

  say(`starting the stack in ${path.relative(REPO_ROOT, dataDir)}`);
  const stack = await startStack({
    dataDir,
    temporal: { port: 0, uiPort: false },
    postgres: { port: 0 },
    simulator: { port: 0 },
    log: (line) => {
      if (verbose) process.stderr.write(`${line}\n`);
    },
  });
  const connection = await Connection.connect({ address: stack.temporalAddress });
  const bundlePath = path.join(dataDir, 'workflow-bundle.js');
  writeFileSync(bundlePath, await buildWorkflowBundle());
  const profile = values.profile === true;
  const bench = new Bench(stack, connection, bundlePath, values['cpu-prof'] === true || profile, profile);

  const results: ScenarioResult[] = [];
  let allOk = false;
  try {
    for (const name of SCENARIOS) {
      if (only !== undefined && name !== only) continue;
      const s0 = Date.now();
      let r: ScenarioResult;
      try {
        r =
          name === 'rate-bound'
            ? await bench.rateBound(plan[name], sizes.rateSeconds)
            : name === 'memory-10m'
              ? await bench.memory(name, plan[name])
              : await bench.noLimit(name, plan[name]);
      } catch (err) {
        say(`${name} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
        throw err;
      }
      results.push(r);
      console.log(JSON.stringify(r));

      say(
        `${name}: ${r.ok ? 'ok' : `FAILED (${r.problems.join('; ')})`} in ${((Date.now() - s0) / 1000).toFixed(0)} s`,
      );
    }
    allOk = results.length > 0 && results.every((r) => r.ok);
    if (!smoke && only === undefined) {
      await writeDocs(results, [...bench.series.values()], startedAt);
      say('wrote docs/benchmarks.md and docs/benchmarks-rows-per-second.svg');
    }
    return allOk ? 0 : 1;
  } finally {
    await bench.pool.end().catch(() => undefined);
    await connection.close().catch(() => undefined);
    await stack.stop();
    if (allOk && !values.keep && !values['cpu-prof'] && !profile) rmSync(dataDir, { recursive: true, force: true });
    else say(`data and logs kept in ${dataDir}`);
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`npm run bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(2);
  },
);
