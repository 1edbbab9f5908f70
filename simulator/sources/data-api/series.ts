/**
 * Deterministic synthetic spot OHLCV series for the Data API simulator. Pure functions: every value
 * of a period is derived from hashes of (market, instrument, interval, period index), and prices from
 * continuous per-asset price paths P(t) (multi-octave value noise, random-access in t), so any candle
 * costs O(1) to compute and the same inputs always give the same numbers.
 *
 * Invariants of a closed candle: OPEN = previous period's CLOSE (the first period opens at its first
 * trade); HIGH >= max(OPEN, CLOSE); LOW <= min(OPEN, CLOSE); trade timestamps inside the period;
 * TOTAL_TRADES = BUY + SELL + UNKNOWN; volumes non-negative. Filler periods (no trades: ~3% of
 * minutes, ~1% of hours, no days) are flat at the previous close with zero counts and volumes.
 *
 * The period containing "now" is provisional: it only reflects the trades up to "now", so its values
 * change while the clock moves and equal the closed candle once "now" passes its last trade.
 */
import { hashString, logPath, uniformAt, valueNoise } from '../../random';
import { marketActivity, simAsset, type SimInstrument } from './catalog';

export type SimInterval = '1m' | '1h' | '1d';

export const INTERVAL_SECONDS: Readonly<Record<SimInterval, number>> = { '1m': 60, '1h': 3_600, '1d': 86_400 };

/** Share of periods without trades. */
const FILLER_SHARE: Readonly<Record<SimInterval, number>> = { '1m': 0.03, '1h': 0.01, '1d': 0 };

/** Largest relative excursion of HIGH above / LOW below the open/first/close prices. */
const EXCURSION: Readonly<Record<SimInterval, number>> = { '1m': 0.0008, '1h': 0.004, '1d': 0.015 };

// Salts naming the quantities drawn for one period.
const S_FILLER = 1;
const S_FIRST_OFF = 2;
const S_LAST_OFF = 3;
const S_HIGH_OFF = 4;
const S_LOW_OFF = 5;
const S_HIGH_X = 6;
const S_LOW_X = 7;
const S_TRADES = 8;
const S_BUY = 9;
const S_VOLUME = 10;

export interface SimTrades {
  readonly firstTradeTimestamp: number;
  readonly lastTradeTimestamp: number;
  readonly firstTradePrice: number;
  readonly highTradePrice: number;
  readonly highTradeTimestamp: number;
  readonly lowTradePrice: number;
  readonly lowTradeTimestamp: number;
  readonly lastTradePrice: number;
}

export interface SimCandle {
  /** Period start, Unix seconds. */
  readonly timestamp: number;
  /** No trades in the period (so far, for the open period). */
  readonly filler: boolean;
  /** True for the period that contains "now". */
  readonly provisional: boolean;
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
  /** Absent on filler rows. */
  readonly trades: SimTrades | undefined;
  readonly totalTrades: number;
  readonly totalTradesBuy: number;
  readonly totalTradesSell: number;
  readonly totalTradesUnknown: number;
  readonly volume: number;
  readonly quoteVolume: number;
  readonly volumeBuy: number;
  readonly quoteVolumeBuy: number;
  readonly volumeSell: number;
  readonly quoteVolumeSell: number;
  readonly volumeUnknown: number;
  readonly quoteVolumeUnknown: number;
}

function round8(x: number): number {
  return Math.round(x * 1e8) / 1e8;
}

const STABLECOINS = new Set(['USDT', 'USDC', 'BUSD', 'DAI', 'TUSD']);

/** How much an asset's USD price moves: USD not at all, stablecoins barely, fiat a little. */
function assetAmplitude(symbol: string): number {
  if (symbol === 'USD') return 0;
  if (STABLECOINS.has(symbol)) return 0.003;
  if (symbol === 'EUR' || symbol === 'GBP') return 0.1;
  return 1;
}

/**
 * An asset's synthetic USD price at Unix second t (unrounded): the same path every `X-USD` spot
 * series follows (minus its small market-specific wiggle). Used for the asset top list and metadata.
 */
export function assetUsdPrice(symbol: string, t: number): number {
  const amplitude = assetAmplitude(symbol);
  const x = amplitude === 0 ? 0 : amplitude * logPath(hashString(`asset-path|${symbol}`), t);
  return simAsset(symbol).usd * Math.exp(x);
}

/** One instrument's series at one interval. Cheap to construct; holds no per-period state. */
export class SpotSeries {
  readonly interval: SimInterval;
  /** Period length in seconds. */
  readonly periodSeconds: number;
  /** Start of the first period with trades (the period containing the listing instant). */
  readonly firstStart: number;
  readonly #firstIdx: number;
  readonly #baseSeed: number;
  readonly #quoteSeed: number;
  readonly #baseAmplitude: number;
  readonly #quoteAmplitude: number;
  readonly #marketSeed: number;
  readonly #seriesSeed: number;
  readonly #basePrice: number;
  readonly #scale: number;
  readonly #tick: number;
  readonly #tradesPerMinute: number;
  readonly #avgTradeUsd: number;
  readonly #quoteUsd: number;

  constructor(instrument: SimInstrument, interval: SimInterval) {
    this.interval = interval;
    this.periodSeconds = INTERVAL_SECONDS[interval];
    this.#firstIdx = Math.floor(instrument.listedAt / this.periodSeconds);
    this.firstStart = this.#firstIdx * this.periodSeconds;
    this.#baseSeed = hashString(`asset-path|${instrument.base}`);
    this.#quoteSeed = hashString(`asset-path|${instrument.quote}`);
    this.#baseAmplitude = assetAmplitude(instrument.base);
    this.#quoteAmplitude = assetAmplitude(instrument.quote);
    this.#marketSeed = hashString(`market-pair|${instrument.market}|${instrument.mapped}`);
    this.#seriesSeed = hashString(`series|${instrument.market}|${instrument.mapped}|${interval}`);
    const base = simAsset(instrument.base);
    const quote = simAsset(instrument.quote);
    this.#quoteUsd = quote.usd;
    this.#basePrice = base.usd / quote.usd;
    const decimals = Math.min(16, Math.max(0, 5 - Math.floor(Math.log10(this.#basePrice))));
    this.#scale = 10 ** decimals;
    this.#tick = 1 / this.#scale;
    const weight = instrument.base === 'BTC' ? 4 : instrument.base === 'ETH' ? 3 : 1;
    const u = uniformAt(this.#marketSeed, 0, 101);
    this.#tradesPerMinute = Math.max(0.5, 10 ** (0.3 + 1.7 * u) * weight * marketActivity(instrument.market));
    this.#avgTradeUsd = 100 + 1_900 * uniformAt(this.#marketSeed, 0, 102);
  }

  /**
   * The continuous price path (unrounded) at Unix second t. Always positive. It is the base asset's
   * USD path over the quote asset's USD path, plus a small market-specific wiggle, so the same pair
   * agrees across markets and cross pairs (ETH-BTC) agree with their USD legs.
   */
  price(t: number): number {
    let x = this.#baseAmplitude === 0 ? 0 : this.#baseAmplitude * logPath(this.#baseSeed, t);
    if (this.#quoteAmplitude !== 0) x -= this.#quoteAmplitude * logPath(this.#quoteSeed, t);
    x += 0.0008 * valueNoise(this.#marketSeed, 99, t / 600);
    return this.#basePrice * Math.exp(x);
  }

  #round(price: number): number {
    return Math.max(this.#tick, Math.round(price * this.#scale) / this.#scale);
  }

  /** Whether period `idx` (start / periodSeconds) has no trades. The first period always trades. */
  isFiller(idx: number): boolean {
    return idx > this.#firstIdx && uniformAt(this.#seriesSeed, idx, S_FILLER) < FILLER_SHARE[this.interval];
  }

  /**
   * Timestamp of the last trade at or before Unix second t (undefined when none yet): what the
   * provisional candle containing t reports as LAST_TRADE_TIMESTAMP, else the last trade of the
   * latest earlier period with trades.
   */
  lastTradeAtOrBefore(t: number): number | undefined {
    const L = this.periodSeconds;
    let idx = Math.floor(t / L);
    if (idx < this.#firstIdx) return undefined;
    if (!this.isFiller(idx)) {
      const elapsed = t - idx * L;
      if (elapsed >= this.#firstOff(idx)) return idx * L + Math.min(this.#lastOff(idx), elapsed);
    }
    for (idx -= 1; idx >= this.#firstIdx; idx--) if (!this.isFiller(idx)) return idx * L + this.#lastOff(idx);
    return undefined;
  }

  /**
   * A closed-form estimate of the number of trades in [from, to) (not the sum of the served rows,
   * which would cost O(periods)): the series' mean trade rate times the traded share of the time.
   */
  estimatedTrades(from: number, to: number): number {
    const start = Math.max(from, this.firstStart);
    if (to <= start) return 0;
    return Math.round(this.#tradesPerMinute * ((to - start) / 60) * (1 - FILLER_SHARE[this.interval]));
  }

  #firstOff(idx: number): number {
    return Math.floor(uniformAt(this.#seriesSeed, idx, S_FIRST_OFF) * this.periodSeconds * 0.1);
  }

  #lastOff(idx: number): number {
    return this.periodSeconds - 1 - Math.floor(uniformAt(this.#seriesSeed, idx, S_LAST_OFF) * this.periodSeconds * 0.1);
  }

  /** Final CLOSE of period `idx` (a filler repeats the close of the last period with trades). */
  closeOf(idx: number): number {
    let j = idx;
    while (j > this.#firstIdx && this.isFiller(j)) j -= 1;
    return this.#round(this.price(j * this.periodSeconds + this.#lastOff(j)));
  }

  /**
   * The candle starting at `periodStart` (must be >= firstStart and aligned). With `nowSeconds`
   * inside that period the candle is provisional (trades up to `nowSeconds` only); otherwise final.
   */
  candle(periodStart: number, nowSeconds?: number): SimCandle {
    const idx = Math.floor(periodStart / this.periodSeconds);
    const open = idx > this.#firstIdx ? this.closeOf(idx - 1) : undefined;
    return this.#candle(idx, open, nowSeconds);
  }

  /** Candles for every period start in [fromStart, toStart] (both aligned, inclusive), ascending. */
  candles(fromStart: number, toStart: number, nowSeconds?: number): SimCandle[] {
    const L = this.periodSeconds;
    const from = Math.max(Math.floor(fromStart / L), this.#firstIdx);
    const to = Math.floor(toStart / L);
    const out: SimCandle[] = [];
    let prevClose = from > this.#firstIdx ? this.closeOf(from - 1) : undefined;
    for (let idx = from; idx <= to; idx++) {
      const c = this.#candle(idx, prevClose, nowSeconds);
      out.push(c);
      prevClose = c.close;
    }
    return out;
  }

  /** `open` undefined = first period (opens at its first trade). */
  #candle(idx: number, prevClose: number | undefined, nowSeconds: number | undefined): SimCandle {
    const L = this.periodSeconds;
    const s = idx * L;
    const seed = this.#seriesSeed;
    const provisional = nowSeconds !== undefined && nowSeconds >= s && nowSeconds < s + L;
    const elapsed = provisional ? nowSeconds - s : L;
    const firstOff = this.#firstOff(idx);
    const firstPrice = this.#round(this.price(s + firstOff));
    const open = prevClose ?? firstPrice;

    if (this.isFiller(idx) || elapsed < firstOff) return flat(s, open, provisional);

    const lastOff = this.#lastOff(idx);
    const lastVisible = Math.min(lastOff, elapsed);
    const frac = (lastVisible - firstOff + 1) / (lastOff - firstOff + 1);
    const close = this.#round(this.price(s + lastVisible));
    const span = lastOff - firstOff + 1;
    const highOff = firstOff + Math.floor(uniformAt(seed, idx, S_HIGH_OFF) * span);
    const lowOff = firstOff + Math.floor(uniformAt(seed, idx, S_LOW_OFF) * span);
    const ex = EXCURSION[this.interval];
    const xh = ex * uniformAt(seed, idx, S_HIGH_X) ** 2;
    const xl = ex * uniformAt(seed, idx, S_LOW_X) ** 2;
    const high = this.#round(Math.max(open, firstPrice, close) * (1 + xh * frac));
    const low = Math.min(this.#round(Math.min(open, firstPrice, close) * (1 - xl * frac)), open, firstPrice, close);

    const tradesFull = Math.max(
      3,
      Math.round(this.#tradesPerMinute * (L / 60) * (0.4 + 1.2 * uniformAt(seed, idx, S_TRADES))),
    );
    const buyFull = Math.round(tradesFull * (0.35 + 0.3 * uniformAt(seed, idx, S_BUY)));
    const totalTrades = Math.max(1, Math.round(tradesFull * frac));
    const totalTradesBuy = Math.min(totalTrades, Math.round(buyFull * frac));
    const totalTradesSell = totalTrades - totalTradesBuy;

    const usdVolume = tradesFull * this.#avgTradeUsd * (0.6 + 0.8 * uniformAt(seed, idx, S_VOLUME)) * frac;
    const vwap = (open + high + low + close) / 4;
    const volume = Math.max(1e-8, round8(usdVolume / this.#quoteUsd / vwap));
    const volumeBuy = round8((volume * totalTradesBuy) / totalTrades);
    const volumeSell = Math.max(0, round8(volume - volumeBuy));

    return {
      timestamp: s,
      filler: false,
      provisional,
      open,
      high,
      low,
      close,
      trades: {
        firstTradeTimestamp: s + firstOff,
        lastTradeTimestamp: s + lastVisible,
        firstTradePrice: firstPrice,
        highTradePrice: high,
        highTradeTimestamp: s + Math.min(highOff, lastVisible),
        lowTradePrice: low,
        lowTradeTimestamp: s + Math.min(lowOff, lastVisible),
        lastTradePrice: close,
      },
      totalTrades,
      totalTradesBuy,
      totalTradesSell,
      totalTradesUnknown: 0,
      volume,
      quoteVolume: round8(volume * vwap),
      volumeBuy,
      quoteVolumeBuy: round8(volumeBuy * vwap),
      volumeSell,
      quoteVolumeSell: round8(volumeSell * vwap),
      volumeUnknown: 0,
      quoteVolumeUnknown: 0,
    };
  }
}

function flat(timestamp: number, price: number, provisional: boolean): SimCandle {
  return {
    timestamp,
    filler: true,
    provisional,
    open: price,
    high: price,
    low: price,
    close: price,
    trades: undefined,
    totalTrades: 0,
    totalTradesBuy: 0,
    totalTradesSell: 0,
    totalTradesUnknown: 0,
    volume: 0,
    quoteVolume: 0,
    volumeBuy: 0,
    quoteVolumeBuy: 0,
    volumeSell: 0,
    quoteVolumeSell: 0,
    volumeUnknown: 0,
    quoteVolumeUnknown: 0,
  };
}
