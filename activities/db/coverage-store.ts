/**
 * The coverage ledger's audit and repair side. The ledger (`coverage_daily`) is maintained with
 * every write; the audit recounts it from the fact table (holes punched by hand, rows deleted by
 * a retention job, a ledger that predates a migration), `gaps` lists the exact missing periods, and
 * `certifyEmpty` records periods the API confirmed it has no data for (and counts them in the ledger).
 */
import type pg from 'pg';
import { classifyDatabaseError } from '../errors';
import { q, seriesWhere } from './sql';
import type { DatasetSpec } from '../sources/types';
import { INTERVAL_SECONDS, type SeriesKey } from '../../workflows/contracts/series';

/**
 * One series' UTC day as `coverage_report_at` (sql/0004) counts it, for queries that count from the
 * ledger alone (the coverage gauge, the dashboard's heatmap). Over `d`, a row with the day's start
 * `ds`, the counted span `[lo, hi)`, the period `step` and the watermark `last_s` (Unix seconds), and
 * `c`, its `coverage_daily` row (LEFT JOINed): the periods expected, those present that count (rows
 * after `hi` on a day cut short by now are not due yet), and those certified empty.
 */
export const COVERAGE_DAY_COUNTS_SQL = `
  greatest(0, ceil(d.hi::numeric / d.step) - ceil(d.lo::numeric / d.step))::int AS expected,
  greatest(0, coalesce(c.present, 0) - CASE
    WHEN d.hi < d.ds + 86400 AND d.last_s >= d.hi
      THEN least((d.last_s - d.hi) / d.step + 1, (d.ds + 86400 - d.hi) / d.step)::int
    ELSE 0 END) AS present,
  coalesce(c.certified_empty, 0) AS certified_empty`;

/** The join of `d` (as above, with the series' key columns) to its ledger row `c`. */
export const COVERAGE_DAY_JOIN_SQL = `
  LEFT JOIN coverage_daily c
    ON c.source = d.source AND c.dataset = d.dataset AND c.market = d.market AND c.instrument = d.instrument
   AND c.interval = d.interval AND c.day = d.day`;

export interface GapRange {
  /** First and last missing period (Unix seconds, inclusive). */
  readonly from: number;
  readonly to: number;
  readonly periods: number;
}

export interface CoverageStore {
  /** Recount the ledger for the UTC days covering [from, to) from the fact table. Returns the missing periods. */
  audit(
    dataset: DatasetSpec<unknown>,
    series: SeriesKey,
    from: number,
    to: number,
  ): Promise<{ days: number; missing: number }>;
  /** Missing periods in [from, to) (not stored, not certified empty), as contiguous ranges. */
  gaps(dataset: DatasetSpec<unknown>, series: SeriesKey, from: number, to: number, limit: number): Promise<GapRange[]>;
  /** Record periods the API answered without (evidence: the response hash); returns how many were new. */
  certifyEmpty(
    series: SeriesKey,
    periods: readonly number[],
    responseSha256: string,
    runId: number | null,
  ): Promise<number>;
}

export class PgCoverageStore implements CoverageStore {
  readonly #pool: pg.Pool;

  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  async audit(
    ds: DatasetSpec<unknown>,
    s: SeriesKey,
    from: number,
    to: number,
  ): Promise<{ days: number; missing: number }> {
    const lo = Math.floor(from / 86_400) * 86_400;
    const hi = Math.ceil(to / 86_400) * 86_400;
    if (hi <= lo) return { days: 0, missing: 0 };
    const k = ds.seriesColumns.length;
    try {
      await this.#pool.query(
        `WITH counts AS (
           SELECT (t.ts AT TIME ZONE 'UTC')::date AS day, count(*)::int AS present,
                  count(*) FILTER (WHERE t.is_filler)::int AS filler, count(*) FILTER (WHERE NOT t.is_final)::int AS provisional
           FROM ${q(ds.table)} t
           WHERE ${seriesWhere(ds, 't', 1)} AND t.ts >= to_timestamp($${k + 6}) AND t.ts < to_timestamp($${k + 7})
           GROUP BY 1),
         cert AS (
           SELECT (e.ts AT TIME ZONE 'UTC')::date AS day, count(*)::int AS n FROM coverage_certified_empty e
           WHERE e.source = $${k + 1} AND e.dataset = $${k + 2} AND e.market = $${k + 3} AND e.instrument = $${k + 4}
             AND e.interval = $${k + 5} AND e.ts >= to_timestamp($${k + 6}) AND e.ts < to_timestamp($${k + 7})
           GROUP BY 1),
         days AS (
           SELECT generate_series(to_timestamp($${k + 6}) AT TIME ZONE 'UTC', to_timestamp($${k + 7} - 1) AT TIME ZONE 'UTC',
                                  interval '1 day')::date AS day)
         INSERT INTO coverage_daily AS c (source, dataset, market, instrument, interval, day, present, filler, provisional,
                                          certified_empty)
         SELECT $${k + 1}, $${k + 2}, $${k + 3}, $${k + 4}, $${k + 5}, d.day, coalesce(n.present, 0), coalesce(n.filler, 0),
                coalesce(n.provisional, 0), coalesce(e.n, 0)
         FROM days d LEFT JOIN counts n USING (day) LEFT JOIN cert e USING (day)
         ON CONFLICT (source, dataset, market, instrument, interval, day) DO UPDATE SET
           present = EXCLUDED.present, filler = EXCLUDED.filler, provisional = EXCLUDED.provisional,
           certified_empty = EXCLUDED.certified_empty, updated_at = now()`,
        [...ds.seriesValues(s), s.source, s.dataset, s.market, s.instrument, s.interval, lo, hi],
      );
      // Missing periods of exactly [from, to): the ledger counts whole days, and the report reads
      // them as of now, so on the audit's last day (an `asOf` before the day's end) it would count
      // periods not yet due as missing.
      const step = INTERVAL_SECONDS[s.interval];
      const first = Math.ceil(from / step) * step;
      const end = Math.ceil(to / step) * step;
      const r = await this.#pool.query<{ present: number; certified: number }>(
        `SELECT (SELECT count(*) FROM ${q(ds.table)} t
                 WHERE ${seriesWhere(ds, 't', 1)} AND t.ts >= to_timestamp($${k + 6}) AND t.ts < to_timestamp($${k + 7}))::int AS present,
                (SELECT count(*) FROM coverage_certified_empty e
                 WHERE e.source = $${k + 1} AND e.dataset = $${k + 2} AND e.market = $${k + 3} AND e.instrument = $${k + 4}
                   AND e.interval = $${k + 5} AND e.ts >= to_timestamp($${k + 6}) AND e.ts < to_timestamp($${k + 7})
                   AND NOT EXISTS (SELECT 1 FROM ${q(ds.table)} t WHERE ${seriesWhere(ds, 't', 1)} AND t.ts = e.ts))::int AS certified`,
        [...ds.seriesValues(s), s.source, s.dataset, s.market, s.instrument, s.interval, first, end],
      );
      const { present, certified } = r.rows[0]!;
      return {
        days: (hi - lo) / 86_400,
        missing: Math.max(0, (end - first) / step - present - certified),
      };
    } catch (err) {
      throw classifyDatabaseError(err);
    }
  }

  async gaps(ds: DatasetSpec<unknown>, s: SeriesKey, from: number, to: number, limit: number): Promise<GapRange[]> {
    const step = INTERVAL_SECONDS[s.interval];
    const lo = Math.ceil(from / step) * step;
    const hi = Math.floor(to / step) * step;
    if (hi <= lo) return [];
    const k = ds.seriesColumns.length;
    try {
      const res = await this.#pool.query<{ from_s: string; to_s: string; n: number }>(
        `SELECT min(g) AS from_s, max(g) AS to_s, count(*)::int AS n FROM (
           SELECT g, g - row_number() OVER (ORDER BY g) * $${k + 8}::bigint AS grp
           FROM generate_series($${k + 6}::bigint, $${k + 7}::bigint - $${k + 8}::bigint, $${k + 8}::bigint) AS g
           WHERE NOT EXISTS (SELECT 1 FROM ${q(ds.table)} t WHERE ${seriesWhere(ds, 't', 1)} AND t.ts = to_timestamp(g))
             AND NOT EXISTS (SELECT 1 FROM coverage_certified_empty e
                             WHERE e.source = $${k + 1} AND e.dataset = $${k + 2} AND e.market = $${k + 3}
                               AND e.instrument = $${k + 4} AND e.interval = $${k + 5} AND e.ts = to_timestamp(g))
         ) x GROUP BY grp ORDER BY 1 LIMIT $${k + 9}`,
        [...ds.seriesValues(s), s.source, s.dataset, s.market, s.instrument, s.interval, lo, hi, step, limit],
      );
      return res.rows.map((r) => ({ from: Number(r.from_s), to: Number(r.to_s), periods: r.n }));
    } catch (err) {
      throw classifyDatabaseError(err);
    }
  }

  async certifyEmpty(
    s: SeriesKey,
    periods: readonly number[],
    responseSha256: string,
    runId: number | null,
  ): Promise<number> {
    if (periods.length === 0) return 0;
    try {
      // The ledger moves with the certificates, in the same statement (as it moves with the rows).
      const res = await this.#pool.query<{ n: number }>(
        `WITH certified AS (
           INSERT INTO coverage_certified_empty (source, dataset, market, instrument, interval, ts, response_sha256, ingest_run_id)
           SELECT $1, $2, $3, $4, $5, to_timestamp(p), $6, $7 FROM unnest($8::float8[]) AS p
           ON CONFLICT DO NOTHING
           RETURNING ts),
         ledger AS (
           INSERT INTO coverage_daily AS c (source, dataset, market, instrument, interval, day, present, filler, provisional,
                                            certified_empty)
           SELECT $1, $2, $3, $4, $5, (ts AT TIME ZONE 'UTC')::date, 0, 0, 0, count(*) FROM certified GROUP BY 6
           ON CONFLICT (source, dataset, market, instrument, interval, day) DO UPDATE SET
             certified_empty = c.certified_empty + EXCLUDED.certified_empty, updated_at = now())
         SELECT count(*)::int AS n FROM certified`,
        [s.source, s.dataset, s.market, s.instrument, s.interval, responseSha256, runId, [...periods]],
      );
      return res.rows[0]!.n;
    } catch (err) {
      throw classifyDatabaseError(err);
    }
  }
}
