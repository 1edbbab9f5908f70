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

/** `30s`, `5m`, `1h`, `2d` (also `500ms`) in milliseconds, or undefined when not of that form. */
export function parseDurationMs(value: string): number | undefined {
  const m = /^\s*(\d+)\s*(ms|s|m|h|d)\s*$/.exec(value);
  if (!m) return undefined;
  const unit = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'ms' | 's' | 'm' | 'h' | 'd'];
  return Number(m[1]) * unit;
}

/**
 * Keyset cursor over tracked series, in (source, dataset, interval, market, instrument) order: a page
 * resumes strictly after it; null is the beginning.
 */
export type SeriesCursor = string | null;

/**
 * Keyset cursor of a series over (source, dataset, interval, market, instrument): pages of
 * tracked series resume strictly after it.
 */
export function seriesCursor(s: SeriesKey): string {
  return [s.source, s.dataset, s.interval, s.market, s.instrument].join('\u0001');
}

/** One series that failed in a tick or repair: what and why (failure type and message). */
export interface SeriesFailure {
  series: string;
  type: string;
  message: string;
}
