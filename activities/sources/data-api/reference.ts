/**
 * Data API reference datasets:
 * - `assets-top-list`: `/asset/v1/top/list` → `assets` + a dated `top_list_snapshots` ranking
 * - `asset-metadata`: `/asset/v1/metadata` → `assets`
 * - `spot-instruments`: `/spot/v1/markets/instruments` → `markets` + `instruments` (kind spot)
 * - `futures-instruments`: `/futures/v1/markets/instruments` → `markets` + `instruments` (kind futures)
 *
 * Fields beyond the tables' columns are kept in each row's `attributes` (jsonb): nothing is lost.
 */
import { z } from 'zod';
import type { AssetRecord, InstrumentRecord, MarketRecord, ReferenceDatasetSpec, ReferencePage } from '../types';
import { rest } from '../reference';
import { storableTime } from '../../validation';
import { getData, parseData } from './client';
import type { DataApiConfig } from './config';

const nnum = z.number().nullable().optional();
const nstr = z.string().nullable().optional();

/** `LAUNCH_DATE` is a Unix timestamp (seconds) on the Data API; tolerate a date string too. */
function isoDate(v: unknown): string | null {
  if (typeof v === 'number' && Number.isFinite(v) && v > 0) return new Date(v * 1000).toISOString().slice(0, 10);
  if (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}/.test(v)) return v.slice(0, 10);
  return null;
}

// ---------------------------------------------------------------------------------------------
// Assets

const assetItemSchema = z.looseObject({
  ID: z.number().int(),
  SYMBOL: z.string().min(1),
  NAME: nstr,
  ASSET_TYPE: nstr,
  LAUNCH_DATE: z.union([z.number(), z.string()]).nullable().optional(),
  PRICE_USD: nnum,
  CIRCULATING_MKT_CAP_USD: nnum,
  TOTAL_MKT_CAP_USD: nnum,
  SUPPLY_CIRCULATING: nnum,
  SPOT_MOVING_24_HOUR_QUOTE_VOLUME_USD: nnum,
});
type AssetItem = z.output<typeof assetItemSchema>;
const ASSET_COLUMNS = [
  'ID',
  'SYMBOL',
  'NAME',
  'ASSET_TYPE',
  'LAUNCH_DATE',
  'PRICE_USD',
  'CIRCULATING_MKT_CAP_USD',
  'SUPPLY_CIRCULATING',
];

function assetRecord(a: AssetItem): AssetRecord {
  return {
    assetId: String(a.ID),
    symbol: a.SYMBOL,
    name: a.NAME ?? null,
    assetType: a.ASSET_TYPE ?? null,
    launchDate: isoDate(a.LAUNCH_DATE),
    priceUsd: a.PRICE_USD ?? null,
    marketCapUsd: a.CIRCULATING_MKT_CAP_USD ?? null,
    supplyCirculating: a.SUPPLY_CIRCULATING ?? null,
    attributes: rest(a, ASSET_COLUMNS),
  };
}

const TOP_LIST_SORTS = [
  'CIRCULATING_MKT_CAP_USD',
  'TOTAL_MKT_CAP_USD',
  'SPOT_MOVING_24_HOUR_QUOTE_VOLUME_USD',
] as const;

const topListParams = z
  .object({
    /** Ranking (`sort_by`); the snapshot's `list` is its lower-case name. */
    sortBy: z.enum(TOP_LIST_SORTS).default('CIRCULATING_MKT_CAP_USD'),
    /** `toplist_quote_asset`. */
    quote: z
      .string()
      .regex(/^[A-Z0-9]{2,10}$/)
      .default('USD'),
    /** How many pages (of `pageSize`) to take: the top `maxPages × pageSize` assets. */
    maxPages: z.number().int().min(1).max(1_000).default(5),
    pageSize: z.number().int().min(10).max(100).default(100),
    assetType: z.string().optional(),
  })
  .strict();

const topListBody = z.looseObject({
  Data: z.looseObject({
    STATS: z.looseObject({ PAGE: z.number().int(), PAGE_SIZE: z.number().int(), TOTAL_ASSETS: z.number().int() }),
    LIST: z.array(assetItemSchema),
  }),
});

const assetsTopList: ReferenceDatasetSpec<DataApiConfig, z.output<typeof topListParams>> = {
  id: 'assets-top-list',
  description: 'Assets ranked by market cap or volume (Data API /asset/v1/top/list), as a dated snapshot',
  writes: ['assets', 'top_list_snapshots'],
  paramsSchema: topListParams,
  plannedCalls: (p) => p.maxPages,
  async fetchPage(ctx, p, token): Promise<ReferencePage> {
    const page = token === undefined ? 1 : Number(token);
    const { checked, meta } = await getData(ctx, '/asset/v1/top/list', {
      page,
      page_size: p.pageSize,
      sort_by: p.sortBy,
      sort_direction: 'DESC',
      toplist_quote_asset: p.quote,
      ...(p.assetType ? { asset_type: p.assetType } : {}),
    });
    const body = parseData(topListBody, checked, meta);
    const list = body.Data.LIST;
    const first = (page - 1) * p.pageSize;
    const more = page < p.maxPages && first + list.length < body.Data.STATS.TOTAL_ASSETS && list.length > 0;
    return {
      ...meta,
      assets: list.map(assetRecord),
      topList: list.map((a, i) => ({
        list: p.sortBy.toLowerCase(),
        quote: p.quote,
        rank: first + i + 1,
        assetId: String(a.ID),
        symbol: a.SYMBOL,
        price: a.PRICE_USD ?? null,
        marketCap: a.CIRCULATING_MKT_CAP_USD ?? null,
        volume24h: a.SPOT_MOVING_24_HOUR_QUOTE_VOLUME_USD ?? null,
      })),
      next: more ? String(page + 1) : undefined,
    };
  },
};

const metadataParams = z
  .object({
    /** Assets to describe (symbols, ids or URIs, per `lookup`). */
    assets: z.array(z.string().min(1).max(100)).min(1).max(1_000),
    lookup: z.enum(['SYMBOL', 'ID', 'URI']).default('SYMBOL'),
  })
  .strict();

const assetMetadata: ReferenceDatasetSpec<DataApiConfig, z.output<typeof metadataParams>> = {
  id: 'asset-metadata',
  description: 'Asset metadata (Data API /asset/v1/metadata), one request per asset',
  writes: ['assets'],
  paramsSchema: metadataParams,
  plannedCalls: (p) => p.assets.length,
  async fetchPage(ctx, p, token): Promise<ReferencePage> {
    const i = token === undefined ? 0 : Number(token);
    const { checked, meta } = await getData(ctx, '/asset/v1/metadata', {
      asset: p.assets[i]!,
      asset_lookup_priority: p.lookup,
      quote_asset: 'USD',
    });
    const body = parseData(z.looseObject({ Data: assetItemSchema }), checked, meta);
    return { ...meta, assets: [assetRecord(body.Data)], next: i + 1 < p.assets.length ? String(i + 1) : undefined };
  },
};

// ---------------------------------------------------------------------------------------------
// Markets and instruments

const instrumentsParams = z
  .object({
    /** Markets to list (lower case); omitted: every market in one request. */
    markets: z
      .array(z.string().regex(/^[a-z0-9_-]{2,30}$/))
      .min(1)
      .max(200)
      .optional(),
    /** `instrument_status`; RETIRED included so delistings are seen. */
    statuses: z
      .array(z.enum(['ACTIVE', 'IGNORED', 'RETIRED', 'EXPIRED', 'READY_FOR_DECOMMISSIONING', 'RETIRED_UNMAPPED']))
      .min(1)
      .default(['ACTIVE', 'RETIRED', 'EXPIRED']),
  })
  .strict();

const spotInstrumentSchema = z.looseObject({
  INSTRUMENT_STATUS: nstr,
  INSTRUMENT: nstr,
  MAPPED_INSTRUMENT: nstr,
  INSTRUMENT_MAPPING: z.looseObject({ MAPPED_INSTRUMENT: nstr, BASE: nstr, QUOTE: nstr }).nullable().optional(),
  FIRST_TRADE_SPOT_TIMESTAMP: nnum,
  LAST_TRADE_SPOT_TIMESTAMP: nnum,
});
const futuresInstrumentSchema = z.looseObject({
  INSTRUMENT_STATUS: nstr,
  INSTRUMENT: nstr,
  MAPPED_INSTRUMENT: nstr,
  INSTRUMENT_MAPPING: z
    .looseObject({ MAPPED_INSTRUMENT: nstr, INDEX_UNDERLYING: nstr, QUOTE_CURRENCY: nstr })
    .nullable()
    .optional(),
  FIRST_TRADE_FUTURES_TIMESTAMP: nnum,
  LAST_TRADE_FUTURES_TIMESTAMP: nnum,
  CONTRACT_EXPIRATION_TS: nnum,
});

/**
 * `Data` of `/{spot,futures}/v1/markets/instruments` → markets and instruments. Pure; exported for
 * tests. A first/last trade or expiry time a `timestamptz` cannot hold is stored as NULL and reported.
 */
export function mapInstruments(
  kind: 'spot' | 'futures',
  data: Record<string, Record<string, unknown> & { instruments?: Record<string, unknown> | undefined }>,
): { markets: MarketRecord[]; instruments: InstrumentRecord[]; warnings: string[] } {
  const markets: MarketRecord[] = [];
  const instruments: InstrumentRecord[] = [];
  const warnings: string[] = [];
  for (const [name, m] of Object.entries(data)) {
    const { instruments: list, ...marketFields } = m;
    markets.push({
      kind,
      market: name,
      status: typeof marketFields.EXCHANGE_STATUS === 'string' ? marketFields.EXCHANGE_STATUS : null,
      attributes: marketFields,
    });
    for (const [mapped, raw] of Object.entries(list ?? {})) {
      const r = raw as z.output<typeof spotInstrumentSchema> & z.output<typeof futuresInstrumentSchema>;
      const mapping = (r.INSTRUMENT_MAPPING ?? {}) as Record<string, unknown>;
      const instrument = r.MAPPED_INSTRUMENT ?? mapped;
      const time = (v: number | null | undefined, key: string) =>
        storableTime(v, `${kind} instrument ${name}/${instrument} ${key}`, warnings);
      instruments.push({
        kind,
        market: name,
        instrument,
        nativeInstrument: r.INSTRUMENT ?? null,
        base: (kind === 'spot' ? mapping.BASE : mapping.INDEX_UNDERLYING) as string | null | undefined,
        quote: (kind === 'spot' ? mapping.QUOTE : mapping.QUOTE_CURRENCY) as string | null | undefined,
        status: r.INSTRUMENT_STATUS ?? null,
        firstTradeTs:
          kind === 'spot'
            ? time(r.FIRST_TRADE_SPOT_TIMESTAMP, 'FIRST_TRADE_SPOT_TIMESTAMP')
            : time(r.FIRST_TRADE_FUTURES_TIMESTAMP, 'FIRST_TRADE_FUTURES_TIMESTAMP'),
        lastTradeTs:
          kind === 'spot'
            ? time(r.LAST_TRADE_SPOT_TIMESTAMP, 'LAST_TRADE_SPOT_TIMESTAMP')
            : time(r.LAST_TRADE_FUTURES_TIMESTAMP, 'LAST_TRADE_FUTURES_TIMESTAMP'),
        expiresAt: time(r.CONTRACT_EXPIRATION_TS, 'CONTRACT_EXPIRATION_TS'),
        attributes: rest(r, ['INSTRUMENT_STATUS', 'INSTRUMENT', 'MAPPED_INSTRUMENT']),
      });
    }
  }
  return { markets, instruments, warnings };
}

function instrumentsDataset(
  kind: 'spot' | 'futures',
): ReferenceDatasetSpec<DataApiConfig, z.output<typeof instrumentsParams>> {
  const instrumentSchema = kind === 'spot' ? spotInstrumentSchema : futuresInstrumentSchema;
  const body = z.looseObject({
    Data: z.record(z.string(), z.looseObject({ instruments: z.record(z.string(), instrumentSchema).optional() })),
  });
  return {
    id: `${kind}-instruments`,
    description: `${kind === 'spot' ? 'Spot' : 'Futures'} markets and their instruments (Data API /${kind}/v1/markets/instruments)`,
    writes: ['markets', 'instruments'],
    paramsSchema: instrumentsParams,
    plannedCalls: (p) => p.markets?.length ?? 1, // one request per market; all markets in one
    async fetchPage(ctx, p, token): Promise<ReferencePage> {
      const i = token === undefined ? 0 : Number(token);
      const market = p.markets?.[i];
      const { checked, meta } = await getData(ctx, `/${kind}/v1/markets/instruments`, {
        ...(market ? { market } : {}),
        instrument_status: p.statuses.join(','),
      });
      const data = parseData(body, checked, meta).Data;
      const { markets, instruments, warnings } = mapInstruments(kind, data);
      const more = p.markets !== undefined && i + 1 < p.markets.length;
      return {
        ...meta,
        markets,
        instruments,
        next: more ? String(i + 1) : undefined,
        ...(warnings.length > 0 ? { warnings } : {}),
      };
    },
  };
}

export const DATA_API_REFERENCES = [
  assetsTopList,
  assetMetadata,
  instrumentsDataset('spot'),
  instrumentsDataset('futures'),
];
