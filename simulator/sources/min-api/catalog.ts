/**
 * The simulated min-api universe: coins (with the metadata `/data/all/coinlist` and the top lists
 * serve), exchanges spelled as CryptoCompare spells them, and per exchange a deterministic list of
 * pairs with their listing instant (`histo_minute_start_ts`) and, for delisted pairs, their last
 * trade. Everything derives from fixed tables plus hashes, so every process sees the same universe;
 * pairs can also be listed at runtime (control API).
 *
 * CCCAGG (the aggregate index) is not an exchange: a CCCAGG pair exists where some exchange lists
 * the pair directly (its start is the earliest listing), or, with `tryConversion`, through BTC or ETH
 * when both legs exist on CCCAGG (start = the later leg's start).
 *
 * Symbols overlap the Data API simulator's assets (BTC, ETH, SOL, …, with similar centre prices), but
 * nothing is imported from it: the two APIs' series are independent.
 */
import { hashString, unit } from '../../random';

export const DAY_SECONDS = 86_400;

/** The aggregate index's name, the default `e`. */
export const CCCAGG = 'CCCAGG';

function utcDay(iso: string): number {
  return Date.parse(`${iso}T00:00:00Z`) / 1000;
}

/** `YYYY-MM-DD` (UTC) of a Unix second. */
export function isoDay(seconds: number): string {
  return new Date(seconds * 1000).toISOString().slice(0, 10);
}

// -------------------------------------------------------------------------------------------------
// Coins and fiat

export interface SimCoin {
  readonly symbol: string;
  /** CryptoCompare coin id (string on the wire). BTC/ETH/SOL/DOGE/USDC/SHIB as captured; others invented. */
  readonly id: string;
  readonly coinName: string;
  readonly algorithm: string;
  readonly proofType: string;
  /** Rough USD price, the centre of the synthetic price path. */
  readonly usd: number;
  /** Asset launch day (Unix seconds, 00:00 UTC). Nothing trades it earlier. */
  readonly launch: number;
  /** Circulating supply on 2023-01-01; grows by `supplyGrowth` per year. */
  readonly supply: number;
  /** -1 = unlimited. */
  readonly maxSupply: number;
  /** Yearly supply growth (fraction). */
  readonly supplyGrowth: number;
  /** Share of the market cap traded per day across all markets. */
  readonly turnover: number;
  /** Top-list / coin-list sort order (1 = BTC). */
  readonly sortOrder: number;
  /**
   * `major`: the fixed table (BTC, ETH, …, overlapping the Data API simulator's assets); `tail`: the
   * generated long tail (small caps launched 2016–2023, so the top lists grow over time); `runtime`:
   * first seen in a runtime pair listing.
   */
  readonly tier: 'major' | 'tail' | 'runtime';
}

// symbol, id, coin name, algorithm, proof type, usd, launch, supply (2023-01-01), max supply, turnover
type CoinRow = readonly [string, string, string, string, string, number, string, number, number, number];
const COIN_TABLE: readonly CoinRow[] = [
  ['BTC', '1182', 'Bitcoin', 'SHA-256', 'PoW', 30_000, '2009-01-03', 19_250_000, 20_999_999.9769, 0.03],
  ['ETH', '7605', 'Ethereum', 'Ethash', 'PoS', 2_000, '2015-07-30', 120_500_000, -1, 0.04],
  ['USDT', '171986', 'Tether', 'N/A', 'N/A', 1, '2014-10-06', 66_000_000_000, -1, 0.6],
  ['BNB', '204788', 'Binance Coin', 'N/A', 'PoSA', 240, '2017-07-25', 158_000_000, 200_000_000, 0.02],
  ['USDC', '925809', 'USD Coin', 'N/A', 'N/A', 1, '2018-09-10', 44_000_000_000, -1, 0.15],
  ['XRP', '5031', 'XRP', 'N/A', 'N/A', 0.5, '2012-06-02', 50_000_000_000, 100_000_000_000, 0.03],
  ['ADA', '321992', 'Cardano', 'Ouroboros Praos', 'PoS', 0.4, '2017-09-29', 34_500_000_000, 45_000_000_000, 0.02],
  ['SOL', '934443', 'Solana', 'N/A', 'PoH', 60, '2020-03-31', 370_000_000, -1, 0.05],
  ['DOGE', '4432', 'Dogecoin', 'Scrypt', 'PoW', 0.08, '2013-12-06', 132_000_000_000, -1, 0.04],
  ['TRX', '310829', 'TRON', 'N/A', 'DPoS', 0.08, '2017-09-13', 92_000_000_000, -1, 0.03],
  ['DOT', '935731', 'Polkadot', 'N/A', 'NPoS', 6, '2020-08-19', 1_150_000_000, -1, 0.03],
  ['MATIC', '935790', 'Polygon', 'N/A', 'PoS', 0.7, '2019-04-28', 8_700_000_000, 10_000_000_000, 0.04],
  ['LTC', '3808', 'Litecoin', 'Scrypt', 'PoW', 80, '2011-10-13', 72_000_000, 84_000_000, 0.06],
  ['SHIB', '940776', 'Shiba Inu', 'N/A', 'N/A', 0.000008, '2020-07-31', 589_000_000_000_000, -1, 0.03],
  ['AVAX', '935830', 'Avalanche', 'N/A', 'PoS', 15, '2020-09-22', 310_000_000, 720_000_000, 0.05],
  ['DAI', '308968', 'Dai', 'N/A', 'N/A', 1, '2019-11-18', 5_800_000_000, -1, 0.05],
  ['LINK', '324068', 'Chainlink', 'N/A', 'N/A', 7, '2017-09-19', 500_000_000, 1_000_000_000, 0.05],
  ['BCH', '202330', 'Bitcoin Cash', 'SHA-256', 'PoW', 250, '2017-08-01', 19_200_000, 21_000_000, 0.06],
  ['XLM', '4614', 'Stellar', 'SCP', 'SCP', 0.11, '2014-07-31', 26_000_000_000, 50_000_000_000, 0.02],
  ['UNI', '935753', 'Uniswap Protocol Token', 'N/A', 'N/A', 5, '2020-09-17', 750_000_000, 1_000_000_000, 0.03],
  ['ATOM', '356665', 'Cosmos', 'BPoS', 'PoS', 9, '2019-03-14', 290_000_000, -1, 0.04],
  ['ETC', '5324', 'Ethereum Classic', 'Etchash', 'PoW', 18, '2016-07-24', 139_000_000, 210_700_000, 0.05],
  ['XMR', '5038', 'Monero', 'RandomX', 'PoW', 150, '2014-04-18', 18_200_000, -1, 0.03],
  ['FIL', '935797', 'FileCoin', 'N/A', 'PoSt', 4, '2020-10-15', 360_000_000, 2_000_000_000, 0.06],
  ['HBAR', '935874', 'Hedera', 'N/A', 'N/A', 0.06, '2019-09-17', 29_000_000_000, 50_000_000_000, 0.02],
  ['ICP', '940835', 'Internet Computer', 'N/A', 'N/A', 4, '2021-05-10', 290_000_000, -1, 0.04],
  ['APE', '950879', 'ApeCoin', 'N/A', 'N/A', 2, '2022-03-17', 310_000_000, 1_000_000_000, 0.06],
  ['ARB', '953318', 'Arbitrum', 'N/A', 'N/A', 1.1, '2023-03-23', 1_275_000_000, 10_000_000_000, 0.1],
  ['OP', '950855', 'Optimism', 'N/A', 'N/A', 1.5, '2022-06-01', 430_000_000, 4_294_967_296, 0.08],
  ['NEAR', '935861', 'Near', 'N/A', 'PoS', 1.5, '2020-10-13', 900_000_000, 1_000_000_000, 0.05],
  ['VET', '236131', 'VeChain', 'N/A', 'PoA', 0.02, '2018-07-30', 72_000_000_000, 86_700_000_000, 0.02],
  ['QNT', '202451', 'Quant', 'N/A', 'N/A', 100, '2018-08-10', 12_000_000, 14_600_000, 0.02],
  ['ALGO', '935845', 'Algorand', 'N/A', 'PPoS', 0.15, '2019-06-20', 7_100_000_000, 10_000_000_000, 0.03],
  ['AAVE', '940793', 'Aave', 'N/A', 'N/A', 70, '2020-10-02', 14_100_000, 16_000_000, 0.06],
  ['GRT', '935887', 'The Graph', 'N/A', 'N/A', 0.12, '2020-12-17', 8_800_000_000, 10_000_000_000, 0.04],
  ['EGLD', '940800', 'MultiversX', 'N/A', 'SPoS', 35, '2020-09-03', 25_000_000, 31_415_926, 0.03],
  ['SAND', '938240', 'The Sandbox', 'N/A', 'N/A', 0.45, '2020-08-14', 1_860_000_000, 3_000_000_000, 0.06],
  ['MANA', '186466', 'Decentraland', 'N/A', 'N/A', 0.4, '2017-09-17', 1_850_000_000, -1, 0.05],
  ['THETA', '204631', 'Theta Network', 'N/A', 'N/A', 0.8, '2018-01-17', 1_000_000_000, 1_000_000_000, 0.02],
  ['EOS', '166503', 'EOS', 'N/A', 'DPoS', 0.8, '2017-07-01', 1_090_000_000, -1, 0.05],
  ['XTZ', '345451', 'Tezos', 'N/A', 'LPoS', 0.9, '2018-07-02', 930_000_000, -1, 0.02],
  ['MKR', '24800', 'Maker', 'N/A', 'N/A', 1_200, '2017-12-19', 900_000, 1_005_577, 0.04],
  ['LDO', '940848', 'Lido DAO', 'N/A', 'N/A', 2, '2021-01-05', 880_000_000, 1_000_000_000, 0.06],
  ['CRV', '939921', 'Curve DAO Token', 'N/A', 'N/A', 0.6, '2020-08-14', 880_000_000, 3_030_000_000, 0.07],
  ['SNX', '207887', 'Synthetix', 'N/A', 'N/A', 2.5, '2018-03-12', 320_000_000, -1, 0.05],
  ['ZEC', '24854', 'ZCash', 'Equihash', 'PoW', 30, '2016-10-28', 16_300_000, 21_000_000, 0.08],
  ['DASH', '3807', 'Dash', 'X11', 'PoW/PoS', 30, '2014-01-19', 11_400_000, 18_900_000, 0.06],
  ['NEO', '27368', 'NEO', 'N/A', 'dBFT', 10, '2016-09-09', 70_500_000, 100_000_000, 0.04],
  ['COMP', '939965', 'Compound', 'N/A', 'N/A', 50, '2020-06-16', 7_200_000, 10_000_000, 0.08],
  ['YFI', '939927', 'yearn.finance', 'N/A', 'N/A', 6_000, '2020-07-18', 33_000, 36_666, 0.08],
  ['SUSHI', '939956', 'Sushi', 'N/A', 'N/A', 1, '2020-09-01', 230_000_000, 250_000_000, 0.1],
  ['BAT', '107672', 'Basic Attention Token', 'N/A', 'N/A', 0.2, '2017-05-31', 1_490_000_000, 1_500_000_000, 0.04],
  ['FTM', '337839', 'Fantom', 'N/A', 'PoS', 0.3, '2019-06-15', 2_800_000_000, 3_175_000_000, 0.06],
  ['RUNE', '204612', 'THORChain', 'N/A', 'PoS', 1.5, '2019-07-23', 300_000_000, 500_000_000, 0.08],
];

/** Quote-only currencies (never `fsym`, never in the coin list or top lists). */
export const FIAT = ['USD', 'EUR', 'GBP'] as const;
const FIAT_USD: Readonly<Record<string, number>> = { USD: 1, EUR: 1.08, GBP: 1.25 };

const STABLECOINS: ReadonlySet<string> = new Set(['USDT', 'USDC', 'DAI']);

const COINS = new Map<string, SimCoin>(
  COIN_TABLE.map(([symbol, id, coinName, algorithm, proofType, usd, launch, supply, maxSupply, turnover], i) => [
    symbol,
    {
      symbol,
      id,
      coinName,
      algorithm,
      proofType,
      usd,
      launch: utcDay(launch),
      supply,
      maxSupply,
      supplyGrowth: STABLECOINS.has(symbol) ? 0.2 : 0.01 + 0.04 * unit(hashString(`growth|${symbol}`)),
      turnover,
      sortOrder: i + 1,
      tier: 'major' as const,
    },
  ]),
);

const SYLLABLES = ['ka', 'zo', 'ri', 'mu', 'te', 'va', 'lo', 'xi', 'qu', 'ne', 'po', 'sa', 'du', 'fe', 'gi', 'yo'];
const SUFFIXES = ['Token', 'Coin', 'Protocol', 'Network', 'Chain', 'Finance'];
/** How many long-tail coins the catalogue generates. */
export const LONG_TAIL_COINS = 220;

function buildLongTail(): void {
  const first = utcDay('2016-01-01');
  const span = utcDay('2023-06-01') - first;
  for (let i = 0; COINS.size < COIN_TABLE.length + LONG_TAIL_COINS; i++) {
    const h = hashString(`tail|${i}`);
    const parts = [0, 1, 2].map((k) => SYLLABLES[(h >>> (k * 4)) % SYLLABLES.length] ?? 'ka');
    const name = parts.slice(0, 2 + (h % 2)).join('');
    const symbol = name.toUpperCase().slice(0, 3 + ((h >>> 12) % 3));
    if (COINS.has(symbol) || FIAT_USD[symbol] !== undefined) continue;
    const u = (salt: string): number => unit(hashString(`tail|${symbol}|${salt}`));
    const coinName = `${name.charAt(0).toUpperCase()}${name.slice(1)} ${SUFFIXES[h % SUFFIXES.length] ?? 'Token'}`;
    COINS.set(symbol, {
      symbol,
      id: String(950_000 + i),
      coinName,
      algorithm: 'N/A',
      proofType: 'N/A',
      usd: Number((10 ** (-4 + 4 * u('usd'))).toPrecision(3)),
      launch: first + Math.floor((u('launch') * span) / DAY_SECONDS) * DAY_SECONDS,
      supply: Math.round(10 ** (7 + 2 * u('supply'))),
      maxSupply: u('max') < 0.5 ? -1 : Math.round(10 ** (9.5 + u('max2'))),
      supplyGrowth: 0.02 + 0.2 * u('growth'),
      turnover: 0.02 + 0.2 * u('turnover'),
      sortOrder: COIN_TABLE.length + 1 + i,
      tier: 'tail',
    });
  }
}
buildLongTail();

export function isStablecoin(symbol: string): boolean {
  return STABLECOINS.has(symbol);
}

export function isFiat(symbol: string): boolean {
  return Object.hasOwn(FIAT_USD, symbol);
}

/** Coins of the catalogue, in sort order. */
export function catalogueCoins(): SimCoin[] {
  return [...COINS.values()];
}

const runtimeCoins = new Map<string, SimCoin>();

/** A synthetic coin for a symbol the catalogue does not know (deterministic price and id). */
function syntheticCoin(symbol: string, launch: number): SimCoin {
  const h = hashString(`coin|${symbol}`);
  return {
    symbol,
    id: String(960_000 + (h % 30_000)),
    coinName: symbol.charAt(0) + symbol.slice(1).toLowerCase(),
    algorithm: 'N/A',
    proofType: 'N/A',
    usd: Number((10 ** (-3 + 5 * unit(hashString(`coin-usd|${symbol}`)))).toPrecision(3)),
    launch: Math.floor(launch / DAY_SECONDS) * DAY_SECONDS,
    supply: Math.round(10 ** (6 + 4 * unit(hashString(`coin-supply|${symbol}`)))),
    maxSupply: -1,
    supplyGrowth: 0.05,
    turnover: 0.05,
    sortOrder: 10_000 + (h % 10_000),
    tier: 'runtime',
  };
}

/** A coin by symbol: catalogue, then runtime listings; undefined for fiat and unknown symbols. */
export function findCoin(symbol: string): SimCoin | undefined {
  return COINS.get(symbol) ?? runtimeCoins.get(symbol);
}

/** Every coin (catalogue, then coins first seen in runtime listings). */
export function allCoins(): SimCoin[] {
  return [...COINS.values(), ...runtimeCoins.values()];
}

/** Centre USD price of any symbol the simulator knows (fiat, coin, runtime coin). */
export function centreUsd(symbol: string): number {
  return FIAT_USD[symbol] ?? findCoin(symbol)?.usd ?? syntheticCoin(symbol, 0).usd;
}

/** A symbol the simulator can price (fiat or coin). */
export function isKnownSymbol(symbol: string): boolean {
  return isFiat(symbol) || findCoin(symbol) !== undefined;
}

// -------------------------------------------------------------------------------------------------
// Exchanges

export interface SimExchange {
  /** As CryptoCompare spells it (`e=` is matched case-insensitively). */
  readonly name: string;
  readonly isActive: boolean;
  readonly isTopTier: boolean;
  /** First day it lists anything. */
  readonly start: number;
  /** Last trading instant of a closed exchange. */
  readonly end: number | undefined;
  /** Quotes it trades; the first one is listed for every base it lists. */
  readonly quotes: readonly string[];
  /** Share of the coin catalogue's bases it lists (BTC and ETH are always listed). */
  readonly baseShare: number;
  /** Relative trading activity (volume scale). */
  readonly activity: number;
  /** Most days after the earliest possible day a pair is listed (default 45 for BTC/ETH, 200 others). */
  readonly maxListingDelayDays?: number;
}

const EXCHANGE_TABLE: readonly SimExchange[] = [
  exchange('Binance', true, '2017-07-14', ['USDT', 'BTC', 'ETH', 'USDC', 'EUR'], 0.95, 3),
  exchange('Bitfinex', true, '2013-04-01', ['USD', 'USDT', 'BTC', 'EUR'], 0.7, 1),
  exchange('Bitstamp', true, '2011-08-18', ['USD', 'EUR', 'BTC', 'GBP'], 0.5, 0.8),
  exchange('Bybit', true, '2018-12-01', ['USDT', 'USDC'], 0.75, 1.2),
  exchange('Coinbase', true, '2015-01-26', ['USD', 'EUR', 'USDT', 'BTC', 'GBP'], 0.8, 2),
  { ...exchange('Cryptsy', false, '2013-05-20', ['BTC', 'USD'], 0.6, 0.3), isActive: false, end: utcDay('2016-01-14') },
  exchange('Gemini', true, '2015-10-08', ['USD', 'BTC'], 0.4, 0.6),
  exchange('Kraken', true, '2013-09-10', ['USD', 'EUR', 'BTC', 'USDT', 'GBP'], 0.85, 1.5),
  {
    ...exchange('MtGox', false, '2010-07-17', ['USD'], 0, 2),
    isActive: false,
    end: utcDay('2014-02-24'),
    maxListingDelayDays: 0,
  },
  exchange('OKEX', true, '2017-01-01', ['USDT', 'USDC', 'BTC'], 0.85, 1.5),
  exchange('Poloniex', false, '2014-01-18', ['USDT', 'BTC'], 0.6, 0.4),
];

function exchange(
  name: string,
  isTopTier: boolean,
  start: string,
  quotes: readonly string[],
  baseShare: number,
  activity: number,
): SimExchange {
  return { name, isActive: true, isTopTier, start: utcDay(start), end: undefined, quotes, baseShare, activity };
}

const EXCHANGES = new Map<string, SimExchange>(EXCHANGE_TABLE.map((e) => [e.name.toLowerCase(), e]));

/** Exchange names as served (alphabetical). CCCAGG is not an exchange. */
export const MIN_API_EXCHANGES: readonly string[] = EXCHANGE_TABLE.map((e) => e.name);

/** An exchange by name, case-insensitively. */
export function findExchange(name: string): SimExchange | undefined {
  return EXCHANGES.get(name.toLowerCase());
}

// -------------------------------------------------------------------------------------------------
// Pairs

export interface SimPair {
  /** Canonical exchange name. */
  readonly exchange: string;
  readonly fsym: string;
  readonly tsym: string;
  /** First trade (Unix seconds, not period-aligned) = `histo_minute_start_ts`. */
  readonly start: number;
  /** Last trade of a delisted pair (`histo_minute_end_ts`); undefined while listed. */
  readonly end: number | undefined;
  /** Relative size of this market (volume scale, quiet-period share). */
  readonly liquidity: number;
  readonly runtime: boolean;
}

/** No catalogue listing starts after this day (the universe is fixed in the past). */
const LAST_LISTING = utcDay('2023-06-30');
/** No catalogue delisting after this day. */
const LAST_DELISTING = utcDay('2023-09-30');

function buildExchange(ex: SimExchange): SimPair[] {
  const out: SimPair[] = [];
  for (const coin of COINS.values()) {
    const base = coin.symbol;
    const always = base === 'BTC' || base === 'ETH';
    const tail = coin.tier === 'tail';
    const share = tail ? ex.baseShare * 0.3 : ex.baseShare;
    if (!always && unit(hashString(`list|${ex.name}|${base}`)) >= share) continue;
    ex.quotes.forEach((quote, qi) => {
      if (quote === base) return;
      if (tail && qi > 1) return;
      // Stablecoins trade against fiat and each other only on their primary quote.
      if (isStablecoin(base) && qi > 1) return;
      const first = qi === 0 || (qi === 1 && always);
      if (!first && unit(hashString(`list|${ex.name}|${base}|${quote}`)) >= (always ? 0.95 : 0.5)) return;
      const quoteLaunch = isFiat(quote) ? 0 : (COINS.get(quote)?.launch ?? 0);
      const floor = Math.max(coin.launch, quoteLaunch, ex.start);
      const lastDay = ex.end !== undefined ? Math.min(ex.end - 30 * DAY_SECONDS, LAST_LISTING) : LAST_LISTING;
      if (floor > lastDay) return;
      const key = `${ex.name}|${base}|${quote}`;
      const maxDelay = ex.maxListingDelayDays ?? (always ? 45 : 200);
      const jitterDays = Math.floor(unit(hashString(`listed|${key}`)) * maxDelay);
      const day = Math.min(floor + jitterDays * DAY_SECONDS, lastDay);
      // MtGox opened BTC-USD trading at 2010-07-17 00:00 (the day BTC histoday starts); others mid-day.
      const second = maxDelay === 0 ? 0 : Math.floor(unit(hashString(`listed-second|${key}`)) * DAY_SECONDS);
      const start = day + second;
      let end: number | undefined;
      if (ex.end !== undefined) {
        end = ex.end - Math.floor(unit(hashString(`closed|${key}`)) * 6 * 3_600);
      } else if (!always && unit(hashString(`delisted|${key}`)) < 0.08) {
        const lifeDays = 60 + Math.floor(unit(hashString(`life|${key}`)) * 900);
        const candidate = start + lifeDays * DAY_SECONDS + Math.floor(unit(hashString(`life-s|${key}`)) * DAY_SECONDS);
        if (candidate < LAST_DELISTING) end = candidate;
      }
      const liquidity =
        (always ? 1 : 0.15 + 0.85 * unit(hashString(`liquidity|${key}`))) * (first ? 1 : 0.4) * (end ? 0.5 : 1);
      out.push({ exchange: ex.name, fsym: base, tsym: quote, start, end, liquidity, runtime: false });
    });
  }
  return out.sort(comparePairs);
}

function comparePairs(a: SimPair, b: SimPair): number {
  return a.fsym < b.fsym ? -1 : a.fsym > b.fsym ? 1 : a.tsym < b.tsym ? -1 : a.tsym > b.tsym ? 1 : 0;
}

const STATIC_PAIRS = new Map<string, SimPair[]>();
const STATIC_INDEX = new Map<string, Map<string, SimPair>>();
const runtimePairs = new Map<string, SimPair[]>();

function staticPairs(exchangeName: string): SimPair[] {
  let list = STATIC_PAIRS.get(exchangeName);
  if (!list) {
    const ex = findExchange(exchangeName);
    list = ex ? buildExchange(ex) : [];
    STATIC_PAIRS.set(exchangeName, list);
    STATIC_INDEX.set(exchangeName, new Map(list.map((p) => [`${p.fsym}-${p.tsym}`, p])));
  }
  return list;
}

function staticPair(exchangeName: string, fsym: string, tsym: string): SimPair | undefined {
  staticPairs(exchangeName);
  return STATIC_INDEX.get(exchangeName)?.get(`${fsym}-${tsym}`);
}

/**
 * Every pair an exchange lists (catalogue, then runtime listings), whatever the clock says; filter
 * with `start <= now` for "listed as of now". [] for an unknown exchange.
 */
export function listPairs(exchangeName: string): SimPair[] {
  const ex = findExchange(exchangeName);
  if (!ex) return [];
  return [...staticPairs(ex.name), ...(runtimePairs.get(ex.name) ?? [])];
}

/** One exchange pair (runtime listings first), regardless of the clock. */
export function findPair(exchangeName: string, fsym: string, tsym: string): SimPair | undefined {
  const ex = findExchange(exchangeName);
  if (!ex) return undefined;
  return runtimePairs.get(ex.name)?.find((p) => p.fsym === fsym && p.tsym === tsym) ?? staticPair(ex.name, fsym, tsym);
}

/** Every exchange's listing of fsym-tsym. */
export function pairListings(fsym: string, tsym: string): SimPair[] {
  const out: SimPair[] = [];
  for (const name of MIN_API_EXCHANGES) {
    const p = findPair(name, fsym, tsym);
    if (p) out.push(p);
  }
  return out;
}

export interface ListPairInput {
  readonly exchange: string;
  readonly fsym: string;
  readonly tsym: string;
  /** First trade; default: the start of the current minute. */
  readonly startTs?: number;
}

/**
 * Lists a pair at runtime (CryptoCompare integrates a new market). Throws on an unknown exchange, a
 * malformed symbol, or a pair the catalogue already lists; listing the same runtime pair again
 * replaces it. A symbol the catalogue does not know becomes a synthetic coin.
 */
export function addRuntimePair(input: ListPairInput, nowSeconds: number): SimPair {
  const ex = findExchange(input.exchange);
  if (!ex) throw new Error(`unknown exchange ${input.exchange} (known: ${MIN_API_EXCHANGES.join(', ')})`);
  const fsym = input.fsym.toUpperCase();
  const tsym = input.tsym.toUpperCase();
  for (const s of [fsym, tsym]) {
    if (!/^[A-Z0-9]{1,30}$/.test(s)) throw new Error(`symbols must be 1-30 letters or digits, got ${s}`);
  }
  if (fsym === tsym) throw new Error('fsym and tsym must differ');
  if (isFiat(fsym)) throw new Error(`${fsym} is a fiat currency; it can only be a tsym`);
  if (staticPair(ex.name, fsym, tsym)) throw new Error(`${ex.name} already lists ${fsym}-${tsym}`);
  const start = input.startTs ?? Math.floor(nowSeconds / 60) * 60;
  if (!Number.isInteger(start) || start < 0) throw new Error('startTs must be a Unix timestamp in seconds');
  for (const s of [fsym, tsym]) {
    if (!isFiat(s) && !findCoin(s)) runtimeCoins.set(s, syntheticCoin(s, start));
  }
  const pair: SimPair = { exchange: ex.name, fsym, tsym, start, end: undefined, liquidity: 0.5, runtime: true };
  const list = (runtimePairs.get(ex.name) ?? []).filter((p) => !(p.fsym === fsym && p.tsym === tsym));
  list.push(pair);
  runtimePairs.set(ex.name, list.sort(comparePairs));
  return pair;
}

/** Removes every runtime listing (and the synthetic coins they introduced). */
export function resetRuntimePairs(): void {
  runtimePairs.clear();
  runtimeCoins.clear();
}

// -------------------------------------------------------------------------------------------------
// CCCAGG

/** Intermediates CCCAGG converts through, in order of preference (as the min-api docs say). */
export const CONVERSION_SYMBOLS = ['BTC', 'ETH'] as const;

export type CccaggResolution =
  | {
      readonly kind: 'direct';
      readonly fsym: string;
      readonly tsym: string;
      /** Earliest listing among the exchanges. */
      readonly start: number;
      /** Last trade when every listing is delisted; undefined otherwise. */
      readonly end: number | undefined;
      readonly listings: readonly SimPair[];
    }
  | {
      readonly kind: 'conversion';
      readonly fsym: string;
      readonly tsym: string;
      readonly via: string;
      /** The later of the two legs' starts. */
      readonly start: number;
    };

function direct(fsym: string, tsym: string): CccaggResolution | undefined {
  const listings = pairListings(fsym, tsym);
  if (listings.length === 0) return undefined;
  const start = Math.min(...listings.map((p) => p.start));
  const end = listings.every((p) => p.end !== undefined) ? Math.max(...listings.map((p) => p.end ?? 0)) : undefined;
  return { kind: 'direct', fsym, tsym, start, end, listings };
}

/**
 * How CCCAGG serves fsym-tsym, independent of the clock: directly when some exchange lists it, else
 * (with `tryConversion`) through BTC, then ETH, when both legs are direct CCCAGG pairs. Undefined
 * when neither works. Whether it already exists at a given time is `start <= now`.
 */
export function resolveCccagg(fsym: string, tsym: string, tryConversion = true): CccaggResolution | undefined {
  if (fsym === tsym) return undefined;
  const d = direct(fsym, tsym);
  if (d || !tryConversion) return d;
  for (const via of CONVERSION_SYMBOLS) {
    if (via === fsym || via === tsym) continue;
    const a = direct(fsym, via);
    const b = direct(via, tsym);
    if (a && b) return { kind: 'conversion', fsym, tsym, via, start: Math.max(a.start, b.start) };
  }
  return undefined;
}

/**
 * Some fsym-tsym (tsym GBP, EUR or USD) that CCCAGG serves only through a conversion and that exists
 * before `listedBefore` — for tests and demos of `conversionType: "multiply"`.
 */
export function findConvertedPair(listedBefore: number): readonly [string, string] | undefined {
  for (const coin of allCoins()) {
    for (const tsym of ['GBP', 'EUR', 'USD']) {
      const res = resolveCccagg(coin.symbol, tsym);
      if (res?.kind === 'conversion' && res.start < listedBefore) return [coin.symbol, tsym];
    }
  }
  return undefined;
}
