/**
 * Series vocabulary shared by workflows and activities. Pure data: safe inside the workflow sandbox.
 */

/** Candle intervals the pipeline understands. The string is what users type and what tables store. */
export const INTERVALS = ['1m', '1h', '1d'] as const;
export type Interval = (typeof INTERVALS)[number];

export const INTERVAL_SECONDS: Record<Interval, number> = { '1m': 60, '1h': 3_600, '1d': 86_400 };

export function isInterval(value: unknown): value is Interval {
  return typeof value === 'string' && (INTERVALS as readonly string[]).includes(value);
}

/** Floor a Unix-seconds timestamp to the start of its period. */
export function alignDown(tsSeconds: number, interval: Interval): number {
  const step = INTERVAL_SECONDS[interval];
  return Math.floor(tsSeconds / step) * step;
}

/** Ceil a Unix-seconds timestamp to the next period start (identity when already aligned). */
export function alignUp(tsSeconds: number, interval: Interval): number {
  const step = INTERVAL_SECONDS[interval];
  return Math.ceil(tsSeconds / step) * step;
}

/**
 * One time series: the unit a backfill works on. `source` and `dataset` are registry ids
 * (e.g. a source folder's id and one of its datasets); the rest is the business key.
 */
export interface SeriesKey {
  readonly source: string;
  readonly dataset: string;
  readonly market: string;
  readonly instrument: string;
  readonly interval: Interval;
}
