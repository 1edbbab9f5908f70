/**
 * min-api reference datasets:
 * - `top-list`: `/data/top/{mktcapfull,totalvolfull}` → `assets` + a dated `top_list_snapshots`
 *   ranking (`list` `mktcap` / `totalvol`, rank = position across pages; `page` is 0-based)
 * - `coinlist`: `/data/all/coinlist` → `assets`
 * - `exchanges`: `/data/v4/all/exchanges` → `markets` + `instruments` (kind spot; an instrument's
 *   first trade is `histo_minute_start_ts`: the floor of min-api backfills)
 *
 * Fields beyond the tables' columns are kept in each row's `attributes` (jsonb).
 */
import { z } from 'zod';
import type {
  AssetRecord,
  InstrumentRecord,
  MarketRecord,
  ReferenceDatasetSpec,
  ReferencePage,
  TopListEntry,
} from '../types';
import { parseWith } from '../http-client';
import { rest } from '../reference';
import { storableTime } from '../../validation';
import { getMinApi } from './client';
import type { MinApiConfig } from './config';

const nnum = z.number().nullable().optional();
const nstr = z.string().nullable().optional();
/** Ids are strings on the wire ("1182"); tolerate a number. */
const id = z.union([z.string().min(1), z.number().int()]).transform(String);
const symbol = z.string().regex(/^[A-Z0-9._]{1,30}$/, 'an upper-case symbol');

/** `YYYY-MM-DD` as served (`AssetLaunchDate`); anything else (e.g. `0000-00-00`, empty) is null. */
function isoDate(v: unknown): string | null {
  if (typeof v !== 'string' || !/^\d{4}-\d{2}-\d{2}/.test(v)) return null;
  const day = v.slice(0, 10);
  return Number.isFinite(Date.parse(`${day}T00:00:00Z`)) && !day.startsWith('0000') ? day : null;
}

// ---------------------------------------------------------------------------------------------
// Top lists

const TOP_LISTS = { mktcapfull: 'mktcap', totalvolfull: 'totalvol' } as const;

export const topListParams = z
  .object({
    /** Endpoint: `/data/top/<list>`; the snapshot's `list` is `mktcap` / `totalvol`. */
    list: z.enum(['mktcapfull', 'totalvolfull']).default('mktcapfull'),
    /** Quote currency of prices, market caps and volumes. */
    tsym: symbol.default('USD'),
    /** Pages of `limit` to take: the top `pages × limit` coins. */
    pages: z.number().int().min(1).max(50).default(1),
    limit: z.number().int().min(10).max(100).default(100),
  })
  .strict();
export type TopListParams = z.output<typeof topListParams>;

const coinInfoSchema = z.looseObject({
  Id: id,
  Name: z.string().min(1),
  FullName: nstr,
  AssetLaunchDate: nstr,
});
const rawQuoteSchema = z.looseObject({
  PRICE: nnum,
  MKTCAP: nnum,
  CIRCULATINGSUPPLY: nnum,
  TOTALVOLUME24HTO: nnum,
});
const topListItemSchema = z.looseObject({
  CoinInfo: coinInfoSchema,
  /** Absent for the coin that is the quote itself. */
  RAW: z.record(z.string(), rawQuoteSchema).nullable().optional(),
  DISPLAY: z.unknown().optional(),
});
/** Note: the top-list envelope has no `Response` key (api-wire-reference §2.6). */
export const topListBody = z.looseObject({
  Type: z.literal(100).optional(),
  MetaData: z.looseObject({ Count: z.number().int().nonnegative() }).nullable().optional(),
  Data: z.array(topListItemSchema),
});

const COIN_INFO_COLUMNS = ['Id', 'Name', 'FullName', 'AssetLaunchDate'];

/** One page (0-based `page`) of a top list → its assets and ranking entries, and the next page token. */
export function mapTopList(
  body: z.output<typeof topListBody>,
  p: TopListParams,
  page: number,
): Pick<ReferencePage, 'assets' | 'topList' | 'next'> {
  const list = TOP_LISTS[p.list];
  const first = page * p.limit;
  const assets: AssetRecord[] = [];
  const topList: TopListEntry[] = [];
  body.Data.forEach((item, i) => {
    const info = item.CoinInfo;
    // The coin list keys a coin without an id of its own (0, empty) by its symbol: so do we here.
    const assetId = info.Id === '0' || info.Id === '' ? `symbol:${info.Name}` : info.Id;
    const raw = item.RAW?.[p.tsym];
    const usd = p.tsym === 'USD' ? raw : undefined;
    assets.push({
      assetId,
      symbol: info.Name,
      name: info.FullName ?? null,
      launchDate: isoDate(info.AssetLaunchDate),
      priceUsd: usd?.PRICE ?? null,
      marketCapUsd: usd?.MKTCAP ?? null,
      supplyCirculating: raw?.CIRCULATINGSUPPLY ?? null,
      attributes: { ...rest(info, COIN_INFO_COLUMNS), ...(item.RAW ? { RAW: item.RAW } : {}) },
    });
    topList.push({
      list,
      quote: p.tsym,
      rank: first + i + 1,
      assetId,
      symbol: info.Name,
      price: raw?.PRICE ?? null,
      marketCap: raw?.MKTCAP ?? null,
      volume24h: raw?.TOTALVOLUME24HTO ?? null,
    });
  });
  const count = body.MetaData?.Count;
  const more =
    page + 1 < p.pages && body.Data.length === p.limit && (count === undefined || first + body.Data.length < count);
  return { assets, topList, next: more ? String(page + 1) : undefined };
}

const topList: ReferenceDatasetSpec<MinApiConfig, TopListParams> = {
  id: 'top-list',
  description: 'Coins ranked by market cap or total volume (min-api /data/top/{mktcapfull,totalvolfull}), dated',
  writes: ['assets', 'top_list_snapshots'],
  paramsSchema: topListParams,
  plannedCalls: (p) => p.pages,
  async fetchPage(ctx, p, token): Promise<ReferencePage> {
    const page = token === undefined ? 0 : Number(token);
    const { json, meta } = await getMinApi(ctx, `/data/top/${p.list}`, { limit: p.limit, page, tsym: p.tsym });
    return { ...meta, ...mapTopList(parseWith(topListBody, json, meta, 'the top list'), p, page) };
  },
};

// ---------------------------------------------------------------------------------------------
// Coin list

export const coinListParams = z
  .object({
    /** Only these symbols (the API's `fsym`, comma-separated); omitted: every coin. */
    fsym: z
      .string()
      .regex(/^[A-Z0-9._]{1,30}(,[A-Z0-9._]{1,30})*$/, 'upper-case symbols, comma-separated')
      .optional(),
  })
  .strict();
export type CoinListParams = z.output<typeof coinListParams>;

const coinListItemSchema = z.looseObject({
  Id: id,
  Name: z.string().min(1),
  Symbol: nstr,
  CoinName: nstr,
});
export const coinListBody = z.looseObject({
  Response: z.literal('Success').optional(),
  Data: z.record(z.string(), coinListItemSchema),
});

const COIN_LIST_COLUMNS = ['Id', 'Symbol', 'CoinName'];

/**
 * `Data` of the coin list → assets, and what was odd about it. `name` is `CoinName` ("Bitcoin"),
 * the same as the top lists' `FullName`; the list's own `FullName` ("Bitcoin (BTC)") stays in
 * `attributes`. Entries that share an `Id` (older answers carry
 * `0` for several coins) would collapse into one asset: each of them is kept apart under
 * `symbol:<symbol>` (its `Id` stays in `attributes`), and the shared ids are reported.
 */
export function mapCoinList(body: z.output<typeof coinListBody>): {
  assets: AssetRecord[];
  warnings: string[];
} {
  const entries = Object.entries(body.Data).map(([key, c]) => ({ c, key, symbol: c.Symbol ?? c.Name ?? key }));
  const byId = new Map<string, string[]>();
  for (const { c, key } of entries) byId.set(c.Id, [...(byId.get(c.Id) ?? []), key]);
  const shared = (id: string) => id === '0' || id === '' || (byId.get(id)?.length ?? 0) > 1;
  // Keyed by the list's own key (unique in the object, the coin's symbol as the list spells it).
  const assets = entries.map(({ c, key, symbol }) => ({
    assetId: shared(c.Id) ? `symbol:${key}` : c.Id,
    symbol,
    name: c.CoinName ?? null,
    attributes: shared(c.Id) ? { ...rest(c, COIN_LIST_COLUMNS), Id: c.Id } : rest(c, COIN_LIST_COLUMNS),
  }));
  const warnings = [...byId]
    .filter(([id]) => shared(id))
    .map(([id, keys]) => {
      const shown = keys.slice(0, 10).join(', ') + (keys.length > 10 ? ` and ${keys.length - 10} more` : '');
      return `coin list: Id ${id} is shared by ${shown} (kept apart, keyed by symbol)`;
    });
  return { assets, warnings };
}

const coinList: ReferenceDatasetSpec<MinApiConfig, CoinListParams> = {
  id: 'coinlist',
  description: 'Every coin CryptoCompare knows, with its metadata (min-api /data/all/coinlist)',
  writes: ['assets'],
  paramsSchema: coinListParams,
  plannedCalls: () => 1,
  async fetchPage(ctx, p): Promise<ReferencePage> {
    const { json, meta } = await getMinApi(ctx, '/data/all/coinlist', p.fsym ? { fsym: p.fsym } : {});
    const { assets, warnings } = mapCoinList(parseWith(coinListBody, json, meta, 'the coin list'));
    return { ...meta, assets, ...(warnings.length > 0 ? { warnings } : {}) };
  },
};

// ---------------------------------------------------------------------------------------------
// Exchanges and their pairs

export const exchangesParams = z
  .object({
    /** Only this exchange (the API's `e`), spelled as CryptoCompare does, e.g. `Coinbase`. */
    exchange: z
      .string()
      .regex(/^[A-Za-z0-9._ -]{1,60}$/)
      .optional(),
    /** Only pairs with this base symbol. */
    fsym: symbol.optional(),
    /** Only top-tier exchanges. */
    topTier: z.boolean().optional(),
  })
  .strict();
export type ExchangesParams = z.output<typeof exchangesParams>;

const pairSchema = z.looseObject({
  histo_minute_start_ts: nnum,
  histo_minute_end_ts: nnum,
  isActive: z.boolean().nullable().optional(),
});
const exchangeSchema = z.looseObject({
  isActive: z.boolean().nullable().optional(),
  isTopTier: z.boolean().nullable().optional(),
  pairs: z
    .record(z.string(), z.looseObject({ tsyms: z.record(z.string(), pairSchema) }))
    .nullable()
    .optional(),
});
export const exchangesBody = z.looseObject({
  Response: z.literal('Success'),
  Data: z.looseObject({ exchanges: z.record(z.string(), exchangeSchema) }),
});

const status = (active: boolean | null | undefined): string | null =>
  active === true ? 'ACTIVE' : active === false ? 'INACTIVE' : null;

/** `Data.exchanges` → markets (kind spot) and their pairs as instruments `FSYM-TSYM`. */
export function mapExchanges(body: z.output<typeof exchangesBody>): {
  markets: MarketRecord[];
  instruments: InstrumentRecord[];
  warnings: string[];
} {
  const markets: MarketRecord[] = [];
  const instruments: InstrumentRecord[] = [];
  const warnings: string[] = [];
  for (const [name, ex] of Object.entries(body.Data.exchanges)) {
    const { pairs, ...fields } = ex;
    markets.push({ kind: 'spot', market: name, status: status(ex.isActive), attributes: fields });
    for (const [fsym, { tsyms }] of Object.entries(pairs ?? {})) {
      for (const [tsym, pair] of Object.entries(tsyms)) {
        instruments.push({
          kind: 'spot',
          market: name,
          instrument: `${fsym}-${tsym}`,
          base: fsym,
          quote: tsym,
          status: status(pair.isActive),
          firstTradeTs: storableTime(
            pair.histo_minute_start_ts,
            `pair ${name}/${fsym}-${tsym} histo_minute_start_ts`,
            warnings,
          ),
          lastTradeTs: storableTime(
            pair.histo_minute_end_ts,
            `pair ${name}/${fsym}-${tsym} histo_minute_end_ts`,
            warnings,
          ),
          attributes: rest(pair, ['histo_minute_start_ts', 'histo_minute_end_ts']),
        });
      }
    }
  }
  return { markets, instruments, warnings };
}

const exchanges: ReferenceDatasetSpec<MinApiConfig, ExchangesParams> = {
  id: 'exchanges',
  description: 'Exchanges and the pairs they list, with first/last minute of history (min-api /data/v4/all/exchanges)',
  writes: ['markets', 'instruments'],
  paramsSchema: exchangesParams,
  plannedCalls: () => 1,
  async fetchPage(ctx, p): Promise<ReferencePage> {
    const { json, meta } = await getMinApi(ctx, '/data/v4/all/exchanges', {
      ...(p.exchange ? { e: p.exchange } : {}),
      ...(p.fsym ? { fsym: p.fsym } : {}),
      ...(p.topTier !== undefined ? { topTier: p.topTier } : {}),
    });
    return { ...meta, ...mapExchanges(parseWith(exchangesBody, json, meta, 'the exchanges list')) };
  },
};

export const MIN_API_REFERENCES = [topList, coinList, exchanges];
