/**
 * Seed tracked series as if their initial backfill had completed up to `storedUpTo` (Unix seconds):
 * tracked from there, backfilled, the watermark at that period. A sync tick then carries them on.
 */
import type pg from 'pg';
import type { SeriesKey } from '../../workflows/contracts/series';

export async function seedBackfilledSeries(
  pool: pg.Pool,
  series: readonly SeriesKey[],
  origin: string,
  storedUpTo: number,
): Promise<void> {
  for (const k of series) {
    await pool.query(
      `INSERT INTO tracked_series (source, dataset, market, instrument, interval, origin, backfill_from, backfilled_at)
       VALUES ($1, $2, $3, $4, $5, $6, to_timestamp($7), now())`,
      [k.source, k.dataset, k.market, k.instrument, k.interval, origin, storedUpTo],
    );
    await pool.query(
      `INSERT INTO series_watermarks (source, dataset, market, instrument, interval, first_ts, last_ts, last_final_ts)
       VALUES ($1, $2, $3, $4, $5, to_timestamp($6), to_timestamp($6), to_timestamp($6))`,
      [k.source, k.dataset, k.market, k.instrument, k.interval, storedUpTo],
    );
  }
}
