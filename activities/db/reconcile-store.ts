/**
 * What reconciliation reads and records: the tracked series (to pair), two series' final periods
 * side by side, and `reconcile_runs` / `reconcile_diffs`. The one place that writes those tables' SQL.
 */
import type pg from 'pg';
import { classifyDatabaseError } from '../errors';
import { q } from './sql';
import type { SeriesKey } from '../../workflows/contracts/series';

/** How to read one side: its table, series columns and values, and the compared columns. */
export interface Side {
  readonly series: SeriesKey;
  readonly table: string;
  readonly where: ReadonlyArray<readonly [string, string]>;
  readonly close: string;
  readonly volume: string;
}

export interface SidePair {
  readonly ts: number;
  readonly leftClose: number;
  readonly rightClose: number;
  readonly leftVolume: number;
  readonly rightVolume: number;
}

export interface Diff {
  readonly ts: number;
  readonly column: string;
  readonly left: number;
  readonly right: number;
  readonly relative: number;
  readonly tolerance: number;
}

export class PgReconcileStore {
  constructor(private readonly pool: pg.Pool) {}

  async tracked(): Promise<SeriesKey[]> {
    const res = await this.#query<SeriesKey>(
      `SELECT source, dataset, market, instrument, interval FROM tracked_series WHERE active ORDER BY 1, 2, 3, 4, 5`,
      [],
    );
    return res.rows;
  }

  /** The final periods both sides hold in [since, until), with their close and volume. */
  async sideBySide(left: Side, right: Side, since: number, until: number): Promise<SidePair[]> {
    const side = (s: Side, first: number) =>
      `SELECT ts, ${q(s.close)}::float8 AS close, ${q(s.volume)}::float8 AS volume FROM ${q(s.table)}
       WHERE is_final AND ts >= to_timestamp($1) AND ts < to_timestamp($2)
         AND ${s.where.map(([c], i) => `${q(c)} = $${first + i}`).join(' AND ')}`;
    const rightFirst = 3 + left.where.length;
    const res = await this.#query<{ ts: number; lc: number; rc: number; lv: number; rv: number }>(
      `SELECT extract(epoch FROM l.ts)::float8 AS ts, l.close AS lc, r.close AS rc, l.volume AS lv, r.volume AS rv
       FROM (${side(left, 3)}) l JOIN (${side(right, rightFirst)}) r USING (ts)
       ORDER BY l.ts`,
      [since, until, ...left.where.map(([, v]) => v), ...right.where.map(([, v]) => v)],
    );
    return res.rows.map((r) => ({
      ts: Number(r.ts),
      leftClose: r.lc,
      rightClose: r.rc,
      leftVolume: r.lv,
      rightVolume: r.rv,
    }));
  }

  async startRun(asOf: number, since: number, workflowId: string): Promise<number> {
    const res = await this.#query<{ id: string }>(
      `INSERT INTO reconcile_runs (as_of, since, pairs, compared, disagreements, workflow_id)
       VALUES (to_timestamp($1), to_timestamp($2), 0, 0, 0, $3) RETURNING id`,
      [asOf, since, workflowId],
    );
    return Number(res.rows[0]!.id);
  }

  async finishRun(runId: number, counts: { pairs: number; compared: number; disagreements: number }): Promise<void> {
    await this.#query(
      `UPDATE reconcile_runs SET pairs = $2, compared = $3, disagreements = $4, finished_at = now() WHERE id = $1`,
      [runId, counts.pairs, counts.compared, counts.disagreements],
    );
  }

  /**
   * Record one pair's disagreements (new ones, or seen again), and resolve the open ones of periods
   * compared now that agree. Returns how many were resolved.
   */
  async record(runId: number, left: SeriesKey, right: SeriesKey, compared: number[], diffs: Diff[]): Promise<number> {
    const key = [left.source, left.dataset, right.source, right.dataset, left.market, left.instrument, left.interval];
    if (diffs.length > 0)
      await this.#query(
        `INSERT INTO reconcile_diffs AS d (left_source, left_dataset, right_source, right_dataset, market, instrument,
           interval, ts, column_name, left_value, right_value, relative_diff, tolerance, run_id)
         SELECT $1, $2, $3, $4, $5, $6, $7, to_timestamp(x.ts), x.col, x.lv, x.rv, x.rel, x.tol, $8
         FROM unnest($9::float8[], $10::text[], $11::float8[], $12::float8[], $13::float8[], $14::float8[])
           AS x(ts, col, lv, rv, rel, tol)
         ON CONFLICT (left_source, left_dataset, right_source, right_dataset, market, instrument, interval, ts, column_name)
         DO UPDATE SET left_value = EXCLUDED.left_value, right_value = EXCLUDED.right_value,
           relative_diff = EXCLUDED.relative_diff, tolerance = EXCLUDED.tolerance, last_seen_at = now(),
           resolved_at = NULL, run_id = EXCLUDED.run_id`,
        [
          ...key,
          runId,
          diffs.map((d) => d.ts),
          diffs.map((d) => d.column),
          diffs.map((d) => d.left),
          diffs.map((d) => d.right),
          diffs.map((d) => d.relative),
          diffs.map((d) => d.tolerance),
        ],
      );
    const resolved = await this.#query(
      `UPDATE reconcile_diffs SET resolved_at = now()
       WHERE left_source = $1 AND left_dataset = $2 AND right_source = $3 AND right_dataset = $4 AND market = $5
         AND instrument = $6 AND interval = $7 AND resolved_at IS NULL AND run_id <> $8
         AND ts = ANY (SELECT to_timestamp(t) FROM unnest($9::float8[]) t)`,
      [...key, runId, compared],
    );
    return resolved.rowCount ?? 0;
  }

  async #query<R extends pg.QueryResultRow>(text: string, values: unknown[]): Promise<pg.QueryResult<R>> {
    try {
      return await this.pool.query<R>(text, values);
    } catch (err) {
      throw classifyDatabaseError(err);
    }
  }
}
