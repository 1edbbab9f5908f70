/**
 * The Data API twin's asset routes: `/asset/v1/top/list` and `/asset/v1/metadata`, envelopes,
 * paging, lookups and errors.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startDataApiServer, type DataApiTestServer, type ErrorEnvelope } from './testkit';
import { expectedAssetMetadata, expectedTopList, type TopListOptions } from '.';

/** A fixed "now": 2023-11-14T22:13:20Z. */
const NOW = 1_700_000_000;
const DAY = 86_400;
const TODAY = Math.floor(NOW / DAY) * DAY;

let api: DataApiTestServer;

beforeAll(async () => {
  api = await startDataApiServer();
});

afterAll(async () => {
  await api.close();
});

beforeEach(async () => {
  await api.control.reset();
  await api.control.setClock({ now: NOW });
  await api.control.setLimits('data-api', { second: 1_000_000, minute: 1_000_000 });
});

type Item = Record<string, unknown> & { SYMBOL: string; ID: number };
interface TopList {
  STATS: { PAGE: number; PAGE_SIZE: number; TOTAL_ASSETS: number };
  LIST: Item[];
}

async function topList(params: Record<string, string | number> = {}): Promise<TopList> {
  const res = await api.get('/asset/v1/top/list', params);
  expect(res.status, res.text.slice(0, 300)).toBe(200);
  const body = res.json as { Data: TopList; Err: unknown };
  expect(body.Err).toEqual({});
  return body.Data;
}

async function allPages(params: Record<string, string | number> = {}, pageSize = 10): Promise<Item[]> {
  const first = await topList({ ...params, page_size: pageSize });
  const pages = Math.ceil(first.STATS.TOTAL_ASSETS / pageSize);
  const items = [...first.LIST];
  for (let page = 2; page <= pages; page++)
    items.push(...(await topList({ ...params, page, page_size: pageSize })).LIST);
  return items;
}

async function errorOf(path: string, params: Record<string, string | number>) {
  const res = await api.get(path, params);
  const body = res.json as ErrorEnvelope;
  expect(body.Data).toEqual({});
  return { status: res.status, err: body.Err };
}

/** The documented LIST item key order (S2 example). */
const LIST_KEYS = [
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
  'NAME',
  'LOGO_URL',
  'LAUNCH_DATE',
  'PREVIOUS_ASSET_SYMBOLS',
  'ASSET_ALTERNATIVE_IDS',
  'ASSET_DESCRIPTION_SNIPPET',
  'ASSET_DECIMAL_POINTS',
  'SUPPLY_MAX',
  'SUPPLY_ISSUED',
  'SUPPLY_TOTAL',
  'SUPPLY_CIRCULATING',
  'SUPPLY_FUTURE',
  'SUPPLY_LOCKED',
  'SUPPLY_BURNT',
  'SUPPLY_STAKED',
  'LAST_BLOCK_MINT',
  'LAST_BLOCK_BURN',
  'PRICE_USD',
  'PRICE_USD_SOURCE',
  'PRICE_USD_LAST_UPDATE_TS',
  'PRICE_CONVERSION_ASSET',
  'PRICE_CONVERSION_RATE',
  'PRICE_CONVERSION_VALUE',
  'PRICE_CONVERSION_SOURCE',
  'PRICE_CONVERSION_LAST_UPDATE_TS',
  'MKT_CAP_PENALTY',
  'CIRCULATING_MKT_CAP_USD',
  'TOTAL_MKT_CAP_USD',
  'CIRCULATING_MKT_CAP_CONVERSION',
  'TOTAL_MKT_CAP_CONVERSION',
  ...['24_HOUR', '7_DAY', '30_DAY'].flatMap((w) =>
    ['TOP_TIER_DIRECT_USD', 'DIRECT_USD', 'TOP_TIER_USD', 'USD', 'TOP_TIER_CONVERSION', 'CONVERSION'].map(
      (s) => `SPOT_MOVING_${w}_QUOTE_VOLUME_${s}`,
    ),
  ),
  ...['24_HOUR', '7_DAY', '30_DAY'].flatMap((w) =>
    ['USD', 'PERCENTAGE_USD', 'CONVERSION', 'PERCENTAGE_CONVERSION'].map((s) => `SPOT_MOVING_${w}_CHANGE_${s}`),
  ),
  'TOPLIST_BASE_RANK',
];

const symbols = (items: ReadonlyArray<Record<string, unknown>>): unknown[] => items.map((i) => i.SYMBOL);

describe('/asset/v1/top/list', () => {
  it('defaults to page 1 of 100 by circulating market cap (DESC), item keys in the documented order', async () => {
    const data = await topList();
    expect(Object.keys(data)).toEqual(['STATS', 'LIST']);
    expect(data.STATS.PAGE).toBe(1);
    expect(data.STATS.PAGE_SIZE).toBe(100);
    const expected = expectedTopList(NOW);
    expect(data.STATS.TOTAL_ASSETS).toBe(expected.length);
    expect(data.LIST).toEqual(expected.slice(0, 100));
    expect(data.LIST[0]!.SYMBOL).toBe('BTC');
    for (const item of data.LIST) {
      expect(Object.keys(item)).toEqual(LIST_KEYS);
      expect(item.TYPE).toBe('162');
      expect(item.PRICE_USD_SOURCE).toBe('cadli');
    }
    const caps = data.LIST.map((i) => i.CIRCULATING_MKT_CAP_USD as number | null);
    const known = caps.filter((c): c is number => c !== null);
    expect(known).toEqual([...known].sort((a, b) => b - a));
    // Fiat (no market cap) sorts last.
    expect(caps.slice(known.length).every((c) => c === null)).toBe(true);
    expect(data.LIST.at(-1)!.ASSET_TYPE).toBe('FIAT');
    const btc = data.LIST[0]!;
    expect(btc).toMatchObject({ ID: 1, ID_LEGACY: 1182, URI: 'bitcoin', NAME: 'Bitcoin', ASSET_TYPE: 'BLOCKCHAIN' });
    expect(btc.CIRCULATING_MKT_CAP_USD as number).toBeCloseTo(
      (btc.PRICE_USD as number) * (btc.SUPPLY_CIRCULATING as number),
      -3,
    );
    expect(btc.PRICE_CONVERSION_ASSET).toEqual({ ID: 5, SYMBOL: 'USD', ASSET_TYPE: 'FIAT' });
    // TOPLIST_BASE_RANK.CIRCULATING_MKT_CAP_USD is the position in this list.
    data.LIST.forEach((item, i) =>
      expect((item.TOPLIST_BASE_RANK as Record<string, number>).CIRCULATING_MKT_CAP_USD).toBe(i + 1),
    );
  });

  it('paginates (1-based): pages concatenate to the expected full list; a page past the end is empty', async () => {
    const pages = await allPages();
    expect(pages).toEqual(expectedTopList(NOW));
    const total = pages.length;
    const beyond = await topList({ page: Math.ceil(total / 10) + 1, page_size: 10 });
    expect(beyond.LIST).toEqual([]);
    expect(beyond.STATS).toEqual({ PAGE: Math.ceil(total / 10) + 1, PAGE_SIZE: 10, TOTAL_ASSETS: total });
    const second = await topList({ page: 2, page_size: 25 });
    expect(symbols(second.LIST)).toEqual(symbols(pages.slice(25, 50)));
  });

  it('rejects out-of-range pages, page sizes, sort fields, directions and asset types with 400', async () => {
    const invalid: Array<Record<string, string | number>> = [
      { page_size: 9 },
      { page_size: 101 },
      { page: 0 },
      { page: 1001 },
      { page: 'first' },
      { sort_by: 'NAME' },
      { sort_direction: 'UP' },
      { asset_type: 'MEME' },
      { groups: 'ID,NOPE' },
    ];
    for (const params of invalid) {
      const res = await errorOf('/asset/v1/top/list', params);
      expect(res.status, JSON.stringify(params)).toBe(400);
      expect(res.err.type).toBe(1);
    }
    const quote = await errorOf('/asset/v1/top/list', { toplist_quote_asset: 'NOPE' });
    expect(quote.status).toBe(404);
    expect(quote.err.other_info).toEqual({ param: 'toplist_quote_asset', values: ['NOPE'] });
  });

  it('evolves by UTC day: same day → same body, other days → other ranks; reproducible from the clock', async () => {
    const a = await api.get('/asset/v1/top/list', { page_size: 50 });
    await api.control.setClock({ now: TODAY + DAY - 1 });
    const b = await api.get('/asset/v1/top/list', { page_size: 50 });
    expect(b.text).toBe(a.text);

    const orders = new Set<string>();
    for (let d = 0; d < 30; d++) orders.add(symbols(expectedTopList(TODAY + d * DAY)).join(','));
    expect(orders.size).toBeGreaterThan(5);

    const day = TODAY + 17 * DAY;
    await api.control.setClock({ now: day + 12_345 });
    expect(await allPages()).toEqual(expectedTopList(day));
    const item = (await topList({ page_size: 10 })).LIST[0]!;
    expect(item.UPDATED_ON).toBe(day);
    expect(item.PRICE_USD_LAST_UPDATE_TS).toBe(day);
  });

  it('lists an asset only from its launch day on', async () => {
    const launch = Date.UTC(2023, 2, 23) / 1000; // ARB
    expect(symbols(expectedTopList(launch - DAY))).not.toContain('ARB');
    expect(symbols(expectedTopList(launch))).toContain('ARB');
    await api.control.setClock({ now: launch - 1 });
    const before = await allPages();
    expect(symbols(before)).not.toContain('ARB');
    await api.control.setClock({ now: launch });
    const after = await allPages();
    expect(after).toHaveLength(before.length + 1);
  });

  it('sorts by the other supported fields and directions and filters by asset_type', async () => {
    const cases: Array<[Record<string, string>, TopListOptions, string]> = [
      [{ sort_by: 'TOTAL_MKT_CAP_USD' }, { sortBy: 'TOTAL_MKT_CAP_USD' }, 'TOTAL_MKT_CAP_USD'],
      [
        { sort_by: 'SPOT_MOVING_24_HOUR_QUOTE_VOLUME_USD', sort_direction: 'ASC' },
        { sortBy: 'SPOT_MOVING_24_HOUR_QUOTE_VOLUME_USD', direction: 'ASC' },
        'SPOT_MOVING_24_HOUR_QUOTE_VOLUME_USD',
      ],
      [{ sort_by: 'PRICE_USD' }, { sortBy: 'PRICE_USD' }, 'PRICE_USD'],
    ];
    for (const [params, opts, field] of cases) {
      const items = await allPages(params);
      expect(items).toEqual(expectedTopList(NOW, opts));
      const values = items.map((i) => i[field] as number | null).filter((v): v is number => v !== null);
      const sorted = [...values].sort((x, y) => (opts.direction === 'ASC' ? x - y : y - x));
      expect(values).toEqual(sorted);
    }
    const tokens = await topList({ asset_type: 'TOKEN' });
    expect(tokens.LIST.length).toBeGreaterThan(10);
    expect(tokens.LIST.every((i) => i.ASSET_TYPE === 'TOKEN')).toBe(true);
    expect(tokens.STATS.TOTAL_ASSETS).toBe(tokens.LIST.length);
    expect(tokens.LIST).toEqual(expectedTopList(NOW, { assetType: 'TOKEN' }));
    // Ranks stay global (not per filter).
    const ranks = tokens.LIST.map((i) => (i.TOPLIST_BASE_RANK as Record<string, number>).CIRCULATING_MKT_CAP_USD);
    expect(ranks[0]).toBeGreaterThan(1);
  });

  it('converts to toplist_quote_asset', async () => {
    const eur = await allPages({ toplist_quote_asset: 'EUR' });
    expect(eur).toEqual(expectedTopList(NOW, { quote: 'EUR' }));
    const usd = expectedTopList(NOW);
    expect(symbols(eur)).toEqual(symbols(usd));
    for (const item of eur.slice(0, 10)) {
      expect(item.PRICE_CONVERSION_ASSET).toEqual({ ID: 6, SYMBOL: 'EUR', ASSET_TYPE: 'FIAT' });
      const rate = item.PRICE_CONVERSION_RATE as number;
      expect(rate).toBeGreaterThan(0.5);
      expect(rate).toBeLessThan(1.5);
      expect(item.PRICE_CONVERSION_VALUE as number).toBeCloseTo((item.PRICE_USD as number) * rate, 3);
    }
  });

  it('filters item keys by groups', async () => {
    const data = await topList({ groups: 'ID,PRICE', page_size: 10 });
    expect(Object.keys(data.LIST[0]!)).toEqual(
      LIST_KEYS.filter((k) => LIST_KEYS.indexOf(k) < 13 || k.startsWith('PRICE_')),
    );
    const rank = await topList({ groups: 'TOPLIST_RANK', page_size: 10 });
    expect(Object.keys(rank.LIST[0]!)).toEqual(['TOPLIST_BASE_RANK']);
  });
});

describe('/asset/v1/metadata', () => {
  it('returns one object: the LIST fields plus metadata, equal to expectedAssetMetadata', async () => {
    const res = await api.get('/asset/v1/metadata', {
      asset: 'BTC',
      asset_lookup_priority: 'SYMBOL',
      quote_asset: 'USD',
    });
    expect(res.status).toBe(200);
    const body = res.json as { Data: Item; Err: unknown };
    expect(body.Err).toEqual({});
    expect(body.Data).toEqual(expectedAssetMetadata('BTC', NOW));
    expect(body.Data).toMatchObject({ SYMBOL: 'BTC', ID: 1 });
    expect(typeof body.Data.WEBSITE_URL).toBe('string');
    expect(typeof body.Data.ASSET_DESCRIPTION).toBe('string');
    // Every LIST field, with the same values as the top list of the day.
    const listItem = expectedTopList(NOW).find((i) => i.SYMBOL === 'BTC')!;
    for (const [k, v] of Object.entries(listItem)) expect(body.Data[k], k).toEqual(v);
    const extra = Object.keys(body.Data).filter((k) => !(k in listItem));
    expect(extra).toEqual([
      'WEBSITE_URL',
      'BLOG_URL',
      'WHITE_PAPER_URL',
      'ASSET_DESCRIPTION',
      'ASSET_DESCRIPTION_SUMMARY',
    ]);
  });

  it('looks assets up by SYMBOL (default), ID or URI, with a quote asset', async () => {
    const bySymbol = await api.get('/asset/v1/metadata', { asset: 'eth' });
    const byId = await api.get('/asset/v1/metadata', { asset: 2, asset_lookup_priority: 'ID' });
    const byUri = await api.get('/asset/v1/metadata', { asset: 'ethereum', asset_lookup_priority: 'URI' });
    expect(byId.text).toBe(bySymbol.text);
    expect(byUri.text).toBe(bySymbol.text);
    const inBtc = await api.get('/asset/v1/metadata', { asset: 'ETH', quote_asset: 'BTC' });
    expect((inBtc.json as { Data: Item }).Data).toEqual(expectedAssetMetadata('ETH', NOW, 'BTC'));
    expect((inBtc.json as { Data: Item }).Data.PRICE_CONVERSION_ASSET).toEqual({
      ID: 1,
      SYMBOL: 'BTC',
      ASSET_TYPE: 'BLOCKCHAIN',
    });
  });

  it('answers unknown assets with 404 and bad parameters with 400', async () => {
    const unknown = await errorOf('/asset/v1/metadata', { asset: 'NOPE' });
    expect(unknown.status).toBe(404);
    expect(unknown.err.type).toBe(1);
    expect(unknown.err.other_info).toEqual({ param: 'asset', values: ['NOPE'] });
    await api.control.setClock({ now: Date.UTC(2023, 2, 22) / 1000 });
    expect((await errorOf('/asset/v1/metadata', { asset: 'ARB' })).status).toBe(404);
    expect((await errorOf('/asset/v1/metadata', {})).status).toBe(400);
    expect((await errorOf('/asset/v1/metadata', { asset: 'BTC', asset_lookup_priority: 'NAME' })).status).toBe(400);
    const quote = await errorOf('/asset/v1/metadata', { asset: 'BTC', quote_asset: 'NOPE' });
    expect(quote.status).toBe(404);
    expect(quote.err.other_info).toEqual({ param: 'quote_asset', values: ['NOPE'] });
  });
});
