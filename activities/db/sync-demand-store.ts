/**
 * What the syncs need (`sync_demand`): one row per sync schedule (source × dataset × interval),
 * written by every tick's plan. The background rate gate reads it to keep the syncs' share of each
 * window free (syncs first); the metrics serve it next to the budget. The one place that writes
 * this table's SQL.
 */
import type pg from 'pg';
import { classifyDatabaseError } from '../errors';
import type { RecurringDemand } from '../universe-plan';
import type { SyncScope } from './universe-store';

export interface SyncDemandRow extends SyncScope {
  /** Series the tick syncs (initial backfill done). */
  readonly series: number;
  readonly callsPerTick: number;
  readonly everySeconds: number;
  /** Series the previous tick left unsynced. */
  readonly lagging: number;
  readonly asOf: string;
  /** The workflow run of the tick. */
  readonly runId: string;
}

/** The tick that recorded a schedule's plan last. */
export interface PreviousTick {
  readonly asOf: string;
  readonly runId: string | null;
  /** When it planned (the database's clock). */
  readonly plannedAt: Date;
}

export class PgSyncDemandStore {
  constructor(private readonly pool: pg.Pool) {}

  /** Record a tick's plan (the latest tick of a schedule wins; an older one never overwrites it). */
  async record(r: SyncDemandRow): Promise<void> {
    await this.#query(
      `INSERT INTO sync_demand AS d (source, dataset, interval, series, calls_per_tick, every_seconds, lagging, as_of, run_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8::timestamptz, $9)
       ON CONFLICT (source, dataset, interval) DO UPDATE SET
         series = EXCLUDED.series, calls_per_tick = EXCLUDED.calls_per_tick, every_seconds = EXCLUDED.every_seconds,
         lagging = EXCLUDED.lagging, as_of = EXCLUDED.as_of, run_id = EXCLUDED.run_id, updated_at = now()
       WHERE d.as_of <= EXCLUDED.as_of`,
      [r.source, r.dataset, r.interval, r.series, r.callsPerTick, r.everySeconds, r.lagging, r.asOf, r.runId],
    );
  }

  /** The tick that recorded this schedule's plan last, if any. */
  async previous(scope: SyncScope): Promise<PreviousTick | undefined> {
    const res = await this.#query<{ as_of: Date; run_id: string | null; updated_at: Date }>(
      `SELECT as_of, run_id, updated_at FROM sync_demand WHERE source = $1 AND dataset = $2 AND interval = $3`,
      [scope.source, scope.dataset, scope.interval],
    );
    const r = res.rows[0];
    return r && { asOf: r.as_of.toISOString(), runId: r.run_id, plannedAt: r.updated_at };
  }

  /**
   * The schedule's backfilled series, and those the previous tick left behind: tracked and
   * backfilled before it planned, yet not taken by its run. Without a previous tick, none.
   */
  async lagging(scope: SyncScope, previous: PreviousTick | undefined): Promise<{ series: number; lagging: number }> {
    const res = await this.#query<{ series: number; lagging: number }>(
      `SELECT count(*)::int AS series,
              (count(*) FILTER (WHERE $4::timestamptz IS NOT NULL AND first_tracked_at < $4::timestamptz
                 AND backfilled_at < $4::timestamptz AND last_sync_run IS DISTINCT FROM $5))::int AS lagging
       FROM tracked_series
       WHERE active AND backfilled_at IS NOT NULL AND source = $1 AND dataset = $2 AND interval = $3`,
      [scope.source, scope.dataset, scope.interval, previous?.plannedAt ?? null, previous?.runId ?? null],
    );
    return res.rows[0]!;
  }

  /**
   * The syncs' recurring demand on a source, from the schedules that ticked lately (within two of
   * their periods and five minutes: a removed schedule stops counting).
   */
  async demand(source: string): Promise<RecurringDemand[]> {
    const res = await this.#query<{ dataset: string; interval: string; calls_per_tick: number; every_seconds: number }>(
      `SELECT dataset, interval, calls_per_tick, every_seconds FROM sync_demand
       WHERE source = $1 AND updated_at > now() - make_interval(secs => 2 * every_seconds + 300)
       ORDER BY dataset, interval`,
      [source],
    );
    return res.rows.map((r) => ({
      what: `sync ${r.dataset} ${r.interval}`,
      callsPerTick: r.calls_per_tick,
      everySeconds: r.every_seconds,
    }));
  }

  async #query<R extends pg.QueryResultRow>(text: string, values: unknown[]): Promise<pg.QueryResult<R>> {
    try {
      return await this.pool.query<R>(text, values);
    } catch (err) {
      throw classifyDatabaseError(err);
    }
  }
}
