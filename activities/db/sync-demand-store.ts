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
}

export class PgSyncDemandStore {
  constructor(private readonly pool: pg.Pool) {}

  /** Record a tick's plan (the latest tick of a schedule wins; an older one never overwrites it). */
  async record(r: SyncDemandRow): Promise<void> {
    await this.#query(
      `INSERT INTO sync_demand AS d (source, dataset, interval, series, calls_per_tick, every_seconds, lagging, as_of)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8::timestamptz)
       ON CONFLICT (source, dataset, interval) DO UPDATE SET
         series = EXCLUDED.series, calls_per_tick = EXCLUDED.calls_per_tick, every_seconds = EXCLUDED.every_seconds,
         lagging = EXCLUDED.lagging, as_of = EXCLUDED.as_of, updated_at = now()
       WHERE d.as_of <= EXCLUDED.as_of`,
      [r.source, r.dataset, r.interval, r.series, r.callsPerTick, r.everySeconds, r.lagging, r.asOf],
    );
  }

  /**
   * Backfilled series of a schedule that no tick took at or after `since` (the previous tick's
   * nominal time): what the previous tick left behind.
   */
  async lagging(scope: SyncScope, since: string): Promise<{ series: number; lagging: number }> {
    const res = await this.#query<{ series: number; lagging: number }>(
      `SELECT count(*)::int AS series, (count(*) FILTER (WHERE last_sync_tick < $4::timestamptz))::int AS lagging
       FROM tracked_series
       WHERE active AND backfilled_at IS NOT NULL AND source = $1 AND dataset = $2 AND interval = $3`,
      [scope.source, scope.dataset, scope.interval, since],
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
