/**
 * The Data API twin's reference routes: spot and futures markets and instruments, and their
 * agreement with the historical routes (listing dates).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { findInstrument, listInstruments, SIM_MARKETS } from './catalog';
import { findFuturesInstrument, FUTURES_MARKETS, listFuturesInstruments } from './futures-catalog';
import { startDataApiServer, type DataApiTestServer, type ErrorEnvelope } from './testkit';
import { expectedInstruments, expectedMarkets, INSTRUMENT_STATUSES, INTERVAL_SECONDS, type SimInterval } from '.';

/** A fixed "now": 2023-11-14T22:13:20Z. */
const NOW = 1_700_000_000;
const ROUTE: Record<SimInterval, string> = { '1m': 'minutes', '1h': 'hours', '1d': 'days' };

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
  // The clock is frozen, so every call lands in the same one-second window.
  await api.control.setLimits('data-api', { second: 1_000_000, minute: 1_000_000 });
});

type Obj = Record<string, unknown>;
interface MarketBody extends Obj {
  INSTRUMENT_STATUS: Record<string, number>;
  MAPPED_INSTRUMENTS_TOTAL: number;
  instruments: Record<string, Obj>;
}

async function data<T = Obj>(path: string, params: Record<string, string | number> = {}): Promise<T> {
  const res = await api.get(path, params);
  expect(res.status, res.text.slice(0, 300)).toBe(200);
  const body = res.json as { Data: T; Err: unknown };
  expect(body.Err).toEqual({});
  return body.Data;
}

async function historical(
  kind: string,
  interval: SimInterval,
  params: Record<string, string | number>,
): Promise<{ status: number; rows: Obj[]; err: ErrorEnvelope['Err'] | undefined }> {
  const res = await api.get(`${kind}/${ROUTE[interval]}`, params);
  const body = res.json as { Data: Obj[]; Err: ErrorEnvelope['Err'] };
  return {
    status: res.status,
    rows: res.status === 200 ? body.Data : [],
    err: res.status === 200 ? undefined : body.Err,
  };
}

const SPOT_INSTRUMENT_KEYS = [
  'TYPE',
  'INSTRUMENT_STATUS',
  'INSTRUMENT',
  'HISTO_SHARD',
  'MAPPED_INSTRUMENT',
  'INSTRUMENT_MAPPING',
  'HAS_TRADES_SPOT',
  'FIRST_TRADE_SPOT_TIMESTAMP',
  'LAST_TRADE_SPOT_TIMESTAMP',
  'TOTAL_TRADES_SPOT',
];

const FUTURES_INSTRUMENT_KEYS = [
  'TYPE',
  'INSTRUMENT_STATUS',
  'INSTRUMENT',
  'HISTO_SHARD',
  'MAPPED_INSTRUMENT',
  'INSTRUMENT_MAPPING',
  'HAS_TRADES_FUTURES',
  'FIRST_TRADE_FUTURES_TIMESTAMP',
  'LAST_TRADE_FUTURES_TIMESTAMP',
  'TOTAL_TRADES_FUTURES',
  'HAS_FUNDING_RATE_UPDATES',
  'FIRST_FUNDING_RATE_UPDATE_TIMESTAMP',
  'LAST_FUNDING_RATE_UPDATE_TIMESTAMP',
  'TOTAL_FUNDING_RATE_UPDATES',
  'HAS_OPEN_INTEREST_UPDATES',
  'FIRST_OPEN_INTEREST_UPDATE_TIMESTAMP',
  'LAST_OPEN_INTEREST_UPDATE_TIMESTAMP',
  'TOTAL_OPEN_INTEREST_UPDATES',
  'CONTRACT_EXPIRATION_TS',
];

describe('spot markets and instruments', () => {
  it('/spot/v1/markets lists every market (TYPE 602) and equals expectedMarkets', async () => {
    const markets = await data<Record<string, MarketBody>>('/spot/v1/markets');
    expect(Object.keys(markets)).toEqual([...SIM_MARKETS].sort());
    expect(markets).toEqual(expectedMarkets('spot', NOW));
    expect(Object.keys(markets.kraken!)).toEqual([
      'TYPE',
      'EXCHANGE_STATUS',
      'MAPPED_INSTRUMENTS_TOTAL',
      'UNMAPPED_INSTRUMENTS_TOTAL',
      'INSTRUMENT_STATUS',
      'TOTAL_TRADES_SPOT',
      'HAS_ORDERBOOK_L2_MINUTE_SNAPSHOTS_ENABLED',
    ]);
    expect(Object.keys(markets.kraken!.INSTRUMENT_STATUS)).toEqual([
      'ACTIVE',
      'IGNORED',
      'RETIRED',
      'EXPIRED',
      'RETIRED_UNMAPPED',
    ]);
    for (const m of Object.values(markets)) {
      const s = m.INSTRUMENT_STATUS;
      expect(s.ACTIVE! + s.RETIRED!).toBe(m.MAPPED_INSTRUMENTS_TOTAL);
    }
    const one = await data<Record<string, MarketBody>>('/spot/v1/markets', { market: 'Kraken' });
    expect(one).toEqual({ kraken: markets.kraken });
    const unknown = await api.get('/spot/v1/markets', { market: 'nowhere' });
    expect(unknown.status).toBe(404);
    expect((unknown.json as ErrorEnvelope).Err.other_info).toEqual({ param: 'market', values: ['nowhere'] });
  });

  it('/spot/v1/markets/instruments defaults to ACTIVE, keys by mapped id and equals expectedInstruments', async () => {
    const body = await data<Record<string, MarketBody>>('/spot/v1/markets/instruments', { market: 'kraken' });
    expect(body).toEqual(expectedInstruments('spot', 'kraken', ['ACTIVE'], NOW));
    const kraken = body.kraken!;
    expect(Object.keys(kraken).at(-1)).toBe('instruments');
    const btc = kraken.instruments['BTC-USD']!;
    expect(Object.keys(btc)).toEqual(SPOT_INSTRUMENT_KEYS);
    expect(btc).toMatchObject({
      TYPE: '612',
      INSTRUMENT_STATUS: 'ACTIVE',
      INSTRUMENT: 'XXBTZUSD',
      MAPPED_INSTRUMENT: 'BTC-USD',
      HAS_TRADES_SPOT: true,
    });
    expect(Object.keys(btc.INSTRUMENT_MAPPING as Obj)).toEqual([
      'MAPPED_INSTRUMENT',
      'BASE',
      'BASE_ID',
      'QUOTE',
      'QUOTE_ID',
      'TRANSFORM_FUNCTION',
      'CREATED_ON',
    ]);
    expect(btc.HISTO_SHARD).toMatch(/^PG_COLLECT_0[1-5]$/);
    // ACTIVE only, and only what is listed as of now.
    const listed = listInstruments('kraken').filter((i) => i.listedAt <= NOW && i.retiredAt === undefined);
    expect(Object.keys(kraken.instruments).sort()).toEqual(listed.map((i) => i.mapped).sort());
    expect(kraken.instruments['LUNA-USD']).toBeUndefined();
    expect(kraken.MAPPED_INSTRUMENTS_TOTAL).toBe(listed.length + 1);

    const retired = await data<Record<string, MarketBody>>('/spot/v1/markets/instruments', {
      market: 'kraken',
      instrument_status: 'RETIRED',
    });
    expect(Object.keys(retired.kraken!.instruments)).toEqual(['LUNA-USD']);
    expect(retired.kraken!.instruments['LUNA-USD']).toMatchObject({
      INSTRUMENT_STATUS: 'RETIRED',
      INSTRUMENT: 'LUNAUSD',
    });

    const all = await data('/spot/v1/markets/instruments', { instrument_status: INSTRUMENT_STATUSES.join(',') });
    expect(all).toEqual(expectedInstruments('spot', undefined, [...INSTRUMENT_STATUSES], NOW));
    expect(Object.keys(all)).toEqual([...SIM_MARKETS].sort());
  });

  it('filters by instruments: all found → 200, some → 200 with Err, none → 404; bad status → 400', async () => {
    const found = await data<Record<string, MarketBody>>('/spot/v1/markets/instruments', {
      market: 'kraken',
      instruments: 'BTC-USD,eth-usd',
    });
    expect(Object.keys(found.kraken!.instruments)).toEqual(['BTC-USD', 'ETH-USD']);

    const partial = await api.get('/spot/v1/markets/instruments', {
      market: 'kraken',
      instruments: 'BTC-USD,NOPE-USD',
    });
    expect(partial.status).toBe(200);
    const partialBody = partial.json as { Data: Record<string, MarketBody>; Err: ErrorEnvelope['Err'] };
    expect(Object.keys(partialBody.Data.kraken!.instruments)).toEqual(['BTC-USD']);
    expect(partialBody.Err.other_info).toEqual({ param: 'instruments', values: ['NOPE-USD'] });

    const none = await api.get('/spot/v1/markets/instruments', { market: 'kraken', instruments: 'NOPE-USD' });
    expect(none.status).toBe(404);
    expect((none.json as ErrorEnvelope).Err.message).toContain('instruments parameter');

    // Across markets, only the markets listing them.
    const across = await data<Record<string, MarketBody>>('/spot/v1/markets/instruments', {
      instruments: 'LUNA-USDT',
      instrument_status: 'RETIRED',
    });
    expect(Object.keys(across)).toEqual(['binance']);

    const bad = await api.get('/spot/v1/markets/instruments', { instrument_status: 'ACTIVE,SLEEPING' });
    expect(bad.status).toBe(400);
    expect((bad.json as ErrorEnvelope).Err.other_info).toEqual({ param: 'instrument_status', values: ['SLEEPING'] });
  });

  it('agrees with the historical routes: FIRST_TRADE = the listing they enforce, LAST_TRADE = the last traded minute', async () => {
    const body = await data<Record<string, MarketBody>>('/spot/v1/markets/instruments', {
      instrument_status: 'ACTIVE,RETIRED',
    });
    for (const market of SIM_MARKETS) {
      const entries = Object.entries(body[market]!.instruments);
      // A few instruments per market, including the retired ones.
      const sample = entries.filter(([, v], i) => i % 29 === 0 || v.INSTRUMENT_STATUS === 'RETIRED');
      for (const [mapped, inst] of sample) {
        const first = inst.FIRST_TRADE_SPOT_TIMESTAMP as number;
        const last = inst.LAST_TRADE_SPOT_TIMESTAMP as number;
        expect(first).toBe(findInstrument(market, mapped)!.listedAt);
        for (const interval of ['1h', '1d'] as const) {
          const L = INTERVAL_SECONDS[interval];
          const p = { market, instrument: mapped, limit: 5 };
          const straddle = await historical('/spot/v1/historical', interval, { ...p, to_ts: first + L });
          expect(straddle.rows[0]!.TIMESTAMP).toBe(Math.floor(first / L) * L);
          const before = await historical('/spot/v1/historical', interval, {
            ...p,
            to_ts: Math.floor(first / L) * L - 1,
          });
          expect(before.status).toBe(400);
          expect(before.err!.message).toContain('was not trading');
          expect(before.err!.other_info.first).toBe(Math.floor(first / L) * L);
        }
        // The latest minute with trades (at or before now / the delisting) ends at LAST_TRADE.
        const minutes = await historical('/spot/v1/historical', '1m', { market, instrument: mapped, limit: 30 });
        const traded = minutes.rows.filter((r) => (r.TOTAL_TRADES as number) > 0);
        expect(traded.at(-1)!.LAST_TRADE_TIMESTAMP, `${market} ${mapped}`).toBe(last);
        if (inst.INSTRUMENT_STATUS === 'RETIRED') {
          const retiredAt = findInstrument(market, mapped)!.retiredAt!;
          expect(minutes.rows.at(-1)!.TIMESTAMP).toBe(retiredAt - 60);
          expect(last).toBeLessThan(retiredAt);
        }
      }
    }
  });

  it('follows the clock: a RETIRED instrument is ACTIVE before its delisting and absent before its listing', async () => {
    const luna = findInstrument('binance', 'LUNA-USDT')!;
    const params = { market: 'binance', instruments: 'LUNA-USDT', instrument_status: 'ACTIVE,RETIRED' };
    await api.control.setClock({ now: luna.retiredAt! - 3600 });
    const before = await data<Record<string, MarketBody>>('/spot/v1/markets/instruments', params);
    expect(before.binance!.instruments['LUNA-USDT']).toMatchObject({ INSTRUMENT_STATUS: 'ACTIVE' });
    const minutes = await historical('/spot/v1/historical', '1m', {
      market: 'binance',
      instrument: 'LUNA-USDT',
      limit: 5,
    });
    expect(minutes.rows.at(-1)!.TIMESTAMP).toBe(Math.floor((luna.retiredAt! - 3600) / 60) * 60);
    await api.control.setClock({ now: luna.listedAt - 1 });
    const notYet = await api.get('/spot/v1/markets/instruments', params);
    expect(notYet.status).toBe(404);
  });

  it('lists runtime instruments (control API) with listedAt as first trade, until reset', async () => {
    const listedAt = NOW - 5 * 3600 - 17;
    await api.control.sourceControl('data-api', '/instruments', {
      market: 'coinbase',
      instrument: 'NEWCOIN-USD',
      listedAt,
    });
    const body = await data<Record<string, MarketBody>>('/spot/v1/markets/instruments', {
      market: 'coinbase',
      instruments: 'NEWCOIN-USD',
    });
    const inst = body.coinbase!.instruments['NEWCOIN-USD']!;
    expect(inst).toMatchObject({
      INSTRUMENT: 'NEWCOIN-USD',
      FIRST_TRADE_SPOT_TIMESTAMP: listedAt,
      INSTRUMENT_STATUS: 'ACTIVE',
    });
    const hours = await historical('/spot/v1/historical', '1h', {
      market: 'coinbase',
      instrument: 'NEWCOIN-USD',
      limit: 50,
    });
    expect(hours.rows[0]!.TIMESTAMP).toBe(Math.floor(listedAt / 3600) * 3600);
    expect(expectedInstruments('spot', 'coinbase', ['ACTIVE'], NOW).coinbase).toMatchObject({
      instruments: { 'NEWCOIN-USD': inst },
    });
    // A runtime instrument can be retired too.
    await api.control.sourceControl('data-api', '/instruments', {
      market: 'coinbase',
      instrument: 'OLDCOIN-USD',
      listedAt: NOW - 86_400,
      retiredAt: NOW - 3600,
    });
    const old = await data<Record<string, MarketBody>>('/spot/v1/markets/instruments', {
      market: 'coinbase',
      instruments: 'OLDCOIN-USD',
      instrument_status: 'RETIRED',
    });
    expect(old.coinbase!.instruments['OLDCOIN-USD']).toMatchObject({ INSTRUMENT_STATUS: 'RETIRED' });
    await api.control.reset();
    await api.control.setClock({ now: NOW });
    await api.control.setLimits('data-api', { second: 1_000_000, minute: 1_000_000 });
    const gone = await api.get('/spot/v1/markets/instruments', { market: 'coinbase', instruments: 'NEWCOIN-USD' });
    expect(gone.status).toBe(404);
  });
});

describe('futures markets and instruments', () => {
  it('/futures/v1/markets lists every futures market (TYPE 604) and equals expectedMarkets', async () => {
    const markets = await data<Record<string, MarketBody>>('/futures/v1/markets');
    expect(Object.keys(markets)).toEqual([...FUTURES_MARKETS].sort());
    expect(markets).toEqual(expectedMarkets('futures', NOW));
    expect(markets.binance).toMatchObject({ ID: 8, TYPE: '604', EXCHANGE_INTERNAL_NAME: 'binance', NAME: 'Binance' });
    expect(Object.keys(markets.binance!).slice(0, 11)).toEqual([
      'ID',
      'TYPE',
      'EXCHANGE_STATUS',
      'EXCHANGE_INTERNAL_NAME',
      'URI',
      'MAPPED_INSTRUMENTS_TOTAL',
      'UNMAPPED_INSTRUMENTS_TOTAL',
      'INSTRUMENT_STATUS',
      'TOTAL_TRADES_FUTURES',
      'TOTAL_OPEN_INTEREST_UPDATES',
      'TOTAL_FUNDING_RATE_UPDATES',
    ]);
    const unknown = await api.get('/futures/v1/markets', { market: 'kraken' });
    expect(unknown.status).toBe(404);
    expect((unknown.json as ErrorEnvelope).Err.message).toContain('futures/v1/markets');
  });

  it('/futures/v1/markets/instruments (TYPE 614): perpetuals without expiry, dated contracts with one, statuses', async () => {
    const body = await data<Record<string, MarketBody>>('/futures/v1/markets/instruments', { market: 'binance' });
    expect(body).toEqual(expectedInstruments('futures', 'binance', ['ACTIVE'], NOW));
    const instruments = body.binance!.instruments;
    const perp = instruments['BTC-USDT-VANILLA-PERPETUAL']!;
    expect(Object.keys(perp)).toEqual(FUTURES_INSTRUMENT_KEYS);
    expect(perp).toMatchObject({
      TYPE: '614',
      INSTRUMENT: 'BTCUSDT',
      CONTRACT_EXPIRATION_TS: null,
      HAS_FUNDING_RATE_UPDATES: true,
      HAS_OPEN_INTEREST_UPDATES: true,
    });
    expect(perp.INSTRUMENT_MAPPING).toEqual({
      MAPPED_INSTRUMENT: 'BTC-USDT-VANILLA-PERPETUAL',
      INDEX_UNDERLYING: 'BTC',
      INDEX_UNDERLYING_ID: 1,
      QUOTE_CURRENCY: 'USDT',
      QUOTE_CURRENCY_ID: 7,
      SETTLEMENT_CURRENCY: 'USDT',
      SETTLEMENT_CURRENCY_ID: 7,
      CONTRACT_CURRENCY: 'BTC',
      CONTRACT_CURRENCY_ID: 1,
      DENOMINATION_TYPE: 'VANILLA',
      TRANSFORM_FUNCTION: '',
      CREATED_ON: (perp.INSTRUMENT_MAPPING as Obj).CREATED_ON,
    });
    const dated = instruments['BTC-USD-INVERSE-20231229']!;
    expect(dated).toMatchObject({
      INSTRUMENT: 'BTCUSD_231229',
      INSTRUMENT_STATUS: 'ACTIVE',
      CONTRACT_EXPIRATION_TS: Date.UTC(2023, 11, 29, 8) / 1000,
      HAS_FUNDING_RATE_UPDATES: false,
      FIRST_FUNDING_RATE_UPDATE_TIMESTAMP: null,
      LAST_FUNDING_RATE_UPDATE_TIMESTAMP: null,
      TOTAL_FUNDING_RATE_UPDATES: 0,
    });
    expect(instruments['BTC-USD-INVERSE-20230929']).toBeUndefined();

    const expired = await data<Record<string, MarketBody>>('/futures/v1/markets/instruments', {
      market: 'binance',
      instrument_status: 'EXPIRED',
    });
    const expiredIds = Object.keys(expired.binance!.instruments);
    expect(expiredIds).toContain('BTC-USD-INVERSE-20230929');
    for (const v of Object.values(expired.binance!.instruments)) {
      expect(v.INSTRUMENT_STATUS).toBe('EXPIRED');
      expect(v.CONTRACT_EXPIRATION_TS as number).toBeLessThanOrEqual(NOW);
      expect(v.LAST_TRADE_FUTURES_TIMESTAMP as number).toBeLessThan(v.CONTRACT_EXPIRATION_TS as number);
    }
    const retired = await data<Record<string, MarketBody>>('/futures/v1/markets/instruments', {
      market: 'binance',
      instrument_status: 'RETIRED',
    });
    expect(Object.keys(retired.binance!.instruments)).toEqual(['LUNA-USDT-VANILLA-PERPETUAL']);
    const all = await data('/futures/v1/markets/instruments', { instrument_status: 'ACTIVE,EXPIRED,RETIRED' });
    expect(all).toEqual(expectedInstruments('futures', undefined, ['ACTIVE', 'EXPIRED', 'RETIRED'], NOW));
  });

  it('agrees with the futures historical routes (trades, funding, open interest)', async () => {
    const body = await data<Record<string, MarketBody>>('/futures/v1/markets/instruments', {
      instrument_status: 'ACTIVE,EXPIRED,RETIRED',
    });
    for (const market of FUTURES_MARKETS) {
      const entries = Object.entries(body[market]!.instruments);
      const sample = entries.filter(([, v], i) => i % 11 === 0 || v.INSTRUMENT_STATUS !== 'ACTIVE').slice(0, 8);
      for (const [mapped, inst] of sample) {
        const p = { market, instrument: mapped };
        const checks = [
          ['/futures/v1/historical', 'TRADE_FUTURES_TIMESTAMP', 'TOTAL_TRADES', 'LAST_TRADE_TIMESTAMP'],
          [
            '/futures/v1/historical/open-interest',
            'OPEN_INTEREST_UPDATE_TIMESTAMP',
            'TOTAL_OPEN_INTEREST_UPDATES',
            'LAST_MESSAGE_TIMESTAMP',
          ],
          [
            '/futures/v1/historical/funding-rate',
            'FUNDING_RATE_UPDATE_TIMESTAMP',
            'TOTAL_FUNDING_RATE_UPDATES',
            undefined,
          ],
        ] as const;
        for (const [path, suffix, countKey, lastKey] of checks) {
          const first = inst[`FIRST_${suffix}`] as number | null;
          const last = inst[`LAST_${suffix}`] as number | null;
          if (first === null) {
            expect((await historical(path, '1h', p)).status, `${market} ${mapped} ${path}`).toBe(404);
            continue;
          }
          const L = 86_400;
          const straddle = await historical(path, '1d', { ...p, limit: 3, to_ts: first + L });
          expect(straddle.rows[0]!.TIMESTAMP, `${market} ${mapped} ${path}`).toBe(Math.floor(first / L) * L);
          const before = await historical(path, '1d', { ...p, to_ts: Math.floor(first / L) * L - 1 });
          expect(before.err!.other_info.first).toBe(Math.floor(first / L) * L);
          const minutes = await historical(path, '1m', { ...p, limit: 30 });
          const active = minutes.rows.filter((r) => (r[countKey] as number) > 0);
          expect(Math.floor(last! / 60) * 60, `${market} ${mapped} ${path}`).toBe(active.at(-1)!.TIMESTAMP);
          if (lastKey) expect(active.at(-1)![lastKey], `${market} ${mapped} ${path}`).toBe(last);
        }
      }
    }
  });

  it('lists runtime futures contracts (control API) on every route', async () => {
    const listedAt = Math.floor(NOW / 3600) * 3600 - 3 * 3600;
    const res = await api.control.sourceControl<{ instrument: { native: string; mapped: string } }>(
      'data-api',
      '/instruments',
      { kind: 'futures', market: 'bybit', instrument: 'PEPE-USDT-VANILLA-PERPETUAL', listedAt },
    );
    expect(res.instrument).toMatchObject({ native: 'PEPEUSDT', mapped: 'PEPE-USDT-VANILLA-PERPETUAL' });
    const body = await data<Record<string, MarketBody>>('/futures/v1/markets/instruments', {
      market: 'bybit',
      instruments: 'PEPE-USDT-VANILLA-PERPETUAL',
    });
    expect(body.bybit!.instruments['PEPE-USDT-VANILLA-PERPETUAL']).toMatchObject({
      FIRST_TRADE_FUTURES_TIMESTAMP: listedAt,
      FIRST_FUNDING_RATE_UPDATE_TIMESTAMP: listedAt,
      FIRST_OPEN_INTEREST_UPDATE_TIMESTAMP: listedAt,
    });
    for (const path of [
      '/futures/v1/historical',
      '/futures/v1/historical/open-interest',
      '/futures/v1/historical/funding-rate',
    ]) {
      const hours = await historical(path, '1h', { market: 'bybit', instrument: 'PEPEUSDT', limit: 10 });
      expect(hours.rows.map((r) => r.TIMESTAMP)).toEqual([0, 1, 2, 3].map((h) => listedAt + h * 3600));
    }
    const dated = await api.control.sourceControl<{ instrument: { expiry: number; native: string } }>(
      'data-api',
      '/instruments',
      { kind: 'futures', market: 'deribit', instrument: 'SOL-USD-INVERSE-20231201', listedAt },
    );
    expect(dated.instrument).toMatchObject({ expiry: Date.UTC(2023, 11, 1, 8) / 1000, native: 'SOL-1DEC23' });
    await expect(
      api.control.sourceControl('data-api', '/instruments', {
        kind: 'futures',
        market: 'binance',
        instrument: 'BTCUSDT',
      }),
    ).rejects.toThrow(/BASE-QUOTE-\(VANILLA\|INVERSE\)/);
    await expect(
      api.control.sourceControl('data-api', '/instruments', {
        kind: 'futures',
        market: 'binance',
        instrument: 'BTC-USDT-VANILLA-PERPETUAL',
      }),
    ).rejects.toThrow(/already lists/);
    const listed = await api.control.sourceControl<{ instruments: unknown[] }>(
      'data-api',
      '/futures-instruments/bybit',
    );
    expect(listed.instruments).toHaveLength(listFuturesInstruments('bybit').length);
    await api.control.reset();
    expect(findFuturesInstrument('bybit', 'PEPEUSDT')).toBeUndefined();
  });
});
