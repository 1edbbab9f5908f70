/**
 * The min-api twin's deterministic series, catalogue and display formatting, without a server.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  CCCAGG,
  LONG_TAIL_COINS,
  MIN_API_EXCHANGES,
  addRuntimePair,
  allCoins,
  findConvertedPair,
  findExchange,
  listPairs,
  pairListings,
  resetRuntimePairs,
  resolveCccagg,
} from './catalog';
import { formatAbbreviated, formatAmount } from './reference';
import {
  DirectSeries,
  HISTO_ROW_KEYS,
  INTERVAL_SECONDS,
  exchangeSeriesSpec,
  isZeroRow,
  type HistoInterval,
  type HistoRow,
} from './series';
import { expectedHisto, pairStart, resolveSeries } from '.';

const NOW = 1_700_000_000;
const INTERVALS: readonly HistoInterval[] = ['1m', '1h', '1d'];

afterEach(() => resetRuntimePairs());

/** Closed rows ending just before NOW's period. */
function page(exchange: string, fsym: string, tsym: string, interval: HistoInterval, n = 2000): HistoRow[] {
  const resolved = resolveSeries(exchange, fsym, tsym, interval);
  if (!resolved) throw new Error(`no ${exchange} ${fsym}-${tsym}`);
  const L = INTERVAL_SECONDS[interval];
  const end = Math.floor(NOW / L) * L - L;
  return resolved.series.rows(end - (n - 1) * L, end);
}

/** Every broken invariant, as text (one expect per call keeps the test fast). */
function rowProblems(rows: HistoRow[], L: number): string[] {
  const problems: string[] = [];
  const keys = JSON.stringify(HISTO_ROW_KEYS);
  rows.forEach((r, i) => {
    const at = `row ${i} (${r.time})`;
    if (JSON.stringify(Object.keys(r)) !== keys) problems.push(`${at}: keys ${Object.keys(r).join()}`);
    if (r.time % L !== 0) problems.push(`${at}: misaligned`);
    const prev = rows[i - 1];
    if (prev && r.time - prev.time !== L) problems.push(`${at}: not contiguous`);
    if (isZeroRow(r)) {
      if (r.conversionType !== 'direct' || r.conversionSymbol !== '') problems.push(`${at}: zero row conversion`);
      return;
    }
    if (prev && !isZeroRow(prev) && r.open !== prev.close) problems.push(`${at}: open ${r.open} != ${prev.close}`);
    if (!(r.low > 0)) problems.push(`${at}: low ${r.low}`);
    if (r.high < Math.max(r.open, r.close)) problems.push(`${at}: high ${r.high} below open/close`);
    if (r.low > Math.min(r.open, r.close)) problems.push(`${at}: low ${r.low} above open/close`);
    if (r.volumefrom === 0 && r.conversionType === 'direct') {
      // Quiet period: flat at the previous close, no volume at all. (A converted row moves with its
      // second leg even when the first leg did not trade.)
      if (r.open !== r.close || r.high !== r.close || r.low !== r.close || r.volumeto !== 0) {
        problems.push(`${at}: quiet row not flat`);
      }
    } else if (r.volumefrom !== 0 && !(r.volumefrom > 0 && r.volumeto > 0)) {
      problems.push(`${at}: volumes ${r.volumefrom}/${r.volumeto}`);
    }
  });
  return problems;
}

function checkRows(rows: HistoRow[], L: number, label: string): void {
  expect(rowProblems(rows, L), label).toEqual([]);
}

describe('min-api series', () => {
  it('keeps every row consistent for CCCAGG, exchange and converted pairs at every interval', () => {
    const conversion = findConvertedPair(NOW - 400 * 86_400)!;
    const cases: Array<readonly [string, string, string]> = [
      [CCCAGG, 'BTC', 'USD'],
      [CCCAGG, 'ETH', 'BTC'],
      [CCCAGG, 'SHIB', 'USD'],
      [CCCAGG, conversion[0], conversion[1]],
      ['Binance', 'ETH', 'USDT'],
      ['Kraken', 'BTC', 'EUR'],
    ];
    for (const [e, f, t] of cases) {
      for (const interval of INTERVALS) {
        const rows = page(e, f, t, interval);
        expect(rows).toHaveLength(2000);
        checkRows(rows, INTERVAL_SECONDS[interval], `${e} ${f}-${t} ${interval}`);
      }
    }
  });

  it('has quiet minutes on exchanges (flat, zero volume) but none on CCCAGG days', () => {
    const quiet = page('Poloniex', 'ETH', 'USDT', '1m').filter((r) => r.volumefrom === 0);
    expect(quiet.length).toBeGreaterThan(10);
    expect(page(CCCAGG, 'BTC', 'USD', '1d').filter((r) => r.volumefrom === 0)).toEqual([]);
  });

  it('serves the same values whatever the page boundaries (random access)', () => {
    for (const interval of INTERVALS) {
      const rows = page('Coinbase', 'BTC', 'USD', interval, 1500);
      const series = resolveSeries('Coinbase', 'BTC', 'USD', interval)!.series;
      const L = INTERVAL_SECONDS[interval];
      const mid = rows[700]!.time;
      const a = series.rows(rows[0]!.time, mid - L);
      const b = series.rows(mid, rows.at(-1)!.time);
      expect(JSON.stringify([...a, ...b])).toBe(JSON.stringify(rows));
    }
  });

  it('serves all-zero rows before the listing and starts with the period containing it', () => {
    const pair = listPairs('Binance').find((p) => p.fsym === 'SOL' && p.tsym === 'USDT')!;
    expect(pair.start % 60).not.toBe(0); // catalogue listings are not aligned, like the real ones
    for (const interval of INTERVALS) {
      const L = INTERVAL_SECONDS[interval];
      const series = new DirectSeries(exchangeSeriesSpec(pair), interval);
      const first = Math.floor(pair.start / L) * L;
      const rows = series.rows(first - 5 * L, first + 5 * L);
      expect(rows.slice(0, 5).every(isZeroRow)).toBe(true);
      expect(isZeroRow(rows[5]!)).toBe(false);
      expect(rows[5]!.time).toBe(first);
      checkRows(rows, L, interval);
    }
  });

  it('repeats the last close with zero volume after a delisting', () => {
    const pair = MIN_API_EXCHANGES.flatMap((e) => listPairs(e)).find((p) => p.end !== undefined && !p.runtime)!;
    expect(pair).toBeDefined();
    const series = new DirectSeries(exchangeSeriesSpec(pair), '1h');
    const endHour = Math.floor(pair.end! / 3600) * 3600;
    const rows = series.rows(endHour - 48 * 3600, endHour + 48 * 3600);
    const after = rows.filter((r) => r.time > endHour);
    expect(after).toHaveLength(48);
    const last = rows.find((r) => r.time === endHour)!;
    for (const r of after) expect(r).toMatchObject({ open: last.close, close: last.close, volumefrom: 0, volumeto: 0 });
  });

  it('makes the open period provisional and equal to the closed row once its last trade is past', () => {
    const series = resolveSeries(CCCAGG, 'BTC', 'USD', '1h')!.series;
    const hour = Math.floor(NOW / 3600) * 3600;
    const closed = series.rows(hour, hour)[0]!;
    const early = series.rows(hour, hour, hour + 600)[0]!;
    expect(early.open).toBe(closed.open);
    expect(early.volumefrom).toBeLessThan(closed.volumefrom);
    expect(series.rows(hour, hour, hour + 3599)[0]).toEqual(closed);
  });

  it('is deterministic and serves a 2001-row page in a few milliseconds', () => {
    for (const interval of INTERVALS) {
      const a = JSON.stringify(page(CCCAGG, 'BTC', 'USD', interval, 2001));
      const b = JSON.stringify(page(CCCAGG, 'BTC', 'USD', interval, 2001));
      expect(a).toBe(b);
    }
    const series = resolveSeries('Binance', 'ETH', 'USDT', '1m')!.series;
    const end = Math.floor(NOW / 60) * 60;
    const times: number[] = [];
    for (let k = 0; k < 15; k++) {
      const t0 = performance.now();
      JSON.stringify(series.rows(end - 2000 * 60, end, NOW));
      times.push(performance.now() - t0);
    }
    times.sort((x, y) => x - y);
    expect(times[7]).toBeLessThan(25); // ~4 ms on a laptop; generous for CI
  });

  it('expectedHisto covers the periods overlapping [from, to) and skips pre-history', () => {
    const start = pairStart('Kraken', 'SOL', 'EUR');
    const day = Math.floor(start / 86_400) * 86_400;
    const rows = expectedHisto('Kraken', 'SOL', 'EUR', '1d', start, day + 3 * 86_400);
    expect(rows.map((r) => r.time)).toEqual([day, day + 86_400, day + 2 * 86_400]);
    expect(expectedHisto('Kraken', 'SOL', 'EUR', '1d', day - 10 * 86_400, day + 86_400)).toHaveLength(1);
    // With the clock: only closed periods, and minutes only within the 7-day depth.
    const minutes = expectedHisto(CCCAGG, 'BTC', 'USD', '1m', NOW - 10 * 86_400, NOW + 3600, { nowSeconds: NOW });
    const nowMinute = Math.floor(NOW / 60) * 60;
    expect(minutes[0]!.time).toBe(nowMinute - 7 * 86_400);
    expect(minutes.at(-1)!.time).toBe(nowMinute - 60);
    expect(() => expectedHisto('Kraken', 'NOPE', 'EUR', '1d', 0, 1)).toThrow(/no Kraken market/);
  });
});

describe('min-api catalogue', () => {
  it('lists exchanges as CryptoCompare spells them, with active, inactive and delisted pairs', () => {
    expect(MIN_API_EXCHANGES).toEqual([...MIN_API_EXCHANGES].sort());
    for (const name of ['Coinbase', 'Binance', 'Kraken', 'Bitstamp', 'Bitfinex']) {
      expect(MIN_API_EXCHANGES).toContain(name);
      expect(listPairs(name).length, name).toBeGreaterThan(50);
    }
    expect(findExchange('coinbase')?.name).toBe('Coinbase');
    expect(findExchange('Cryptsy')?.isActive).toBe(false);
    const all = MIN_API_EXCHANGES.flatMap((e) => listPairs(e));
    const delisted = all.filter((p) => p.end !== undefined);
    expect(delisted.length).toBeGreaterThan(20);
    for (const p of all) {
      expect(p.start).toBeGreaterThanOrEqual(Date.UTC(2010, 6, 17) / 1000);
      expect(p.start).toBeLessThan(Date.UTC(2023, 6, 1) / 1000);
      if (p.end !== undefined) expect(p.end).toBeGreaterThan(p.start);
    }
    expect(allCoins().filter((c) => c.tier === 'tail')).toHaveLength(LONG_TAIL_COINS);
    // BTC-USD trades from 2010-07-17 (MtGox), as BTC histoday does.
    expect(pairStart(CCCAGG, 'BTC', 'USD')).toBe(Date.UTC(2010, 6, 17) / 1000);
  });

  it('resolves CCCAGG directly (earliest listing) or through BTC/ETH', () => {
    const direct = resolveCccagg('ETH', 'USD');
    expect(direct?.kind).toBe('direct');
    expect(direct?.start).toBe(Math.min(...pairListings('ETH', 'USD').map((p) => p.start)));
    const [f, t] = findConvertedPair(NOW - 400 * 86_400)!;
    const conv = resolveCccagg(f, t);
    expect(conv?.kind).toBe('conversion');
    expect(resolveCccagg(f, t, false)).toBeUndefined();
    expect(resolveCccagg('BTC', 'BTC')).toBeUndefined();
  });

  it('lists pairs at runtime and forgets them on reset', () => {
    const pair = addRuntimePair({ exchange: 'kraken', fsym: 'newcoin', tsym: 'usd', startTs: NOW - 3600 }, NOW);
    expect(pair).toMatchObject({ exchange: 'Kraken', fsym: 'NEWCOIN', tsym: 'USD', start: NOW - 3600, runtime: true });
    expect(resolveCccagg('NEWCOIN', 'USD')?.start).toBe(NOW - 3600);
    expect(allCoins().find((c) => c.symbol === 'NEWCOIN')?.tier).toBe('runtime');
    expect(() => addRuntimePair({ exchange: 'Kraken', fsym: 'BTC', tsym: 'USD' }, NOW)).toThrow(/already lists/);
    expect(() => addRuntimePair({ exchange: 'Nowhere', fsym: 'A', tsym: 'B' }, NOW)).toThrow(/unknown exchange/);
    resetRuntimePairs();
    expect(resolveCccagg('NEWCOIN', 'USD')).toBeUndefined();
  });
});

describe('min-api display formatting', () => {
  it('formats amounts like the captured DISPLAY values', () => {
    expect(formatAmount(16613.83)).toBe('16,613.8');
    expect(formatAmount(16614)).toBe('16,614.0');
    expect(formatAmount(133.3364455836)).toBe('133.34');
    expect(formatAmount(7109.283411701623)).toBe('7,109.28');
    expect(formatAmount(0.00802662)).toBe('0.008027');
    expect(formatAmount(-137.77999999999884)).toBe('-137.78');
    expect(formatAbbreviated(319175764353.50006)).toBe('319.18 B');
    expect(formatAbbreviated(316173.5297346056)).toBe('316.17 K');
  });
});
