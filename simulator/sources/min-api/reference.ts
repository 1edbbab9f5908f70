/**
 * Reference data of the min-api simulator: the `/data/all/coinlist` items and the `*full` top lists
 * (`/data/top/mktcapfull`, `/data/top/totalvolfull`). Pure functions of the catalogue and a UTC day.
 *
 * [inferred] A top list "as of day D" is a snapshot taken at D − 1 s (the end of the previous UTC
 * day): every RAW value (price, 24 h window, supply, volumes) and the ranking depend only on D, so
 * the list served at any instant of day D is the same and can be regenerated from D alone. Its "day"
 * fields describe the UTC day D − 1 and its "hour" fields the last hour of that day. Rankings move
 * from day to day because prices, supplies and volumes do.
 */
import { hashString, unit, uniformAt } from '../../random';
import { DAY_SECONDS, catalogueCoins, allCoins, isoDay, isStablecoin, pairListings, type SimCoin } from './catalog';
import { usdPriceAt } from './series';

export type TopListKind = 'mktcapfull' | 'totalvolfull';

/** Keys of `RAW[tsym]` in the served order (real 2022 mktcapfull capture). */
export const TOPLIST_RAW_KEYS = [
  'TYPE',
  'MARKET',
  'FROMSYMBOL',
  'TOSYMBOL',
  'FLAGS',
  'PRICE',
  'LASTUPDATE',
  'MEDIAN',
  'LASTVOLUME',
  'LASTVOLUMETO',
  'LASTTRADEID',
  'VOLUMEDAY',
  'VOLUMEDAYTO',
  'VOLUME24HOUR',
  'VOLUME24HOURTO',
  'OPENDAY',
  'HIGHDAY',
  'LOWDAY',
  'OPEN24HOUR',
  'HIGH24HOUR',
  'LOW24HOUR',
  'LASTMARKET',
  'VOLUMEHOUR',
  'VOLUMEHOURTO',
  'OPENHOUR',
  'HIGHHOUR',
  'LOWHOUR',
  'TOPTIERVOLUME24HOUR',
  'TOPTIERVOLUME24HOURTO',
  'CHANGE24HOUR',
  'CHANGEPCT24HOUR',
  'CHANGEDAY',
  'CHANGEPCTDAY',
  'CHANGEHOUR',
  'CHANGEPCTHOUR',
  'CONVERSIONTYPE',
  'CONVERSIONSYMBOL',
  'SUPPLY',
  'MKTCAP',
  'MKTCAPPENALTY',
  'CIRCULATINGSUPPLY',
  'CIRCULATINGSUPPLYMKTCAP',
  'TOTALVOLUME24H',
  'TOTALVOLUME24HTO',
  'TOTALTOPTIERVOLUME24H',
  'TOTALTOPTIERVOLUME24HTO',
  'IMAGEURL',
] as const;

/** Keys of `DISPLAY[tsym]` in the served order (same capture). */
export const TOPLIST_DISPLAY_KEYS = [
  'FROMSYMBOL',
  'TOSYMBOL',
  'MARKET',
  'PRICE',
  'LASTUPDATE',
  'LASTVOLUME',
  'LASTVOLUMETO',
  'LASTTRADEID',
  'VOLUMEDAY',
  'VOLUMEDAYTO',
  'VOLUME24HOUR',
  'VOLUME24HOURTO',
  'OPENDAY',
  'HIGHDAY',
  'LOWDAY',
  'OPEN24HOUR',
  'HIGH24HOUR',
  'LOW24HOUR',
  'LASTMARKET',
  'VOLUMEHOUR',
  'VOLUMEHOURTO',
  'OPENHOUR',
  'HIGHHOUR',
  'LOWHOUR',
  'TOPTIERVOLUME24HOUR',
  'TOPTIERVOLUME24HOURTO',
  'CHANGE24HOUR',
  'CHANGEPCT24HOUR',
  'CHANGEDAY',
  'CHANGEPCTDAY',
  'CHANGEHOUR',
  'CHANGEPCTHOUR',
  'CONVERSIONTYPE',
  'CONVERSIONSYMBOL',
  'SUPPLY',
  'MKTCAP',
  'MKTCAPPENALTY',
  'CIRCULATINGSUPPLY',
  'CIRCULATINGSUPPLYMKTCAP',
  'TOTALVOLUME24H',
  'TOTALVOLUME24HTO',
  'TOTALTOPTIERVOLUME24H',
  'TOTALTOPTIERVOLUME24HTO',
  'IMAGEURL',
] as const;

export type TopListRaw = Record<(typeof TOPLIST_RAW_KEYS)[number], string | number>;
export type TopListDisplay = Record<(typeof TOPLIST_DISPLAY_KEYS)[number], string>;

export interface CoinInfo {
  Id: string;
  Name: string;
  FullName: string;
  Internal: string;
  ImageUrl: string;
  Url: string;
  Algorithm: string;
  ProofType: string;
  Rating: { Weiss: { Rating: string; TechnologyAdoptionRating: string; MarketPerformanceRating: string } };
  NetHashesPerSecond: number;
  BlockNumber: number;
  BlockTime: number;
  BlockReward: number;
  AssetLaunchDate: string;
  MaxSupply: number;
  Type: number;
  DocumentType: string;
}

/** One `Data[i]` of a `*full` top list. `RAW`/`DISPLAY` are absent for the coin that is the tsym itself. */
export interface TopListItem {
  CoinInfo: CoinInfo;
  RAW?: Record<string, TopListRaw>;
  DISPLAY?: Record<string, TopListDisplay>;
}

export interface CoinListItem {
  Id: string;
  Url: string;
  ImageUrl: string;
  ContentCreatedOn: number;
  Name: string;
  Symbol: string;
  CoinName: string;
  FullName: string;
  Description: string;
  AssetTokenStatus: string;
  Algorithm: string;
  ProofType: string;
  SortOrder: string;
  Sponsored: boolean;
  Taxonomy: Record<string, string>;
  Rating: CoinInfo['Rating'];
  IsTrading: boolean;
}

// -------------------------------------------------------------------------------------------------
// Coin metadata

const IMAGE_IDS: Readonly<Record<string, number>> = { BTC: 37746251, ETH: 37746238, SOL: 37747734, DOGE: 37746339 };
const WEISS: Readonly<Record<string, readonly [string, string, string]>> = {
  BTC: ['B+', 'A-', 'D'],
  ETH: ['B-', 'B', 'D'],
  SOL: ['D+', 'D', 'C'],
  DOGE: ['C+', 'B-', 'E+'],
};
// block time (s), block reward
const BLOCKS: Readonly<Record<string, readonly [number, number]>> = {
  BTC: [600, 6.25],
  ETH: [12, 2],
  LTC: [150, 12.5],
  DOGE: [60, 10_000],
  BCH: [600, 6.25],
  ETC: [13, 2.56],
  XMR: [120, 0.6],
  ZEC: [75, 3.125],
  DASH: [150, 2.3],
  SOL: [0.4, 0],
  ADA: [20, 0],
  DOT: [6, 0],
};

function imageUrl(symbol: string): string {
  const id = IMAGE_IDS[symbol] ?? 37_746_000 + (hashString(`image|${symbol}`) % 2_000);
  return `/media/${id}/${symbol.toLowerCase()}.png`;
}

function rating(symbol: string): CoinInfo['Rating'] {
  const [r, t, m] = WEISS[symbol] ?? ['', '', ''];
  return { Weiss: { Rating: r, TechnologyAdoptionRating: t, MarketPerformanceRating: m } };
}

/** Circulating supply at instant t: grows linearly from the 2023-01-01 value, capped at MaxSupply. */
export function supplyAt(coin: SimCoin, t: number): number {
  const years = (t - Date.UTC(2023, 0, 1) / 1000) / (365 * DAY_SECONDS);
  let s = coin.supply * (1 + coin.supplyGrowth * years);
  s = Math.max(s, coin.supply * 0.05);
  if (coin.maxSupply > 0) s = Math.min(s, coin.maxSupply);
  return Math.round(s * 100) / 100;
}

function coinInfo(coin: SimCoin, t: number): CoinInfo {
  const [blockTime, blockReward] = BLOCKS[coin.symbol] ?? [0, 0];
  const pow = coin.proofType.startsWith('PoW');
  return {
    Id: coin.id,
    Name: coin.symbol,
    FullName: coin.coinName,
    Internal: coin.symbol,
    ImageUrl: imageUrl(coin.symbol),
    Url: `/coins/${coin.symbol.toLowerCase()}/overview`,
    Algorithm: coin.algorithm,
    ProofType: coin.proofType,
    Rating: rating(coin.symbol),
    NetHashesPerSecond: pow ? Math.round(1e9 * 10 ** (6 * unit(hashString(`hash|${coin.symbol}`)))) : 0,
    BlockNumber: blockTime > 0 ? Math.max(0, Math.floor((t - coin.launch) / blockTime)) : 0,
    BlockTime: blockTime,
    BlockReward: blockReward,
    AssetLaunchDate: isoDay(coin.launch),
    MaxSupply: coin.maxSupply,
    Type: 1,
    DocumentType: 'Webpagecoinp',
  };
}

const STABLE_TAXONOMY: Record<string, string> = {
  Access: 'Permissioned',
  FCA: 'Exchange,Asset',
  FINMA: 'Payment,Asset',
  Industry: 'Financial and Insurance Activities',
  CollateralizedAsset: 'Yes',
  CollateralizedAssetType: 'Stablecoin',
  CollateralType: 'Currency',
  CollateralInfo: '',
};
const EMPTY_TAXONOMY: Record<string, string> = {
  Access: '',
  FCA: '',
  FINMA: '',
  Industry: '',
  CollateralizedAsset: '',
  CollateralizedAssetType: '',
  CollateralType: '',
  CollateralInfo: '',
};

/** When the coin's page was created: some time on its launch day (runtime coins: their launch). */
export function contentCreatedOn(coin: SimCoin): number {
  return coin.launch + Math.floor(unit(hashString(`content|${coin.symbol}`)) * DAY_SECONDS);
}

function coinListItem(coin: SimCoin): CoinListItem {
  return {
    Id: coin.id,
    Url: `/coins/${coin.symbol.toLowerCase()}/overview`,
    ImageUrl: imageUrl(coin.symbol),
    ContentCreatedOn: contentCreatedOn(coin),
    Name: coin.symbol,
    Symbol: coin.symbol,
    CoinName: coin.coinName,
    FullName: `${coin.coinName} (${coin.symbol})`,
    Description: `${coin.coinName} (${coin.symbol}) is a digital asset launched on ${isoDay(coin.launch)}. This description is generated by the crypto-ingest min-api simulator.`,
    AssetTokenStatus: 'N/A',
    Algorithm: coin.algorithm,
    ProofType: coin.proofType,
    SortOrder: String(coin.sortOrder),
    Sponsored: false,
    Taxonomy: { ...(isStablecoin(coin.symbol) ? STABLE_TAXONOMY : EMPTY_TAXONOMY) },
    Rating: rating(coin.symbol),
    IsTrading: true,
  };
}

/**
 * `Data` of `/data/all/coinlist`: every coin (catalogue, then runtime listings) whose page exists by
 * the end of UTC day `dayUtcSeconds` (all coins when omitted), keyed by symbol, in sort order.
 */
export function coinList(dayUtcSeconds?: number, symbols?: ReadonlySet<string>): Record<string, CoinListItem> {
  const limit =
    dayUtcSeconds === undefined ? Infinity : Math.floor(dayUtcSeconds / DAY_SECONDS) * DAY_SECONDS + DAY_SECONDS;
  const out: Record<string, CoinListItem> = {};
  const coins = allCoins().sort((a, b) => a.sortOrder - b.sortOrder || (a.symbol < b.symbol ? -1 : 1));
  for (const coin of coins) {
    if (symbols && !symbols.has(coin.symbol)) continue;
    if (contentCreatedOn(coin) >= limit) continue;
    out[coin.symbol] = coinListItem(coin);
  }
  return out;
}

// -------------------------------------------------------------------------------------------------
// Display formatting (as in the captures: "$ 16,613.8", "Ƀ 0.008027", "$ 319.18 B", "-0.82")

const DISPLAY_SYMBOL: Readonly<Record<string, string>> = {
  BTC: 'Ƀ',
  ETH: 'Ξ',
  LTC: 'Ł',
  USD: '$',
  EUR: '€',
  GBP: '£',
  USDT: '₮',
};

function displaySymbol(symbol: string): string {
  return DISPLAY_SYMBOL[symbol] ?? symbol;
}

function groupThousands(fixed: string): string {
  const negative = fixed.startsWith('-');
  const [int = '', frac] = (negative ? fixed.slice(1) : fixed).split('.');
  const grouped = int.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${negative ? '-' : ''}${grouped}${frac !== undefined ? `.${frac}` : ''}`;
}

/** ≥ 10 000: one decimal; ≥ 1: two; below 1: four significant digits. */
export function formatAmount(v: number): string {
  const a = Math.abs(v);
  if (a === 0) return '0';
  if (a >= 10_000) return groupThousands(v.toFixed(1));
  if (a >= 1) return groupThousands(v.toFixed(2));
  const decimals = Math.min(20, 3 - Math.floor(Math.log10(a)));
  return v.toFixed(decimals);
}

/** Large amounts abbreviated with K / M / B / T and two decimals. */
export function formatAbbreviated(v: number): string {
  const a = Math.abs(v);
  for (const [scale, suffix] of [
    [1e12, 'T'],
    [1e9, 'B'],
    [1e6, 'M'],
    [1e3, 'K'],
  ] as const) {
    if (a >= scale) return `${(v / scale).toFixed(2)} ${suffix}`;
  }
  return formatAmount(v);
}

// -------------------------------------------------------------------------------------------------
// Top lists

/** The top-list snapshot instant for UTC day `dayUtcSeconds` (any second of that day). */
export function snapshotInstant(dayUtcSeconds: number): number {
  return Math.floor(dayUtcSeconds / DAY_SECONDS) * DAY_SECONDS - 1;
}

interface Snapshot {
  readonly coin: SimCoin;
  /** Ranking keys, in USD. */
  readonly mktcapUsd: number;
  readonly volumeUsd: number;
}

/** The exchange of the "last trade": one of the coin's USD/USDT/BTC markets listed at t (CCCAGG if none). */
function lastMarket(symbol: string, t: number): string {
  const listings = [
    ...pairListings(symbol, 'USD'),
    ...pairListings(symbol, 'USDT'),
    ...pairListings(symbol, 'BTC'),
  ].filter((p) => p.start <= t && (p.end === undefined || p.end >= t));
  if (listings.length === 0) return 'CCCAGG';
  return listings[hashString(`${symbol}|${t}`) % listings.length]?.exchange ?? 'CCCAGG';
}

function dayIndex(t: number): number {
  return Math.floor((t + 1) / DAY_SECONDS);
}

function coinSeed(symbol: string): number {
  return hashString(`toplist|${symbol}`);
}

function snapshotOf(coin: SimCoin, t: number): Snapshot {
  const priceUsd = usdPriceAt(coin.symbol, t);
  const supply = supplyAt(coin, t);
  const day = dayIndex(t);
  const volumeUsd = supply * priceUsd * coin.turnover * (0.5 + uniformAt(coinSeed(coin.symbol), day, 1));
  return { coin, mktcapUsd: priceUsd * supply, volumeUsd };
}

function ratio(symbol: string, tsym: string, t: number): number {
  return usdPriceAt(symbol, t) / usdPriceAt(tsym, t);
}

function direction(price: number, open: number): string {
  return String(2048 + (price > open ? 1 : price < open ? 2 : 4));
}

function rawFor(s: Snapshot, tsym: string, t: number): TopListRaw {
  const sym = s.coin.symbol;
  const seed = coinSeed(sym);
  const day = dayIndex(t);
  const u = (salt: number): number => uniformAt(seed, day, salt);
  const price = ratio(sym, tsym, t);
  const open24 = ratio(sym, tsym, t - DAY_SECONDS + 1);
  const openHour = ratio(sym, tsym, t - 3_600 + 1);
  const high24 = Math.max(price, open24) * (1 + 0.02 * u(2));
  const low24 = Math.min(price, open24) * (1 - 0.02 * u(3));
  const highHour = Math.max(price, openHour) * (1 + 0.003 * u(4));
  const lowHour = Math.min(price, openHour) * (1 - 0.003 * u(5));
  const tsymUsd = usdPriceAt(tsym, t);
  const supply = supplyAt(s.coin, t);
  const circulating = sym === 'BTC' || sym === 'ETH' || isStablecoin(sym) ? supply : supply * (0.6 + 0.4 * u(6));
  const totalTo = s.volumeUsd / tsymUsd;
  const total = totalTo / price;
  const topTierShare = 0.5 + 0.45 * u(7);
  const direct = pairListings(sym, tsym).some((p) => p.start <= t);
  const pairShare = direct ? 0.05 + 0.35 * u(8) : 0.02 + 0.1 * u(8);
  const vol24 = total * pairShare;
  const volHour = (vol24 / 24) * (0.5 + u(9));
  const lastVolume = (500 / usdPriceAt(sym, t)) * (0.01 + 2 * u(10));
  const via = sym === 'BTC' || tsym === 'BTC' ? 'ETH' : 'BTC';
  return {
    TYPE: '5',
    MARKET: 'CCCAGG',
    FROMSYMBOL: sym,
    TOSYMBOL: tsym,
    FLAGS: direction(price, open24),
    PRICE: price,
    LASTUPDATE: t,
    MEDIAN: price * (1 + 0.001 * (u(11) - 0.5)),
    LASTVOLUME: lastVolume,
    LASTVOLUMETO: lastVolume * price,
    LASTTRADEID: String(hashString(`trade|${sym}|${tsym}|${day}`)),
    VOLUMEDAY: vol24,
    VOLUMEDAYTO: vol24 * price,
    VOLUME24HOUR: vol24,
    VOLUME24HOURTO: vol24 * price,
    OPENDAY: open24,
    HIGHDAY: high24,
    LOWDAY: low24,
    OPEN24HOUR: open24,
    HIGH24HOUR: high24,
    LOW24HOUR: low24,
    LASTMARKET: lastMarket(sym, t),
    VOLUMEHOUR: volHour,
    VOLUMEHOURTO: volHour * price,
    OPENHOUR: openHour,
    HIGHHOUR: highHour,
    LOWHOUR: lowHour,
    TOPTIERVOLUME24HOUR: vol24 * topTierShare,
    TOPTIERVOLUME24HOURTO: vol24 * topTierShare * price,
    CHANGE24HOUR: price - open24,
    CHANGEPCT24HOUR: ((price - open24) / open24) * 100,
    CHANGEDAY: price - open24,
    CHANGEPCTDAY: ((price - open24) / open24) * 100,
    CHANGEHOUR: price - openHour,
    CHANGEPCTHOUR: ((price - openHour) / openHour) * 100,
    CONVERSIONTYPE: direct ? 'direct' : 'multiply',
    CONVERSIONSYMBOL: direct ? '' : via,
    SUPPLY: supply,
    MKTCAP: price * supply,
    MKTCAPPENALTY: 0,
    CIRCULATINGSUPPLY: circulating,
    CIRCULATINGSUPPLYMKTCAP: price * circulating,
    TOTALVOLUME24H: total,
    TOTALVOLUME24HTO: totalTo,
    TOTALTOPTIERVOLUME24H: total * topTierShare,
    TOTALTOPTIERVOLUME24HTO: totalTo * topTierShare,
    IMAGEURL: imageUrl(sym),
  };
}

function displayFor(raw: TopListRaw, fsym: string, tsym: string): TopListDisplay {
  const f = displaySymbol(fsym);
  const q = displaySymbol(tsym);
  const n = (k: keyof TopListRaw): number => Number(raw[k]);
  const base = (k: keyof TopListRaw): string => `${f} ${formatAmount(n(k))}`;
  const quote = (k: keyof TopListRaw): string => `${q} ${formatAmount(n(k))}`;
  const pct = (k: keyof TopListRaw): string => n(k).toFixed(2);
  return {
    FROMSYMBOL: f,
    TOSYMBOL: q,
    MARKET: 'CryptoCompare Index',
    PRICE: quote('PRICE'),
    LASTUPDATE: 'Just now',
    LASTVOLUME: base('LASTVOLUME'),
    LASTVOLUMETO: quote('LASTVOLUMETO'),
    LASTTRADEID: String(raw.LASTTRADEID),
    VOLUMEDAY: base('VOLUMEDAY'),
    VOLUMEDAYTO: quote('VOLUMEDAYTO'),
    VOLUME24HOUR: base('VOLUME24HOUR'),
    VOLUME24HOURTO: quote('VOLUME24HOURTO'),
    OPENDAY: quote('OPENDAY'),
    HIGHDAY: quote('HIGHDAY'),
    LOWDAY: quote('LOWDAY'),
    OPEN24HOUR: quote('OPEN24HOUR'),
    HIGH24HOUR: quote('HIGH24HOUR'),
    LOW24HOUR: quote('LOW24HOUR'),
    LASTMARKET: String(raw.LASTMARKET),
    VOLUMEHOUR: base('VOLUMEHOUR'),
    VOLUMEHOURTO: quote('VOLUMEHOURTO'),
    OPENHOUR: quote('OPENHOUR'),
    HIGHHOUR: quote('HIGHHOUR'),
    LOWHOUR: quote('LOWHOUR'),
    TOPTIERVOLUME24HOUR: base('TOPTIERVOLUME24HOUR'),
    TOPTIERVOLUME24HOURTO: quote('TOPTIERVOLUME24HOURTO'),
    CHANGE24HOUR: quote('CHANGE24HOUR'),
    CHANGEPCT24HOUR: pct('CHANGEPCT24HOUR'),
    CHANGEDAY: quote('CHANGEDAY'),
    CHANGEPCTDAY: pct('CHANGEPCTDAY'),
    CHANGEHOUR: quote('CHANGEHOUR'),
    CHANGEPCTHOUR: pct('CHANGEPCTHOUR'),
    CONVERSIONTYPE: String(raw.CONVERSIONTYPE),
    CONVERSIONSYMBOL: String(raw.CONVERSIONSYMBOL),
    SUPPLY: base('SUPPLY'),
    MKTCAP: `${q} ${formatAbbreviated(n('MKTCAP'))}`,
    MKTCAPPENALTY: `${n('MKTCAPPENALTY')} %`,
    CIRCULATINGSUPPLY: base('CIRCULATINGSUPPLY'),
    CIRCULATINGSUPPLYMKTCAP: `${q} ${formatAbbreviated(n('CIRCULATINGSUPPLYMKTCAP'))}`,
    TOTALVOLUME24H: `${f} ${formatAbbreviated(n('TOTALVOLUME24H'))}`,
    TOTALVOLUME24HTO: `${q} ${formatAbbreviated(n('TOTALVOLUME24HTO'))}`,
    TOTALTOPTIERVOLUME24H: `${f} ${formatAbbreviated(n('TOTALTOPTIERVOLUME24H'))}`,
    TOTALTOPTIERVOLUME24HTO: `${q} ${formatAbbreviated(n('TOTALTOPTIERVOLUME24HTO'))}`,
    IMAGEURL: String(raw.IMAGEURL),
  };
}

/**
 * The full ranked `Data` list of `/data/top/{kind}` in `tsym` as of UTC day `dayUtcSeconds` (any
 * second of the day): catalogue coins launched by the snapshot instant, by market cap or by total
 * 24 h volume (both in USD, so the order is the same in every tsym), ties by symbol.
 */
export function topList(kind: TopListKind, tsym: string, dayUtcSeconds: number): TopListItem[] {
  const t = snapshotInstant(dayUtcSeconds);
  const snaps = catalogueCoins()
    .filter((c) => c.launch <= t)
    .map((c) => snapshotOf(c, t));
  const key = kind === 'mktcapfull' ? (s: Snapshot) => s.mktcapUsd : (s: Snapshot) => s.volumeUsd;
  snaps.sort((a, b) => key(b) - key(a) || (a.coin.symbol < b.coin.symbol ? -1 : 1));
  return snaps.map((s) => {
    const item: TopListItem = { CoinInfo: coinInfo(s.coin, t) };
    if (s.coin.symbol !== tsym) {
      const raw = rawFor(s, tsym, t);
      item.RAW = { [tsym]: raw };
      item.DISPLAY = { [tsym]: displayFor(raw, s.coin.symbol, tsym) };
    }
    return item;
  });
}
