/**
 * The fleet-wide pauses (`source_pauses`): one row per budget key (a source id, or
 * `<id>#<fingerprint of the API key>`). The rate gate sets them when an API answers with a quota
 * or a ban; operators set and lift them with `crypto-ingest source pause|resume`. The one place
 * that writes this table's SQL.
 */
import type pg from 'pg';
import { classifyDatabaseError } from '../errors';

export interface PauseRow {
  readonly source: string;
  readonly pausedUntil: Date;
  /** Milliseconds left (≤ 0: ended). */
  readonly remainingMs: number;
  readonly reason: string;
  readonly setBy: string;
  readonly setAt: Date;
}

export interface PauseStore {
  /** Pause a budget key for `seconds` from now (extends, never shortens, an existing pause). */
  pause(key: string, seconds: number, reason: string, setBy: string): Promise<void>;
  /** Lift the pauses of these keys; the keys whose pause was still in force. Ended pauses are removed too. */
  lift(keys: readonly string[]): Promise<string[]>;
  /** Pauses (only those in force unless `all`), by key. */
  list(o?: { keys?: readonly string[]; all?: boolean }): Promise<PauseRow[]>;
  /** Every `<sourceId>#…` key PostgreSQL knows of (pauses and budget windows: every API key a worker used). */
  keyedBudgets(sourceId: string): Promise<string[]>;
}

export class PgPauseStore implements PauseStore {
  constructor(private readonly pool: pg.Pool) {}

  async pause(key: string, seconds: number, reason: string, setBy: string): Promise<void> {
    await this.#query(
      `INSERT INTO source_pauses AS p (source, paused_until, reason, set_by)
       VALUES ($1, clock_timestamp() + make_interval(secs => $2), $3, $4)
       ON CONFLICT (source) DO UPDATE SET
         paused_until = GREATEST(p.paused_until, EXCLUDED.paused_until),
         reason = CASE WHEN EXCLUDED.paused_until > p.paused_until THEN EXCLUDED.reason ELSE p.reason END,
         set_by = CASE WHEN EXCLUDED.paused_until > p.paused_until THEN EXCLUDED.set_by ELSE p.set_by END,
         set_at = CASE WHEN EXCLUDED.paused_until > p.paused_until THEN now() ELSE p.set_at END`,
      [key, Math.max(0, seconds), reason, setBy],
    );
  }

  async lift(keys: readonly string[]): Promise<string[]> {
    const res = await this.#query<{ source: string }>(
      `DELETE FROM source_pauses WHERE source = ANY($1::text[]) AND paused_until > clock_timestamp() RETURNING source`,
      [keys],
    );
    // Ended pauses are history only: remove them too, without reporting them as lifted.
    await this.#query(`DELETE FROM source_pauses WHERE source = ANY($1::text[])`, [keys]);
    return res.rows.map((r) => r.source).sort();
  }

  async list(o: { keys?: readonly string[]; all?: boolean } = {}): Promise<PauseRow[]> {
    const res = await this.#query<{
      source: string;
      paused_until: Date;
      remaining_ms: string;
      reason: string;
      set_by: string;
      set_at: Date;
    }>(
      `SELECT source, paused_until, (extract(epoch FROM paused_until - clock_timestamp()) * 1000)::text AS remaining_ms,
              reason, set_by, set_at
       FROM source_pauses
       WHERE ($1::text[] IS NULL OR source = ANY($1::text[])) AND ($2 OR paused_until > clock_timestamp())
       ORDER BY source`,
      [o.keys ? [...o.keys] : null, o.all === true],
    );
    return res.rows.map((r) => ({
      source: r.source,
      pausedUntil: r.paused_until,
      remainingMs: Number(r.remaining_ms),
      reason: r.reason,
      setBy: r.set_by,
      setAt: r.set_at,
    }));
  }

  async keyedBudgets(sourceId: string): Promise<string[]> {
    const res = await this.#query<{ source: string }>(
      `SELECT source FROM source_pauses WHERE left(source, length($1) + 1) = $1 || '#'
       UNION SELECT source FROM rate_budget_windows WHERE left(source, length($1) + 1) = $1 || '#'`,
      [sourceId],
    );
    return res.rows.map((r) => r.source).sort();
  }

  async #query<R extends pg.QueryResultRow = pg.QueryResultRow>(
    text: string,
    values: unknown[],
  ): Promise<pg.QueryResult<R>> {
    try {
      return await this.pool.query<R>(text, values);
    } catch (err) {
      throw classifyDatabaseError(err);
    }
  }
}
