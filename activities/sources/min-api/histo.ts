/**
 * Dataset `histo-ohlcv`: `/data/v2/histo{day,hour,minute}` → `minapi_ohlcv`, one series per
 * exchange (or the CCCAGG index, the default `e`) and pair `FSYM-TSYM`.
 *
 * Wire facts this module relies on (api-wire-reference §2.1–§2.3):
 * - a page has `limit + 1` rows ending at the period containing `toTs` (inclusive), ascending; so
 *   periods `from..to` are `toTs=to&limit=n-1`. `limit` is at least 1: a one-period request gets
 *   one extra row before `from`, which is dropped (that row and nothing else);
 * - periods before the pair existed (and minutes older than 7 days) are all-zero rows: skipped,
 *   never stored nor quarantined;
 * - a period without trades repeats the previous close with zero volumes: a filler row.
 */
import { z } from 'zod';
import { BatchBuilder } from '../../arrow/batch-builder';
import { SourceRequestError } from '../../errors';
import { negativeProblem, ohlcProblem, validateRows } from '../../validation';
import { INTERVAL_SECONDS, type Interval, type SeriesKey } from '../../../workflows/contracts/series';
import type { ColumnSpec, DatasetSpec, FetchContext, Page, PageRequest } from '../types';
import { parseWith } from '../http-client';
import { getMinApi } from './client';
import type { MinApiConfig } from './config';
import { histoEnvelopeSchema } from './schemas';

const HISTO_PATH: Readonly<Record<Interval, string>> = {
  '1d': '/data/v2/histoday',
  '1h': '/data/v2/histohour',
  '1m': '/data/v2/histominute',
};

/** The API's `limit` maximum (rows minus one). */
export const HISTO_MAX_LIMIT = 2_000;

/** `histominute` keeps 7 days (api-wire-reference §2.3). */
const MINUTE_HISTORY_SECONDS = 7 * 86_400;

/** `FSYM-TSYM`: upper-case symbols (letters, digits, `.`, `_`), one dash. */
const INSTRUMENT = /^([A-Z0-9._]{1,30})-([A-Z0-9._]{1,30})$/;

/** `BTC-USD` → `{ fsym: 'BTC', tsym: 'USD' }`; anything else is a `SourceRequestError`. */
export function parseInstrument(instrument: string): { fsym: string; tsym: string } {
  const m = INSTRUMENT.exec(instrument);
  if (!m) {
    throw new SourceRequestError(
      `min-api instrument '${instrument}' is not FSYM-TSYM (two upper-case symbols joined by one dash, e.g. BTC-USD)`,
      { details: { instrument } },
    );
  }
  return { fsym: m[1]!, tsym: m[2]! };
}

const num = z.number();

export const histoRowSchema = z.looseObject({
  time: num,
  high: num,
  low: num,
  open: num,
  volumefrom: num,
  volumeto: num,
  close: num,
  conversionType: z.string().nullable().optional(),
  conversionSymbol: z.string().nullable().optional(),
});
export type HistoWireRow = z.output<typeof histoRowSchema>;

/** Keys every row carries (a missing one is a contract break), in the order served. */
const HISTO_REQUIRED = ['time', 'high', 'low', 'open', 'volumefrom', 'volumeto', 'close'] as const;
/** Every key the endpoint is documented to send. */
const HISTO_KNOWN: ReadonlySet<string> = new Set([...HISTO_REQUIRED, 'conversionType', 'conversionSymbol']);

const ZERO_KEYS = ['open', 'high', 'low', 'close', 'volumefrom', 'volumeto'] as const;

/** An all-zero row: a period before the pair existed (or beyond the minute depth). No data. */
export function isZeroRow(raw: Record<string, unknown>): boolean {
  return ZERO_KEYS.every((k) => raw[k] === 0);
}

const f8 = (name: string): ColumnSpec => ({ name, type: 'float8', nullable: false });
const text = (name: string): ColumnSpec => ({ name, type: 'text', nullable: true });

const HISTO_SERIES_COLUMNS: readonly ColumnSpec[] = [
  { name: 'exchange', type: 'text', nullable: false },
  { name: 'fsym', type: 'text', nullable: false },
  { name: 'tsym', type: 'text', nullable: false },
  { name: 'interval', type: 'text', nullable: false },
];

/** Value columns after `ts`, in batch order. */
const HISTO_COLUMNS: readonly ColumnSpec[] = [
  f8('open'),
  f8('high'),
  f8('low'),
  f8('close'),
  f8('volume_from'),
  f8('volume_to'),
  text('conversion_type'),
  text('conversion_symbol'),
  { name: 'is_filler', type: 'bool', nullable: false },
];

/** The value columns with the wire key each comes from (`is_filler` is computed). */
const HISTO_WIRE_COLUMNS: ReadonlyArray<readonly [ColumnSpec, string]> = [
  [HISTO_COLUMNS[0]!, 'open'],
  [HISTO_COLUMNS[1]!, 'high'],
  [HISTO_COLUMNS[2]!, 'low'],
  [HISTO_COLUMNS[3]!, 'close'],
  [HISTO_COLUMNS[4]!, 'volumefrom'],
  [HISTO_COLUMNS[5]!, 'volumeto'],
  [HISTO_COLUMNS[6]!, 'conversionType'],
  [HISTO_COLUMNS[7]!, 'conversionSymbol'],
];

/** `limit` for the periods `from..to` (inclusive): rows minus one, at least 1. */
export function histoLimit(req: PageRequest): number {
  const periods = Math.round((req.to - req.from) / INTERVAL_SECONDS[req.series.interval]) + 1;
  return Math.max(1, periods - 1);
}

/**
 * Validate one page's rows and build its Arrow batch. Pure; exported for unit tests. Drops the extra
 * row a one-period request brings (the period before `from`), skips all-zero rows, quarantines rows
 * that break an invariant.
 */
export function mapHistoRows(
  rows: readonly unknown[],
  req: PageRequest,
  request: string,
): Omit<Page, 'request' | 'responseSha256' | 'serverTime'> {
  const step = INTERVAL_SECONDS[req.series.interval];
  const first = rows[0] as Record<string, unknown> | null | undefined;
  const extra = req.from === req.to && rows.length > 1 && typeof first === 'object' && first?.time === req.from - step;
  const valid = validateRows(extra ? rows.slice(1) : rows, {
    request,
    what: 'min-api OHLCV',
    required: HISTO_REQUIRED,
    known: HISTO_KNOWN,
    schema: histoRowSchema,
    timestampField: 'time',
    window: { from: req.from, to: req.to, step },
    invariants: (r) =>
      ohlcProblem(r.open, r.high, r.low, r.close) ??
      negativeProblem([
        ['volumefrom', r.volumefrom],
        ['volumeto', r.volumeto],
      ]),
    skip: isZeroRow,
    columns: HISTO_WIRE_COLUMNS,
  });
  const b = new BatchBuilder(HISTO_COLUMNS, valid.rows.length);
  for (const r of valid.rows) {
    const i = b.addRow();
    b.setNumber(0, i, r.time);
    b.setNumber(1, i, r.open);
    b.setNumber(2, i, r.high);
    b.setNumber(3, i, r.low);
    b.setNumber(4, i, r.close);
    b.setNumber(5, i, r.volumefrom);
    b.setNumber(6, i, r.volumeto);
    b.setText(7, i, r.conversionType);
    b.setText(8, i, r.conversionSymbol);
    b.setBool(9, i, r.volumefrom === 0 && r.volumeto === 0);
  }
  return { batch: b.finish(), quarantined: valid.quarantined, unknownFields: valid.unknownFields };
}

export const histoOhlcv: DatasetSpec<MinApiConfig> = {
  id: 'histo-ohlcv',
  description:
    'OHLCV candles per exchange (or the CCCAGG index) and pair FSYM-TSYM (min-api /data/v2/histo{day,hour,minute})',
  table: 'minapi_ohlcv',
  seriesColumns: HISTO_SERIES_COLUMNS,
  seriesValues(s: SeriesKey) {
    const { fsym, tsym } = parseInstrument(s.instrument);
    return [s.market, fsym, tsym, s.interval];
  },
  seriesKeyOf(v) {
    const { exchange, fsym, tsym } = v;
    return typeof exchange === 'string' && typeof fsym === 'string' && typeof tsym === 'string' && fsym && tsym
      ? { market: exchange, instrument: `${fsym}-${tsym}` }
      : undefined;
  },
  columns: HISTO_COLUMNS,
  intervals: ['1m', '1h', '1d'] satisfies Interval[],
  maxPeriodsPerRequest: () => HISTO_MAX_LIMIT + 1,
  maxHistorySeconds: (interval) => (interval === '1m' ? MINUTE_HISTORY_SECONDS : undefined),
  instrumentKind: 'spot',
  comparable: { kind: 'spot-ohlcv', close: 'close', volume: 'volume_from' },
  async fetchPage(ctx: FetchContext<MinApiConfig>, req: PageRequest): Promise<Page> {
    const { fsym, tsym } = parseInstrument(req.series.instrument);
    const { json, meta } = await getMinApi(ctx, HISTO_PATH[req.series.interval], {
      fsym,
      tsym,
      e: req.series.market,
      limit: histoLimit(req),
      toTs: req.to,
    });
    const envelope = parseWith(histoEnvelopeSchema, json, meta, 'the histo envelope');
    return { ...meta, ...mapHistoRows(envelope.Data.Data, req, meta.request) };
  },
};
