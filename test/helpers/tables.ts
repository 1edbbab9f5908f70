/**
 * Compare a fact table with the simulator's wire rows, dataset-agnostic. The mapping from wire
 * keys to columns is the test's own (snake_case of the key, with explicit renames), not the
 * pipeline's, so a mapping bug in the pipeline shows up here.
 */
import type pg from 'pg';

/** Wire key → column, where the column is not simply the key in lower case. */
const RENAMES: Record<string, string> = {
  TIMESTAMP: 'ts',
  FIRST_TRADE_TIMESTAMP: 'first_trade_ts',
  LAST_TRADE_TIMESTAMP: 'last_trade_ts',
  HIGH_TRADE_TIMESTAMP: 'high_trade_ts',
  LOW_TRADE_TIMESTAMP: 'low_trade_ts',
  TOTAL_OPEN_INTEREST_UPDATES: 'total_updates',
  TOTAL_FUNDING_RATE_UPDATES: 'total_updates',
  time: 'ts',
  volumefrom: 'volume_from',
  volumeto: 'volume_to',
  conversionType: 'conversion_type',
  conversionSymbol: 'conversion_symbol',
};

const columnOf = (key: string) => RENAMES[key] ?? key.toLowerCase();

/** Columns that are bookkeeping, not data. */
const SKIP = new Set(['ingest_run_id', 'updated_at']);

export interface TableColumn {
  readonly name: string;
  readonly type: string;
}

export async function tableColumns(pool: pg.Pool, table: string): Promise<TableColumn[]> {
  const res = await pool.query<{ name: string; type: string }>(
    `SELECT column_name AS name, data_type AS type FROM information_schema.columns
     WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position`,
    [table],
  );
  return res.rows;
}

/**
 * Expected table rows from wire rows: every data column of the table that the wire carries (absent
 * key → NULL), plus `is_filler` from the dataset's rule and `is_final` (all closed periods).
 */
export function expectedTableRows(
  columns: readonly TableColumn[],
  seriesColumns: readonly string[],
  wire: ReadonlyArray<Record<string, unknown>>,
  isFiller: (row: Record<string, unknown>) => boolean,
): Array<Record<string, unknown>> {
  const data = columns.filter(
    (c) => !SKIP.has(c.name) && !seriesColumns.includes(c.name) && c.name !== 'is_filler' && c.name !== 'is_final',
  );
  const keyFor = new Map<string, string>();
  for (const row of wire) for (const k of Object.keys(row)) if (!keyFor.has(columnOf(k))) keyFor.set(columnOf(k), k);
  return wire.map((row) => {
    const out: Record<string, unknown> = {};
    for (const c of data) {
      const k = keyFor.get(c.name);
      out[c.name] = k === undefined || row[k] === undefined ? null : row[k];
    }
    out.is_filler = isFiller(row);
    out.is_final = true;
    return out;
  });
}

/** Stored rows of one series in [from, to), same shape as `expectedTableRows`. */
export async function storedTableRows(
  pool: pg.Pool,
  table: string,
  columns: readonly TableColumn[],
  series: Readonly<Record<string, string>>,
  from: number,
  to: number,
): Promise<Array<Record<string, unknown>>> {
  const seriesCols = Object.keys(series);
  const select = columns
    .filter((c) => !SKIP.has(c.name) && !seriesCols.includes(c.name))
    .map((c) =>
      c.type.startsWith('timestamp')
        ? `extract(epoch FROM "${c.name}")::float8 AS "${c.name}"`
        : c.type === 'bigint'
          ? `"${c.name}"::float8 AS "${c.name}"`
          : `"${c.name}"`,
    );
  const where = seriesCols.map((c, i) => `"${c}" = $${i + 1}`);
  const res = await pool.query(
    `SELECT ${select.join(', ')} FROM "${table}"
     WHERE ${where.join(' AND ')} AND ts >= to_timestamp($${seriesCols.length + 1}) AND ts < to_timestamp($${seriesCols.length + 2})
     ORDER BY ts`,
    [...Object.values(series), from, to],
  );
  return res.rows as Array<Record<string, unknown>>;
}
