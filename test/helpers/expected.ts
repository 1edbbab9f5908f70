/**
 * Expected table contents, computed from the simulator's own generator (not from the pipeline's
 * parser), and the stored rows read back in the same shape, so a test compares them exactly.
 */
import type pg from 'pg';
import { expectedSpotCandles } from '../../simulator/sources/data-api';
import type { SeriesKey } from '../../workflows/contracts/series';

export interface SpotRow {
  ts: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  quote_volume: number;
  volume_buy: number;
  quote_volume_buy: number;
  volume_sell: number;
  quote_volume_sell: number;
  volume_unknown: number;
  quote_volume_unknown: number;
  total_trades: number;
  total_trades_buy: number;
  total_trades_sell: number;
  total_trades_unknown: number;
  first_trade_ts: number | null;
  last_trade_ts: number | null;
  first_trade_price: number | null;
  high_trade_price: number | null;
  high_trade_ts: number | null;
  low_trade_price: number | null;
  low_trade_ts: number | null;
  last_trade_price: number | null;
  is_filler: boolean;
  is_final: boolean;
}

/** Rows the simulator says the series has in [from, to) (Unix seconds), all closed periods. */
export function expectedSpotRows(s: SeriesKey, from: number, to: number): SpotRow[] {
  return expectedSpotCandles(s.market, s.instrument, s.interval, from, to).map((w) => ({
    ts: w.TIMESTAMP,
    open: w.OPEN!,
    high: w.HIGH!,
    low: w.LOW!,
    close: w.CLOSE!,
    volume: w.VOLUME!,
    quote_volume: w.QUOTE_VOLUME!,
    volume_buy: w.VOLUME_BUY!,
    quote_volume_buy: w.QUOTE_VOLUME_BUY!,
    volume_sell: w.VOLUME_SELL!,
    quote_volume_sell: w.QUOTE_VOLUME_SELL!,
    volume_unknown: w.VOLUME_UNKNOWN!,
    quote_volume_unknown: w.QUOTE_VOLUME_UNKNOWN!,
    total_trades: w.TOTAL_TRADES!,
    total_trades_buy: w.TOTAL_TRADES_BUY!,
    total_trades_sell: w.TOTAL_TRADES_SELL!,
    total_trades_unknown: w.TOTAL_TRADES_UNKNOWN!,
    first_trade_ts: w.FIRST_TRADE_TIMESTAMP ?? null,
    last_trade_ts: w.LAST_TRADE_TIMESTAMP ?? null,
    first_trade_price: w.FIRST_TRADE_PRICE ?? null,
    high_trade_price: w.HIGH_TRADE_PRICE ?? null,
    high_trade_ts: w.HIGH_TRADE_TIMESTAMP ?? null,
    low_trade_price: w.LOW_TRADE_PRICE ?? null,
    low_trade_ts: w.LOW_TRADE_TIMESTAMP ?? null,
    last_trade_price: w.LAST_TRADE_PRICE ?? null,
    is_filler: w.FIRST_TRADE_TIMESTAMP === undefined,
    is_final: true,
  }));
}

const epoch = (col: string) => `extract(epoch FROM ${col})::float8 AS ${col}`;

/** Stored rows of one series in [from, to), numbers as numbers. */
export async function storedSpotRows(pool: pg.Pool, s: SeriesKey, from: number, to: number): Promise<SpotRow[]> {
  const res = await pool.query(
    `SELECT ${epoch('ts')}, open, high, low, close, volume, quote_volume, volume_buy, quote_volume_buy, volume_sell,
            quote_volume_sell, volume_unknown, quote_volume_unknown, total_trades::float8, total_trades_buy::float8,
            total_trades_sell::float8, total_trades_unknown::float8, ${epoch('first_trade_ts')}, ${epoch('last_trade_ts')},
            first_trade_price, high_trade_price, ${epoch('high_trade_ts')}, low_trade_price, ${epoch('low_trade_ts')},
            last_trade_price, is_filler, is_final
     FROM spot_ohlcv
     WHERE market = $1 AND instrument = $2 AND interval = $3 AND ts >= to_timestamp($4) AND ts < to_timestamp($5)
     ORDER BY ts`,
    [s.market, s.instrument, s.interval, from, to],
  );
  return res.rows.map((r: Record<string, unknown>) => {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(r)) out[k] = typeof v === 'string' ? Number(v) : v;
    return out as unknown as SpotRow;
  });
}

/** A checksum of everything stored for a series (all columns, including lineage and timestamps). */
export async function seriesChecksum(pool: pg.Pool, s: SeriesKey): Promise<{ rows: number; md5: string }> {
  const res = await pool.query<{ rows: number; md5: string }>(
    `SELECT count(*)::int AS rows, coalesce(md5(string_agg(t::text, E'\\n' ORDER BY ts)), '') AS md5
     FROM spot_ohlcv t WHERE market = $1 AND instrument = $2 AND interval = $3`,
    [s.market, s.instrument, s.interval],
  );
  return res.rows[0]!;
}
