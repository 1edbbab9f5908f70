/**
 * The worker's Prometheus endpoint (`INGEST_METRICS_PORT`): one `GET /metrics` serving
 *  - the domain counters of `activities/metrics.ts` and the process metrics (`crypto_ingest_worker_*`),
 *  - gauges read from PostgreSQL at scrape time (pauses, rate budget, series lag, coverage holes,
 *    quarantine): one bounded query each, cached for `cacheMs`, on a pool of its own (one
 *    connection, short statement timeout) so a scrape never takes a connection from an activity,
 *  - the Temporal SDK's own metrics (`temporal_*`), which Core serves on a private port
 *    (127.0.0.1) and this handler appends, so each worker is one scrape target.
 * A failed query (or the SDK's exporter not answering) never fails the scrape: that part is left
 * out and `crypto_ingest_metrics_scrape_errors_total{query}` counts it. docs/metrics.md lists it all.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import type pg from 'pg';
import { collectDefaultMetrics, Counter, Gauge } from 'prom-client';
import { COVERAGE_DAY_COUNTS_SQL, COVERAGE_DAY_JOIN_SQL } from '../activities/db/coverage-store';
import { createPool } from '../activities/db/pool';
import { registry, sourceOfBudgetKey } from '../activities/metrics';
import { RATE_WINDOW_SECONDS, RATE_WINDOWS, rateWindowOfSeconds, type RateLimits } from '../activities/rate-limits';

export const scrapeErrorsTotal = new Counter({
  name: 'crypto_ingest_metrics_scrape_errors_total',
  help: 'Parts of a /metrics scrape left out because their source failed (query: the database gauge, or sdk).',
  labelNames: ['query'] as const,
  registers: [registry],
});

const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[]) =>
  new Gauge<L>({ name, help, labelNames, registers: [registry] });

const SERIES_LABELS = ['source', 'dataset', 'market', 'instrument', 'interval'] as const;

export const gauges = {
  pausedSeconds: gauge(
    'crypto_ingest_source_paused_seconds',
    'Seconds until the fleet-wide pause of a source ends (0: not paused); the longest over its API keys.',
    ['source'],
  ),
  budgetUsed: gauge(
    'crypto_ingest_rate_budget_used',
    "Calls granted in the rate budget's current window (0 once the window has passed); the most over the source's API keys.",
    ['source', 'window'],
  ),
  budgetLimit: gauge(
    'crypto_ingest_rate_budget_limit',
    "The rate budget's limit per window, as this worker is configured (<PREFIX>_RATE_LIMITS).",
    ['source', 'window'],
  ),
  lagSeconds: gauge(
    'crypto_ingest_series_lag_seconds',
    'Per active tracked series with a final row: seconds since its latest stored final period closed.',
    SERIES_LABELS,
  ),
  lagIntervals: gauge(
    'crypto_ingest_series_lag_intervals',
    'crypto_ingest_series_lag_seconds divided by the series interval in seconds.',
    SERIES_LABELS,
  ),
  coverageMissing: gauge(
    'crypto_ingest_coverage_missing_periods',
    'Missing periods (holes) of active tracked series over the last 7 UTC days and today, from the coverage ledger.',
    ['source', 'dataset', 'interval'],
  ),
  quarantineRows: gauge('crypto_ingest_quarantine_rows', 'Rows in quarantine.', ['source', 'dataset']),
  syncPlannedCalls: gauge(
    'crypto_ingest_sync_planned_calls',
    "Calls a sync schedule's tick plans (series × calls per series), as its latest tick recorded it.",
    ['source', 'dataset', 'interval'],
  ),
  syncLaggingSeries: gauge(
    'crypto_ingest_sync_lagging_series',
    "Series a sync schedule's previous tick left unsynced (the budget ran out before the next tick was due).",
    ['source', 'dataset', 'interval'],
  ),
  reconcileOpen: gauge(
    'crypto_ingest_reconcile_disagreements',
    'Open disagreements between two sources holding the same series (reconcile_diffs not resolved, seen in the last 7 days), by column: close, volume.',
    ['left_source', 'right_source', 'column'],
  ),
  syncNeed: gauge(
    'crypto_ingest_rate_budget_sync_need',
    "Calls the sync schedules need per rate window (their plan's average rate × the window): what backfills and repairs leave free.",
    ['source', 'window'],
  ),
};

const windowName = (seconds: number): string => rateWindowOfSeconds(seconds) ?? `${seconds}s`;

/** How many UTC days before today the coverage gauge looks at (today included as well). */
export const COVERAGE_DAYS = 7;

/**
 * Missing periods per source, dataset and interval over the last `$1` UTC days and today: the
 * computation of `coverage_report_at(now())` (sql/0004), with each series' scope starting at that
 * day instead of its `backfill_from`, so the work is bounded by days × tracked series and never
 * walks a series' whole history. Same numbers as `coverage_report_at(now())` for those days
 * (test/integration/metrics.test.ts compares them).
 */
export const COVERAGE_MISSING_SQL = `
WITH scope AS (
  SELECT t.source, t.dataset, t.market, t.instrument, t.interval, interval_seconds(t.interval) AS step,
         greatest(extract(epoch FROM t.backfill_from)::bigint,
                  (floor(extract(epoch FROM now()) / 86400)::bigint - $1::int) * 86400) AS start_s,
         (floor(extract(epoch FROM now()) / interval_seconds(t.interval)) * interval_seconds(t.interval))::bigint AS end_s,
         extract(epoch FROM w.last_ts)::bigint AS last_s
  FROM tracked_series t
  LEFT JOIN series_watermarks w USING (source, dataset, market, instrument, interval)
  WHERE t.active
), days AS (
  SELECT s.*, ds, (to_timestamp(ds) AT TIME ZONE 'UTC')::date AS day,
         greatest(s.start_s, ds) AS lo, least(s.end_s, ds + 86400) AS hi
  FROM scope s, generate_series((s.start_s / 86400) * 86400, s.end_s - 1, 86400) AS ds
  WHERE s.end_s > s.start_s
), counted AS (
  SELECT d.source, d.dataset, d.interval, ${COVERAGE_DAY_COUNTS_SQL}
  FROM days d ${COVERAGE_DAY_JOIN_SQL}
)
SELECT source, dataset, interval, sum(greatest(0, expected - present - certified_empty))::float8 AS missing
FROM counted
GROUP BY source, dataset, interval`;

interface Query {
  readonly name: string;
  readonly gauges: ReadonlyArray<Gauge<string>>;
  run(pool: pg.Pool): Promise<void>;
}

/** Set `g` to the largest value seen per label set (several API keys of one source). */
function setMax<L extends string>(g: Gauge<L>, rows: Iterable<[Record<L, string>, number]>): void {
  const best = new Map<string, [Record<L, string>, number]>();
  for (const [labels, v] of rows) {
    const k = JSON.stringify(labels);
    const seen = best.get(k);
    if (!seen || v > seen[1]) best.set(k, [labels, v]);
  }
  for (const [labels, v] of best.values()) g.set(labels as Partial<Record<L, string | number>>, v);
}

/** What this worker serves: its sources and their datasets, reported as 0 when the database has no row. */
export type Served = ReadonlyArray<{ readonly source: string; readonly datasets: readonly string[] }>;

function queries(served: Served): Query[] {
  return [
    {
      name: 'source_pauses',
      gauges: [gauges.pausedSeconds],
      async run(pool) {
        const { rows } = await pool.query<{ source: string; remaining: string }>(
          `SELECT source, extract(epoch FROM paused_until - clock_timestamp())::float8 AS remaining
           FROM source_pauses WHERE paused_until > clock_timestamp()`,
        );
        gauges.pausedSeconds.reset();
        setMax(gauges.pausedSeconds, [
          ...served.map(({ source }): [Record<'source', string>, number] => [{ source }, 0]),
          ...rows.map((r): [Record<'source', string>, number] => [
            { source: sourceOfBudgetKey(r.source) },
            Math.max(0, Number(r.remaining)),
          ]),
        ]);
      },
    },
    {
      name: 'rate_budget_windows',
      gauges: [gauges.budgetUsed],
      async run(pool) {
        const { rows } = await pool.query<{ source: string; window_seconds: number; used: number }>(
          `SELECT source, window_seconds,
                  CASE WHEN window_start + window_seconds > extract(epoch FROM clock_timestamp()) THEN used ELSE 0 END AS used
           FROM rate_budget_windows`,
        );
        gauges.budgetUsed.reset();
        setMax(
          gauges.budgetUsed,
          rows.map((r): [Record<'source' | 'window', string>, number] => [
            { source: sourceOfBudgetKey(r.source), window: windowName(Number(r.window_seconds)) },
            Number(r.used),
          ]),
        );
      },
    },
    {
      name: 'series_lag',
      gauges: [gauges.lagSeconds, gauges.lagIntervals],
      async run(pool) {
        const { rows } = await pool.query<
          Record<(typeof SERIES_LABELS)[number], string> & { lag: number; step: number }
        >(
          `SELECT t.source, t.dataset, t.market, t.instrument, t.interval, interval_seconds(t.interval) AS step,
                  greatest(0, extract(epoch FROM clock_timestamp() - w.last_final_ts) - interval_seconds(t.interval))::float8 AS lag
           FROM tracked_series t
           JOIN series_watermarks w USING (source, dataset, market, instrument, interval)
           WHERE t.active AND w.last_final_ts IS NOT NULL`,
        );
        gauges.lagSeconds.reset();
        gauges.lagIntervals.reset();
        for (const r of rows) {
          const labels = {
            source: r.source,
            dataset: r.dataset,
            market: r.market,
            instrument: r.instrument,
            interval: r.interval,
          };
          gauges.lagSeconds.set(labels, Number(r.lag));
          gauges.lagIntervals.set(labels, Number(r.lag) / Number(r.step));
        }
      },
    },
    {
      name: 'sync_demand',
      gauges: [gauges.syncPlannedCalls, gauges.syncLaggingSeries, gauges.syncNeed],
      async run(pool) {
        const { rows } = await pool.query<{
          source: string;
          dataset: string;
          interval: string;
          calls_per_tick: number;
          every_seconds: number;
          lagging: number;
          fresh: boolean;
        }>(
          `SELECT source, dataset, interval, calls_per_tick, every_seconds, lagging,
                  updated_at > now() - make_interval(secs => 2 * every_seconds + 300) AS fresh
           FROM sync_demand`,
        );
        gauges.syncPlannedCalls.reset();
        gauges.syncLaggingSeries.reset();
        gauges.syncNeed.reset();
        const need = new Map<string, number>();
        for (const r of rows) {
          // A schedule that stopped ticking (removed, paused) is no longer planned, lagging or holding budget.
          if (!r.fresh) continue;
          const labels = { source: r.source, dataset: r.dataset, interval: r.interval };
          gauges.syncPlannedCalls.set(labels, Number(r.calls_per_tick));
          gauges.syncLaggingSeries.set(labels, Number(r.lagging));
          need.set(r.source, (need.get(r.source) ?? 0) + Number(r.calls_per_tick) / Number(r.every_seconds));
        }
        for (const { source } of served) if (!need.has(source)) need.set(source, 0);
        for (const [source, perSecond] of need)
          for (const w of RATE_WINDOWS) gauges.syncNeed.set({ source, window: w }, perSecond * RATE_WINDOW_SECONDS[w]);
      },
    },
    {
      name: 'reconcile_diffs',
      gauges: [gauges.reconcileOpen],
      async run(pool) {
        const { rows } = await pool.query<{
          left_source: string;
          right_source: string;
          column_name: string;
          n: number;
        }>(
          `SELECT left_source, right_source, column_name, count(*)::int AS n FROM reconcile_diffs
           WHERE resolved_at IS NULL AND last_seen_at > now() - interval '7 days'
           GROUP BY 1, 2, 3`,
        );
        gauges.reconcileOpen.reset();
        for (const r of rows)
          gauges.reconcileOpen.set(
            { left_source: r.left_source, right_source: r.right_source, column: r.column_name },
            Number(r.n),
          );
      },
    },
    {
      name: 'coverage',
      gauges: [gauges.coverageMissing],
      async run(pool) {
        const { rows } = await pool.query<{ source: string; dataset: string; interval: string; missing: number }>(
          COVERAGE_MISSING_SQL,
          [COVERAGE_DAYS],
        );
        gauges.coverageMissing.reset();
        for (const r of rows)
          gauges.coverageMissing.set({ source: r.source, dataset: r.dataset, interval: r.interval }, Number(r.missing));
      },
    },
    {
      name: 'quarantine',
      gauges: [gauges.quarantineRows],
      async run(pool) {
        // One row per distinct bad raw row and reason (its UNIQUE key): small by design, and not a
        // fact table. (No index on first_seen_at to count a recent window by; the total is what
        // the quarantine alert compares over time.)
        const { rows } = await pool.query<{ source: string; dataset: string; n: string }>(
          `SELECT source, dataset, count(*)::text AS n FROM quarantine GROUP BY source, dataset`,
        );
        gauges.quarantineRows.reset();
        for (const { source, datasets } of served)
          for (const dataset of datasets) gauges.quarantineRows.set({ source, dataset }, 0);
        for (const r of rows) gauges.quarantineRows.set({ source: r.source, dataset: r.dataset }, Number(r.n));
      },
    },
  ];
}

export interface DbGaugesOptions {
  /** What this worker serves: its paused and quarantine gauges are 0 when the database has no row. */
  readonly served: Served;
  /** Reuse database reads this long (ms). @default 10 000 */
  readonly cacheMs?: number;
  /** Longest a scrape waits for the database (ms); then the DB gauges are left out. @default 5 000 */
  readonly timeoutMs?: number;
}

/** The gauges read from PostgreSQL, refreshed at most once per `cacheMs`, one refresh at a time. */
export class DbGauges {
  readonly #pool: pg.Pool;
  readonly #queries: Query[];
  readonly #cacheMs: number;
  readonly #timeoutMs: number;
  #refreshedAt = -Infinity;
  #inflight: Promise<void> | undefined;

  constructor(pool: pg.Pool, o: DbGaugesOptions) {
    this.#pool = pool;
    this.#queries = queries(o.served);
    this.#cacheMs = o.cacheMs ?? 10_000;
    this.#timeoutMs = o.timeoutMs ?? 5_000;
  }

  /** Bring the gauges up to date (unless fresh); never throws. */
  async refresh(): Promise<void> {
    if (Date.now() - this.#refreshedAt < this.#cacheMs) return;
    this.#inflight ??= this.#run().finally(() => {
      this.#inflight = undefined;
    });
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      this.#inflight.then(() => false),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), this.#timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    if (timedOut) {
      scrapeErrorsTotal.inc({ query: 'timeout' });
      for (const q of this.#queries) for (const g of q.gauges) g.reset();
    }
  }

  async #run(): Promise<void> {
    for (const q of this.#queries) {
      try {
        await q.run(this.#pool);
      } catch {
        for (const g of q.gauges) g.reset();
        scrapeErrorsTotal.inc({ query: q.name });
      }
    }
    this.#refreshedAt = Date.now();
  }
}

/** Set the budget limit gauge from the configured budgets (static for the process). */
export function setBudgetLimits(budgets: ReadonlyArray<{ readonly key: string; readonly limits: RateLimits | 'off' }>) {
  gauges.budgetLimit.reset();
  for (const b of budgets) {
    if (b.limits === 'off') continue;
    for (const w of RATE_WINDOWS) {
      const limit = b.limits[w];
      if (limit !== undefined) gauges.budgetLimit.set({ source: sourceOfBudgetKey(b.key), window: w }, limit);
    }
  }
}

/** A port free on `host` right now (for the SDK's private exporter when none is configured). */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createNetServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const address = s.address();
      s.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export interface MetricsServerOptions {
  readonly host: string;
  /** 0: any free port (tests). */
  readonly port: number;
  readonly databaseUrl: string;
  /** The SDK's Prometheus exporter (`http://127.0.0.1:<port>/metrics`), appended to each scrape. */
  readonly sdkMetricsUrl?: string | undefined;
  readonly budgets: ReadonlyArray<{ readonly key: string; readonly limits: RateLimits | 'off' }>;
  readonly served: Served;
  readonly cacheMs?: number;
}

export interface MetricsServer {
  /** The port it listens on. */
  readonly port: number;
  close(): Promise<void>;
}

let defaultMetricsStarted = false;

/** Start the `/metrics` server; rejects when it cannot listen (a port in use: a boot error). */
export async function startMetricsServer(o: MetricsServerOptions): Promise<MetricsServer> {
  if (!defaultMetricsStarted) {
    collectDefaultMetrics({ register: registry, prefix: 'crypto_ingest_worker_' });
    defaultMetricsStarted = true;
  }
  setBudgetLimits(o.budgets);
  const pool = createPool(o.databaseUrl, {
    max: 1,
    applicationName: 'crypto-ingest-metrics',
    statementTimeoutMs: 5_000,
    lockTimeoutMs: 1_000,
    idleInTransactionTimeoutMs: 10_000,
  });
  const db = new DbGauges(pool, {
    served: o.served,
    ...(o.cacheMs !== undefined ? { cacheMs: o.cacheMs } : {}),
  });

  const sdkText = async (): Promise<string> => {
    if (!o.sdkMetricsUrl) return '';
    try {
      const res = await fetch(o.sdkMetricsUrl, { signal: AbortSignal.timeout(3_000) });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      return await res.text();
    } catch {
      scrapeErrorsTotal.inc({ query: 'sdk' });
      return '';
    }
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (req.method !== 'GET' || path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('GET /metrics\n');
      return;
    }
    const [sdk] = await Promise.all([sdkText(), db.refresh()]);
    const ours = await registry.metrics();
    res.writeHead(200, { 'content-type': registry.contentType });
    res.end(sdk ? `${ours.endsWith('\n') ? ours : `${ours}\n`}${sdk}` : ours);
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`metrics failed: ${err instanceof Error ? err.message : String(err)}\n`);
    });
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(o.port, o.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    await pool.end();
    throw err;
  }
  // A broken connection must never take the worker down.
  server.on('error', () => undefined);
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : o.port,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await pool.end();
    },
  };
}
