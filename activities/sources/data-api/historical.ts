/**
 * Shared shape of the Data API's historical time-series endpoints (OHLCV, open interest, funding
 * rate): request paging, validation into Arrow columns with quarantine, filler detection.
 */
import type { z } from 'zod';
import { BatchBuilder } from '../../arrow/batch-builder';
import { validateRows } from '../../validation';
import { INTERVAL_SECONDS, type Interval, type SeriesKey } from '../../../workflows/contracts/series';
import type { ColumnSpec, ComparableColumns, DatasetSpec, FetchContext, Page, PageRequest } from '../types';
import { getHistorical, historicalLimitCap, UNIT_NAME, UNIT_PATH } from './client';
import type { DataApiConfig } from './config';

export const f8 = (name: string, nullable = false): ColumnSpec => ({ name, type: 'float8', nullable });
export const i8 = (name: string, nullable = false): ColumnSpec => ({ name, type: 'int8', nullable });
export const tsz = (name: string): ColumnSpec => ({ name, type: 'timestamptz', nullable: true });
const IS_FILLER: ColumnSpec = { name: 'is_filler', type: 'bool', nullable: false };

const MARKET_INSTRUMENT_INTERVAL: readonly ColumnSpec[] = [
  { name: 'market', type: 'text', nullable: false },
  { name: 'instrument', type: 'text', nullable: false },
  { name: 'interval', type: 'text', nullable: false },
];

/** Keys of the futures rows' ID and MAPPING groups, MARKET aside (every historical row has it). */
export const FUTURES_ID_MAPPING = [
  'TYPE',
  'INSTRUMENT',
  'MAPPED_INSTRUMENT',
  'INDEX_UNDERLYING',
  'QUOTE_CURRENCY',
  'SETTLEMENT_CURRENCY',
  'CONTRACT_CURRENCY',
  'DENOMINATION_TYPE',
  'INDEX_UNDERLYING_ID',
  'QUOTE_CURRENCY_ID',
  'SETTLEMENT_CURRENCY_ID',
  'CONTRACT_CURRENCY_ID',
  'TRANSFORM_FUNCTION',
];

/** The wire row as the dataset's schema parses it: numbers by key, plus the keys we check. */
export interface WireRow {
  readonly UNIT: string;
  readonly TIMESTAMP: number;
  readonly MARKET: string;
  readonly [key: string]: unknown;
}

export interface HistoricalDatasetOptions<R extends WireRow> {
  readonly id: string;
  readonly description: string;
  readonly table: string;
  /** Which `instruments` rows give the series' first trade (the backfill floor). */
  readonly instrumentKind: 'spot' | 'futures';
  /** What reconciliation may compare the rows with (`DatasetSpec.comparable`). */
  readonly comparable?: ComparableColumns;
  /** Path prefix without the unit, e.g. `/spot/v1/historical`. */
  readonly path: string;
  readonly groups: string;
  /** What the rows are, for messages. */
  readonly what: string;
  /** Value columns after `ts`, each with the wire key it comes from (`is_filler` is computed). */
  readonly columns: ReadonlyArray<readonly [ColumnSpec, keyof R & string]>;
  readonly schema: z.ZodType<R>;
  /** Keys a row must carry (missing: contract break). */
  readonly required: readonly string[];
  /** Every key the endpoint is documented to send. */
  readonly known: readonly string[];
  /** True when the row is a filler (a period without trades/updates). */
  isFiller(row: R): boolean;
  /** Dataset invariants beyond timestamps. */
  invariants(row: R): string | undefined;
}

type PageRows = Omit<Page, 'request' | 'responseSha256' | 'serverTime'>;

/**
 * A dataset's page mapper: the batch columns and the known-key set, built once for every page.
 * `map` validates one page's rows and builds its Arrow batch (pure).
 */
function rowMapper<R extends WireRow>(opts: HistoricalDatasetOptions<R>) {
  const columns = [...opts.columns.map(([c]) => c), IS_FILLER];
  const known: ReadonlySet<string> = new Set(opts.known);
  const fillerCol = columns.length; // ts is column 0
  const keys = opts.columns.map(([, key]) => key);
  return {
    columns,
    map(rows: readonly unknown[], req: PageRequest, request: string): PageRows {
      const { interval, market } = req.series;
      const unit = UNIT_NAME[interval];
      const marketLower = market.toLowerCase();
      const valid = validateRows(rows, {
        request,
        what: opts.what,
        required: opts.required,
        known,
        schema: opts.schema,
        timestampField: 'TIMESTAMP',
        window: { from: req.from, to: req.to, step: INTERVAL_SECONDS[interval] },
        columns: opts.columns,
        invariants: (r) =>
          r.UNIT !== unit
            ? `UNIT ${r.UNIT}, expected ${unit}`
            : r.MARKET !== market && r.MARKET.toLowerCase() !== marketLower
              ? `MARKET ${r.MARKET}, expected ${market}`
              : opts.invariants(r),
      });
      const b = new BatchBuilder(columns, valid.rows.length);
      for (const row of valid.rows) {
        const i = b.addRow();
        b.setNumber(0, i, row.TIMESTAMP);
        for (let c = 0; c < keys.length; c++) b.setNumber(c + 1, i, row[keys[c]!] as number | undefined);
        b.setBool(fillerCol, i, opts.isFiller(row));
      }
      return { batch: b.finish(), quarantined: valid.quarantined, unknownFields: valid.unknownFields };
    },
  };
}

/**
 * Validate one page's rows and build its Arrow batch. Pure; exported for unit tests and benchmarks.
 */
export function mapHistoricalRows<R extends WireRow>(
  opts: HistoricalDatasetOptions<R>,
  rows: readonly unknown[],
  req: PageRequest,
  request: string,
): PageRows {
  return rowMapper(opts).map(rows, req, request);
}

export function historicalDataset<R extends WireRow>(opts: HistoricalDatasetOptions<R>): DatasetSpec<DataApiConfig> {
  const mapper = rowMapper(opts);
  const columns = mapper.columns;
  return {
    id: opts.id,
    description: opts.description,
    table: opts.table,
    seriesColumns: MARKET_INSTRUMENT_INTERVAL,
    seriesValues: (s: SeriesKey) => [s.market, s.instrument, s.interval],
    columns,
    intervals: ['1m', '1h', '1d'] satisfies Interval[],
    maxPeriodsPerRequest: historicalLimitCap,
    instrumentKind: opts.instrumentKind,
    ...(opts.comparable ? { comparable: opts.comparable } : {}),
    async fetchPage(ctx: FetchContext<DataApiConfig>, req: PageRequest): Promise<Page> {
      const step = INTERVAL_SECONDS[req.series.interval];
      const limit = Math.round((req.to - req.from) / step) + 1;
      const res = await getHistorical(ctx, `${opts.path}/${UNIT_PATH[req.series.interval]}`, {
        market: req.series.market,
        instrument: req.series.instrument,
        limit,
        to_ts: req.to,
        groups: opts.groups,
        fill: 'true',
      });
      if (res.kind === 'not-trading') {
        return {
          ...res.meta,
          batch: new BatchBuilder(columns, 0).finish(),
          quarantined: [],
          unknownFields: [],
          firstAvailable: res.first,
        };
      }
      return { ...res.meta, ...mapper.map(res.rows, req, res.meta.request) };
    },
  };
}
