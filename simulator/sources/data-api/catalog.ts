/**
 * The simulated Data API universe: markets, assets and, per market, a deterministic list of spot
 * instruments with their exchange-native ids and listing dates. Everything is derived from fixed
 * tables plus hashes, so every process sees the same universe; instruments can also be listed at
 * runtime (control API) to simulate "the exchange starts listing a new pair".
 */
import { hashString, unit } from '../../random';
import { InstrumentRegistry } from './registry';

const DAY = 86_400;

/** Markets the simulator integrates (lowercase, as the real API spells them). */
export const SIM_MARKETS = ['kraken', 'coinbase', 'binance', 'bitstamp', 'bitfinex', 'okex', 'bybit'] as const;
export type SimMarket = (typeof SIM_MARKETS)[number];

export interface SimAsset {
  readonly symbol: string;
  /** Data API asset id (BTC=1, USD=5, USDT=7 as on the real API; others invented). */
  readonly id: number;
  /** Rough USD price, the centre of the synthetic price series. */
  readonly usd: number;
  /** Earliest day (Unix seconds) any market may list it. */
  readonly launch: number;
}

function utcDay(iso: string): number {
  return Date.parse(`${iso}T00:00:00Z`) / 1000;
}

// symbol, id, usd, launch
const ASSET_TABLE: ReadonlyArray<readonly [string, number, number, string]> = [
  ['BTC', 1, 30_000, '2010-07-17'],
  ['ETH', 2, 2_000, '2015-08-07'],
  ['LTC', 3, 80, '2011-10-13'],
  ['XRP', 4, 0.5, '2013-08-04'],
  ['USD', 5, 1, '2010-01-01'],
  ['EUR', 6, 1.08, '2010-01-01'],
  ['USDT', 7, 1, '2015-02-25'],
  ['USDC', 8, 1, '2018-09-26'],
  ['BCH', 9, 250, '2017-08-01'],
  ['ADA', 10, 0.4, '2017-10-01'],
  ['SOL', 11, 60, '2020-04-10'],
  ['DOT', 12, 6, '2020-08-19'],
  ['DOGE', 13, 0.08, '2013-12-15'],
  ['LINK', 14, 7, '2017-09-20'],
  ['XLM', 15, 0.11, '2014-08-05'],
  ['UNI', 16, 5, '2020-09-17'],
  ['AVAX', 17, 15, '2020-09-22'],
  ['MATIC', 18, 0.7, '2019-04-28'],
  ['ATOM', 19, 9, '2019-03-14'],
  ['ETC', 20, 18, '2016-07-24'],
  ['TRX', 21, 0.08, '2017-09-13'],
  ['XMR', 22, 150, '2014-05-21'],
  ['EOS', 23, 0.8, '2017-07-01'],
  ['XTZ', 24, 0.9, '2018-07-02'],
  ['ALGO', 25, 0.15, '2019-06-20'],
  ['FIL', 26, 4, '2020-10-15'],
  ['AAVE', 27, 70, '2020-10-02'],
  ['COMP', 28, 50, '2020-06-16'],
  ['MKR', 29, 1_200, '2017-12-19'],
  ['SNX', 30, 2.5, '2018-03-12'],
  ['YFI', 31, 6_000, '2020-07-18'],
  ['SUSHI', 32, 1, '2020-09-01'],
  ['BAT', 33, 0.2, '2017-06-01'],
  ['ZEC', 34, 30, '2016-10-28'],
  ['DASH', 35, 30, '2014-02-03'],
  ['NEO', 36, 10, '2016-09-09'],
  ['MANA', 37, 0.4, '2017-09-17'],
  ['SAND', 38, 0.45, '2020-08-14'],
  ['GRT', 39, 0.12, '2020-12-17'],
  ['CRV', 40, 0.6, '2020-08-14'],
  ['NEAR', 41, 1.5, '2020-10-13'],
  ['APE', 42, 2, '2022-03-17'],
  ['SHIB', 43, 0.000008, '2021-05-10'],
  ['ARB', 44, 1.1, '2023-03-23'],
  ['OP', 45, 1.5, '2022-06-01'],
  ['LDO', 46, 2, '2021-01-05'],
  ['FTM', 47, 0.3, '2019-06-15'],
  ['ICP', 48, 4, '2021-05-10'],
  ['HBAR', 49, 0.06, '2019-09-17'],
  ['VET', 50, 0.02, '2018-07-30'],
  ['QNT', 51, 100, '2018-08-10'],
  ['EGLD', 52, 35, '2020-09-03'],
  ['THETA', 53, 0.8, '2018-01-17'],
  ['RUNE', 54, 1.5, '2019-07-23'],
];

const ASSETS = new Map<string, SimAsset>(
  ASSET_TABLE.map(([symbol, id, usd, launch]) => [symbol, { symbol, id, usd, launch: utcDay(launch) }]),
);

/**
 * Assets the simulator knows (prices, top list, futures) but that the generated spot catalogue does not
 * list: adding them to ASSET_TABLE would add instruments to every market. Some only trade as the
 * RETIRED instruments below.
 */
const EXTRA_ASSET_TABLE: ReadonlyArray<readonly [string, number, number, string]> = [
  ['BNB', 56, 300, '2017-07-25'],
  ['LUNA', 57, 40, '2019-04-24'],
  ['FTT', 58, 20, '2019-07-29'],
  ['UST', 59, 1, '2020-09-21'],
];

const EXTRA_ASSETS = new Map<string, SimAsset>(
  EXTRA_ASSET_TABLE.map(([symbol, id, usd, launch]) => [symbol, { symbol, id, usd, launch: utcDay(launch) }]),
);

/** Every asset with a fixed record (catalogue assets first, then the extra ones), in id order. */
export function knownAssets(): SimAsset[] {
  return [...ASSETS.values(), ...EXTRA_ASSETS.values()];
}

const QUOTE_ASSETS = new Set(['USD', 'EUR', 'USDT', 'USDC']);

/** Asset info; unknown symbols (runtime listings) get a deterministic id and price. */
export function simAsset(symbol: string): SimAsset {
  const known = ASSETS.get(symbol) ?? EXTRA_ASSETS.get(symbol);
  if (known) return known;
  const h = hashString(`asset|${symbol}`);
  return {
    symbol,
    id: 100_000 + (h % 900_000),
    usd: Number((10 ** (-3 + 6 * unit(hashString(`asset-price|${symbol}`)))).toPrecision(3)),
    launch: utcDay('2013-01-01'),
  };
}

interface MarketSpec {
  /** First day the market lists anything. */
  readonly start: number;
  /** Quotes it trades; the first one is listed for every base. */
  readonly quotes: readonly string[];
  /** Share of the catalogue's bases it lists (BTC and ETH are always listed). */
  readonly baseShare: number;
  /** Relative trading activity. */
  readonly activity: number;
}

const MARKETS: Record<SimMarket, MarketSpec> = {
  kraken: { start: utcDay('2013-09-10'), quotes: ['USD', 'EUR', 'USDT', 'BTC'], baseShare: 0.85, activity: 1.5 },
  coinbase: { start: utcDay('2015-01-26'), quotes: ['USD', 'EUR', 'USDT', 'BTC'], baseShare: 0.8, activity: 2 },
  binance: { start: utcDay('2017-07-14'), quotes: ['USDT', 'BTC', 'USDC', 'EUR'], baseShare: 0.95, activity: 3 },
  bitstamp: { start: utcDay('2013-01-01'), quotes: ['USD', 'EUR', 'BTC'], baseShare: 0.55, activity: 0.8 },
  bitfinex: { start: utcDay('2013-04-01'), quotes: ['USD', 'USDT', 'BTC', 'EUR'], baseShare: 0.7, activity: 1 },
  okex: { start: utcDay('2017-01-01'), quotes: ['USDT', 'USDC', 'BTC'], baseShare: 0.85, activity: 1.5 },
  bybit: { start: utcDay('2018-12-01'), quotes: ['USDT', 'USDC'], baseShare: 0.75, activity: 1.2 },
};

/** Relative trading activity of a market (1 for markets added later). */
export function marketActivity(market: string): number {
  return (MARKETS as Record<string, MarketSpec | undefined>)[market]?.activity ?? 1;
}

export function isSimMarket(market: string): market is SimMarket {
  return Object.hasOwn(MARKETS, market);
}

export interface SimInstrument {
  readonly market: string;
  /** Mapped id `BASE-QUOTE`. */
  readonly mapped: string;
  /** Exchange-native id, e.g. `XXBTZUSD` on kraken, `BTCUSDT` on binance. */
  readonly native: string;
  readonly base: string;
  readonly quote: string;
  readonly baseId: number;
  readonly quoteId: number;
  /** First instant with trades (Unix seconds). Catalogue listings are day-aligned. */
  readonly listedAt: number;
  /**
   * Delisting instant (exclusive, day-aligned for the catalogue): no trades at or after it; the
   * instrument is RETIRED from then on. Absent for instruments that still trade.
   */
  readonly retiredAt?: number;
  /** True for instruments added through the control API. */
  readonly runtime: boolean;
}

const KRAKEN_LEGACY = new Set(['BTC', 'ETH', 'LTC', 'XRP', 'XLM', 'XMR', 'ZEC', 'ETC', 'DOGE', 'REP', 'MLN']);
const KRAKEN_CODES: Record<string, string> = { BTC: 'XBT', DOGE: 'XDG' };

/** The exchange-native instrument id a market uses for BASE-QUOTE (deterministic naming rules). */
export function nativeInstrumentId(market: string, base: string, quote: string): string {
  switch (market) {
    case 'kraken': {
      const b = KRAKEN_CODES[base] ?? base;
      const q = KRAKEN_CODES[quote] ?? quote;
      if (KRAKEN_LEGACY.has(base) && (quote === 'USD' || quote === 'EUR')) return `X${b}Z${q}`;
      if (KRAKEN_LEGACY.has(base) && quote === 'BTC') return `X${b}XXBT`;
      return `${b}${q}`;
    }
    case 'bitstamp':
      return `${base}${quote}`.toLowerCase();
    case 'bitfinex':
      return `t${base}${quote === 'USDT' ? 'UST' : quote}`;
    case 'coinbase':
    case 'okex':
      return `${base}-${quote}`;
    default:
      return `${base}${quote}`;
  }
}

function buildMarket(market: SimMarket): SimInstrument[] {
  const spec = MARKETS[market];
  const out: SimInstrument[] = [];
  const lastDay = utcDay('2023-12-31');
  for (const asset of ASSETS.values()) {
    const base = asset.symbol;
    if (QUOTE_ASSETS.has(base)) continue;
    const always = base === 'BTC' || base === 'ETH';
    if (!always && unit(hashString(`list|${market}|${base}`)) >= spec.baseShare) continue;
    spec.quotes.forEach((quote, qi) => {
      if (quote === base) return;
      const first = qi === 0 || (qi === 1 && always);
      if (!first && unit(hashString(`list|${market}|${base}|${quote}`)) >= (always ? 0.95 : 0.55)) return;
      const floor = Math.max(asset.launch, simAsset(quote).launch, spec.start, utcDay('2013-01-01'));
      const jitterDays = Math.floor(unit(hashString(`listed|${market}|${base}-${quote}`)) * (always ? 60 : 240));
      const listedAt = Math.min(floor + jitterDays * DAY, lastDay);
      const mapped = `${base}-${quote}`;
      out.push({
        market,
        mapped,
        native: nativeInstrumentId(market, base, quote),
        base,
        quote,
        baseId: asset.id,
        quoteId: simAsset(quote).id,
        listedAt: Math.floor(listedAt / DAY) * DAY,
        runtime: false,
      });
    });
  }
  return out;
}

// market, base, quote, first trading day, delisting day (exclusive)
const RETIRED_TABLE: ReadonlyArray<readonly [SimMarket, string, string, string, string]> = [
  ['binance', 'LUNA', 'USDT', '2020-08-21', '2022-05-13'],
  ['kraken', 'LUNA', 'USD', '2021-06-01', '2022-05-20'],
  ['coinbase', 'UST', 'USD', '2022-01-10', '2022-05-25'],
  ['okex', 'FTT', 'USDT', '2019-07-30', '2022-11-15'],
];

/** The catalogue's RETIRED instruments of a market (appended after the generated ones). */
function retiredInstruments(market: SimMarket): SimInstrument[] {
  return RETIRED_TABLE.filter(([m]) => m === market).map(([, base, quote, listed, retired]) => ({
    market,
    mapped: `${base}-${quote}`,
    native: nativeInstrumentId(market, base, quote),
    base,
    quote,
    baseId: simAsset(base).id,
    quoteId: simAsset(quote).id,
    listedAt: utcDay(listed),
    retiredAt: utcDay(retired),
    runtime: false,
  }));
}

const REGISTRY = new InstrumentRegistry<SimMarket, SimInstrument>((market) => [
  ...buildMarket(market),
  ...retiredInstruments(market),
]);

/** Every instrument of a market (catalogue first, then runtime listings), or [] for an unknown market. */
export function listInstruments(market: string): SimInstrument[] {
  return isSimMarket(market) ? REGISTRY.list(market) : [];
}

/**
 * Looks an instrument up as the real API does: with mapping (default) the mapped id is checked first,
 * then the native id; without mapping only the native id. Mapped ids are matched case-insensitively.
 */
export function findInstrument(market: string, instrument: string, applyMapping = true): SimInstrument | undefined {
  return isSimMarket(market) ? REGISTRY.find(market, instrument, applyMapping) : undefined;
}

export interface ListInstrumentInput {
  readonly market: string;
  /** Mapped id `BASE-QUOTE`. */
  readonly instrument: string;
  /** First instant with trades; default: the start of the current minute. */
  readonly listedAt?: number;
  /** Native id; default: the market's naming rule. */
  readonly nativeInstrument?: string;
  /** Delisting instant (exclusive); absent: still trading. Must be after `listedAt`. */
  readonly retiredAt?: number;
}

/**
 * Lists an instrument at runtime. Throws on an unknown market, a malformed id, or an instrument the
 * catalogue already lists; listing the same runtime instrument again replaces it.
 */
export function addRuntimeInstrument(input: ListInstrumentInput, nowSeconds: number): SimInstrument {
  const market = input.market.toLowerCase();
  if (!isSimMarket(market)) throw new Error(`unknown market ${input.market} (known: ${SIM_MARKETS.join(', ')})`);
  const mapped = input.instrument.toUpperCase();
  const m = /^([A-Z0-9]+)-([A-Z0-9]+)$/.exec(mapped);
  if (!m || m[1] === undefined || m[2] === undefined) {
    throw new Error(`instrument must be a mapped id BASE-QUOTE, got ${input.instrument}`);
  }
  const [base, quote] = [m[1], m[2]];
  if (REGISTRY.catalogueHas(market, mapped)) throw new Error(`${market} already lists ${mapped}`);
  const listedAt = input.listedAt ?? Math.floor(nowSeconds / 60) * 60;
  if (!Number.isInteger(listedAt) || listedAt < 0) throw new Error(`listedAt must be a Unix timestamp in seconds`);
  const { retiredAt } = input;
  if (retiredAt !== undefined && (!Number.isInteger(retiredAt) || retiredAt <= listedAt)) {
    throw new Error(`retiredAt must be a Unix timestamp in seconds after listedAt (${listedAt})`);
  }
  const instrument: SimInstrument = {
    market,
    mapped,
    native: input.nativeInstrument ?? nativeInstrumentId(market, base, quote),
    base,
    quote,
    baseId: simAsset(base).id,
    quoteId: simAsset(quote).id,
    listedAt,
    ...(retiredAt !== undefined ? { retiredAt } : {}),
    runtime: true,
  };
  REGISTRY.add(market, mapped, instrument);
  return instrument;
}

/** Removes every runtime listing. */
export function resetRuntimeInstruments(): void {
  REGISTRY.reset();
}

export type InstrumentStatus = 'ACTIVE' | 'RETIRED' | 'EXPIRED';

/**
 * An instrument's status as of `nowSeconds`, or undefined while it is not listed yet (the reference
 * endpoints leave it out then). RETIRED from `retiredAt` on.
 */
export function spotInstrumentStatus(inst: SimInstrument, nowSeconds: number): InstrumentStatus | undefined {
  if (nowSeconds < inst.listedAt) return undefined;
  return inst.retiredAt !== undefined && nowSeconds >= inst.retiredAt ? 'RETIRED' : 'ACTIVE';
}
