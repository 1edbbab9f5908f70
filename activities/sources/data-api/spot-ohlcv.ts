/**
 * Dataset `spot-ohlcv`: `/spot/v1/historical/{minutes,hours,days}` → table `spot_ohlcv`.
 */
import { BatchBuilder } from '../../arrow/batch-builder';
import { DataInvariantError, ResponseSchemaError } from '../../errors';
import { INTERVAL_SECONDS, type Interval, type SeriesKey } from '../../../workflows/contracts/series';
import type { ColumnSpec, DatasetSpec, FetchContext, Page, PageRequest } from '../types';
import { getHistorical, historicalLimitCap, summarizeIssues, UNIT_NAME, UNIT_PATH } from './client';
import type { DataApiConfig } from './config';
import { spotOhlcvRowSchema, type SpotOhlcvRow } from './schemas';

const f = (name: string, nullable = false): ColumnSpec => ({ name, type: 'float8', nullable });
const i8 = (name: string): ColumnSpec => ({ name, type: 'int8', nullable: false });
const tsNull = (name: string): ColumnSpec => ({ name, type: 'timestamptz', nullable: true });

export const SPOT_OHLCV_COLUMNS: readonly ColumnSpec[] = [
  f('open'),
  f('high'),
  f('low'),
  f('close'),
  f('volume'),
  f('quote_volume'),
  f('volume_buy'),
  f('quote_volume_buy'),
  f('volume_sell'),
  f('quote_volume_sell'),
  f('volume_unknown'),
  f('quote_volume_unknown'),
  i8('total_trades'),
  i8('total_trades_buy'),
  i8('total_trades_sell'),
  i8('total_trades_unknown'),
  tsNull('first_trade_ts'),
  tsNull('last_trade_ts'),
  f('first_trade_price', true),
  f('high_trade_price', true),
  tsNull('high_trade_ts'),
  f('low_trade_price', true),
  tsNull('low_trade_ts'),
  f('last_trade_price', true),
  { name: 'is_filler', type: 'bool', nullable: false },
];

/** Wire key per numeric column (same order as SPOT_OHLCV_COLUMNS, minus is_filler). */
const WIRE_KEYS: ReadonlyArray<keyof SpotOhlcvRow> = [
  'OPEN',
  'HIGH',
  'LOW',
  'CLOSE',
  'VOLUME',
  'QUOTE_VOLUME',
  'VOLUME_BUY',
  'QUOTE_VOLUME_BUY',
  'VOLUME_SELL',
  'QUOTE_VOLUME_SELL',
  'VOLUME_UNKNOWN',
  'QUOTE_VOLUME_UNKNOWN',
  'TOTAL_TRADES',
  'TOTAL_TRADES_BUY',
  'TOTAL_TRADES_SELL',
  'TOTAL_TRADES_UNKNOWN',
  'FIRST_TRADE_TIMESTAMP',
  'LAST_TRADE_TIMESTAMP',
  'FIRST_TRADE_PRICE',
  'HIGH_TRADE_PRICE',
  'HIGH_TRADE_TIMESTAMP',
  'LOW_TRADE_PRICE',
  'LOW_TRADE_TIMESTAMP',
  'LAST_TRADE_PRICE',
];

const SERIES_COLUMNS: readonly ColumnSpec[] = [
  { name: 'market', type: 'text', nullable: false },
  { name: 'instrument', type: 'text', nullable: false },
  { name: 'interval', type: 'text', nullable: false },
];

/** Groups we ask for: everything the table stores, nothing it doesn't (MAPPING_ADVANCED). */
const GROUPS = 'ID,MAPPING,OHLC,OHLC_TRADE,TRADE,VOLUME';

/**
 * Validate and map one page of rows into Arrow columns. Pure: exported for unit tests and
 * benchmarks. Throws `ResponseSchemaError` when a row breaks the contract and
 * `DataInvariantError` when rows contradict the request (wrong unit, outside the window,
 * misaligned, out of order, another market).
 */
export function mapSpotOhlcvRows(rows: readonly unknown[], req: PageRequest, request: string): BatchBuilder {
  const { interval, market } = req.series;
  const step = INTERVAL_SECONDS[interval];
  const unit = UNIT_NAME[interval];
  const b = new BatchBuilder(SPOT_OHLCV_COLUMNS, rows.length);
  const fillerCol = SPOT_OHLCV_COLUMNS.length; // +1 for ts, -1 for is_filler's index = length
  let prevTs = -Infinity;
  for (let r = 0; r < rows.length; r++) {
    const parsed = spotOhlcvRowSchema.safeParse(rows[r]);
    if (!parsed.success) {
      throw new ResponseSchemaError(
        `GET ${request}: row ${r} breaks the spot OHLCV contract: ${summarizeIssues(parsed.error.issues)}`,
        {
          details: { url: request, row: r, issues: parsed.error.issues.slice(0, 5) },
        },
      );
    }
    const row = parsed.data;
    const ts = row.TIMESTAMP;
    const problem =
      row.UNIT !== unit
        ? `UNIT ${row.UNIT}, expected ${unit}`
        : ts % step !== 0
          ? `TIMESTAMP ${ts} is not aligned to ${interval}`
          : ts < req.from || ts > req.to
            ? `TIMESTAMP ${ts} is outside the requested window ${req.from}..${req.to}`
            : ts <= prevTs
              ? `TIMESTAMP ${ts} is not after the previous row's ${prevTs}`
              : row.MARKET.toLowerCase() !== market.toLowerCase()
                ? `MARKET ${row.MARKET}, expected ${market}`
                : undefined;
    if (problem !== undefined) {
      throw new DataInvariantError(`GET ${request}: row ${r}: ${problem}`, { details: { url: request, row: r, ts } });
    }
    prevTs = ts;
    const i = b.addRow();
    b.setNumber(0, i, ts);
    for (let c = 0; c < WIRE_KEYS.length; c++) b.setNumber(c + 1, i, row[WIRE_KEYS[c]!] as number | undefined);
    b.setBool(fillerCol, i, row.FIRST_TRADE_TIMESTAMP === undefined && row.TOTAL_TRADES === 0);
  }
  return b;
}

async function fetchSpotOhlcvPage(ctx: FetchContext<DataApiConfig>, req: PageRequest): Promise<Page> {
  const step = INTERVAL_SECONDS[req.series.interval];
  const limit = Math.round((req.to - req.from) / step) + 1;
  const res = await getHistorical(ctx, `/spot/v1/historical/${UNIT_PATH[req.series.interval]}`, {
    market: req.series.market,
    instrument: req.series.instrument,
    limit,
    to_ts: req.to,
    groups: GROUPS,
    fill: 'true',
  });
  const meta = { request: res.request, responseSha256: res.responseSha256, serverTime: res.serverTime };
  if (res.kind === 'not-trading') {
    return { ...meta, batch: new BatchBuilder(SPOT_OHLCV_COLUMNS, 0).finish(), firstAvailable: res.first };
  }
  return { ...meta, batch: mapSpotOhlcvRows(res.rows, req, res.request).finish() };
}

export const spotOhlcv: DatasetSpec<DataApiConfig> = {
  id: 'spot-ohlcv',
  description: 'Spot OHLCV candles per market and instrument (Data API /spot/v1/historical/*)',
  table: 'spot_ohlcv',
  seriesColumns: SERIES_COLUMNS,
  seriesValues: (s: SeriesKey) => [s.market, s.instrument, s.interval],
  columns: SPOT_OHLCV_COLUMNS,
  intervals: ['1m', '1h', '1d'] satisfies Interval[],
  maxPeriodsPerRequest: historicalLimitCap,
  fetchPage: fetchSpotOhlcvPage,
};
