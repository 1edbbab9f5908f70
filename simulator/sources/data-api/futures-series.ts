/**
 * Deterministic synthetic futures series for the Data API simulator: trade candles (the spot
 * machinery on a per-contract price path, plus NUMBER_OF_CONTRACTS), open interest and funding
 * rates. Pure functions of (market, contract, interval, period index, t), O(1) per period.
 *
 * Open interest and funding rates are "message" series: a period with updates has a handful of
 * representative messages (the first, the last and two in between, at hashed offsets) whose
 * values come from continuous paths; every OHLC/message field is an aggregate over those messages
 * (OHLC also over OPEN), and TOTAL_*_UPDATES is a count at least as large as the messages shown.
 * OPEN is the previous period's CLOSE (the first period opens at its first message). Periods
 * without updates (~4-5% of minutes, a few hours in a thousand, no days) are flat at the previous
 * close with a zero count. The period containing "now" only reflects the messages up to "now".
 */
import { hashString, logPath, uniformAt, valueNoise } from '../../random';
import { simAsset, type SimInstrument } from './catalog';
import { futuresMarketActivity, type FuturesInstrument } from './futures-catalog';
import { INTERVAL_SECONDS, SpotSeries, type SimCandle, type SimInterval } from './series';

/** Rounds to `digits` significant digits (at most 12 decimals). */
export function roundSig(x: number, digits: number): number {
  if (x === 0 || !Number.isFinite(x)) return x;
  const decimals = Math.min(12, Math.max(0, digits - 1 - Math.floor(Math.log10(Math.abs(x)))));
  const f = 10 ** decimals;
  return Math.round(x * f) / f;
}

/** The contract as a spot-series instrument (its own seeds: `market|mapped` differ from any spot pair). */
function asSeriesInstrument(inst: FuturesInstrument, listedAt: number): SimInstrument {
  return {
    market: inst.market,
    mapped: inst.mapped,
    native: inst.native,
    base: inst.underlying,
    quote: inst.quote,
    baseId: inst.underlyingId,
    quoteId: inst.quoteId,
    listedAt,
    runtime: inst.runtime,
  };
}

// -------------------------------------------------------------------------------------------------
// Trade candles

/** A contract's trade series: spot candles on the contract's own path, plus NUMBER_OF_CONTRACTS (`contracts`). */
export class FuturesTradeSeries {
  readonly series: SpotSeries;
  readonly #inst: FuturesInstrument;

  constructor(inst: FuturesInstrument, interval: SimInterval) {
    this.#inst = inst;
    this.series = new SpotSeries(asSeriesInstrument(inst, inst.listedAt), interval);
  }

  get firstStart(): number {
    return this.series.firstStart;
  }

  /**
   * [inferred] Contracts traded: VOLUME / contract size for VANILLA (size in the underlying),
   * QUOTE_VOLUME / contract size for INVERSE (size in USD), rounded.
   */
  contracts(c: SimCandle): number {
    if (c.filler) return 0;
    const size = this.#inst.contractSize;
    return Math.round((this.#inst.denomination === 'INVERSE' ? c.quoteVolume : c.volume) / size);
  }

  candles(from: number, to: number, nowSeconds?: number): SimCandle[] {
    return this.series.candles(from, to, nowSeconds);
  }
}

// -------------------------------------------------------------------------------------------------
// Message series (open interest, funding rates)

const S_FILLER = 1;
const S_FIRST_OFF = 2;
const S_LAST_OFF = 3;
const S_COUNT = 4;
const S_INTERIOR = 10; // 10..13
const INTERIOR_MESSAGES = 2;

export interface MessagePoint<V> {
  /** Unix second of the message. */
  readonly t: number;
  readonly v: V;
}

export interface MessagePeriod<V> {
  /** Period start. */
  readonly timestamp: number;
  /** No updates in the period (so far, for the open period). */
  readonly filler: boolean;
  readonly provisional: boolean;
  /** The previous period's close (the first message's value for the first period). */
  readonly open: V;
  /** Representative messages in time order (empty on filler periods). */
  readonly points: ReadonlyArray<MessagePoint<V>>;
  /** TOTAL_*_UPDATES. */
  readonly updates: number;
}

abstract class MessageSeries<V> {
  readonly interval: SimInterval;
  readonly periodSeconds: number;
  /** Start of the first period with updates. */
  readonly firstStart: number;
  readonly #firstIdx: number;
  readonly #seed: number;
  readonly #fillerShare: number;
  readonly #updatesPerMinute: number;

  protected constructor(
    seedKey: string,
    firstAt: number,
    interval: SimInterval,
    fillerShare: Readonly<Record<SimInterval, number>>,
    updatesPerMinute: number,
  ) {
    this.interval = interval;
    this.periodSeconds = INTERVAL_SECONDS[interval];
    this.#firstIdx = Math.floor(firstAt / this.periodSeconds);
    this.firstStart = this.#firstIdx * this.periodSeconds;
    this.#seed = hashString(`${seedKey}|${interval}`);
    this.#fillerShare = fillerShare[interval];
    this.#updatesPerMinute = updatesPerMinute;
  }

  /** The value of the underlying path at Unix second t (already rounded as served). */
  protected abstract valueAt(t: number): V;

  /** Whether period `idx` has no updates. The first period always has some. */
  isFiller(idx: number): boolean {
    return idx > this.#firstIdx && uniformAt(this.#seed, idx, S_FILLER) < this.#fillerShare;
  }

  #firstOff(idx: number): number {
    return Math.floor(uniformAt(this.#seed, idx, S_FIRST_OFF) * this.periodSeconds * 0.1);
  }

  #lastOff(idx: number): number {
    return this.periodSeconds - 1 - Math.floor(uniformAt(this.#seed, idx, S_LAST_OFF) * this.periodSeconds * 0.1);
  }

  /** Sorted, distinct message offsets of period `idx`: first, interior ones, last. */
  #offsets(idx: number): number[] {
    const first = this.#firstOff(idx);
    const last = this.#lastOff(idx);
    const span = last - first + 1;
    const all = [first, last];
    for (let k = 0; k < INTERIOR_MESSAGES; k++) {
      all.push(first + Math.floor(uniformAt(this.#seed, idx, S_INTERIOR + k) * span));
    }
    return [...new Set(all)].sort((a, b) => a - b);
  }

  /** Value of the last message of the latest period with updates at or before `idx`. */
  closeOf(idx: number): V {
    let j = idx;
    while (j > this.#firstIdx && this.isFiller(j)) j -= 1;
    return this.valueAt(j * this.periodSeconds + this.#lastOff(j));
  }

  /** Periods for every start in [fromStart, toStart] (aligned, inclusive, clamped to the first), ascending. */
  periods(fromStart: number, toStart: number, nowSeconds?: number): MessagePeriod<V>[] {
    const L = this.periodSeconds;
    const from = Math.max(Math.floor(fromStart / L), this.#firstIdx);
    const to = Math.floor(toStart / L);
    const out: MessagePeriod<V>[] = [];
    let prevClose = from > this.#firstIdx ? this.closeOf(from - 1) : undefined;
    for (let idx = from; idx <= to; idx++) {
      const p = this.#period(idx, prevClose, nowSeconds);
      out.push(p);
      const last = p.points.at(-1);
      prevClose = last ? last.v : p.open;
    }
    return out;
  }

  #period(idx: number, prevClose: V | undefined, nowSeconds: number | undefined): MessagePeriod<V> {
    const L = this.periodSeconds;
    const s = idx * L;
    const provisional = nowSeconds !== undefined && nowSeconds >= s && nowSeconds < s + L;
    const elapsed = provisional ? nowSeconds - s : L;
    const offsets = this.#offsets(idx);
    const firstOff = offsets[0] ?? 0;
    const open = prevClose ?? this.valueAt(s + firstOff);
    if (this.isFiller(idx) || elapsed < firstOff) {
      return { timestamp: s, filler: true, provisional, open, points: [], updates: 0 };
    }
    const visible = offsets.filter((o) => o <= elapsed);
    const lastOff = this.#lastOff(idx);
    const frac = (Math.min(lastOff, elapsed) - firstOff + 1) / (lastOff - firstOff + 1);
    const full = Math.max(
      offsets.length,
      Math.round(this.#updatesPerMinute * (L / 60) * (0.5 + uniformAt(this.#seed, idx, S_COUNT))),
    );
    return {
      timestamp: s,
      filler: false,
      provisional,
      open,
      points: visible.map((o) => ({ t: s + o, v: this.valueAt(s + o) })),
      updates: Math.max(visible.length, Math.round(full * frac)),
    };
  }

  /** Unix second of the last update at or before t (undefined when none yet). */
  lastMessageAtOrBefore(t: number): number | undefined {
    const L = this.periodSeconds;
    let idx = Math.floor(t / L);
    if (idx < this.#firstIdx) return undefined;
    if (!this.isFiller(idx)) {
      const elapsed = t - idx * L;
      const visible = this.#offsets(idx).filter((o) => o <= elapsed);
      const last = visible.at(-1);
      if (last !== undefined) return idx * L + last;
    }
    for (idx -= 1; idx >= this.#firstIdx; idx--) if (!this.isFiller(idx)) return idx * L + this.#lastOff(idx);
    return undefined;
  }

  /** Closed-form estimate of the updates in [from, to) (not the sum of the served rows). */
  estimatedUpdates(from: number, to: number): number {
    const start = Math.max(from, this.firstStart);
    if (to <= start) return 0;
    return Math.round(this.#updatesPerMinute * ((to - start) / 60) * (1 - this.#fillerShare));
  }
}

// -------------------------------------------------------------------------------------------------
// Open interest

/** Octaves of the open-interest level path: [period in seconds, amplitude] (smoother than prices). */
const OI_OCTAVES: ReadonlyArray<readonly [number, number]> = [
  [7_776_000, 0.5],
  [1_209_600, 0.3],
  [172_800, 0.12],
  [21_600, 0.05],
  [3_600, 0.02],
  [300, 0.006],
];

function oiLevelPath(seed: number, t: number): number {
  let x = 0;
  let salt = 0;
  for (const [period, amplitude] of OI_OCTAVES) x += amplitude * valueNoise(seed, salt++, t / period);
  return x;
}

/** One open-interest observation: OI in settlement units, the mark price, and their product (quote value). */
export interface OpenInterestValue {
  readonly settlement: number;
  readonly markPrice: number;
  readonly quote: number;
}

const OI_FILLER_SHARE: Readonly<Record<SimInterval, number>> = { '1m': 0.04, '1h': 0.002, '1d': 0 };
const FR_FILLER_SHARE: Readonly<Record<SimInterval, number>> = { '1m': 0.05, '1h': 0.003, '1d': 0 };

function underlyingWeight(symbol: string): number {
  return symbol === 'BTC' ? 4 : symbol === 'ETH' ? 3 : 1;
}

export class OpenInterestSeries extends MessageSeries<OpenInterestValue> {
  readonly #mark: SpotSeries;
  readonly #levelSeed: number;
  readonly #level: number;

  constructor(inst: FuturesInstrument, interval: SimInterval) {
    if (inst.openInterestFrom === null) throw new Error(`${inst.market} ${inst.mapped} has no open interest`);
    const key = `oi|${inst.market}|${inst.mapped}`;
    const seed = hashString(key);
    super(key, inst.openInterestFrom, interval, OI_FILLER_SHARE, 1 + 7 * uniformAt(seed, 0, 201));
    // The mark price follows the contract's trade path.
    this.#mark = new SpotSeries(asSeriesInstrument(inst, inst.listedAt), '1m');
    this.#levelSeed = hashString(`oi-level|${inst.market}|${inst.mapped}`);
    const usd =
      4e8 *
      underlyingWeight(inst.underlying) *
      futuresMarketActivity(inst.market) *
      (0.4 + 1.2 * uniformAt(seed, 0, 202));
    this.#level = usd / (simAsset(inst.underlying).usd / simAsset(inst.quote).usd);
  }

  protected valueAt(t: number): OpenInterestValue {
    const settlement = roundSig(this.#level * Math.exp(0.4 * oiLevelPath(this.#levelSeed, t)), 8);
    const markPrice = roundSig(this.#mark.price(t), 8);
    return { settlement, markPrice, quote: roundSig(settlement * markPrice, 12) };
  }
}

// -------------------------------------------------------------------------------------------------
// Funding rates

export class FundingRateSeries extends MessageSeries<number> {
  readonly #seed: number;
  readonly #base: number;

  constructor(inst: FuturesInstrument, interval: SimInterval) {
    if (inst.fundingFrom === null || inst.fundingIntervalMs === null) {
      throw new Error(`${inst.market} ${inst.mapped} has no funding rate`);
    }
    const key = `funding|${inst.market}|${inst.mapped}`;
    const seed = hashString(key);
    super(key, inst.fundingFrom, interval, FR_FILLER_SHARE, 0.5 + 4 * uniformAt(seed, 0, 301));
    this.#seed = hashString(`funding-path|${inst.market}|${inst.mapped}`);
    // 0.01% per 8 hours, scaled to the funding interval.
    this.#base = 0.0001 * (inst.fundingIntervalMs / 28_800_000);
  }

  /** A small signed fraction per funding interval; negative when the path dips (about a quarter of the time). */
  protected valueAt(t: number): number {
    return Math.round(this.#base * (1 + 3 * logPath(this.#seed, t)) * 1e10) / 1e10;
  }
}
