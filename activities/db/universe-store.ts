/**
 * The tracked universe (`tracked_series`) and what the sync needs to know per series
 * (`series_watermarks`). Selections are resolved from the reference tables (`instruments`,
 * `top_list_snapshots` via `top_assets()`), so the universe follows listings and rankings.
 */
import type pg from 'pg';
import { classifyDatabaseError } from '../errors';
import { seriesCursor, type Interval, type SeriesCursor, type SeriesKey } from '../../workflows/contracts/series';

export interface TrackedSeries extends SeriesKey {
  /** Unix seconds. */
  readonly backfillFrom: number;
  readonly backfilled: boolean;
  /** Latest stored period and latest final one (Unix seconds), if anything is stored. */
  readonly lastTs: number | null;
  readonly lastFinalTs: number | null;
  /** Its place in a sync tick's fair order (as `syncPage` read it): the cursor to resume after it. */
  readonly fairCursor?: string;
}

export interface DesiredSeries extends SeriesKey {
  readonly origin: string;
  /** Unix seconds, aligned to the interval. */
  readonly backfillFrom: number;
}

export interface SeriesFilter {
  readonly source?: string;
  readonly dataset?: string;
  readonly interval?: Interval;
}

export const cursorOf = seriesCursor;

/** One sync tick: its nominal time (ISO) and its workflow run. */
export interface SyncTick {
  readonly asOf: string;
  readonly runId: string;
}

/** One sync schedule's series: a source × dataset × interval. */
export interface SyncScope {
  readonly source: string;
  readonly dataset: string;
  readonly interval: Interval;
}

/**
 * A cursor in a tick's fair order: the series' last tick (UTC text, PostgreSQL's, `-infinity` when
 * never taken), market and instrument. Marked by a leading \u0002 so that a keyset cursor (a tick
 * planned before the fair order existed) is still read as one.
 */
const FAIR = '\u0002';
/** Most series one bounded sync batch reads (its plan's size and any tracked since). */
const MAX_BATCH_SERIES = 10_000;

/** A tick as cursor text: UTC, microseconds, whatever the session's DateStyle. */
const TICK_TEXT = `CASE WHEN last_sync_tick = '-infinity' THEN '-infinity'
  ELSE to_char(last_sync_tick AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') END`;

const fairCursorOf = (r: { tick: string; market: string; instrument: string }): string =>
  `${FAIR}${[r.tick, r.market, r.instrument].join('\u0001')}`;

const cursorParts = (c: SeriesCursor): string[] => (c === null ? ['', '', '', '', ''] : c.split('\u0001'));

interface Row {
  source: string;
  dataset: string;
  market: string;
  instrument: string;
  interval: Interval;
  backfill_from: number;
  backfilled: boolean;
  last_ts: number | null;
  last_final_ts: number | null;
}

const toTracked = (r: Row): TrackedSeries => ({
  source: r.source,
  dataset: r.dataset,
  market: r.market,
  instrument: r.instrument,
  interval: r.interval,
  backfillFrom: Number(r.backfill_from),
  backfilled: r.backfilled,
  lastTs: r.last_ts === null ? null : Number(r.last_ts),
  lastFinalTs: r.last_final_ts === null ? null : Number(r.last_final_ts),
});

const SELECT_TRACKED = `
  SELECT t.source, t.dataset, t.market, t.instrument, t.interval,
         extract(epoch FROM t.backfill_from)::float8 AS backfill_from, t.backfilled_at IS NOT NULL AS backfilled,
         extract(epoch FROM w.last_ts)::float8 AS last_ts, extract(epoch FROM w.last_final_ts)::float8 AS last_final_ts
  FROM tracked_series t
  LEFT JOIN series_watermarks w USING (source, dataset, market, instrument, interval)`;

/** A selection of instruments from the reference tables (a track rule's `select`, resolved). */
export interface InstrumentSelection {
  readonly source: string;
  readonly kind: 'spot' | 'futures';
  readonly markets: readonly string[];
  readonly quotes?: readonly string[] | undefined;
  readonly bases?: readonly string[] | undefined;
  readonly statuses: readonly string[];
  readonly topAssets?: { n: number; source: string; list: string | undefined; quote: string; asOf: string } | undefined;
}

/** What the universe, sync, repair and universe-backfill activities need of the tracked universe. */
export interface UniverseStore {
  /** Instruments of the reference tables matching a selection (mapped ids with their first trade). */
  selectInstruments(
    sel: InstrumentSelection,
  ): Promise<Array<{ market: string; instrument: string; firstTradeTs: number | null }>>;
  /** Which of these markets the instruments reference has any instrument of (for this source and kind). */
  referencedMarkets(source: string, kind: 'spot' | 'futures', markets: readonly string[]): Promise<Set<string>>;
  /** First trades (Unix seconds, or null) of explicitly listed instruments, keyed `market|instrument`. */
  firstTrades(
    source: string,
    kind: 'spot' | 'futures',
    keys: ReadonlyArray<{ market: string; instrument: string }>,
  ): Promise<Map<string, number | null>>;
  /** Make `tracked_series` exactly the desired set (one transaction). */
  apply(desired: readonly DesiredSeries[]): Promise<{ tracked: number; added: number; removed: number }>;
  /** Active tracked series after `after` (keyset order), with their watermarks. */
  page(filter: SeriesFilter, after: SeriesCursor, limit: number, onlyPending?: boolean): Promise<TrackedSeries[]>;
  /** How many active series still wait for their initial backfill. */
  countPending(): Promise<number>;
  /** Keyset starts splitting the selected series into batches of `size`. */
  boundaries(filter: SeriesFilter, size: number): Promise<{ total: number; starts: SeriesCursor[] }>;
  markBackfilled(series: SeriesKey): Promise<void>;
  /**
   * The fair order of a sync tick: the dataset's active series its run has not taken
   * yet, least recently taken first, split into batches of `size` (fair cursors; the first null).
   */
  syncBoundaries(key: SyncScope, tick: SyncTick, size: number): Promise<{ total: number; starts: SeriesCursor[] }>;
  /**
   * The next series of a tick in its fair order after `after` (a fair or a keyset cursor): up to
   * `end` (inclusive) when given, else `limit` of them.
   */
  syncPage(
    key: SyncScope,
    tick: SyncTick,
    after: SeriesCursor,
    limit: number,
    end?: SeriesCursor,
  ): Promise<TrackedSeries[]>;
  /** Record that the tick took these series (they go last in the next tick's order). */
  markSyncTick(
    key: SyncScope,
    tick: SyncTick,
    series: ReadonlyArray<Pick<SeriesKey, 'market' | 'instrument'>>,
  ): Promise<void>;
}

export class PgUniverseStore implements UniverseStore {
  readonly #pool: pg.Pool;

  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  async #query<R extends pg.QueryResultRow>(text: string, values: unknown[]): Promise<pg.QueryResult<R>> {
    try {
      return await this.#pool.query<R>(text, values);
    } catch (err) {
      throw classifyDatabaseError(err);
    }
  }

  /** Instruments of the reference tables matching a selection (mapped ids with their first trade). */
  async selectInstruments(
    sel: InstrumentSelection,
  ): Promise<Array<{ market: string; instrument: string; firstTradeTs: number | null }>> {
    const res = await this.#query<{ market: string; instrument: string; first: number | null }>(
      `SELECT market, instrument, extract(epoch FROM first_trade_ts)::float8 AS first
       FROM instruments
       WHERE source = $1 AND kind = $2 AND market = ANY ($3::text[]) AND status = ANY ($4::text[])
         AND ($5::text[] IS NULL OR quote = ANY ($5::text[]))
         AND ($6::text[] IS NULL OR base = ANY ($6::text[]))
         AND ($7::int IS NULL OR base IN (
               SELECT symbol FROM top_assets($8::date, $7::int, $9::text,
                 coalesce($10::text, (SELECT list FROM top_list_snapshots WHERE source = $9 ORDER BY snapshot_date DESC LIMIT 1)),
                 $11::text)))
       ORDER BY market, instrument`,
      [
        sel.source,
        sel.kind,
        [...sel.markets],
        [...sel.statuses],
        sel.quotes ? [...sel.quotes] : null,
        sel.bases ? [...sel.bases] : null,
        sel.topAssets?.n ?? null,
        sel.topAssets?.asOf ?? null,
        sel.topAssets?.source ?? null,
        sel.topAssets?.list ?? null,
        sel.topAssets?.quote ?? null,
      ],
    );
    return res.rows.map((r) => ({
      market: r.market,
      instrument: r.instrument,
      firstTradeTs: r.first === null ? null : Number(r.first),
    }));
  }

  /** Which of these markets the instruments reference has any instrument of (for this source and kind). */
  async referencedMarkets(source: string, kind: 'spot' | 'futures', markets: readonly string[]): Promise<Set<string>> {
    const res = await this.#query<{ market: string }>(
      `SELECT DISTINCT market FROM instruments WHERE source = $1 AND kind = $2 AND market = ANY ($3::text[])`,
      [source, kind, [...new Set(markets)]],
    );
    return new Set(res.rows.map((r) => r.market));
  }

  /** First trades of explicitly listed instruments, where the reference tables know them. */
  async firstTrades(
    source: string,
    kind: 'spot' | 'futures',
    keys: ReadonlyArray<{ market: string; instrument: string }>,
  ): Promise<Map<string, number | null>> {
    const res = await this.#query<{ market: string; instrument: string; first: number | null }>(
      `SELECT i.market, i.instrument, extract(epoch FROM i.first_trade_ts)::float8 AS first
       FROM instruments i JOIN jsonb_to_recordset($3::jsonb) AS x(market text, instrument text) USING (market, instrument)
       WHERE i.source = $1 AND i.kind = $2`,
      [source, kind, JSON.stringify(keys)],
    );
    return new Map(res.rows.map((r) => [`${r.market}|${r.instrument}`, r.first === null ? null : Number(r.first)]));
  }

  /**
   * Make `tracked_series` exactly the desired set: new series are added, known ones refreshed (a
   * coverage start moved earlier means the initial backfill is due again), others deactivated.
   */
  async apply(desired: readonly DesiredSeries[]): Promise<{ tracked: number; added: number; removed: number }> {
    const payload = JSON.stringify(
      desired.map((d) => ({
        source: d.source,
        dataset: d.dataset,
        market: d.market,
        instrument: d.instrument,
        interval: d.interval,
        origin: d.origin,
        backfill_from: new Date(d.backfillFrom * 1000).toISOString(),
      })),
    );
    const client = await this.#pool.connect();
    try {
      await client.query('BEGIN');
      // New, or tracked again after having been dropped: either way its initial backfill is due.
      const added = await client.query<{ n: number }>(
        `SELECT count(*)::int AS n
         FROM jsonb_to_recordset($1::jsonb) AS x(source text, dataset text, market text, instrument text, interval text)
         WHERE NOT EXISTS (SELECT 1 FROM tracked_series t WHERE t.active AND t.source = x.source AND t.dataset = x.dataset
                             AND t.market = x.market AND t.instrument = x.instrument AND t.interval = x.interval)`,
        [payload],
      );
      await client.query(
        `INSERT INTO tracked_series AS t (source, dataset, market, instrument, interval, origin, backfill_from)
         SELECT source, dataset, market, instrument, interval, origin, backfill_from
         FROM jsonb_to_recordset($1::jsonb) AS x(source text, dataset text, market text, instrument text, interval text,
                                                origin text, backfill_from timestamptz)
         ON CONFLICT (source, dataset, market, instrument, interval) DO UPDATE SET
           origin = EXCLUDED.origin, backfill_from = EXCLUDED.backfill_from, last_resolved_at = now(),
           backfilled_at = CASE WHEN EXCLUDED.backfill_from < t.backfill_from OR NOT t.active THEN NULL ELSE t.backfilled_at END,
           active = true, untracked_at = NULL`,
        [payload],
      );
      const removed = await client.query(
        `UPDATE tracked_series t SET active = false, untracked_at = now()
         WHERE t.active AND NOT EXISTS (
           SELECT 1 FROM jsonb_to_recordset($1::jsonb) AS x(source text, dataset text, market text, instrument text, interval text)
           WHERE x.source = t.source AND x.dataset = t.dataset AND x.market = t.market AND x.instrument = t.instrument
             AND x.interval = t.interval)`,
        [payload],
      );
      await client.query('COMMIT');
      return { tracked: desired.length, added: added.rows[0]!.n, removed: removed.rowCount ?? 0 };
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw classifyDatabaseError(err);
    } finally {
      client.release();
    }
  }

  /** Active tracked series after `after` (keyset order), with their watermarks. */
  async page(filter: SeriesFilter, after: SeriesCursor, limit: number, onlyPending = false): Promise<TrackedSeries[]> {
    const [s, d, i, m, ins] = cursorParts(after);
    const res = await this.#query<Row>(
      `${SELECT_TRACKED}
       WHERE t.active AND ($1::text IS NULL OR t.source = $1) AND ($2::text IS NULL OR t.dataset = $2)
         AND ($3::text IS NULL OR t.interval = $3) AND (NOT $4 OR t.backfilled_at IS NULL)
         AND (t.source, t.dataset, t.interval, t.market, t.instrument) > ($5, $6, $7, $8, $9)
       ORDER BY t.source, t.dataset, t.interval, t.market, t.instrument
       LIMIT $10`,
      [filter.source ?? null, filter.dataset ?? null, filter.interval ?? null, onlyPending, s, d, i, m, ins, limit],
    );
    return res.rows.map(toTracked);
  }

  /** How many active series still wait for their initial backfill. */
  async countPending(): Promise<number> {
    const res = await this.#query<{ n: number }>(
      `SELECT count(*)::int AS n FROM tracked_series WHERE active AND backfilled_at IS NULL`,
      [],
    );
    return res.rows[0]!.n;
  }

  /**
   * Keyset starts splitting the selected series into batches of `size`: the first batch starts at
   * the beginning (null), each next one after the last series of the previous.
   */
  async boundaries(filter: SeriesFilter, size: number): Promise<{ total: number; starts: SeriesCursor[] }> {
    const res = await this.#query<{
      source: string;
      dataset: string;
      interval: Interval;
      market: string;
      instrument: string;
      rn: number;
      total: number;
    }>(
      `SELECT * FROM (
         SELECT source, dataset, interval, market, instrument, count(*) OVER ()::int AS total,
                (row_number() OVER (ORDER BY source, dataset, interval, market, instrument))::int AS rn
         FROM tracked_series
         WHERE active AND ($1::text IS NULL OR source = $1) AND ($2::text IS NULL OR dataset = $2)
           AND ($3::text IS NULL OR interval = $3)) x
       WHERE rn % $4 = 0 OR rn = total
       ORDER BY rn`,
      [filter.source ?? null, filter.dataset ?? null, filter.interval ?? null, size],
    );
    const total = res.rows[0]?.total ?? 0;
    if (total === 0) return { total: 0, starts: [] };
    const ends = res.rows.filter((r) => r.rn % size === 0 && r.rn < total);
    return { total, starts: [null, ...ends.map((r) => cursorOf(r))] };
  }

  async syncBoundaries(
    key: SyncScope,
    tick: SyncTick,
    size: number,
  ): Promise<{ total: number; starts: SeriesCursor[] }> {
    const res = await this.#query<{ tick: string; market: string; instrument: string; rn: number; total: number }>(
      `SELECT * FROM (
         SELECT ${TICK_TEXT} AS tick, market, instrument, count(*) OVER ()::int AS total,
                (row_number() OVER (ORDER BY last_sync_tick, market, instrument))::int AS rn
         FROM tracked_series
         WHERE active AND source = $1 AND dataset = $2 AND interval = $3 AND last_sync_run IS DISTINCT FROM $4) x
       WHERE rn % $5 = 0 OR rn = total
       ORDER BY rn`,
      [key.source, key.dataset, key.interval, tick.runId, size],
    );
    const total = res.rows[0]?.total ?? 0;
    if (total === 0) return { total: 0, starts: [] };
    const ends = res.rows.filter((r) => r.rn % size === 0 && r.rn < total);
    return { total, starts: [null, ...ends.map(fairCursorOf)] };
  }

  async syncPage(
    key: SyncScope,
    tick: SyncTick,
    after: SeriesCursor,
    limit: number,
    end?: SeriesCursor,
  ): Promise<TrackedSeries[]> {
    // A keyset cursor: a tick planned by a worker from before the fair order; finish it in that order.
    if (after !== null && !after.startsWith(FAIR)) return this.page(key, after, limit);
    const [at, market, instrument] = after === null ? ['-infinity', '', ''] : after.slice(1).split('\u0001');
    const bounded = end !== undefined && end !== null && end.startsWith(FAIR);
    const [endAt, endMarket, endInstrument] = bounded ? end.slice(1).split('\u0001') : [null, null, null];
    const res = await this.#query<Row & { tick: string }>(
      `${SELECT_TRACKED.replace('SELECT ', `SELECT ${TICK_TEXT.replace(/last_sync_tick/g, 't.last_sync_tick')} AS tick, `)}
       WHERE t.active AND t.source = $1 AND t.dataset = $2 AND t.interval = $3 AND t.last_sync_run IS DISTINCT FROM $4
         AND (t.last_sync_tick, t.market, t.instrument) ${after === null ? '>=' : '>'} (($5::timestamp AT TIME ZONE 'UTC'), $6, $7)
         AND ($9::text IS NULL OR (t.last_sync_tick, t.market, t.instrument) <= (($9::timestamp AT TIME ZONE 'UTC'), $10, $11))
       ORDER BY t.last_sync_tick, t.market, t.instrument
       LIMIT $8`,
      [
        key.source,
        key.dataset,
        key.interval,
        tick.runId,
        at,
        market,
        instrument,
        // A bounded batch reads its whole range (series tracked since the plan included).
        bounded ? Math.max(limit, MAX_BATCH_SERIES) : limit,
        endAt,
        endMarket,
        endInstrument,
      ],
    );
    return res.rows.map((r) => ({ ...toTracked(r), fairCursor: fairCursorOf(r) }));
  }

  async markSyncTick(
    key: SyncScope,
    tick: SyncTick,
    series: ReadonlyArray<Pick<SeriesKey, 'market' | 'instrument'>>,
  ): Promise<void> {
    if (series.length === 0) return;
    await this.#query(
      `UPDATE tracked_series t SET last_sync_tick = $4::timestamptz, last_sync_run = $5
       FROM unnest($6::text[], $7::text[]) AS x(market, instrument)
       WHERE t.source = $1 AND t.dataset = $2 AND t.interval = $3 AND t.market = x.market AND t.instrument = x.instrument`,
      [
        key.source,
        key.dataset,
        key.interval,
        tick.asOf,
        tick.runId,
        series.map((s) => s.market),
        series.map((s) => s.instrument),
      ],
    );
  }

  async markBackfilled(series: SeriesKey): Promise<void> {
    await this.#query(
      `UPDATE tracked_series SET backfilled_at = now()
       WHERE source = $1 AND dataset = $2 AND market = $3 AND instrument = $4 AND interval = $5`,
      [series.source, series.dataset, series.market, series.instrument, series.interval],
    );
  }
}
