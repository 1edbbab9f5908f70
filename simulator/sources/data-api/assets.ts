/**
 * Asset endpoints of the Data API simulator (api-wire-reference §3.6):
 * - `GET /asset/v1/top/list` — `{"Data":{"STATS":{PAGE,PAGE_SIZE,TOTAL_ASSETS},"LIST":[…]},"Err":{}}`;
 * - `GET /asset/v1/metadata?asset=…` — `Data` is one object (the LIST fields plus metadata).
 *
 * Everything is a deterministic function of the UTC day of the simulator clock: prices follow the
 * same per-asset USD paths as the spot series (sampled at 00:00 UTC of the day), supplies grow
 * slowly, 24-hour volumes are market cap × a daily turnover, so market caps and ranks drift from
 * day to day and "the top list as of day D" is reproducible by setting the clock to any instant of
 * D. Assets appear from their launch day on. LIST item keys follow the order of the documented
 * example (S2); values the simulator does not model are null.
 */
import type { SimRequest, SimResponse } from '../../types';
import { hashString, uniformAt, unit } from '../../random';
import { knownAssets, type SimAsset } from './catalog';
import { roundSig } from './futures-series';
import { assetNotFound, invalidParameter, missingParameter, okResponse, parseIntParam, type Parsed } from './http';
import { assetUsdPrice } from './series';

const DAY = 86_400;
const YEAR = 365.25 * DAY;
const SUPPLY_EPOCH = Date.UTC(2023, 0, 1) / 1000;
/** [inferred] Asset records were created from this instant on (BTC's CREATED_ON in the doc example). */
const RECORD_EPOCH = 1_659_708_643;

export const ASSET_TYPES = ['BLOCKCHAIN', 'FIAT', 'TOKEN', 'STOCK', 'INDEX', 'COMMODITY', 'ETF'] as const;
export type AssetType = (typeof ASSET_TYPES)[number];

export const TOPLIST_SORT_FIELDS = [
  'CIRCULATING_MKT_CAP_USD',
  'TOTAL_MKT_CAP_USD',
  'SPOT_MOVING_24_HOUR_QUOTE_VOLUME_USD',
  'SPOT_MOVING_7_DAY_QUOTE_VOLUME_USD',
  'SPOT_MOVING_30_DAY_QUOTE_VOLUME_USD',
  'SPOT_MOVING_24_HOUR_CHANGE_PERCENTAGE_USD',
  'PRICE_USD',
  'CREATED_ON',
  'LAUNCH_DATE',
] as const;
export type TopListSortField = (typeof TOPLIST_SORT_FIELDS)[number];

export const TOPLIST_DEFAULT_PAGE_SIZE = 100;
export const TOPLIST_MIN_PAGE_SIZE = 10;
export const TOPLIST_MAX_PAGE_SIZE = 100;
export const TOPLIST_MAX_PAGE = 1000;

/** Groups of `/asset/v1/top/list` (documented default set) and the metadata-only ones. [inferred] key membership. */
export const TOPLIST_GROUPS = [
  'ID',
  'BASIC',
  'SUPPLY',
  'PRICE',
  'MKT_CAP',
  'VOLUME',
  'CHANGE',
  'TOPLIST_RANK',
] as const;
export const METADATA_GROUPS = [...TOPLIST_GROUPS, 'RESOURCE_LINKS', 'DESCRIPTION', 'DESCRIPTION_SUMMARY'] as const;

// symbol, name, type, circulating supply on 2023-01-01, max supply (-1: none), yearly supply growth, locked share
type AssetRow = readonly [string, string, AssetType, number, number, number, number];
const ASSET_DETAILS: ReadonlyArray<AssetRow> = [
  ['BTC', 'Bitcoin', 'BLOCKCHAIN', 19_250_000, 21_000_000, 0.017, 0],
  ['ETH', 'Ethereum', 'BLOCKCHAIN', 120_500_000, -1, 0.002, 0],
  ['LTC', 'Litecoin', 'BLOCKCHAIN', 72_000_000, 84_000_000, 0.03, 0],
  ['XRP', 'XRP', 'BLOCKCHAIN', 50_500_000_000, 100_000_000_000, 0.05, 0.45],
  ['USD', 'US Dollar', 'FIAT', 0, -1, 0, 0],
  ['EUR', 'Euro', 'FIAT', 0, -1, 0, 0],
  ['USDT', 'Tether', 'TOKEN', 66_000_000_000, -1, 0.3, 0.02],
  ['USDC', 'USD Coin', 'TOKEN', 44_000_000_000, -1, -0.25, 0],
  ['BCH', 'Bitcoin Cash', 'BLOCKCHAIN', 19_250_000, 21_000_000, 0.017, 0],
  ['ADA', 'Cardano', 'BLOCKCHAIN', 34_500_000_000, 45_000_000_000, 0.03, 0.02],
  ['SOL', 'Solana', 'BLOCKCHAIN', 365_000_000, -1, 0.06, 0.3],
  ['DOT', 'Polkadot', 'BLOCKCHAIN', 1_150_000_000, -1, 0.1, 0.1],
  ['DOGE', 'Dogecoin', 'BLOCKCHAIN', 132_700_000_000, -1, 0.038, 0],
  ['LINK', 'Chainlink', 'TOKEN', 508_000_000, 1_000_000_000, 0.05, 0.49],
  ['XLM', 'Stellar', 'BLOCKCHAIN', 25_900_000_000, 50_001_806_812, 0.08, 0.47],
  ['UNI', 'Uniswap', 'TOKEN', 762_000_000, 1_000_000_000, 0.02, 0.24],
  ['AVAX', 'Avalanche', 'BLOCKCHAIN', 311_000_000, 720_000_000, 0.12, 0.28],
  ['MATIC', 'Polygon', 'TOKEN', 8_730_000_000, 10_000_000_000, 0.06, 0.12],
  ['ATOM', 'Cosmos', 'BLOCKCHAIN', 286_000_000, -1, 0.12, 0.05],
  ['ETC', 'Ethereum Classic', 'BLOCKCHAIN', 138_000_000, 210_700_000, 0.02, 0],
  ['TRX', 'TRON', 'BLOCKCHAIN', 92_000_000_000, -1, -0.02, 0],
  ['XMR', 'Monero', 'BLOCKCHAIN', 18_200_000, -1, 0.009, 0],
  ['EOS', 'EOS', 'BLOCKCHAIN', 1_080_000_000, -1, 0.02, 0.05],
  ['XTZ', 'Tezos', 'BLOCKCHAIN', 930_000_000, -1, 0.05, 0.02],
  ['ALGO', 'Algorand', 'BLOCKCHAIN', 7_100_000_000, 10_000_000_000, 0.1, 0.2],
  ['FIL', 'Filecoin', 'BLOCKCHAIN', 360_000_000, 1_960_000_000, 0.25, 0.3],
  ['AAVE', 'Aave', 'TOKEN', 14_100_000, 16_000_000, 0.01, 0.1],
  ['COMP', 'Compound', 'TOKEN', 7_200_000, 10_000_000, 0.05, 0.28],
  ['MKR', 'Maker', 'TOKEN', 977_000, 1_005_577, 0, 0.02],
  ['SNX', 'Synthetix', 'TOKEN', 250_000_000, -1, 0.15, 0.2],
  ['YFI', 'yearn.finance', 'TOKEN', 33_000, 36_666, 0, 0.09],
  ['SUSHI', 'SushiSwap', 'TOKEN', 230_000_000, 250_000_000, 0.03, 0.05],
  ['BAT', 'Basic Attention Token', 'TOKEN', 1_490_000_000, 1_500_000_000, 0, 0],
  ['ZEC', 'Zcash', 'BLOCKCHAIN', 15_900_000, 21_000_000, 0.05, 0],
  ['DASH', 'Dash', 'BLOCKCHAIN', 11_100_000, 18_920_000, 0.03, 0],
  ['NEO', 'NEO', 'BLOCKCHAIN', 70_500_000, 100_000_000, 0, 0.29],
  ['MANA', 'Decentraland', 'TOKEN', 1_850_000_000, -1, 0.01, 0.15],
  ['SAND', 'The Sandbox', 'TOKEN', 1_500_000_000, 3_000_000_000, 0.2, 0.4],
  ['GRT', 'The Graph', 'TOKEN', 8_800_000_000, -1, 0.03, 0.12],
  ['CRV', 'Curve DAO Token', 'TOKEN', 700_000_000, 3_030_303_031, 0.3, 0.4],
  ['NEAR', 'NEAR Protocol', 'BLOCKCHAIN', 860_000_000, -1, 0.12, 0.2],
  ['APE', 'ApeCoin', 'TOKEN', 320_000_000, 1_000_000_000, 0.2, 0.6],
  ['SHIB', 'Shiba Inu', 'TOKEN', 549_000_000_000_000, -1, 0, 0.4],
  ['ARB', 'Arbitrum', 'TOKEN', 1_275_000_000, 10_000_000_000, 0.8, 0.8],
  ['OP', 'Optimism', 'TOKEN', 215_000_000, 4_294_967_296, 0.9, 0.8],
  ['LDO', 'Lido DAO', 'TOKEN', 840_000_000, 1_000_000_000, 0.04, 0.1],
  ['FTM', 'Fantom', 'BLOCKCHAIN', 2_540_000_000, 3_175_000_000, 0.03, 0.1],
  ['ICP', 'Internet Computer', 'BLOCKCHAIN', 280_000_000, -1, 0.15, 0.4],
  ['HBAR', 'Hedera', 'BLOCKCHAIN', 25_500_000_000, 50_000_000_000, 0.1, 0.45],
  ['VET', 'VeChain', 'BLOCKCHAIN', 72_500_000_000, 86_712_634_466, 0.02, 0],
  ['QNT', 'Quant', 'TOKEN', 12_070_000, 14_612_493, 0, 0.17],
  ['EGLD', 'MultiversX', 'BLOCKCHAIN', 23_500_000, 31_415_926, 0.04, 0.05],
  ['THETA', 'Theta Network', 'BLOCKCHAIN', 1_000_000_000, 1_000_000_000, 0, 0],
  ['RUNE', 'THORChain', 'BLOCKCHAIN', 330_000_000, 500_000_000, 0.03, 0.3],
  ['BNB', 'BNB', 'BLOCKCHAIN', 160_000_000, 200_000_000, -0.03, 0],
  ['LUNA', 'Terra', 'BLOCKCHAIN', 220_000_000, 1_000_000_000, 0.02, 0.3],
  ['FTT', 'FTX Token', 'TOKEN', 328_000_000, 352_170_015, 0, 0.05],
  ['UST', 'TerraUSD', 'TOKEN', 9_900_000_000, -1, 0, 0],
];

const LEGACY_IDS: Readonly<Record<string, number>> = {
  BTC: 1182,
  ETH: 7605,
  LTC: 3808,
  XRP: 5031,
  DOGE: 4432,
  USDT: 171986,
  USD: 0,
};

const STABLE = new Set(['USDT', 'USDC', 'UST']);

interface AssetRecord {
  readonly asset: SimAsset;
  readonly name: string;
  readonly uri: string;
  readonly type: AssetType;
  readonly circulating0: number;
  readonly max: number;
  readonly growth: number;
  readonly lockedShare: number;
  readonly createdOn: number;
  readonly idLegacy: number;
  readonly turnover: number;
}

const RECORDS: readonly AssetRecord[] = (() => {
  const details = new Map(ASSET_DETAILS.map((row) => [row[0], row]));
  return knownAssets().map((asset) => {
    const d = details.get(asset.symbol);
    if (!d) throw new Error(`asset ${asset.symbol} has no top-list details`);
    const [, name, type, circulating0, max, growth, lockedShare] = d;
    const h = unit(hashString(`asset-record|${asset.symbol}`));
    return {
      asset,
      name,
      uri: name
        .toLowerCase()
        .replace(/[^a-z0-9]+/g, '-')
        .replace(/^-|-$/g, ''),
      type,
      circulating0,
      max,
      growth,
      lockedShare,
      createdOn: asset.launch < RECORD_EPOCH ? RECORD_EPOCH + (asset.id - 1) * 3_600 : asset.launch + DAY,
      idLegacy: LEGACY_IDS[asset.symbol] ?? 1_000 + Math.floor(h * 900_000),
      turnover: asset.symbol === 'USDT' ? 0.6 : STABLE.has(asset.symbol) ? 0.15 : 0.01 + 0.09 * h,
    };
  });
})();

// -------------------------------------------------------------------------------------------------
// Daily values

interface DailyValues {
  readonly record: AssetRecord;
  readonly price: number;
  readonly supplyCirculating: number | null;
  readonly supplyTotal: number | null;
  readonly circulatingCap: number | null;
  readonly totalCap: number | null;
  /** Quote volume (USD) over the 24 hours / 7 days / 30 days before 00:00 UTC of the day. */
  readonly volume: { readonly h24: number | null; readonly d7: number | null; readonly d30: number | null };
  /** SPOT_MOVING_24_HOUR_CHANGE_PERCENTAGE_USD. */
  readonly change24Percentage: number;
}

function supplyAt(r: AssetRecord, t: number): number | null {
  if (r.type === 'FIAT') return null;
  const years = (t - SUPPLY_EPOCH) / YEAR;
  const grown = r.circulating0 * Math.max(0.3, 1 + r.growth * years);
  return r.max > 0 ? Math.min(grown, r.max * (1 - r.lockedShare)) : grown;
}

function price(r: AssetRecord, t: number): number {
  return roundSig(assetUsdPrice(r.asset.symbol, t), 12);
}

/** USD quote volume of the 24 hours ending at `dayEnd` (a 00:00 UTC instant). */
function volume24(r: AssetRecord, dayEnd: number): number | null {
  const supply = supplyAt(r, dayEnd);
  if (supply === null) return null;
  const noise = 0.5 * (2 * uniformAt(hashString(`turnover|${r.asset.symbol}`), Math.floor(dayEnd / DAY), 1) - 1);
  return roundSig(price(r, dayEnd) * supply * r.turnover * Math.exp(noise), 12);
}

function sumVolumes(r: AssetRecord, dayEnd: number, days: number): number | null {
  let sum = 0;
  for (let k = 0; k < days; k++) {
    const v = volume24(r, dayEnd - k * DAY);
    if (v === null) return null;
    sum += v;
  }
  return roundSig(sum, 12);
}

function dailyValues(r: AssetRecord, day: number): DailyValues {
  const p = price(r, day);
  const circulating = supplyAt(r, day);
  const total = circulating === null ? null : circulating / (1 - r.lockedShare);
  return {
    record: r,
    price: p,
    supplyCirculating: circulating === null ? null : roundSig(circulating, 12),
    supplyTotal: total === null ? null : roundSig(total, 12),
    circulatingCap: circulating === null ? null : roundSig(p * circulating, 14),
    totalCap: total === null ? null : roundSig(p * total, 14),
    volume: { h24: volume24(r, day), d7: sumVolumes(r, day, 7), d30: sumVolumes(r, day, 30) },
    change24Percentage: changeAt(r, day, DAY, () => 1).percentage,
  };
}

function dayOf(t: number): number {
  return Math.floor(t / DAY) * DAY;
}

/** Records of the assets that exist on a day (launched on or before it). */
function assetsOn(day: number): AssetRecord[] {
  return RECORDS.filter((r) => r.asset.launch <= day);
}

// -------------------------------------------------------------------------------------------------
// Ranking

type SortValue = number | null;

function sortValue(v: DailyValues, field: TopListSortField): SortValue {
  switch (field) {
    case 'CIRCULATING_MKT_CAP_USD':
      return v.circulatingCap;
    case 'TOTAL_MKT_CAP_USD':
      return v.totalCap;
    case 'SPOT_MOVING_24_HOUR_QUOTE_VOLUME_USD':
      return v.volume.h24;
    case 'SPOT_MOVING_7_DAY_QUOTE_VOLUME_USD':
      return v.volume.d7;
    case 'SPOT_MOVING_30_DAY_QUOTE_VOLUME_USD':
      return v.volume.d30;
    case 'SPOT_MOVING_24_HOUR_CHANGE_PERCENTAGE_USD':
      return v.change24Percentage;
    case 'PRICE_USD':
      return v.price;
    case 'CREATED_ON':
      return v.record.createdOn;
    case 'LAUNCH_DATE':
      return v.record.asset.launch;
  }
}

/** [inferred] Nulls sort last in both directions; ties by asset ID ascending. */
function sortBy(values: DailyValues[], field: TopListSortField, direction: 'DESC' | 'ASC'): DailyValues[] {
  const sign = direction === 'DESC' ? -1 : 1;
  const keyed = values.map((v) => ({ v, key: sortValue(v, field) }));
  keyed.sort((a, b) => {
    if (a.key === null || b.key === null) {
      if (a.key !== b.key) return a.key === null ? 1 : -1;
    } else if (a.key !== b.key) {
      return sign * (a.key - b.key);
    }
    return a.v.record.asset.id - b.v.record.asset.id;
  });
  return keyed.map((k) => k.v);
}

const RANK_FIELDS = [
  ['CREATED_ON', 'ASC'],
  ['LAUNCH_DATE', 'ASC'],
  ['CIRCULATING_MKT_CAP_USD', 'DESC'],
  ['TOTAL_MKT_CAP_USD', 'DESC'],
  ['SPOT_MOVING_24_HOUR_QUOTE_VOLUME_USD', 'DESC'],
  ['SPOT_MOVING_7_DAY_QUOTE_VOLUME_USD', 'DESC'],
  ['SPOT_MOVING_30_DAY_QUOTE_VOLUME_USD', 'DESC'],
] as const;

interface DayUniverse {
  readonly day: number;
  readonly values: DailyValues[];
  /** TOPLIST_BASE_RANK per symbol: [inferred] rank among every asset of the day (all types), 1-based. */
  readonly ranks: Map<string, Record<string, number>>;
}

const universeCache = new Map<number, DayUniverse>();

function universe(day: number): DayUniverse {
  const cached = universeCache.get(day);
  if (cached) return cached;
  const values = assetsOn(day).map((r) => dailyValues(r, day));
  const ranks = new Map<string, Record<string, number>>(values.map((v) => [v.record.asset.symbol, {}]));
  for (const [field, direction] of RANK_FIELDS) {
    sortBy(values, field, direction).forEach((v, i) => {
      const rank = ranks.get(v.record.asset.symbol);
      if (rank) rank[field] = i + 1;
    });
  }
  const built = { day, values, ranks };
  if (universeCache.size > 64) universeCache.clear();
  universeCache.set(day, built);
  return built;
}

// -------------------------------------------------------------------------------------------------
// Items

/** Change of the price (in the quote asset `rate` converts to) over `span` seconds before the day. */
function changeAt(r: AssetRecord, day: number, span: number, rate: (t: number) => number) {
  const now = price(r, day) * rate(day);
  const before = price(r, day - span) * rate(day - span);
  const diff = now - before;
  return { value: roundSig(diff, 12), percentage: before === 0 ? 0 : roundSig((diff / before) * 100, 12) };
}

interface QuoteAsset {
  readonly record: AssetRecord;
  /** Units of the quote asset one USD buys at t. */
  readonly rate: (t: number) => number;
}

function quoteAsset(r: AssetRecord): QuoteAsset {
  return { record: r, rate: (t) => (r.asset.symbol === 'USD' ? 1 : 1 / price(r, t)) };
}

const mul = (x: number | null, k: number, digits = 12): number | null => (x === null ? null : roundSig(x * k, digits));

/** The LIST item of one asset on a day (all fields, documented order). */
function listItem(u: DayUniverse, v: DailyValues, quote: QuoteAsset, extra: boolean): Record<string, unknown> {
  const r = v.record;
  const day = u.day;
  const rate = roundSig(quote.rate(day), 12);
  const usdRate = (): number => 1;
  const changes = (span: number) => ({
    usd: changeAt(r, day, span, usdRate),
    conv: changeAt(r, day, span, quote.rate),
  });
  const c24 = changes(DAY);
  const c7 = changes(7 * DAY);
  const c30 = changes(30 * DAY);
  const max = r.type === 'FIAT' ? null : r.max;
  const locked =
    v.supplyTotal === null || v.supplyCirculating === null ? null : roundSig(v.supplyTotal - v.supplyCirculating, 12);
  const future = max === null || v.supplyTotal === null ? null : max > 0 ? roundSig(max - v.supplyTotal, 12) : -1;
  const volumes = (label: '24_HOUR' | '7_DAY' | '30_DAY', usd: number | null): Record<string, number | null> => ({
    [`SPOT_MOVING_${label}_QUOTE_VOLUME_TOP_TIER_DIRECT_USD`]: mul(usd, 0.12),
    [`SPOT_MOVING_${label}_QUOTE_VOLUME_DIRECT_USD`]: mul(usd, 0.14),
    [`SPOT_MOVING_${label}_QUOTE_VOLUME_TOP_TIER_USD`]: mul(usd, 0.6),
    [`SPOT_MOVING_${label}_QUOTE_VOLUME_USD`]: usd,
    [`SPOT_MOVING_${label}_QUOTE_VOLUME_TOP_TIER_CONVERSION`]: mul(usd, 0.6 * rate),
    [`SPOT_MOVING_${label}_QUOTE_VOLUME_CONVERSION`]: mul(usd, rate),
  });
  const changeFields = (label: '24_HOUR' | '7_DAY' | '30_DAY', c: ReturnType<typeof changes>) => ({
    [`SPOT_MOVING_${label}_CHANGE_USD`]: c.usd.value,
    [`SPOT_MOVING_${label}_CHANGE_PERCENTAGE_USD`]: c.usd.percentage,
    [`SPOT_MOVING_${label}_CHANGE_CONVERSION`]: c.conv.value,
    [`SPOT_MOVING_${label}_CHANGE_PERCENTAGE_CONVERSION`]: c.conv.percentage,
  });
  const resourceLinks = extra
    ? {
        WEBSITE_URL: `https://${r.uri}.example.org`,
        BLOG_URL: `https://${r.uri}.example.org/blog`,
        WHITE_PAPER_URL: r.type === 'FIAT' ? null : `https://${r.uri}.example.org/whitepaper.pdf`,
      }
    : {};
  const description = extra
    ? {
        ASSET_DESCRIPTION: `## What is ${r.name}?\n${r.name} (${r.asset.symbol}) is a synthetic ${r.type.toLowerCase()} asset served by the crypto-ingest API simulator.`,
        ASSET_DESCRIPTION_SUMMARY: `${r.name} (${r.asset.symbol}) is a synthetic ${r.type.toLowerCase()} asset served by the crypto-ingest API simulator.`,
      }
    : {};
  return {
    ID: r.asset.id,
    TYPE: '162',
    ID_LEGACY: r.idLegacy,
    ID_PARENT_ASSET: null,
    ID_ASSET_ISSUER: null,
    SYMBOL: r.asset.symbol,
    URI: r.uri,
    ASSET_TYPE: r.type,
    ASSET_ISSUER_NAME: null,
    PARENT_ASSET_SYMBOL: null,
    CREATED_ON: r.createdOn,
    UPDATED_ON: Math.max(r.createdOn, day),
    PUBLIC_NOTICE: null,
    NAME: r.name,
    LOGO_URL: `https://resources.cryptocompare.com/asset-management/${r.asset.id}/${r.createdOn * 1000}.png`,
    LAUNCH_DATE: r.asset.launch,
    PREVIOUS_ASSET_SYMBOLS: null,
    ASSET_ALTERNATIVE_IDS: [
      { NAME: 'CMC', ID: String(r.asset.id) },
      { NAME: 'CG', ID: r.uri },
    ],
    ASSET_DESCRIPTION_SNIPPET: `${r.name} (${r.asset.symbol}) is a synthetic asset of the crypto-ingest API simulator.`,
    ASSET_DECIMAL_POINTS: r.type === 'FIAT' ? 2 : r.type === 'TOKEN' ? 18 : 8,
    SUPPLY_MAX: max,
    SUPPLY_ISSUED: v.supplyTotal,
    SUPPLY_TOTAL: v.supplyTotal,
    SUPPLY_CIRCULATING: v.supplyCirculating,
    SUPPLY_FUTURE: future,
    SUPPLY_LOCKED: locked,
    SUPPLY_BURNT: r.type === 'FIAT' ? null : 0,
    SUPPLY_STAKED: null,
    LAST_BLOCK_MINT: null,
    LAST_BLOCK_BURN: null,
    ...resourceLinks,
    PRICE_USD: v.price,
    PRICE_USD_SOURCE: 'cadli',
    PRICE_USD_LAST_UPDATE_TS: day,
    PRICE_CONVERSION_ASSET: {
      ID: quote.record.asset.id,
      SYMBOL: quote.record.asset.symbol,
      ASSET_TYPE: quote.record.type,
    },
    PRICE_CONVERSION_RATE: rate,
    PRICE_CONVERSION_VALUE: roundSig(v.price * rate, 12),
    PRICE_CONVERSION_SOURCE: 'cadli',
    PRICE_CONVERSION_LAST_UPDATE_TS: day,
    MKT_CAP_PENALTY: r.type === 'FIAT' ? null : 0,
    CIRCULATING_MKT_CAP_USD: v.circulatingCap,
    TOTAL_MKT_CAP_USD: v.totalCap,
    CIRCULATING_MKT_CAP_CONVERSION: mul(v.circulatingCap, rate, 14),
    TOTAL_MKT_CAP_CONVERSION: mul(v.totalCap, rate, 14),
    ...volumes('24_HOUR', v.volume.h24),
    ...volumes('7_DAY', v.volume.d7),
    ...volumes('30_DAY', v.volume.d30),
    ...changeFields('24_HOUR', c24),
    ...changeFields('7_DAY', c7),
    ...changeFields('30_DAY', c30),
    TOPLIST_BASE_RANK: u.ranks.get(r.asset.symbol) ?? {},
    ...description,
  };
}

/** [inferred] Which group each item key belongs to (the groups the doc names; membership by key prefix). */
function groupOf(key: string): (typeof METADATA_GROUPS)[number] {
  if (
    [
      'ID',
      'TYPE',
      'ID_LEGACY',
      'ID_PARENT_ASSET',
      'ID_ASSET_ISSUER',
      'SYMBOL',
      'URI',
      'ASSET_TYPE',
      'ASSET_ISSUER_NAME',
      'PARENT_ASSET_SYMBOL',
      'CREATED_ON',
      'UPDATED_ON',
      'PUBLIC_NOTICE',
    ].includes(key)
  )
    return 'ID';
  if (key.startsWith('SUPPLY_') || key.startsWith('LAST_BLOCK_')) return 'SUPPLY';
  if (key.startsWith('PRICE_')) return 'PRICE';
  if (key.includes('MKT_CAP')) return 'MKT_CAP';
  if (key.includes('_QUOTE_VOLUME_')) return 'VOLUME';
  if (key.includes('_CHANGE_')) return 'CHANGE';
  if (key === 'TOPLIST_BASE_RANK') return 'TOPLIST_RANK';
  if (key === 'WEBSITE_URL' || key === 'BLOG_URL' || key === 'WHITE_PAPER_URL') return 'RESOURCE_LINKS';
  if (key === 'ASSET_DESCRIPTION') return 'DESCRIPTION';
  if (key === 'ASSET_DESCRIPTION_SUMMARY') return 'DESCRIPTION_SUMMARY';
  return 'BASIC';
}

function filterGroups(item: Record<string, unknown>, groups: ReadonlySet<string> | undefined): Record<string, unknown> {
  if (!groups) return item;
  return Object.fromEntries(Object.entries(item).filter(([k]) => groups.has(groupOf(k))));
}

function findQuote(key: string): AssetRecord | undefined {
  const upper = key.toUpperCase();
  return RECORDS.find((r) => r.asset.symbol === upper || String(r.asset.id) === key);
}

// -------------------------------------------------------------------------------------------------
// Expected generators

export interface TopListOptions {
  /** `sort_by` (default CIRCULATING_MKT_CAP_USD). */
  readonly sortBy?: TopListSortField;
  /** `sort_direction` (default DESC). */
  readonly direction?: 'DESC' | 'ASC';
  /** `toplist_quote_asset` symbol (default USD). */
  readonly quote?: string;
  /** `asset_type` filter. */
  readonly assetType?: AssetType;
}

function topList(day: number, opts: TopListOptions, groups?: ReadonlySet<string>): Record<string, unknown>[] {
  const u = universe(day);
  const quoteRecord = findQuote(opts.quote ?? 'USD');
  if (!quoteRecord) throw new Error(`unknown quote asset ${opts.quote}`);
  const quote = quoteAsset(quoteRecord);
  const values = opts.assetType ? u.values.filter((v) => v.record.type === opts.assetType) : u.values;
  return sortBy(values, opts.sortBy ?? 'CIRCULATING_MKT_CAP_USD', opts.direction ?? 'DESC').map((v) =>
    filterGroups(listItem(u, v, quote, false), groups),
  );
}

/**
 * The full ordered `LIST` of `/asset/v1/top/list` on the UTC day containing `dayUtcSeconds` (every
 * page concatenated; `STATS.TOTAL_ASSETS` is its length).
 */
export function expectedTopList(dayUtcSeconds: number, opts: TopListOptions = {}): Record<string, unknown>[] {
  return topList(dayOf(dayUtcSeconds), opts);
}

/**
 * The `Data` object of `/asset/v1/metadata?asset=<symbol>[&quote_asset=…]` on the UTC day
 * containing `dayUtcSeconds`. Throws for an unknown (or not yet launched) asset.
 */
export function expectedAssetMetadata(symbol: string, dayUtcSeconds: number, quote = 'USD'): Record<string, unknown> {
  const day = dayOf(dayUtcSeconds);
  const u = universe(day);
  const v = u.values.find((x) => x.record.asset.symbol === symbol.toUpperCase());
  const quoteRecord = findQuote(quote);
  if (!v || !quoteRecord) throw new Error(`unknown asset ${symbol} or quote ${quote} on day ${day}`);
  return listItem(u, v, quoteAsset(quoteRecord), true);
}

// -------------------------------------------------------------------------------------------------
// Routes

function parseEnum<T extends string>(
  query: URLSearchParams,
  name: string,
  valid: readonly T[],
  fallback: T | undefined,
): Parsed<T | undefined> {
  const raw = query.get(name)?.trim();
  if (raw === undefined || raw === '') return { ok: true, value: fallback };
  const upper = raw.toUpperCase() as T;
  if (!valid.includes(upper)) {
    return { ok: false, response: invalidParameter(name, raw, `is not valid (valid: ${valid.join(', ')})`) };
  }
  return { ok: true, value: upper };
}

function parseAssetGroups(query: URLSearchParams, valid: readonly string[]): Parsed<ReadonlySet<string> | undefined> {
  const raw = query.get('groups');
  if (raw === null || raw.trim() === '') return { ok: true, value: undefined };
  const groups = new Set<string>();
  for (const part of raw.split(',')) {
    const name = part.trim().toUpperCase();
    if (name === '') continue;
    if (!valid.includes(name)) {
      return {
        ok: false,
        response: invalidParameter('groups', part.trim(), `is not a valid group (valid: ${valid.join(', ')})`),
      };
    }
    groups.add(name);
  }
  return { ok: true, value: groups.size > 0 ? groups : undefined };
}

function parseQuote(query: URLSearchParams, name: string): Parsed<string> {
  const raw = query.get(name)?.trim();
  if (!raw) return { ok: true, value: 'USD' };
  const found = findQuote(raw);
  return found ? { ok: true, value: found.asset.symbol } : { ok: false, response: assetNotFound(raw, name) };
}

/** `GET /asset/v1/top/list`. */
export function topListRoute(req: SimRequest): SimResponse {
  const q = req.query;
  const pageP = parseIntParam(q, 'page', 1);
  if (!pageP.ok) return pageP.response;
  const page = pageP.value ?? 1;
  if (page < 1 || page > TOPLIST_MAX_PAGE) {
    return invalidParameter('page', String(page), `must be between 1 and ${TOPLIST_MAX_PAGE}`);
  }
  const sizeP = parseIntParam(q, 'page_size', TOPLIST_DEFAULT_PAGE_SIZE);
  if (!sizeP.ok) return sizeP.response;
  const pageSize = sizeP.value ?? TOPLIST_DEFAULT_PAGE_SIZE;
  if (pageSize < TOPLIST_MIN_PAGE_SIZE || pageSize > TOPLIST_MAX_PAGE_SIZE) {
    return invalidParameter(
      'page_size',
      String(pageSize),
      `must be between ${TOPLIST_MIN_PAGE_SIZE} and ${TOPLIST_MAX_PAGE_SIZE}`,
    );
  }
  const sortP = parseEnum(q, 'sort_by', TOPLIST_SORT_FIELDS, 'CIRCULATING_MKT_CAP_USD');
  if (!sortP.ok) return sortP.response;
  const directionP = parseEnum(q, 'sort_direction', ['DESC', 'ASC'] as const, 'DESC');
  if (!directionP.ok) return directionP.response;
  const typeP = parseEnum(q, 'asset_type', ASSET_TYPES, undefined);
  if (!typeP.ok) return typeP.response;
  const industry = q.get('asset_industry')?.trim();
  if (industry) return invalidParameter('asset_industry', industry, 'is not supported by the simulator');
  const groupsP = parseAssetGroups(q, TOPLIST_GROUPS);
  if (!groupsP.ok) return groupsP.response;
  const quoteP = parseQuote(q, 'toplist_quote_asset');
  if (!quoteP.ok) return quoteP.response;

  const list = topList(
    dayOf(req.nowSeconds),
    { sortBy: sortP.value, direction: directionP.value, quote: quoteP.value, assetType: typeP.value },
    groupsP.value,
  );
  return okResponse({
    STATS: { PAGE: page, PAGE_SIZE: pageSize, TOTAL_ASSETS: list.length },
    LIST: list.slice((page - 1) * pageSize, page * pageSize),
  });
}

/** `GET /asset/v1/metadata?asset=…&asset_lookup_priority=SYMBOL|ID|URI&quote_asset=…`. */
export function assetMetadataRoute(req: SimRequest): SimResponse {
  const q = req.query;
  const asset = q.get('asset')?.trim();
  if (!asset) return missingParameter('asset');
  const priorityP = parseEnum(q, 'asset_lookup_priority', ['SYMBOL', 'ID', 'URI'] as const, 'SYMBOL');
  if (!priorityP.ok) return priorityP.response;
  const groupsP = parseAssetGroups(q, METADATA_GROUPS);
  if (!groupsP.ok) return groupsP.response;
  const quoteP = parseQuote(q, 'quote_asset');
  if (!quoteP.ok) return quoteP.response;

  const u = universe(dayOf(req.nowSeconds));
  // [inferred] The priority field is tried first, then the others (SYMBOL, ID, URI).
  const order = [priorityP.value ?? 'SYMBOL', 'SYMBOL', 'ID', 'URI'];
  const matches = (v: DailyValues, by: string): boolean =>
    by === 'SYMBOL'
      ? v.record.asset.symbol === asset.toUpperCase()
      : by === 'ID'
        ? String(v.record.asset.id) === asset
        : v.record.uri === asset.toLowerCase();
  let found: DailyValues | undefined;
  for (const by of order) {
    found = u.values.find((v) => matches(v, by));
    if (found) break;
  }
  // [inferred] Assets not launched yet on the clock's day are unknown, as in the top list.
  if (!found) return assetNotFound(asset);
  const quoteRecord = findQuote(quoteP.value);
  if (!quoteRecord) return assetNotFound(quoteP.value, 'quote_asset');
  return okResponse(filterGroups(listItem(u, found, quoteAsset(quoteRecord), true), groupsP.value));
}
