/**
 * What exports read and record: the parts (series × UTC month) the coverage ledger says hold rows,
 * a fact table's columns and one part's rows (typed for Arrow), and `export_files`. The one place
 * that writes this table's SQL.
 */
import type pg from 'pg';
import { classifyDatabaseError, InvalidInputError } from '../errors';
import { q } from './sql';
import type { ExportPart } from '../../workflows/contracts/export';
import type { Interval } from '../../workflows/contracts/series';

/** How a PostgreSQL column type is exported (and read to get there). */
export type ExportKind = 'utf8' | 'timestamp' | 'float64' | 'int64' | 'int32' | 'bool' | 'date';

export interface ExportColumn {
  readonly name: string;
  /** PostgreSQL's `information_schema.columns.data_type`. */
  readonly pgType: string;
  readonly kind: ExportKind;
  readonly nullable: boolean;
}

const KINDS: Record<string, ExportKind> = {
  text: 'utf8',
  'character varying': 'utf8',
  jsonb: 'utf8',
  json: 'utf8',
  uuid: 'utf8',
  'timestamp with time zone': 'timestamp',
  'double precision': 'float64',
  real: 'float64',
  numeric: 'float64',
  bigint: 'int64',
  integer: 'int32',
  smallint: 'int32',
  boolean: 'bool',
  date: 'date',
};

/** The select expression of a column: what `pg` returns as exactly what Arrow takes. */
function selectOf(c: ExportColumn): string {
  const col = q(c.name);
  switch (c.kind) {
    case 'timestamp':
      return `(extract(epoch FROM ${col}) * 1000000)::int8 AS ${col}`; // microseconds, exact
    case 'date':
      return `(${col} - DATE '1970-01-01') AS ${col}`; // days
    case 'float64':
      return `${col}::float8 AS ${col}`;
    case 'utf8':
      return `${col}::text AS ${col}`;
    default:
      return col;
  }
}

export interface ExportFileRow {
  readonly path: string;
  readonly rows: number;
  readonly minTs: string | null;
  readonly maxTs: string | null;
  readonly sha256: string;
  readonly bytes: number;
}

export class PgExportStore {
  readonly #columns = new Map<string, ExportColumn[]>();
  constructor(private readonly pool: pg.Pool) {}

  /** The parts holding rows in [from, to): series × UTC month, from the coverage ledger (no fact table scan). */
  async parts(
    scope: { source: string; dataset: string; markets?: string[]; instruments?: string[]; intervals?: Interval[] },
    from: string,
    to: string,
  ): Promise<ExportPart[]> {
    const res = await this.#query<ExportPart>(
      `SELECT DISTINCT market, instrument, interval, to_char(date_trunc('month', day), 'YYYY-MM') AS month
       FROM coverage_daily
       WHERE source = $1 AND dataset = $2 AND present > 0
         AND ($3::text[] IS NULL OR market = ANY($3)) AND ($4::text[] IS NULL OR instrument = ANY($4))
         AND ($5::text[] IS NULL OR interval = ANY($5))
         AND ((day + 1)::timestamp AT TIME ZONE 'UTC') > $6::timestamptz AND (day::timestamp AT TIME ZONE 'UTC') < $7::timestamptz
       ORDER BY market, interval, month, instrument`,
      [
        scope.source,
        scope.dataset,
        scope.markets ?? null,
        scope.instruments ?? null,
        scope.intervals ?? null,
        from,
        to,
      ],
    );
    return res.rows;
  }

  /** A fact table's columns in table order, each with how it is exported; an unknown type is named. */
  async columns(table: string): Promise<ExportColumn[]> {
    const cached = this.#columns.get(table);
    if (cached) return cached;
    const res = await this.#query<{ column_name: string; data_type: string; is_nullable: string }>(
      `SELECT column_name, data_type, is_nullable FROM information_schema.columns
       WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position`,
      [table],
    );
    const cols = res.rows.map((r) => {
      const kind = KINDS[r.data_type];
      if (!kind)
        throw new InvalidInputError(`column ${table}.${r.column_name} has type ${r.data_type}, which no export maps`);
      return { name: r.column_name, pgType: r.data_type, kind, nullable: r.is_nullable === 'YES' };
    });
    this.#columns.set(table, cols);
    return cols;
  }

  /** One part's rows (arrays by column), `ts` ascending. `where` are the series columns and their values. */
  async rows(
    table: string,
    columns: readonly ExportColumn[],
    where: ReadonlyArray<readonly [string, string]>,
    from: string,
    to: string,
  ): Promise<Array<Record<string, unknown>>> {
    const conds = where.map(([c], i) => `${q(c)} = $${i + 3}`);
    const res = await this.#query<Record<string, unknown>>(
      `SELECT ${columns.map(selectOf).join(', ')} FROM ${q(table)}
       WHERE ts >= $1::timestamptz AND ts < $2::timestamptz AND ${conds.join(' AND ')}
       ORDER BY ts`,
      [from, to, ...where.map(([, v]) => v)],
    );
    return res.rows;
  }

  /** Replace an export's plan: its parts in order, each with its file path. */
  async plan(exportId: string, parts: ReadonlyArray<ExportPart & { path: string }>): Promise<void> {
    // Forget what the export recorded before: it is planned anew.
    await this.#query(`DELETE FROM export_files WHERE export_id = $1`, [exportId]);
    await this.#query(`DELETE FROM export_parts WHERE export_id = $1`, [exportId]);
    await this.#query(
      `INSERT INTO export_parts (export_id, idx, market, instrument, interval, month, path)
       SELECT $1, x.idx, x.market, x.instrument, x.interval, x.month, x.path
       FROM unnest($2::int[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[])
         AS x(idx, market, instrument, interval, month, path)`,
      [
        exportId,
        parts.map((_, i) => i),
        parts.map((p) => p.market),
        parts.map((p) => p.instrument),
        parts.map((p) => p.interval),
        parts.map((p) => p.month),
        parts.map((p) => p.path),
      ],
    );
  }

  /** The parts [from, to) of an export's plan. */
  async planned(exportId: string, from: number, to: number): Promise<Array<ExportPart & { idx: number }>> {
    const res = await this.#query<ExportPart & { idx: number }>(
      `SELECT idx, market, instrument, interval, month FROM export_parts
       WHERE export_id = $1 AND idx >= $2 AND idx < $3 ORDER BY idx`,
      [exportId, from, to],
    );
    return res.rows;
  }

  async record(exportId: string, f: ExportFileRow & { kept: boolean }): Promise<void> {
    await this.#query(
      `INSERT INTO export_files (export_id, path, rows, min_ts, max_ts, sha256, bytes, kept)
       VALUES ($1, $2, $3, $4::timestamptz, $5::timestamptz, $6, $7, $8)
       ON CONFLICT (export_id, path) DO UPDATE SET rows = EXCLUDED.rows, min_ts = EXCLUDED.min_ts,
         max_ts = EXCLUDED.max_ts, sha256 = EXCLUDED.sha256, bytes = EXCLUDED.bytes, kept = EXCLUDED.kept,
         written_at = now()`,
      [exportId, f.path, f.rows, f.minTs, f.maxTs, f.sha256, f.bytes, f.kept],
    );
  }

  async files(exportId: string): Promise<ExportFileRow[]> {
    const res = await this.#query<{
      path: string;
      rows: number;
      min_ts: Date | null;
      max_ts: Date | null;
      sha256: string;
      bytes: string;
    }>(
      // The current plan's files only (an older run's late file is not part of this export); in
      // byte order of the path, as any tool sorts them to check the manifest's checksum.
      `SELECT f.path, f.rows, f.min_ts, f.max_ts, f.sha256, f.bytes FROM export_files f
       JOIN export_parts p ON p.export_id = f.export_id AND p.path = f.path
       WHERE f.export_id = $1 ORDER BY f.path COLLATE "C"`,
      [exportId],
    );
    return res.rows.map((r) => ({
      path: r.path,
      rows: r.rows,
      minTs: r.min_ts?.toISOString() ?? null,
      maxTs: r.max_ts?.toISOString() ?? null,
      sha256: r.sha256,
      bytes: Number(r.bytes),
    }));
  }

  async #query<R extends pg.QueryResultRow>(text: string, values: unknown[]): Promise<pg.QueryResult<R>> {
    try {
      return await this.pool.query<R>(text, values);
    } catch (err) {
      throw classifyDatabaseError(err);
    }
  }
}
