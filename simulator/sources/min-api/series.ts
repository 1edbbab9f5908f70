/**
 * Deterministic synthetic OHLCV series for the min-api simulator (`/data/v2/histo{day,hour,minute}`).
 * Pure functions: every value of a period derives from hashes of (series key, interval, period index),
 * and prices from continuous per-asset price paths P(t) (multi-octave value noise, random-access in
 * t), so any row costs O(1) and the same inputs always give the same numbers.
 *
 * Each series (CCCAGG or one exchange's pair) has its own seed; the same asset's path is shared, so
 * CCCAGG and the exchanges agree on the price level but not on the exact values.
 *
 * Invariants of a closed row with trades: open = previous period's close (the first period opens at
 * the price of the listing instant); high >= max(open, close); low <= min(open, close); low > 0;
 * volumefrom > 0 and volumeto > 0. Quiet periods (no trades) and every period after a delisting
 * repeat the previous close with zero volumes. Periods before the listing are all-zero rows
 * (`conversionType` "direct", `conversionSymbol` ""). The period containing "now" is provisional:
 * it reflects the trades up to "now" only, and equals the closed row once "now" passes its last
 * trade.
 *
 * CCCAGG pairs available only through a conversion multiply their two legs (fsym-VIA × VIA-tsym)
 * row by row: `conversionType` "multiply", `conversionSymbol` VIA. Such a row keeps open = previous
 * close, but it moves with the second leg even in a period where the first leg did not trade (zero
 * volume).
 */
import { hashString, logPath, uniformAt, valueNoise } from '../../random';
import {
  centreUsd,
  findCoin,
  findExchange,
  isFiat,
  isStablecoin,
  type CccaggResolution,
  type SimPair,
} from './catalog';

export type HistoInterval = '1m' | '1h' | '1d';

export const INTERVAL_SECONDS: Readonly<Record<HistoInterval, number>> = { '1m': 60, '1h': 3_600, '1d': 86_400 };

/** One histo row exactly as served, keys in the served order. */
export interface HistoRow {
  time: number;
  high: number;
  low: number;
  open: number;
  volumefrom: number;
  volumeto: number;
  close: number;
  conversionType: string;
  conversionSymbol: string;
}

/** Row keys in the order the API serves them (api-wire-reference §2.1). */
export const HISTO_ROW_KEYS = [
  'time',
  'high',
  'low',
  'open',
  'volumefrom',
  'volumeto',
  'close',
  'conversionType',
  'conversionSymbol',
] as const;

/** The all-zero row served for periods without data (before the listing, beyond the minute depth). */
export function zeroRow(time: number): HistoRow {
  return {
    time,
    high: 0,
    low: 0,
    open: 0,
    volumefrom: 0,
    volumeto: 0,
    close: 0,
    conversionType: 'direct',
    conversionSymbol: '',
  };
}

/** True for an all-zero row. */
export function isZeroRow(r: HistoRow): boolean {
  return r.open === 0 && r.high === 0 && r.low === 0 && r.close === 0 && r.volumefrom === 0 && r.volumeto === 0;
}

// -------------------------------------------------------------------------------------------------
// Price paths

/** How much a symbol's USD price moves: USD not at all, stablecoins barely, fiat a little. */
function amplitude(symbol: string): number {
  if (symbol === 'USD') return 0;
  if (isStablecoin(symbol)) return 0.003;
  if (isFiat(symbol)) return 0.1;
  return 1;
}

const pathSeeds = new Map<string, number>();
function pathSeed(symbol: string): number {
  let seed = pathSeeds.get(symbol);
  if (seed === undefined) {
    seed = hashString(`min-api-path|${symbol}`);
    pathSeeds.set(symbol, seed);
  }
  return seed;
}

/** A symbol's USD price at Unix second t (unrounded; USD itself is 1). */
export function usdPriceAt(symbol: string, t: number): number {
  const a = amplitude(symbol);
  return centreUsd(symbol) * (a === 0 ? 1 : Math.exp(a * logPath(pathSeed(symbol), t)));
}

/** Decimal places for prices around `centre` (BTC-USD → 2, ETH-BTC → 8, SHIB-USD → 12). */
function priceDecimals(centre: number): number {
  return Math.min(12, Math.max(2, 6 - Math.floor(Math.log10(centre))));
}

function roundTo(x: number, decimals: number): number {
  const scale = 10 ** decimals;
  return Math.round(x * scale) / scale;
}

/** Volumes keep about 7 significant digits, at least 2 decimals (`103840.6`, `3244062170.09`). */
export function roundVolume(v: number): number {
  if (v <= 0) return 0;
  const decimals = Math.min(12, Math.max(2, 6 - Math.floor(Math.log10(v))));
  return Math.max(roundTo(v, decimals), 10 ** -decimals);
}

// -------------------------------------------------------------------------------------------------
// Series

/** What a series can serve: rows for aligned period starts, zero rows before its first period. */
export interface HistoSeries {
  readonly interval: HistoInterval;
  readonly periodSeconds: number;
  /** Start of the first period with data (the period containing the listing instant). */
  readonly firstStart: number;
  /**
   * Rows for every period start in [fromStart, toStart] (aligned, inclusive), ascending. Periods
   * before `firstStart` or before `zeroBefore` are zero rows; with `nowSeconds` inside a period
   * that period is provisional.
   */
  rows(fromStart: number, toStart: number, nowSeconds?: number, zeroBefore?: number): HistoRow[];
}

/** Parameters of one directly traded series. */
export interface SeriesSpec {
  /** Seed and identity, e.g. `Binance|BTC|USDT` or `CCCAGG|BTC|USD`. */
  readonly key: string;
  readonly fsym: string;
  readonly tsym: string;
  /** First trade (Unix seconds). */
  readonly start: number;
  /** Last trade of a delisted market; undefined while trading. */
  readonly end: number | undefined;
  /** Typical traded value per day, in USD. */
  readonly dailyVolumeUsd: number;
  /** Share of periods without trades, per interval. */
  readonly quietShare: Readonly<Record<HistoInterval, number>>;
}

/** Relative daily traded value of a coin across all markets (USD). */
function coinDailyUsd(symbol: string): number {
  const coin = findCoin(symbol);
  if (!coin) return 1e6;
  return coin.supply * coin.usd * coin.turnover;
}

/** The series spec of one exchange's pair. */
export function exchangeSeriesSpec(pair: SimPair): SeriesSpec {
  const activity = findExchange(pair.exchange)?.activity ?? 1;
  const liq = pair.liquidity;
  return {
    key: `${pair.exchange}|${pair.fsym}|${pair.tsym}`,
    fsym: pair.fsym,
    tsym: pair.tsym,
    start: pair.start,
    end: pair.end,
    dailyVolumeUsd: Math.max(20_000, (coinDailyUsd(pair.fsym) * activity * liq) / 15),
    quietShare: { '1m': 0.02 + 0.13 * (1 - liq), '1h': 0.01 * (1 - liq), '1d': 0 },
  };
}

/** The series spec of a direct CCCAGG pair. */
export function cccaggSeriesSpec(res: Extract<CccaggResolution, { kind: 'direct' }>): SeriesSpec {
  return {
    key: `CCCAGG|${res.fsym}|${res.tsym}`,
    fsym: res.fsym,
    tsym: res.tsym,
    start: res.start,
    end: res.end,
    dailyVolumeUsd: Math.max(100_000, coinDailyUsd(res.fsym) * 0.6 * Math.min(1, res.listings.length / 4)),
    quietShare: { '1m': 0.005, '1h': 0, '1d': 0 },
  };
}

// Salts naming the quantities drawn for one period.
const S_QUIET = 1;
const S_FIRST_OFF = 2;
const S_LAST_OFF = 3;
const S_HIGH_X = 4;
const S_LOW_X = 5;
const S_VOLUME = 6;

/** Largest relative excursion of high above / low below open and close. */
const EXCURSION: Readonly<Record<HistoInterval, number>> = { '1m': 0.0008, '1h': 0.004, '1d': 0.015 };

/** One directly traded series at one interval. Cheap to construct; holds no per-period state. */
export class DirectSeries implements HistoSeries {
  readonly interval: HistoInterval;
  readonly periodSeconds: number;
  readonly firstStart: number;
  readonly spec: SeriesSpec;
  readonly #startIdx: number;
  readonly #endIdx: number;
  readonly #seed: number;
  readonly #wiggleSeed: number;
  readonly #baseSeed: number;
  readonly #quoteSeed: number;
  readonly #baseAmp: number;
  readonly #quoteAmp: number;
  readonly #centre: number;
  readonly #decimals: number;
  readonly #tick: number;
  readonly #quoteUsd: number;

  constructor(spec: SeriesSpec, interval: HistoInterval) {
    this.spec = spec;
    this.interval = interval;
    const L = INTERVAL_SECONDS[interval];
    this.periodSeconds = L;
    this.#startIdx = Math.floor(spec.start / L);
    this.firstStart = this.#startIdx * L;
    this.#endIdx = spec.end === undefined ? Number.POSITIVE_INFINITY : Math.floor(spec.end / L);
    this.#seed = hashString(`min-api-series|${spec.key}|${interval}`);
    this.#wiggleSeed = hashString(`min-api-wiggle|${spec.key}`);
    this.#baseSeed = pathSeed(spec.fsym);
    this.#quoteSeed = pathSeed(spec.tsym);
    this.#baseAmp = amplitude(spec.fsym);
    this.#quoteAmp = amplitude(spec.tsym);
    this.#quoteUsd = centreUsd(spec.tsym);
    this.#centre = centreUsd(spec.fsym) / this.#quoteUsd;
    this.#decimals = priceDecimals(this.#centre);
    this.#tick = 10 ** -this.#decimals;
  }

  /** The continuous (unrounded) price at Unix second t. Always positive. */
  price(t: number): number {
    let x = this.#baseAmp === 0 ? 0 : this.#baseAmp * logPath(this.#baseSeed, t);
    if (this.#quoteAmp !== 0) x -= this.#quoteAmp * logPath(this.#quoteSeed, t);
    x += 0.0008 * valueNoise(this.#wiggleSeed, 99, t / 600);
    return this.#centre * Math.exp(x);
  }

  #round(p: number): number {
    return Math.max(this.#tick, roundTo(p, this.#decimals));
  }

  /** No trades in period idx (the first period always trades; every period after the delisting is quiet). */
  isQuiet(idx: number): boolean {
    if (idx <= this.#startIdx) return false;
    if (idx > this.#endIdx) return true;
    return uniformAt(this.#seed, idx, S_QUIET) < this.spec.quietShare[this.interval];
  }

  /** Offsets (seconds into the period) of the first and last trade of period idx. */
  #window(idx: number): readonly [number, number] {
    const L = this.periodSeconds;
    const s = idx * L;
    const isStart = idx === this.#startIdx;
    const isEnd = idx === this.#endIdx && this.spec.end !== undefined;
    let a = isStart ? this.spec.start - s : Math.floor(uniformAt(this.#seed, idx, S_FIRST_OFF) * L * 0.1);
    let b = isEnd ? (this.spec.end ?? s) - s : L - 1 - Math.floor(uniformAt(this.#seed, idx, S_LAST_OFF) * L * 0.1);
    if (isStart && !isEnd) b = Math.max(b, a);
    if (isEnd && !isStart) a = Math.min(a, b);
    if (b < a) b = a;
    return [a, b];
  }

  /** Final close of period idx (>= the first period); quiet periods repeat the last traded close. */
  closeOf(idx: number): number {
    let j = Math.min(idx, this.#endIdx);
    while (j > this.#startIdx && this.isQuiet(j)) j -= 1;
    const [, b] = this.#window(j);
    return this.#round(this.price(j * this.periodSeconds + b));
  }

  rows(fromStart: number, toStart: number, nowSeconds?: number, zeroBefore?: number): HistoRow[] {
    const L = this.periodSeconds;
    const from = Math.floor(fromStart / L);
    const to = Math.floor(toStart / L);
    const zeroIdx = Math.max(this.#startIdx, zeroBefore === undefined ? -Infinity : Math.ceil(zeroBefore / L));
    const out: HistoRow[] = [];
    let prevClose: number | undefined;
    for (let idx = from; idx <= to; idx++) {
      if (idx < zeroIdx) {
        out.push(zeroRow(idx * L));
        continue;
      }
      if (prevClose === undefined && idx > this.#startIdx) prevClose = this.closeOf(idx - 1);
      const row = this.#row(idx, prevClose, nowSeconds);
      out.push(row);
      prevClose = isZeroRow(row) ? undefined : row.close;
    }
    return out;
  }

  /** `prevClose` undefined only for the first period (it opens at the listing price). */
  #row(idx: number, prevClose: number | undefined, nowSeconds: number | undefined): HistoRow {
    const L = this.periodSeconds;
    const s = idx * L;
    const provisional = nowSeconds !== undefined && nowSeconds >= s && nowSeconds < s + L;
    const elapsed = provisional ? nowSeconds - s : L;
    const [a, b] = this.#window(idx);
    if (elapsed < a && idx === this.#startIdx) return zeroRow(s); // listed later in this very period
    const open = prevClose ?? this.#round(this.price(s + a));
    if (this.isQuiet(idx) || elapsed < a) return flat(s, open);

    const visible = Math.min(b, elapsed);
    const frac = (visible - a + 1) / (b - a + 1);
    const close = this.#round(this.price(s + visible));
    const ex = EXCURSION[this.interval];
    const xh = ex * uniformAt(this.#seed, idx, S_HIGH_X) ** 2;
    const xl = ex * uniformAt(this.#seed, idx, S_LOW_X) ** 2;
    const high = this.#round(Math.max(open, close) * (1 + xh * frac));
    const low = Math.min(this.#round(Math.min(open, close) * (1 - xl * frac)), open, close);
    const quoteVolume =
      ((this.spec.dailyVolumeUsd * L) / 86_400 / this.#quoteUsd) *
      (0.3 + 1.4 * uniformAt(this.#seed, idx, S_VOLUME)) *
      frac;
    const vwap = (open + high + low + close) / 4;
    return {
      time: s,
      high,
      low,
      open,
      volumefrom: roundVolume(quoteVolume / vwap),
      volumeto: roundVolume(quoteVolume),
      close,
      conversionType: 'direct',
      conversionSymbol: '',
    };
  }
}

function flat(time: number, price: number): HistoRow {
  return {
    time,
    high: price,
    low: price,
    open: price,
    volumefrom: 0,
    volumeto: 0,
    close: price,
    conversionType: 'direct',
    conversionSymbol: '',
  };
}

/**
 * A CCCAGG pair served through an intermediate: fsym-VIA × VIA-tsym, row by row. Prices are the
 * products of the legs' prices rounded to the pair's grid (so open = previous close still holds);
 * volumefrom is the first leg's, volumeto the first leg's quote volume converted at the second leg's
 * close.
 */
export class ConversionSeries implements HistoSeries {
  readonly interval: HistoInterval;
  readonly periodSeconds: number;
  readonly firstStart: number;
  readonly via: string;
  readonly #first: HistoSeries;
  readonly #second: HistoSeries;
  readonly #decimals: number;

  constructor(fsym: string, tsym: string, via: string, first: HistoSeries, second: HistoSeries) {
    this.interval = first.interval;
    this.periodSeconds = first.periodSeconds;
    this.firstStart = Math.max(first.firstStart, second.firstStart);
    this.via = via;
    this.#first = first;
    this.#second = second;
    this.#decimals = priceDecimals(centreUsd(fsym) / centreUsd(tsym));
  }

  rows(fromStart: number, toStart: number, nowSeconds?: number, zeroBefore?: number): HistoRow[] {
    const a = this.#first.rows(fromStart, toStart, nowSeconds, zeroBefore);
    const b = this.#second.rows(fromStart, toStart, nowSeconds, zeroBefore);
    const d = this.#decimals;
    const tick = 10 ** -d;
    const p = (x: number): number => Math.max(tick, roundTo(x, d));
    return a.map((r1, i) => {
      const r2 = b[i];
      if (!r2 || isZeroRow(r1) || isZeroRow(r2)) return zeroRow(r1.time);
      const open = p(r1.open * r2.open);
      const close = p(r1.close * r2.close);
      return {
        time: r1.time,
        high: Math.max(p(r1.high * r2.high), open, close),
        low: Math.min(p(r1.low * r2.low), open, close),
        open,
        volumefrom: r1.volumefrom,
        volumeto: r1.volumefrom === 0 ? 0 : roundVolume(r1.volumeto * r2.close),
        close,
        conversionType: 'multiply',
        conversionSymbol: this.via,
      };
    });
  }
}
