/**
 * The simulated Data API futures universe: five futures markets, each with perpetual contracts
 * (VANILLA, margined in a stablecoin, and INVERSE, margined in the underlying), quarterly dated
 * contracts and a few RETIRED perpetuals. Everything is derived from fixed tables plus hashes, so
 * every process sees the same universe; contracts can also be listed at runtime (control API).
 *
 * Ids follow the real API: mapped `BTC-USDT-VANILLA-PERPETUAL`, `BTC-USD-INVERSE-PERPETUAL`,
 * dated `BTC-USD-INVERSE-20250328` [inferred: the expiry date replaces PERPETUAL], with each
 * exchange's native naming (`BTCUSDT`, `BTCUSD_PERP`, `BTC-USD-SWAP`, `BTC-PERPETUAL`, `XBTUSD`,
 * `BTCUSD_250328`, `BTC-28MAR25`, `XBTH25`, …).
 */
import { hashString, unit } from '../../random';
import { simAsset, type InstrumentStatus } from './catalog';
import { INTERVAL_SECONDS, type SimInterval } from './series';
import { InstrumentRegistry } from './registry';

const DAY = 86_400;

function utcDay(iso: string): number {
  return Date.parse(`${iso}T00:00:00Z`) / 1000;
}

/** Futures markets the simulator integrates (lowercase, as the real API spells them). */
export const FUTURES_MARKETS = ['binance', 'bitmex', 'bybit', 'deribit', 'okex'] as const;
export type FuturesMarket = (typeof FUTURES_MARKETS)[number];

export type DenominationType = 'VANILLA' | 'INVERSE';

export interface FuturesInstrument {
  readonly market: string;
  /** Mapped id, e.g. `BTC-USDT-VANILLA-PERPETUAL` or `BTC-USD-INVERSE-20250328`. */
  readonly mapped: string;
  /** Exchange-native id, e.g. `BTCUSDT`, `BTCUSD_PERP`, `XBTUSD`. */
  readonly native: string;
  /** INDEX_UNDERLYING. */
  readonly underlying: string;
  readonly underlyingId: number;
  /** QUOTE_CURRENCY. */
  readonly quote: string;
  readonly quoteId: number;
  /** SETTLEMENT_CURRENCY: the quote for VANILLA, the underlying for INVERSE. */
  readonly settlement: string;
  readonly settlementId: number;
  /** CONTRACT_CURRENCY: the underlying for VANILLA, the quote for INVERSE. */
  readonly contractCurrency: string;
  readonly contractCurrencyId: number;
  readonly denomination: DenominationType;
  readonly perpetual: boolean;
  /** CONTRACT_EXPIRATION_TS: the expiry instant of a dated contract (no trades at or after it); null for perpetuals. */
  readonly expiry: number | null;
  /** First instant with trades (Unix seconds). Catalogue listings are day-aligned. */
  readonly listedAt: number;
  /** Delisting instant of a perpetual (exclusive); null while it trades. */
  readonly retiredAt: number | null;
  /** Size of one contract: in the underlying for VANILLA, in the quote currency for INVERSE. */
  readonly contractSize: number;
  /** Funding interval (INTERVAL_MS) of a perpetual; null for dated contracts (no funding). */
  readonly fundingIntervalMs: number | null;
  /** First instant with funding-rate updates (day-aligned); null when the contract has none. */
  readonly fundingFrom: number | null;
  /** First instant with open-interest updates (day-aligned); null when the contract has none. */
  readonly openInterestFrom: number | null;
  /** True for contracts added through the control API. */
  readonly runtime: boolean;
}

interface FuturesMarketSpec {
  readonly id: number;
  readonly name: string;
  readonly website: string;
  /** Exchange launch (LAUNCH_DATE). */
  readonly launch: number;
  /** First day of its vanilla (stablecoin-margined) perpetuals. */
  readonly vanillaStart: number;
  readonly vanillaQuote: 'USDT' | 'USDC';
  /** Share of VANILLA_CANDIDATES it lists (BTC and ETH always). */
  readonly vanillaShare: number;
  /** First day of its inverse perpetuals. */
  readonly inverseStart: number;
  readonly inverseBases: readonly string[];
  /** Underlyings of its quarterly inverse contracts. */
  readonly datedBases: readonly string[];
  /** Whether its dated contracts publish open interest. */
  readonly datedOpenInterest: boolean;
  /** Open-interest integration day (no OI updates before it). */
  readonly openInterestFrom: number;
  /** Funding-rate integration day. */
  readonly fundingFrom: number;
  readonly activity: number;
  readonly vanillaNative: (base: string, quote: string) => string;
  readonly inverseNative: (base: string) => string;
  readonly datedNative: (base: string, expiry: number) => string;
}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const MONTH_CODES: Record<number, string> = { 2: 'H', 5: 'M', 8: 'U', 11: 'Z' };

function ymd(ts: number): { y: number; m: number; d: number } {
  const date = new Date(ts * 1000);
  return { y: date.getUTCFullYear(), m: date.getUTCMonth(), d: date.getUTCDate() };
}

const pad2 = (n: number): string => String(n).padStart(2, '0');
const yymmdd = (ts: number): string => {
  const { y, m, d } = ymd(ts);
  return `${pad2(y % 100)}${pad2(m + 1)}${pad2(d)}`;
};
const yyyymmdd = (ts: number): string => {
  const { y, m, d } = ymd(ts);
  return `${y}${pad2(m + 1)}${pad2(d)}`;
};
const monthCode = (ts: number): string => {
  const { y, m } = ymd(ts);
  return `${MONTH_CODES[m] ?? 'X'}${pad2(y % 100)}`;
};
const bitmexCode = (base: string): string => (base === 'BTC' ? 'XBT' : base);

const MARKETS: Record<FuturesMarket, FuturesMarketSpec> = {
  binance: {
    id: 8,
    name: 'Binance',
    website: 'https://www.binance.com',
    launch: utcDay('2017-07-14'),
    vanillaStart: utcDay('2019-09-08'),
    vanillaQuote: 'USDT',
    vanillaShare: 1,
    inverseStart: utcDay('2020-08-10'),
    inverseBases: ['BTC', 'ETH', 'LTC', 'XRP', 'ADA', 'DOT', 'LINK', 'BCH', 'SOL', 'DOGE'],
    datedBases: ['BTC', 'ETH'],
    datedOpenInterest: true,
    openInterestFrom: utcDay('2022-01-30'),
    fundingFrom: utcDay('2019-09-08'),
    activity: 3,
    vanillaNative: (b, q) => `${b}${q}`,
    inverseNative: (b) => `${b}USD_PERP`,
    datedNative: (b, e) => `${b}USD_${yymmdd(e)}`,
  },
  bitmex: {
    id: 40,
    name: 'BitMEX',
    website: 'https://www.bitmex.com',
    launch: utcDay('2014-11-24'),
    vanillaStart: utcDay('2021-10-19'),
    vanillaQuote: 'USDT',
    vanillaShare: 0.4,
    inverseStart: utcDay('2016-05-13'),
    inverseBases: ['BTC'],
    datedBases: ['BTC'],
    datedOpenInterest: false,
    openInterestFrom: utcDay('2022-05-01'),
    fundingFrom: utcDay('2016-05-13'),
    activity: 0.8,
    vanillaNative: (b, q) => `${bitmexCode(b)}${q}`,
    inverseNative: (b) => `${bitmexCode(b)}USD`,
    datedNative: (b, e) => `${bitmexCode(b)}${monthCode(e)}`,
  },
  bybit: {
    id: 5,
    name: 'Bybit',
    website: 'https://www.bybit.com/',
    launch: utcDay('2018-03-01'),
    vanillaStart: utcDay('2020-03-20'),
    vanillaQuote: 'USDT',
    vanillaShare: 0.85,
    inverseStart: utcDay('2018-12-01'),
    inverseBases: ['BTC', 'ETH', 'XRP', 'EOS'],
    datedBases: ['BTC', 'ETH'],
    datedOpenInterest: true,
    openInterestFrom: utcDay('2022-08-16'),
    fundingFrom: utcDay('2018-12-01'),
    activity: 2,
    vanillaNative: (b, q) => `${b}${q}`,
    inverseNative: (b) => `${b}USD`,
    datedNative: (b, e) => `${b}USD${monthCode(e)}`,
  },
  deribit: {
    id: 33,
    name: 'Deribit',
    website: 'https://www.deribit.com',
    launch: utcDay('2016-06-01'),
    vanillaStart: utcDay('2022-03-16'),
    vanillaQuote: 'USDC',
    vanillaShare: 0.15,
    inverseStart: utcDay('2018-08-14'),
    inverseBases: ['BTC', 'ETH'],
    datedBases: ['BTC', 'ETH'],
    datedOpenInterest: true,
    openInterestFrom: utcDay('2022-06-01'),
    fundingFrom: utcDay('2018-08-14'),
    activity: 1,
    vanillaNative: (b, q) => `${b}_${q}-PERPETUAL`,
    inverseNative: (b) => `${b}-PERPETUAL`,
    datedNative: (b, e) => {
      const { y, m, d } = ymd(e);
      return `${b}-${d}${MONTHS[m] ?? 'XXX'}${pad2(y % 100)}`;
    },
  },
  okex: {
    id: 11,
    name: 'OKX',
    website: 'https://www.okx.com',
    launch: utcDay('2017-01-01'),
    vanillaStart: utcDay('2019-12-20'),
    vanillaQuote: 'USDT',
    vanillaShare: 0.8,
    inverseStart: utcDay('2018-12-11'),
    inverseBases: ['BTC', 'ETH', 'LTC', 'XRP', 'EOS', 'BCH', 'ETC', 'DOT'],
    datedBases: ['BTC', 'ETH'],
    datedOpenInterest: true,
    openInterestFrom: utcDay('2022-03-01'),
    fundingFrom: utcDay('2018-12-11'),
    activity: 1.5,
    vanillaNative: (b, q) => `${b}-${q}-SWAP`,
    inverseNative: (b) => `${b}-USD-SWAP`,
    datedNative: (b, e) => `${b}-USD-${yymmdd(e)}`,
  },
};

/** Underlyings a market may list as vanilla perpetuals (BTC and ETH on every market). */
const VANILLA_CANDIDATES = [
  'BTC',
  'ETH',
  'SOL',
  'XRP',
  'DOGE',
  'ADA',
  'LINK',
  'LTC',
  'DOT',
  'AVAX',
  'MATIC',
  'BCH',
  'UNI',
  'ATOM',
  'ETC',
  'TRX',
  'FIL',
  'NEAR',
  'APE',
  'ARB',
  'OP',
  'LDO',
  'AAVE',
  'SAND',
  'MANA',
  'BNB',
  'XLM',
  'EOS',
  'CRV',
  'ICP',
] as const;

// market, underlying, quote, first day, delisting day (exclusive)
const RETIRED_PERPETUALS: ReadonlyArray<readonly [FuturesMarket, string, string, string, string]> = [
  ['binance', 'LUNA', 'USDT', '2020-09-14', '2022-05-13'],
  ['bybit', 'LUNA', 'USDT', '2021-09-01', '2022-05-13'],
  ['okex', 'FTT', 'USDT', '2020-09-01', '2022-11-15'],
];

const LAST_LISTING_DAY = utcDay('2024-06-30');
/** Quarterly contracts expiring in this range are listed. */
const FIRST_EXPIRY_YEAR = 2021;
const LAST_EXPIRY_YEAR = 2027;
/** Dated contracts list this many days before they expire. */
const DATED_LISTING_DAYS = 182;

/** Relative trading activity of a futures market (1 for unknown ones). */
export function futuresMarketActivity(market: string): number {
  return (MARKETS as Record<string, FuturesMarketSpec | undefined>)[market]?.activity ?? 1;
}

export function isFuturesMarket(market: string): market is FuturesMarket {
  return Object.hasOwn(MARKETS, market);
}

/** The static description of a futures market (undefined for an unknown one). */
export function futuresMarketInfo(
  market: string,
): { id: number; name: string; website: string; launch: number; futuresStart: number } | undefined {
  const spec = (MARKETS as Record<string, FuturesMarketSpec | undefined>)[market];
  if (!spec) return undefined;
  return {
    id: spec.id,
    name: spec.name,
    website: spec.website,
    launch: spec.launch,
    futuresStart: Math.min(spec.vanillaStart, spec.inverseStart),
  };
}

/** Expiry instant of the quarterly contract of a year and month (0-based): last Friday, 08:00 UTC. */
export function quarterlyExpiry(year: number, month: number): number {
  const lastDay = Date.UTC(year, month + 1, 0) / 1000;
  const weekday = new Date(lastDay * 1000).getUTCDay(); // 0 = Sunday, 5 = Friday
  const back = (weekday - 5 + 7) % 7;
  return lastDay - back * DAY + 8 * 3_600;
}

/** One contract size per underlying: a power of ten worth roughly 3–30 USD (VANILLA); 100 or 10 USD (INVERSE). */
function contractSize(underlying: string, denomination: DenominationType): number {
  if (denomination === 'INVERSE') return underlying === 'BTC' ? 100 : 10;
  return 10 ** Math.floor(Math.log10(30 / simAsset(underlying).usd));
}

interface BuildInput {
  readonly market: FuturesMarket;
  readonly underlying: string;
  readonly quote: string;
  readonly denomination: DenominationType;
  readonly expiry: number | null;
  readonly native: string;
  readonly listedAt: number;
  readonly retiredAt: number | null;
  readonly runtime: boolean;
}

function makeInstrument(input: BuildInput): FuturesInstrument {
  const spec = MARKETS[input.market];
  const { underlying, quote, denomination, expiry, listedAt, retiredAt } = input;
  const settlement = denomination === 'VANILLA' ? quote : underlying;
  const contractCurrency = denomination === 'VANILLA' ? underlying : quote;
  const perpetual = expiry === null;
  const end = expiry ?? retiredAt ?? Number.POSITIVE_INFINITY;
  const mapped = `${underlying}-${quote}-${denomination}-${perpetual ? 'PERPETUAL' : yyyymmdd(expiry)}`;
  const dayFloor = (t: number): number => Math.floor(t / DAY) * DAY;
  const fundingStart = dayFloor(Math.max(listedAt, spec.fundingFrom));
  const oiStart = dayFloor(Math.max(listedAt, spec.openInterestFrom));
  const hasOi = (perpetual || spec.datedOpenInterest) && oiStart < end;
  // [inferred] ~15% of binance/bybit vanilla perpetuals fund every 4 hours; everything else every 8.
  const fourHourly =
    denomination === 'VANILLA' &&
    (input.market === 'binance' || input.market === 'bybit') &&
    underlying !== 'BTC' &&
    underlying !== 'ETH' &&
    unit(hashString(`funding-interval|${input.market}|${mapped}`)) < 0.15;
  return {
    market: input.market,
    mapped,
    native: input.native,
    underlying,
    underlyingId: simAsset(underlying).id,
    quote,
    quoteId: simAsset(quote).id,
    settlement,
    settlementId: simAsset(settlement).id,
    contractCurrency,
    contractCurrencyId: simAsset(contractCurrency).id,
    denomination,
    perpetual,
    expiry,
    listedAt,
    retiredAt,
    contractSize: contractSize(underlying, denomination),
    fundingIntervalMs: perpetual ? (fourHourly ? 14_400_000 : 28_800_000) : null,
    fundingFrom: perpetual && fundingStart < end ? fundingStart : null,
    openInterestFrom: hasOi ? oiStart : null,
    runtime: input.runtime,
  };
}

function buildMarket(market: FuturesMarket): FuturesInstrument[] {
  const spec = MARKETS[market];
  const out: FuturesInstrument[] = [];
  const jittered = (key: string, floor: number, maxDays: number): number =>
    Math.min(floor + Math.floor(unit(hashString(key)) * maxDays) * DAY, LAST_LISTING_DAY);

  for (const base of VANILLA_CANDIDATES) {
    const always = base === 'BTC' || base === 'ETH';
    const deribitFixed = market === 'deribit' && ['BTC', 'ETH', 'SOL', 'XRP'].includes(base);
    if (!always && !deribitFixed && unit(hashString(`futures-list|${market}|${base}`)) >= spec.vanillaShare) continue;
    const floor = Math.max(spec.vanillaStart, simAsset(base).launch + 30 * DAY);
    const listedAt = always ? spec.vanillaStart : jittered(`futures-listed|${market}|${base}`, floor, 180);
    out.push(
      makeInstrument({
        market,
        underlying: base,
        quote: spec.vanillaQuote,
        denomination: 'VANILLA',
        expiry: null,
        native: spec.vanillaNative(base, spec.vanillaQuote),
        listedAt,
        retiredAt: null,
        runtime: false,
      }),
    );
  }
  for (const base of spec.inverseBases) {
    const always = base === 'BTC' || base === 'ETH';
    const floor = Math.max(spec.inverseStart, simAsset(base).launch + 30 * DAY);
    const listedAt = always ? floor : jittered(`futures-listed-inverse|${market}|${base}`, floor, 120);
    out.push(
      makeInstrument({
        market,
        underlying: base,
        quote: 'USD',
        denomination: 'INVERSE',
        expiry: null,
        native: spec.inverseNative(base),
        listedAt,
        retiredAt: null,
        runtime: false,
      }),
    );
  }
  for (let year = FIRST_EXPIRY_YEAR; year <= LAST_EXPIRY_YEAR; year++) {
    for (const month of [2, 5, 8, 11]) {
      const expiry = quarterlyExpiry(year, month);
      const listedAt = Math.floor((expiry - DATED_LISTING_DAYS * DAY) / DAY) * DAY;
      if (listedAt < spec.inverseStart) continue;
      for (const base of spec.datedBases) {
        out.push(
          makeInstrument({
            market,
            underlying: base,
            quote: 'USD',
            denomination: 'INVERSE',
            expiry,
            native: spec.datedNative(base, expiry),
            listedAt,
            retiredAt: null,
            runtime: false,
          }),
        );
      }
    }
  }
  for (const [m, base, quote, listed, retired] of RETIRED_PERPETUALS) {
    if (m !== market) continue;
    out.push(
      makeInstrument({
        market,
        underlying: base,
        quote,
        denomination: 'VANILLA',
        expiry: null,
        native: spec.vanillaNative(base, quote),
        listedAt: utcDay(listed),
        retiredAt: utcDay(retired),
        runtime: false,
      }),
    );
  }
  return out;
}

const REGISTRY = new InstrumentRegistry<FuturesMarket, FuturesInstrument>(buildMarket);

/** Every contract of a futures market (catalogue first, then runtime listings), or [] for an unknown market. */
export function listFuturesInstruments(market: string): FuturesInstrument[] {
  return isFuturesMarket(market) ? REGISTRY.list(market) : [];
}

/**
 * Looks a contract up as the real API does: with mapping (default) the mapped id is checked first
 * (case-insensitively), then the native id; without mapping only the native id.
 */
export function findFuturesInstrument(
  market: string,
  instrument: string,
  applyMapping = true,
): FuturesInstrument | undefined {
  return isFuturesMarket(market) ? REGISTRY.find(market, instrument, applyMapping) : undefined;
}

/**
 * Instant after the last trade (exclusive): the expiry of a dated contract, the delisting of a
 * retired perpetual; undefined while the contract trades.
 */
export function futuresTradingEnd(inst: FuturesInstrument): number | undefined {
  return inst.expiry ?? inst.retiredAt ?? undefined;
}

/** A contract's status as of `nowSeconds`, or undefined while it is not listed yet. */
export function futuresInstrumentStatus(inst: FuturesInstrument, nowSeconds: number): InstrumentStatus | undefined {
  if (nowSeconds < inst.listedAt) return undefined;
  if (inst.expiry !== null && nowSeconds >= inst.expiry) return 'EXPIRED';
  if (inst.retiredAt !== null && nowSeconds >= inst.retiredAt) return 'RETIRED';
  return 'ACTIVE';
}

function resolve(market: string, instrument: string): FuturesInstrument {
  const inst = findFuturesInstrument(market.toLowerCase(), instrument);
  if (!inst) throw new Error(`the simulator does not list the futures contract ${instrument} on ${market}`);
  return inst;
}

/**
 * FIRST_TRADE_FUTURES_TIMESTAMP of a contract: the listing instant the futures OHLCV routes enforce.
 * With an interval: the start of the period containing it (the first row those routes serve).
 */
export function futuresListingTimestamp(market: string, instrument: string, interval?: SimInterval): number {
  const listedAt = resolve(market, instrument).listedAt;
  if (interval === undefined) return listedAt;
  const L = INTERVAL_SECONDS[interval];
  return Math.floor(listedAt / L) * L;
}

export interface ListFuturesInstrumentInput {
  readonly market: string;
  /** Mapped id `BASE-QUOTE-(VANILLA|INVERSE)-(PERPETUAL|YYYYMMDD)`. */
  readonly instrument: string;
  /** First instant with trades; default: the start of the current minute. */
  readonly listedAt?: number;
  /** Native id; default: the market's naming rule. */
  readonly nativeInstrument?: string;
  /** Delisting instant of a perpetual (exclusive). */
  readonly retiredAt?: number;
}

/**
 * Lists a futures contract at runtime. A dated contract (`…-YYYYMMDD`) expires that day at 08:00 UTC.
 * Funding (perpetuals) and open interest start at the listing on runtime contracts. Throws on an
 * unknown market, a malformed id, or a contract the catalogue already lists.
 */
export function addRuntimeFuturesInstrument(input: ListFuturesInstrumentInput, nowSeconds: number): FuturesInstrument {
  const market = input.market.toLowerCase();
  if (!isFuturesMarket(market)) {
    throw new Error(`unknown futures market ${input.market} (known: ${FUTURES_MARKETS.join(', ')})`);
  }
  const mapped = input.instrument.toUpperCase();
  const m = /^([A-Z0-9]+)-([A-Z0-9]+)-(VANILLA|INVERSE)-(PERPETUAL|\d{8})$/.exec(mapped);
  if (!m || m[1] === undefined || m[2] === undefined || m[3] === undefined || m[4] === undefined) {
    throw new Error(
      `instrument must be a mapped futures id BASE-QUOTE-(VANILLA|INVERSE)-(PERPETUAL|YYYYMMDD), got ${input.instrument}`,
    );
  }
  if (REGISTRY.catalogueHas(market, mapped)) throw new Error(`${market} already lists ${mapped}`);
  const [underlying, quote, denomination, tail] = [m[1], m[2], m[3] as DenominationType, m[4]];
  const expiry =
    tail === 'PERPETUAL'
      ? null
      : Date.UTC(Number(tail.slice(0, 4)), Number(tail.slice(4, 6)) - 1, Number(tail.slice(6, 8))) / 1000 + 8 * 3_600;
  if (expiry !== null && !Number.isFinite(expiry)) throw new Error(`invalid expiry date in ${input.instrument}`);
  const listedAt = input.listedAt ?? Math.floor(nowSeconds / 60) * 60;
  if (!Number.isInteger(listedAt) || listedAt < 0) throw new Error(`listedAt must be a Unix timestamp in seconds`);
  if (expiry !== null && expiry <= listedAt) throw new Error(`${mapped} would expire before it is listed`);
  const retiredAt = input.retiredAt ?? null;
  if (retiredAt !== null && (!Number.isInteger(retiredAt) || retiredAt <= listedAt || expiry !== null)) {
    throw new Error(`retiredAt must be a Unix timestamp after listedAt, on a perpetual`);
  }
  const spec = MARKETS[market];
  const built = makeInstrument({
    market,
    underlying,
    quote,
    denomination,
    expiry,
    native:
      input.nativeInstrument ??
      (expiry !== null
        ? spec.datedNative(underlying, expiry)
        : denomination === 'VANILLA'
          ? spec.vanillaNative(underlying, quote)
          : spec.inverseNative(underlying)),
    listedAt,
    retiredAt,
    runtime: true,
  });
  // A runtime contract publishes funding (perpetuals) and open interest from its listing on.
  const instrument: FuturesInstrument = {
    ...built,
    fundingFrom: built.perpetual ? listedAt : null,
    openInterestFrom: listedAt,
  };
  REGISTRY.add(market, mapped, instrument);
  return instrument;
}

/** Removes every runtime futures listing. */
export function resetRuntimeFuturesInstruments(): void {
  REGISTRY.reset();
}
