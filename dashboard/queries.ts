/**
 * What the dashboard reads, one function per panel. Every query reads the ledger and summary tables
 * (tracked_series, series_watermarks, coverage_daily, quarantine, schema_drift, rate_budget_windows,
 * source_pauses, sync_demand, ingestion_runs, reconcile_*), each bounded by an index or by the
 * number of tracked series, never a fact table: a page costs the same on a database with billions
 * of rows. test/integration/dashboard.test.ts runs the dashboard as a role that may read only these
 * tables (sql/0016).
 */
import type pg from 'pg';
import { COVERAGE_DAY_COUNTS_SQL, COVERAGE_DAY_JOIN_SQL } from '../activities/db/coverage-store';
import { sourceOfBudgetKey } from '../activities/metrics';
import {
  RATE_WINDOWS,
  RATE_WINDOW_SECONDS,
  rateWindowOfSeconds,
  type RateLimits,
  type RateWindow,
} from '../activities/rate-limits';
import { INTERVAL_SECONDS, type Interval } from '../workflows/contracts/series';

export type Queryable = Pick<pg.Pool, 'query'>;

/** Seconds after which a series' newest final period counts as stale, per interval. */
export type FreshnessSlo = Record<Interval, number>;

/**
 * The default SLO: the newest final period may have ended at most this long ago (one period, plus
 * room for the sync tick that stores it).
 */
export const DEFAULT_SLO: FreshnessSlo = { '1m': 3 * 60, '1h': 2 * 3_600, '1d': 26 * 3_600 };

export interface SeriesFreshness {
  readonly source: string;
  readonly dataset: string;
  readonly market: string;
  readonly instrument: string;
  readonly interval: string;
  /** fresh | stale | never (nothing stored yet) | backfilling (initial backfill not done). */
  readonly state: 'fresh' | 'stale' | 'never' | 'backfilling';
  /** Seconds since the newest final period ended (null: nothing final stored). */
  readonly ageSeconds: number | null;
  readonly sloSeconds: number;
  readonly lastFinalTs: string | null;
  readonly lastTs: string | null;
  readonly lastWrite: string | null;
  readonly lastSyncTick: string | null;
}

export interface FreshnessPanel {
  readonly asOf: string;
  readonly slo: FreshnessSlo;
  /** Per source, dataset and interval: how many series are in each state. */
  readonly summary: Array<{
    source: string;
    dataset: string;
    interval: string;
    fresh: number;
    stale: number;
    never: number;
    backfilling: number;
  }>;
  /** The worst first (stale, never, backfilling, then the oldest), at most `limit`. */
  readonly series: SeriesFreshness[];
  readonly total: number;
}

const iso = (v: Date | null | undefined): string | null => (v ? v.toISOString() : null);

export async function freshness(db: Queryable, slo: FreshnessSlo, limit = 500): Promise<FreshnessPanel> {
  const { rows } = await db.query<{
    source: string;
    dataset: string;
    market: string;
    instrument: string;
    interval: Interval;
    backfilled: boolean;
    age: number | null;
    last_final_ts: Date | null;
    last_ts: Date | null;
    written_at: Date | null;
    last_sync_tick: Date | null;
    as_of: Date;
  }>(
    `SELECT t.source, t.dataset, t.market, t.instrument, t.interval, t.backfilled_at IS NOT NULL AS backfilled,
            extract(epoch FROM now() - w.last_final_ts)::float8 - interval_seconds(t.interval) AS age,
            w.last_final_ts, w.last_ts, w.updated_at AS written_at,
            CASE WHEN t.last_sync_tick = '-infinity' THEN NULL ELSE t.last_sync_tick END AS last_sync_tick,
            now() AS as_of
     FROM tracked_series t
     LEFT JOIN series_watermarks w USING (source, dataset, market, instrument, interval)
     WHERE t.active`,
  );
  const series: SeriesFreshness[] = rows.map((r) => {
    const sloSeconds = slo[r.interval] ?? INTERVAL_SECONDS[r.interval];
    const age = r.age === null ? null : Math.max(0, Number(r.age));
    const state: SeriesFreshness['state'] = !r.backfilled
      ? 'backfilling'
      : age === null
        ? 'never'
        : age > sloSeconds
          ? 'stale'
          : 'fresh';
    return {
      source: r.source,
      dataset: r.dataset,
      market: r.market,
      instrument: r.instrument,
      interval: r.interval,
      state,
      ageSeconds: age,
      sloSeconds,
      lastFinalTs: iso(r.last_final_ts),
      lastTs: iso(r.last_ts),
      lastWrite: iso(r.written_at),
      lastSyncTick: iso(r.last_sync_tick),
    };
  });
  const summary = new Map<string, FreshnessPanel['summary'][number]>();
  for (const s of series) {
    const k = `${s.source}\u0000${s.dataset}\u0000${s.interval}`;
    const row = summary.get(k) ?? {
      source: s.source,
      dataset: s.dataset,
      interval: s.interval,
      fresh: 0,
      stale: 0,
      never: 0,
      backfilling: 0,
    };
    row[s.state] += 1;
    summary.set(k, row);
  }
  const rank = { stale: 0, never: 1, backfilling: 2, fresh: 3 } as const;
  series.sort(
    (a, b) =>
      rank[a.state] - rank[b.state] ||
      (b.ageSeconds ?? 0) / b.sloSeconds - (a.ageSeconds ?? 0) / a.sloSeconds ||
      seriesLabel(a).localeCompare(seriesLabel(b)),
  );
  return {
    asOf: (rows[0]?.as_of ?? new Date()).toISOString(),
    slo,
    summary: [...summary.values()].sort((a, b) =>
      `${a.source}/${a.dataset}/${a.interval}`.localeCompare(`${b.source}/${b.dataset}/${b.interval}`),
    ),
    series: series.slice(0, limit),
    total: series.length,
  };
}

export const seriesLabel = (s: { market: string; instrument: string; interval: string }): string =>
  `${s.market} ${s.instrument} ${s.interval}`;

/** A day of a series on the heatmap. */
export type CoverageState = 'complete' | 'holes' | 'certified-empty' | 'not-listed' | 'pending';

export interface CoveragePanel {
  readonly days: string[];
  /** The datasets there are (for the filter), as `source/dataset/interval`. */
  readonly scopes: string[];
  readonly series: Array<{
    source: string;
    dataset: string;
    market: string;
    instrument: string;
    interval: string;
    /** Per day (same order as `days`): state, missing periods. */
    states: CoverageState[];
    missing: number[];
  }>;
  /** Series left out (more than `limit` matched). */
  readonly truncated: number;
}

/**
 * Per tracked series and UTC day over the last `days` days (today included): complete, holes
 * (periods missing that are not certified empty), certified empty (nothing missing, some periods
 * confirmed empty by the API), not listed (before the series' history begins), or pending (no
 * period of it has closed yet: today of a daily series). The same
 * expected-period arithmetic as the coverage gauge and `coverage_report_at`, from the ledger only.
 */
export async function coverage(
  db: Queryable,
  o: { days: number; source?: string; dataset?: string; interval?: string; limit?: number },
): Promise<CoveragePanel> {
  const limit = o.limit ?? 200;
  const scopes = await db.query<{ scope: string }>(
    `SELECT DISTINCT source || '/' || dataset || '/' || interval AS scope FROM tracked_series WHERE active ORDER BY 1`,
  );
  const { rows } = await db.query<{
    source: string;
    dataset: string;
    market: string;
    instrument: string;
    interval: string;
    day: string;
    expected: number;
    missing: number;
    certified: number;
    listed: boolean;
    n: number;
  }>(
    `WITH picked AS (
       SELECT t.*, count(*) OVER () AS n
       FROM tracked_series t
       WHERE t.active AND ($2::text IS NULL OR t.source = $2) AND ($3::text IS NULL OR t.dataset = $3)
         AND ($4::text IS NULL OR t.interval = $4)
       ORDER BY t.source, t.dataset, t.interval, t.market, t.instrument
       LIMIT $5
     ), scope AS (
       SELECT p.source, p.dataset, p.market, p.instrument, p.interval, p.n, interval_seconds(p.interval) AS step,
              extract(epoch FROM p.backfill_from)::bigint AS from_s,
              (floor(extract(epoch FROM now()) / interval_seconds(p.interval)) * interval_seconds(p.interval))::bigint AS end_s,
              extract(epoch FROM w.last_ts)::bigint AS last_s
       FROM picked p
       LEFT JOIN series_watermarks w USING (source, dataset, market, instrument, interval)
     ), days AS (
       SELECT s.*, ds, (to_timestamp(ds) AT TIME ZONE 'UTC')::date AS day,
              greatest(s.from_s, ds) AS lo, least(s.end_s, ds + 86400) AS hi
       FROM scope s,
            generate_series((floor(extract(epoch FROM now()) / 86400)::bigint - $1::int + 1) * 86400,
                            floor(extract(epoch FROM now()) / 86400)::bigint * 86400, 86400) AS ds
     ), counted AS (
       SELECT d.*, ${COVERAGE_DAY_COUNTS_SQL}
       FROM days d ${COVERAGE_DAY_JOIN_SQL}
     )
     SELECT source, dataset, market, instrument, interval, to_char(day, 'YYYY-MM-DD') AS day, expected,
            greatest(0, expected - present - certified_empty)::int AS missing, certified_empty AS certified,
            ds + 86400 > from_s AS listed, n::int AS n
     FROM counted
     ORDER BY source, dataset, interval, market, instrument, day`,
    [o.days, o.source ?? null, o.dataset ?? null, o.interval ?? null, limit],
  );
  const days: string[] = [];
  const series = new Map<string, CoveragePanel['series'][number]>();
  for (const r of rows) {
    const k = `${r.source}\u0000${r.dataset}\u0000${r.market}\u0000${r.instrument}\u0000${r.interval}`;
    let s = series.get(k);
    if (!s) {
      s = {
        source: r.source,
        dataset: r.dataset,
        market: r.market,
        instrument: r.instrument,
        interval: r.interval,
        states: [],
        missing: [],
      };
      series.set(k, s);
    }
    if (series.size === 1) days.push(r.day);
    const missing = Number(r.missing);
    s.states.push(
      !r.listed
        ? 'not-listed'
        : Number(r.expected) === 0
          ? 'pending'
          : missing > 0
            ? 'holes'
            : Number(r.certified) > 0
              ? 'certified-empty'
              : 'complete',
    );
    s.missing.push(missing);
  }
  const n = rows[0]?.n ?? 0;
  return {
    days,
    scopes: scopes.rows.map((r) => r.scope),
    series: [...series.values()],
    truncated: Math.max(0, n - series.size),
  };
}

/**
 * The command that re-fetches a series' holes from `day` on (the repair works per source, dataset
 * and interval; it audits every tracked series of them and repairs what is missing).
 */
export function repairCommand(s: { source: string; dataset: string; interval: string }, day: string): string {
  return `crypto-ingest repair --source ${s.source} --dataset ${s.dataset} --interval ${s.interval} --since ${day} --wait`;
}

export interface QuarantinePanel {
  readonly hours: number;
  /** Rows quarantined per hour (first seen) and reason kind. */
  readonly buckets: Array<{ hour: string; source: string; dataset: string; reason: string; rows: number }>;
  readonly recent: Array<{
    id: number;
    source: string;
    dataset: string;
    market: string;
    instrument: string;
    interval: string | null;
    ts: string | null;
    reason: string;
    raw: string;
    request: string | null;
    firstSeenAt: string;
  }>;
  readonly total: number;
}

/** A reason without its values ("close NaN is not a finite number" → "close N is not a finite number"). */
const REASON_KIND = `left(regexp_replace(split_part(reason, ': ', 1), '-?[0-9][0-9.eE+:TZ-]*|NaN|-?Infinity', 'N', 'g'), 80)`;

export async function quarantine(db: Queryable, hours: number, samples = 20): Promise<QuarantinePanel> {
  const [buckets, recent, total] = await Promise.all([
    db.query<{ hour: Date; source: string; dataset: string; reason: string; rows: number }>(
      `SELECT date_trunc('hour', first_seen_at, 'UTC') AS hour, source, dataset, ${REASON_KIND} AS reason, count(*)::int AS rows
       FROM quarantine WHERE first_seen_at > now() - make_interval(hours => $1)
       GROUP BY 1, 2, 3, 4 ORDER BY 1`,
      [hours],
    ),
    db.query<{
      id: string;
      source: string;
      dataset: string;
      market: string;
      instrument: string;
      interval: string | null;
      ts: Date | null;
      reason: string;
      raw: string;
      request: string | null;
      first_seen_at: Date;
    }>(
      `SELECT id, source, dataset, market, instrument, interval, ts, reason, left(raw::text, 600) AS raw, request, first_seen_at
       FROM quarantine ORDER BY id DESC LIMIT $1`,
      [samples],
    ),
    // The planner's estimate: a count(*) of a big table is a scan.
    db.query<{ n: number }>(
      `SELECT CASE WHEN c.reltuples < 10000 THEN (SELECT count(*) FROM quarantine) ELSE c.reltuples END::float8 AS n
       FROM pg_class c WHERE c.oid = 'quarantine'::regclass`,
    ),
  ]);
  return {
    hours,
    buckets: buckets.rows.map((r) => ({ ...r, hour: r.hour.toISOString(), rows: Number(r.rows) })),
    recent: recent.rows.map((r) => ({
      id: Number(r.id),
      source: r.source,
      dataset: r.dataset,
      market: r.market,
      instrument: r.instrument,
      interval: r.interval,
      ts: iso(r.ts),
      reason: r.reason,
      raw: r.raw,
      request: r.request,
      firstSeenAt: r.first_seen_at.toISOString(),
    })),
    total: Number(total.rows[0]?.n ?? 0),
  };
}

export interface DriftEvent {
  readonly source: string;
  readonly dataset: string;
  readonly field: string;
  readonly sample: string | null;
  readonly request: string | null;
  readonly firstSeenAt: string;
}

export async function drift(db: Queryable, limit = 100): Promise<DriftEvent[]> {
  const { rows } = await db.query<{
    source: string;
    dataset: string;
    field: string;
    sample: string | null;
    request: string | null;
    first_seen_at: Date;
  }>(
    `SELECT source, dataset, field, left(sample::text, 300) AS sample, request, first_seen_at
     FROM schema_drift ORDER BY first_seen_at DESC LIMIT $1`,
    [limit],
  );
  return rows.map((r) => ({
    source: r.source,
    dataset: r.dataset,
    field: r.field,
    sample: r.sample,
    request: r.request,
    firstSeenAt: r.first_seen_at.toISOString(),
  }));
}

export interface BudgetPanel {
  /** Per source and window: calls used in the current window (the busiest API key), the limit, the syncs' need. */
  readonly windows: Array<{
    source: string;
    window: RateWindow;
    used: number;
    limit: number | null;
    syncNeed: number;
    resetsAt: string | null;
  }>;
  /** Where each source's limits came from (the environment this dashboard runs in). */
  readonly limitsFrom: Record<string, string>;
  readonly pauses: Array<{
    source: string;
    key: string;
    pausedUntil: string;
    active: boolean;
    reason: string;
    setBy: string;
    setAt: string;
  }>;
  /** Sync ticks' plans (sync_demand) of schedules still ticking. */
  readonly syncs: Array<{
    source: string;
    dataset: string;
    interval: string;
    series: number;
    callsPerTick: number;
    everySeconds: number;
    lagging: number;
    asOf: string;
  }>;
}

export async function budget(
  db: Queryable,
  limits: ReadonlyMap<string, { limits: RateLimits | 'off'; from: string }>,
): Promise<BudgetPanel> {
  const [windows, pauses, demand] = await Promise.all([
    db.query<{ source: string; window_seconds: number; used: number; ends: number | null }>(
      `SELECT source, window_seconds,
              CASE WHEN window_start + window_seconds > extract(epoch FROM clock_timestamp()) THEN used ELSE 0 END AS used,
              -- The current window's end (a window nobody called in since it ended: none yet).
              CASE WHEN window_start + window_seconds > extract(epoch FROM clock_timestamp())
                   THEN (window_start + window_seconds)::float8 END AS ends
       FROM rate_budget_windows`,
    ),
    db.query<{ source: string; paused_until: Date; active: boolean; reason: string; set_by: string; set_at: Date }>(
      `SELECT source, paused_until, paused_until > clock_timestamp() AS active, reason, set_by, set_at
       FROM source_pauses ORDER BY set_at DESC LIMIT 50`,
    ),
    db.query<{
      source: string;
      dataset: string;
      interval: string;
      series: number;
      calls_per_tick: number;
      every_seconds: number;
      lagging: number;
      as_of: Date;
    }>(
      `SELECT source, dataset, interval, series, calls_per_tick, every_seconds, lagging, as_of
       FROM sync_demand WHERE updated_at > now() - make_interval(secs => 2 * every_seconds + 300)
       ORDER BY source, dataset, interval`,
    ),
  ]);
  const sources = new Set<string>([...limits.keys()]);
  const used = new Map<string, { used: number; ends: number | null }>();
  for (const r of windows.rows) {
    const w = rateWindowOfSeconds(Number(r.window_seconds));
    if (!w) continue;
    const source = sourceOfBudgetKey(r.source);
    sources.add(source);
    const k = `${source}\u0000${w}`;
    const seen = used.get(k);
    if (!seen || Number(r.used) > seen.used)
      used.set(k, { used: Number(r.used), ends: r.ends === null ? null : Number(r.ends) });
  }
  const need = new Map<string, number>();
  for (const d of demand.rows)
    need.set(d.source, (need.get(d.source) ?? 0) + Number(d.calls_per_tick) / Number(d.every_seconds));
  const out: BudgetPanel['windows'] = [];
  for (const source of [...sources].sort()) {
    const l = limits.get(source)?.limits;
    for (const w of RATE_WINDOWS) {
      const u = used.get(`${source}\u0000${w}`);
      const limit = l === undefined || l === 'off' ? null : (l[w] ?? null);
      if (limit === null && !u) continue;
      out.push({
        source,
        window: w,
        used: u?.used ?? 0,
        limit,
        syncNeed: Math.ceil((need.get(source) ?? 0) * RATE_WINDOW_SECONDS[w]),
        resetsAt: u?.ends ? new Date(u.ends * 1000).toISOString() : null,
      });
    }
  }
  return {
    windows: out,
    limitsFrom: Object.fromEntries([...limits].map(([s, l]) => [s, l.from])),
    pauses: pauses.rows.map((r) => ({
      source: sourceOfBudgetKey(r.source),
      key: r.source,
      pausedUntil: r.paused_until.toISOString(),
      active: r.active,
      reason: r.reason,
      setBy: r.set_by,
      setAt: r.set_at.toISOString(),
    })),
    syncs: demand.rows.map((r) => ({
      source: r.source,
      dataset: r.dataset,
      interval: r.interval,
      series: Number(r.series),
      callsPerTick: Number(r.calls_per_tick),
      everySeconds: Number(r.every_seconds),
      lagging: Number(r.lagging),
      asOf: r.as_of.toISOString(),
    })),
  };
}

export interface ThroughputPanel {
  readonly minutes: number;
  /** The database's clock (the page's minute axis ends here, whatever the browser's clock says). */
  readonly asOf: string;
  /** Rows written (inserted + updated) per minute, per source/dataset; minutes without a commit are absent. */
  readonly points: Array<{ minute: string; source: string; dataset: string; rows: number; received: number }>;
}

/** Rows per minute from the run ledger (ingestion_runs, by its commit-time index). */
export async function throughput(db: Queryable, minutes: number): Promise<ThroughputPanel> {
  const [{ rows }, clock] = await Promise.all([
    db.query<{ minute: Date; source: string; dataset: string; rows: number; received: number }>(
      `SELECT date_trunc('minute', committed_at, 'UTC') AS minute, source, dataset,
            sum(rows_inserted + rows_updated)::float8 AS rows, sum(rows_received)::float8 AS received
     FROM ingestion_runs WHERE committed_at > now() - make_interval(mins => $1)
     GROUP BY 1, 2, 3 ORDER BY 1`,
      [minutes],
    ),
    db.query<{ now: Date }>(`SELECT now()`),
  ]);
  return {
    minutes,
    asOf: clock.rows[0]!.now.toISOString(),
    points: rows.map((r) => ({
      minute: r.minute.toISOString(),
      source: r.source,
      dataset: r.dataset,
      rows: Number(r.rows),
      received: Number(r.received),
    })),
  };
}

export interface ReconcilePanel {
  readonly open: number;
  readonly diffs: Array<{
    left: string;
    right: string;
    market: string;
    instrument: string;
    interval: string;
    ts: string;
    column: string;
    leftValue: number;
    rightValue: number;
    relativeDiff: number;
    tolerance: number;
    lastSeenAt: string;
  }>;
  readonly runs: Array<{
    id: number;
    asOf: string;
    pairs: number;
    compared: number;
    disagreements: number;
    workflowId: string;
    finishedAt: string | null;
  }>;
}

export async function reconcile(db: Queryable, limit = 100): Promise<ReconcilePanel> {
  const [diffs, open, runs] = await Promise.all([
    db.query<{
      left_source: string;
      left_dataset: string;
      right_source: string;
      right_dataset: string;
      market: string;
      instrument: string;
      interval: string;
      ts: Date;
      column_name: string;
      left_value: number;
      right_value: number;
      relative_diff: number;
      tolerance: number;
      last_seen_at: Date;
    }>(`SELECT * FROM reconcile_diffs WHERE resolved_at IS NULL ORDER BY last_seen_at DESC, ts DESC LIMIT $1`, [limit]),
    db.query<{ n: number }>(`SELECT count(*)::int AS n FROM reconcile_diffs WHERE resolved_at IS NULL`),
    db.query<{
      id: string;
      as_of: Date;
      pairs: number;
      compared: string;
      disagreements: string;
      workflow_id: string;
      finished_at: Date | null;
    }>(
      `SELECT id, as_of, pairs, compared, disagreements, workflow_id, finished_at FROM reconcile_runs ORDER BY id DESC LIMIT 10`,
    ),
  ]);
  return {
    open: Number(open.rows[0]?.n ?? 0),
    diffs: diffs.rows.map((r) => ({
      left: `${r.left_source}/${r.left_dataset}`,
      right: `${r.right_source}/${r.right_dataset}`,
      market: r.market,
      instrument: r.instrument,
      interval: r.interval,
      ts: r.ts.toISOString(),
      column: r.column_name,
      leftValue: Number(r.left_value),
      rightValue: Number(r.right_value),
      relativeDiff: Number(r.relative_diff),
      tolerance: Number(r.tolerance),
      lastSeenAt: r.last_seen_at.toISOString(),
    })),
    runs: runs.rows.map((r) => ({
      id: Number(r.id),
      asOf: r.as_of.toISOString(),
      pairs: Number(r.pairs),
      compared: Number(r.compared),
      disagreements: Number(r.disagreements),
      workflowId: r.workflow_id,
      finishedAt: iso(r.finished_at),
    })),
  };
}
