/**
 * The ingestion store: everything the activities write to PostgreSQL. One chunk (one or more API
 * pages) is written in ONE transaction: COPY into a session temp table, one set-based merge
 * (`INSERT … ON CONFLICT … DO UPDATE … WHERE changed`), the lineage row and the checkpoint.
 * Either all of it commits or none of it does; a retried chunk changes nothing. A stored final row
 * that the merge changes keeps its old values in `revisions` (same transaction).
 */
import { createHash } from 'node:crypto';
import pg from 'pg';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { from as copyFrom } from 'pg-copy-streams';
import { copyBinaryHeader, copyBinaryRows, copyBinaryTrailer, type BinaryColumn } from '../arrow/copy-binary';
import { TS_COLUMN } from '../arrow/batch-builder';
import { classifyDatabaseError } from '../errors';
import { inTransaction } from './transaction';
import { jsonForPg } from '../validation';
import { recordDrift } from './drift';
import { q, seriesWhere } from './sql';
import type { ColumnSpec, DatasetSpec, Page } from '../sources/types';
import type { SeriesKey } from '../../workflows/contracts/series';
import { INTERVAL_SECONDS } from '../../workflows/contracts/series';
import { seriesPath } from '../../workflows/contracts/ids';

export interface CheckpointState {
  readonly nextTs: number;
  readonly completed: boolean;
}

export interface JobRange {
  readonly jobId: string;
  readonly series: SeriesKey;
  /** Unix seconds, aligned; `to` exclusive. */
  readonly from: number;
  readonly to: number;
  /** Where a new job's checkpoint starts (≥ from: the series' floor). @default from */
  readonly startAt?: number;
}

export interface Lineage {
  readonly workflowId: string;
  readonly workflowRunId: string;
  readonly activityId: string;
  readonly attempt: number;
  readonly startedAt: Date;
}

export interface WriteChunkInput {
  readonly job: JobRange;
  readonly dataset: DatasetSpec<unknown>;
  readonly pages: readonly Page[];
  /** First period this chunk asked for (Unix seconds). */
  readonly windowFrom: number;
  /** Checkpoint after this chunk: everything of the job before it is stored. */
  readonly nextCursor: number;
  /** Periods whose end is at or before this instant (Unix seconds) are final. */
  readonly finalBefore: number;
  readonly lineage: Lineage;
  /** Move the job's checkpoint (backfills). Syncs and repairs have none. @default true */
  readonly checkpoint?: boolean;
  /** The activity's cancellation: the running statement is cancelled and the connection released. */
  readonly signal?: AbortSignal;
}

export interface WriteChunkResult {
  readonly runId: number;
  readonly received: number;
  /** Rows sent to quarantine by this chunk (already there from an earlier fetch: not counted again). */
  readonly quarantined: number;
  readonly inserted: number;
  readonly updated: number;
  readonly unchanged: number;
  readonly filler: number;
  readonly provisional: number;
  /**
   * Stored final rows this chunk changed (a later final row with other values); their old values
   * are kept in `revisions`, flagged `replaced_by_filler` when the new row is a filler row.
   */
  readonly revised: number;
}

/** What activities need from the database (narrow, so unit tests can fake it). */
export interface IngestStore {
  /** Create the job's checkpoint if new; return where it stands. */
  openCheckpoint(job: JobRange): Promise<CheckpointState>;
  /** First trade of an instrument per the `instruments` reference table (Unix seconds), if known. */
  instrumentFloor(
    source: string,
    kind: 'spot' | 'futures',
    market: string,
    instrument: string,
  ): Promise<number | undefined>;
  writeChunk(input: WriteChunkInput): Promise<WriteChunkResult>;
}

/** How a column is staged: numbers (times and counts too) as float8, converted once in the merge. */
function stagedAs(c: ColumnSpec): 'text' | 'bool' | 'float8' {
  return c.type === 'text' || c.type === 'bool' ? c.type : 'float8';
}

/** The stage table's SQL type of a column. */
function stageType(c: ColumnSpec): string {
  const t = stagedAs(c);
  return t === 'bool' ? 'boolean' : t;
}

/** Expression converting a stage column into the fact column's type. */
function fromStage(c: ColumnSpec): string {
  const col = `s.${q(c.name)}`;
  switch (c.type) {
    case 'timestamptz':
      return `to_timestamp(${col})`;
    case 'int8':
      return `${col}::int8`;
    default:
      return col;
  }
}

interface DatasetSql {
  readonly stageTable: string;
  readonly createStage: string;
  /** The stage table's columns, in COPY order (`ts`, then the dataset's columns), quoted. */
  readonly stageColumns: string;
  /** Binary COPY into the stage table (`stageColumns` order). */
  readonly copy: string;
  /**
   * Binary COPY straight into the fact table (series columns, `ts`, the dataset's columns,
   * `is_final`, `ingest_run_id`): for a range of the series with nothing stored yet, where the
   * merge could only insert.
   */
  readonly copyFresh: string;
  /** Recount the coverage ledger's days of a time span from the fact table (same transaction). */
  readonly coverage: string;
  /**
   * Drop staged rows that would change nothing: identical to the stored row, or provisional where
   * the stored row is final. Identical reloads (lookback, repair) then cost no write and no WAL
   * on the fact table. Its row count is the "unchanged" count.
   */
  readonly prefilter: string;
  /**
   * Keep the old values of the stored final rows the merge is about to change (a staged final row
   * with other values) in `revisions`; run before the merge. Its row count is the "revised" count.
   */
  readonly revisions: string;
  /**
   * Staged rows whose key already exists (after the prefilter: rows about to be updated). Counted
   * apart because the fact tables are partitioned, and PostgreSQL refuses `RETURNING (xmax = 0)`
   * (insert or update?) there: "cannot retrieve a system column in this context".
   */
  readonly countExisting: string;
  /** Whether the series has any stored row in [$k+1, $k+2] (Unix seconds): none means a fresh range. */
  readonly anyStored: string;
  /** The set-based merge; its row count is inserted + updated. */
  readonly merge: string;
}

const sqlCache = new Map<string, DatasetSql>();

/** A string literal (names from the code's column specs, never input). */
const literal = (text: string): string => `'${text.replace(/'/g, "''")}'`;

/**
 * SQL for one dataset, generated once from its column spec. Exported for tests. Parameters:
 * `$1..$k` the series columns, then step seconds, the finality instant (Unix seconds), the run id
 * (`revisions`: then the series key's source, dataset, market, instrument, interval).
 */
export function datasetSql(ds: DatasetSpec<unknown>): DatasetSql {
  const cached = sqlCache.get(ds.table);
  if (cached) return cached;
  const stageTable = q(`stage_${ds.table}`);
  const table = q(ds.table);
  const staged = [TS_COLUMN, ...ds.columns];
  const stageColumns = staged.map((c) => q(c.name)).join(', ');
  const keyCols = [...ds.seriesColumns.map((c) => c.name), 'ts'];
  const valueCols = ds.columns.map((c) => c.name);
  const k = ds.seriesColumns.length;
  const seriesParams = ds.seriesColumns.map((_, i) => `$${i + 1}::text`);
  const isFinal = `(s.ts + $${k + 1}::float8 <= $${k + 2}::float8)`;
  const keyMatch = `${seriesWhere(ds, 't', 1)} AND t.ts = to_timestamp(s.ts)`;
  const compared = [...valueCols, 'is_final'];
  const newIsFiller = valueCols.includes('is_filler') ? 'n.is_filler' : 'false';
  const sql: DatasetSql = {
    stageTable,
    createStage: `CREATE TEMP TABLE IF NOT EXISTS ${stageTable} (${staged
      .map((c) => `${q(c.name)} ${stageType(c)}`)
      .join(', ')}) ON COMMIT DELETE ROWS`,
    stageColumns,
    copy: `COPY ${stageTable} (${stageColumns}) FROM STDIN (FORMAT binary)`,
    copyFresh: `COPY ${table} (${[...keyCols, ...valueCols, 'is_final', 'ingest_run_id'].map(q).join(', ')}) FROM STDIN (FORMAT binary)`,
    coverage: `INSERT INTO coverage_daily AS c (source, dataset, market, instrument, interval, day, present, filler, provisional)
SELECT $${k + 1}, $${k + 2}, $${k + 3}, $${k + 4}, $${k + 5}, (t.ts AT TIME ZONE 'UTC')::date, count(*),
       count(*) FILTER (WHERE t.is_filler), count(*) FILTER (WHERE NOT t.is_final)
FROM ${table} t
WHERE ${seriesWhere(ds, 't', 1)}
  AND t.ts >= to_timestamp($${k + 6}) AND t.ts < to_timestamp($${k + 7})
GROUP BY 6
ON CONFLICT (source, dataset, market, instrument, interval, day) DO UPDATE SET
  present = EXCLUDED.present, filler = EXCLUDED.filler, provisional = EXCLUDED.provisional, updated_at = now()`,
    prefilter: `DELETE FROM ${stageTable} s USING ${table} t
WHERE ${keyMatch}
  AND ((${valueCols.map((c) => `t.${q(c)}`).join(', ')}, t.is_final) IS NOT DISTINCT FROM (${ds.columns
    .map(fromStage)
    .join(', ')}, ${isFinal})
       OR (t.is_final AND NOT ${isFinal}))`,
    revisions: `INSERT INTO revisions (source, dataset, market, instrument, interval, ts, fact_table, old_values,
  new_values, changed_columns, replaced_by_filler, old_ingest_run_id, new_ingest_run_id)
SELECT $${k + 4}, $${k + 5}, $${k + 6}, $${k + 7}, $${k + 8}, t.ts, ${literal(ds.table)}, to_jsonb(o), to_jsonb(n),
       array_remove(ARRAY[${valueCols
         .map((c) => `CASE WHEN o.${q(c)} IS DISTINCT FROM n.${q(c)} THEN ${literal(c)} END`)
         .join(', ')}]::text[], NULL),
       ${newIsFiller}, t.ingest_run_id, $${k + 3}::bigint
FROM ${stageTable} s
JOIN ${table} t ON ${keyMatch}
CROSS JOIN LATERAL (SELECT ${valueCols.map((c) => `t.${q(c)} AS ${q(c)}`).join(', ')}) o
CROSS JOIN LATERAL (SELECT ${ds.columns.map((c) => `${fromStage(c)} AS ${q(c.name)}`).join(', ')}) n
WHERE t.is_final AND ${isFinal}
  AND (${valueCols.map((c) => `t.${q(c)}`).join(', ')}) IS DISTINCT FROM (${ds.columns.map(fromStage).join(', ')})
ORDER BY s.ts`,
    countExisting: `SELECT count(*)::int AS n FROM ${stageTable} s JOIN ${table} t ON ${keyMatch}`,
    anyStored: `SELECT EXISTS (SELECT 1 FROM ${table} t WHERE ${seriesWhere(ds, 't', 1)}
  AND t.ts >= to_timestamp($${k + 1}::float8) AND t.ts <= to_timestamp($${k + 2}::float8)) AS any`,
    merge: `INSERT INTO ${table} AS t (${[...keyCols, ...valueCols, 'is_final', 'ingest_run_id'].map(q).join(', ')})
SELECT ${seriesParams.join(', ')}, to_timestamp(s.ts), ${ds.columns.map(fromStage).join(', ')}, ${isFinal}, $${k + 3}::bigint
FROM ${stageTable} s
ORDER BY s.ts
ON CONFLICT (${keyCols.map(q).join(', ')}) DO UPDATE SET
  ${[...compared, 'ingest_run_id'].map((c) => `${q(c)} = EXCLUDED.${q(c)}`).join(', ')}, updated_at = now()
WHERE (${compared.map((c) => `t.${q(c)}`).join(', ')}) IS DISTINCT FROM (${compared.map((c) => `EXCLUDED.${q(c)}`).join(', ')})
  AND (EXCLUDED.is_final OR NOT t.is_final)`,
  };
  sqlCache.set(ds.table, sql);
  return sql;
}

/** Insert quarantined rows (once per distinct raw row and reason); returns how many were new. */
async function recordQuarantine(
  client: pg.PoolClient,
  s: SeriesKey,
  pages: readonly Page[],
  runId: number,
  workflowId: string,
): Promise<number> {
  const rows = pages.flatMap((p) =>
    p.quarantined.map((q) => {
      const raw = jsonForPg(q.raw);
      return {
        ts: q.ts,
        reason: q.reason,
        raw,
        raw_sha256: createHash('sha256').update(raw).digest('hex'),
        request: p.request,
      };
    }),
  );
  if (rows.length === 0) return 0;
  const res = await client.query(
    `INSERT INTO quarantine (source, dataset, market, instrument, interval, ts, reason, raw, raw_sha256, request,
       ingest_run_id, workflow_id)
     SELECT $1, $2, $3, $4, $5, to_timestamp(x.ts), x.reason, x.raw::jsonb, x.raw_sha256, x.request, $6, $7
     FROM jsonb_to_recordset($8::jsonb) AS x(ts float8, reason text, raw text, raw_sha256 text, request text)
     ON CONFLICT (source, dataset, market, instrument, raw_sha256, reason) DO NOTHING`,
    [s.source, s.dataset, s.market, s.instrument, s.interval, runId, workflowId, JSON.stringify(rows)],
  );
  return res.rowCount ?? 0;
}

export class PgIngestStore implements IngestStore {
  readonly #pool: pg.Pool;
  /** Partition months known to exist, per table (`table:YYYY-MM`). */
  readonly #knownPartitions = new Set<string>();

  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  async openCheckpoint(job: JobRange): Promise<CheckpointState> {
    const s = job.series;
    try {
      const res = await this.#pool.query<{ next_ts: number; completed: boolean }>(
        `WITH ins AS (
           INSERT INTO ingest_checkpoints (job_id, source, dataset, market, instrument, interval, range_from, range_to, next_ts)
           VALUES ($1, $2, $3, $4, $5, $6, to_timestamp($7), to_timestamp($8), to_timestamp($9))
           ON CONFLICT (job_id) DO NOTHING
           RETURNING next_ts, completed_at)
         SELECT extract(epoch FROM next_ts)::float8 AS next_ts, completed_at IS NOT NULL AS completed FROM ins
         UNION ALL
         SELECT extract(epoch FROM next_ts)::float8, completed_at IS NOT NULL FROM ingest_checkpoints WHERE job_id = $1
         LIMIT 1`,
        [job.jobId, s.source, s.dataset, s.market, s.instrument, s.interval, job.from, job.to, job.startAt ?? job.from],
      );
      const row = res.rows[0];
      if (!row) throw new Error(`checkpoint ${job.jobId} could not be created`);
      return { nextTs: Number(row.next_ts), completed: row.completed };
    } catch (err) {
      throw classifyDatabaseError(err);
    }
  }

  async instrumentFloor(
    source: string,
    kind: 'spot' | 'futures',
    market: string,
    instrument: string,
  ): Promise<number | undefined> {
    try {
      const res = await this.#pool.query<{ first: number | null }>(
        `SELECT extract(epoch FROM first_trade_ts)::float8 AS first FROM instruments
         WHERE source = $1 AND kind = $2 AND market = $3 AND instrument = $4`,
        [source, kind, market, instrument],
      );
      const first = res.rows[0]?.first;
      return first === null || first === undefined ? undefined : Number(first);
    } catch (err) {
      throw classifyDatabaseError(err);
    }
  }

  /** Create the monthly partitions a time span needs (own transaction: it locks the parent briefly). */
  async #ensurePartitions(table: string, minTs: number, maxTs: number): Promise<void> {
    const months: string[] = [];
    const d = new Date(minTs * 1000);
    const cur = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1));
    while (cur.getTime() <= maxTs * 1000) {
      months.push(`${table}:${cur.toISOString().slice(0, 7)}`);
      cur.setUTCMonth(cur.getUTCMonth() + 1);
    }
    if (months.every((m) => this.#knownPartitions.has(m))) return;
    await this.#pool.query('SELECT ensure_monthly_partitions($1::regclass, to_timestamp($2), to_timestamp($3))', [
      table,
      minTs,
      maxTs,
    ]);
    for (const m of months) this.#knownPartitions.add(m);
  }

  /**
   * One chunk in ONE transaction, as named steps: stage (COPY), merge, run record (lineage,
   * quarantine, drift), watermark and coverage, checkpoint. All of it commits or none of it does.
   */
  async writeChunk(input: WriteChunkInput): Promise<WriteChunkResult> {
    const stats = pageStats(input);
    try {
      if (stats.min_ts !== null && stats.max_ts !== null)
        await this.#ensurePartitions(input.dataset.table, stats.min_ts, stats.max_ts);
      return await inTransaction(this.#pool, input.signal, async (client) => {
        // A retry (attempt > 1) of a chunk that did commit (the worker died before Temporal heard of
        // it): the rows are stored and its first counts are the truth; writing it again would report
        // its new rows as unchanged. A first attempt over a stored window (a reload) writes as usual.
        const committed =
          input.checkpoint !== false && input.lineage.attempt > 1 ? await committedRun(client, input) : undefined;
        if (committed) return committed;
        await lockSeries(client, input);
        const runId = await nextRunId(client);
        const merged = (await copyFresh(client, input, runId, stats)) ?? (await stageAndMerge(client, input, runId));
        const quarantined = await recordRun(client, input, runId, stats, merged);
        if (stats.min_ts !== null && stats.max_ts !== null) await advanceWatermarkAndCoverage(client, input, stats);
        if (input.checkpoint !== false) await advanceCheckpoint(client, input, runId, stats, merged);
        return {
          runId,
          received: stats.received,
          quarantined,
          inserted: merged.inserted,
          updated: merged.updated,
          unchanged: merged.unchanged,
          filler: stats.filler,
          provisional: stats.provisional,
          revised: merged.revised,
        };
      });
    } catch (err) {
      throw classifyDatabaseError(err);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The steps of `writeChunk`, each on the transaction's connection.

interface StageStats {
  received: number;
  filler: number;
  provisional: number;
  min_ts: number | null;
  max_ts: number | null;
  max_final_ts: number | null;
}

interface Merged {
  readonly inserted: number;
  readonly updated: number;
  readonly unchanged: number;
  readonly revised: number;
}

/**
 * The counts of this very chunk (same job and window) when it has already committed: the
 * checkpoint is at or past its end and a lineage row records it.
 */
async function committedRun(client: pg.PoolClient, input: WriteChunkInput): Promise<WriteChunkResult | undefined> {
  const res = await client.query<{
    id: string;
    rows_received: number;
    rows_quarantined: number;
    rows_inserted: number;
    rows_updated: number;
    rows_unchanged: number;
    rows_filler: number;
    rows_provisional: number;
    rows_revised: number;
  }>(
    `SELECT r.id, r.rows_received, r.rows_quarantined, r.rows_inserted, r.rows_updated, r.rows_unchanged,
            r.rows_filler, r.rows_provisional, r.rows_revised
     FROM ingest_checkpoints c
     JOIN ingestion_runs r ON r.job_id = c.job_id
       AND r.window_from = to_timestamp($2) AND r.window_to = to_timestamp($3)
     WHERE c.job_id = $1 AND c.next_ts >= to_timestamp($3)
     ORDER BY r.id DESC LIMIT 1`,
    [input.job.jobId, input.windowFrom, input.nextCursor],
  );
  const r = res.rows[0];
  if (!r) return undefined;
  return {
    runId: Number(r.id),
    received: r.rows_received,
    quarantined: r.rows_quarantined,
    inserted: r.rows_inserted,
    updated: r.rows_updated,
    unchanged: r.rows_unchanged,
    filler: r.rows_filler,
    provisional: r.rows_provisional,
    revised: r.rows_revised,
  };
}

const stepOf = (input: WriteChunkInput): number => INTERVAL_SECONDS[input.job.series.interval];

/**
 * Counts over the pages' rows: received, filler, provisional (the period is not closed by
 * `finalBefore`), and their time span (what a staged copy would count, computed without it).
 */
function pageStats(input: WriteChunkInput): StageStats {
  const step = stepOf(input);
  const fillerIndex = input.dataset.columns.findIndex((c) => c.name === 'is_filler');
  const stats: StageStats = { received: 0, filler: 0, provisional: 0, min_ts: null, max_ts: null, max_final_ts: null };
  for (const page of input.pages) {
    for (const batch of page.batch.batches) {
      const n = batch.numRows;
      if (n === 0) continue;
      const ts = batch.getChildAt(0)!.data[0]!;
      const tsValues = ts.values as Float64Array;
      const filler = fillerIndex < 0 ? undefined : batch.getChildAt(fillerIndex + 1)!.data[0]!;
      for (let i = 0; i < n; i++) {
        const t = tsValues[ts.offset + i]!;
        stats.received++;
        if (stats.min_ts === null || t < stats.min_ts) stats.min_ts = t;
        if (stats.max_ts === null || t > stats.max_ts) stats.max_ts = t;
        if (t + step <= input.finalBefore) {
          if (stats.max_final_ts === null || t > stats.max_final_ts) stats.max_final_ts = t;
        } else stats.provisional++;
        if (filler) {
          const k = filler.offset + i;
          if (((filler.values as Uint8Array)[k >> 3]! & (1 << (k & 7))) !== 0) stats.filler++;
        }
      }
    }
  }
  return stats;
}

/** Binary COPY of every page's rows (`columns` per row) into `statement`'s table: one round trip. */
async function copyPages(
  client: pg.PoolClient,
  statement: string,
  pages: readonly Page[],
  columns: readonly BinaryColumn[],
): Promise<void> {
  await pipeline(
    Readable.from(
      (function* () {
        yield copyBinaryHeader();
        for (const page of pages) yield* copyBinaryRows(page.batch, columns);
        yield copyBinaryTrailer();
      })(),
      { objectMode: true, highWaterMark: 1 }, // one page's rows rendered ahead of the socket, not 16
    ),
    client.query(copyFrom(statement)),
  );
}

/**
 * A range of the series with nothing stored yet (a backfill's new rows): the merge could only
 * insert, so the rows are copied straight into the fact table (no stage, no conflict checks).
 * Writers of one series are serialized by `lockSeries`, so no row can appear in the range
 * meanwhile; should one anyway (a writer that skipped the lock), the copy fails on the primary
 * key, is rolled back to its savepoint and undefined tells the caller to merge instead.
 */
async function copyFresh(
  client: pg.PoolClient,
  input: WriteChunkInput,
  runId: number,
  stats: StageStats,
): Promise<Merged | undefined> {
  if (stats.min_ts === null || stats.max_ts === null) return undefined;
  const { dataset: ds, job } = input;
  const sql = datasetSql(ds);
  const series = ds.seriesValues(job.series);
  const any = await client.query<{ any: boolean }>(sql.anyStored, [...series, stats.min_ts, stats.max_ts]);
  if (any.rows[0]!.any) return undefined;
  const columns: BinaryColumn[] = [
    ...ds.seriesColumns.map((c, i): BinaryColumn => ({ kind: 'const', type: c.type, value: series[i] ?? null })),
    { kind: 'column', index: 0, type: 'timestamptz' },
    ...ds.columns.map((c, i): BinaryColumn => ({ kind: 'column', index: i + 1, type: c.type })),
    { kind: 'final', index: 0, step: stepOf(input), finalBefore: input.finalBefore },
    { kind: 'const', type: 'int8', value: runId },
  ];
  await client.query('SAVEPOINT copy_fresh');
  try {
    await copyPages(
      client,
      sql.copyFresh,
      input.pages.filter((p) => p.batch.numRows > 0),
      columns,
    );
  } catch (err) {
    if ((err as { code?: string }).code !== '23505') throw err; // unique_violation: merge instead
    await client.query('ROLLBACK TO SAVEPOINT copy_fresh');
    return undefined;
  }
  await client.query('RELEASE SAVEPOINT copy_fresh');
  return { inserted: stats.received, updated: 0, unchanged: 0, revised: 0 };
}

/** COPY every page into the session's stage table, then merge it. */
async function stageAndMerge(client: pg.PoolClient, input: WriteChunkInput, runId: number): Promise<Merged> {
  const { dataset: ds, pages } = input;
  const sql = datasetSql(ds);
  await client.query(sql.createStage);
  const withRows = pages.filter((p) => p.batch.numRows > 0);
  if (withRows.length > 0) {
    const columns = [TS_COLUMN, ...ds.columns].map((c, index): BinaryColumn => ({
      kind: 'column',
      index,
      type: stagedAs(c),
    }));
    await copyPages(client, sql.copy, withRows, columns);
  }
  return merge(client, input, runId);
}

/**
 * One writer of a series at a time (a backfill and a sync tick, two repairs): a transaction-scoped
 * advisory lock on the series key, held until commit, so what `merge` reads of the stored rows stays
 * true until it writes.
 */
async function lockSeries(client: pg.PoolClient, input: WriteChunkInput): Promise<void> {
  await client.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [
    `series:${seriesPath(input.job.series)}`,
  ]);
}

async function nextRunId(client: pg.PoolClient): Promise<number> {
  const res = await client.query<{ id: string }>(
    `SELECT nextval(pg_get_serial_sequence('ingestion_runs', 'id')) AS id`,
  );
  return Number(res.rows[0]!.id);
}

/**
 * Drop staged rows that change nothing, count those about to update, keep the old values of the
 * final rows among them, then the set-based merge.
 */
async function merge(client: pg.PoolClient, input: WriteChunkInput, runId: number): Promise<Merged> {
  const { dataset: ds, job } = input;
  const s = job.series;
  const sql = datasetSql(ds);
  const params = [...ds.seriesValues(s), stepOf(input), input.finalBefore];
  const unchanged = (await client.query(sql.prefilter, params)).rowCount ?? 0;
  const updated = (await client.query<{ n: number }>(sql.countExisting, [...ds.seriesValues(s)])).rows[0]!.n;
  // Only a stored row can be revised: a chunk of new rows (a backfill) skips the statement.
  const revised =
    updated === 0
      ? 0
      : ((
          await client.query(sql.revisions, [...params, runId, s.source, s.dataset, s.market, s.instrument, s.interval])
        ).rowCount ?? 0);
  const written = (await client.query(sql.merge, [...params, runId])).rowCount ?? 0;
  return { inserted: written - updated, updated, unchanged, revised };
}

/** The lineage row, the quarantined rows and any schema drift; returns the newly quarantined count. */
async function recordRun(
  client: pg.PoolClient,
  input: WriteChunkInput,
  runId: number,
  stats: StageStats,
  merged: Merged,
): Promise<number> {
  const { job, pages } = input;
  const s = job.series;
  const l = input.lineage;
  await client.query(
    `INSERT INTO ingestion_runs (id, job_id, workflow_id, workflow_run_id, activity_id, attempt, source, dataset, market,
       instrument, interval, window_from, window_to, requests, response_sha256, rows_received, rows_inserted,
       rows_updated, rows_unchanged, rows_filler, rows_provisional, started_at, rows_quarantined, rows_revised)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, to_timestamp($12), to_timestamp($13), $14, $15, $16, $17,
       $18, $19, $20, $21, $22, $23, $24)`,
    [
      runId,
      job.jobId,
      l.workflowId,
      l.workflowRunId,
      l.activityId,
      l.attempt,
      s.source,
      s.dataset,
      s.market,
      s.instrument,
      s.interval,
      input.windowFrom,
      input.nextCursor,
      pages.map((p) => p.request),
      pages.map((p) => p.responseSha256),
      stats.received,
      merged.inserted,
      merged.updated,
      merged.unchanged,
      stats.filler,
      stats.provisional,
      l.startedAt,
      pages.reduce((n, p) => n + p.quarantined.length, 0),
      merged.revised,
    ],
  );
  const quarantined = await recordQuarantine(client, s, pages, runId, l.workflowId);
  await recordDrift(client, s.source, s.dataset, pages, runId);
  return quarantined;
}

/** The series' watermark and the coverage ledger's days move with the data. */
async function advanceWatermarkAndCoverage(
  client: pg.PoolClient,
  input: WriteChunkInput,
  stats: StageStats,
): Promise<void> {
  const { dataset: ds, job } = input;
  const s = job.series;
  await client.query(
    `INSERT INTO series_watermarks AS w (source, dataset, market, instrument, interval, first_ts, last_ts, last_final_ts)
     VALUES ($1, $2, $3, $4, $5, to_timestamp($6), to_timestamp($7), to_timestamp($8))
     ON CONFLICT (source, dataset, market, instrument, interval) DO UPDATE SET
       first_ts = LEAST(w.first_ts, EXCLUDED.first_ts),
       last_ts = GREATEST(w.last_ts, EXCLUDED.last_ts),
       last_final_ts = GREATEST(w.last_final_ts, EXCLUDED.last_final_ts),
       updated_at = now()`,
    [s.source, s.dataset, s.market, s.instrument, s.interval, stats.min_ts, stats.max_ts, stats.max_final_ts],
  );
  const dayLo = Math.floor(Number(stats.min_ts) / 86_400) * 86_400;
  const dayHi = Math.floor(Number(stats.max_ts) / 86_400) * 86_400 + 86_400;
  await client.query(datasetSql(ds).coverage, [
    ...ds.seriesValues(s),
    s.source,
    s.dataset,
    s.market,
    s.instrument,
    s.interval,
    dayLo,
    dayHi,
  ]);
}

/** The job's checkpoint only moves forward; it completes when it reaches the range's end. */
async function advanceCheckpoint(
  client: pg.PoolClient,
  input: WriteChunkInput,
  runId: number,
  stats: StageStats,
  merged: Merged,
): Promise<void> {
  const { job, pages } = input;
  const s = job.series;
  await client.query(
    `INSERT INTO ingest_checkpoints AS c (job_id, source, dataset, market, instrument, interval, range_from, range_to,
       next_ts, pages, rows_received, rows_written, last_run_id, completed_at)
     VALUES ($1, $2, $3, $4, $5, $6, to_timestamp($7), to_timestamp($8), to_timestamp($9), $10, $11, $12, $13,
       CASE WHEN $9 >= $8 THEN now() END)
     ON CONFLICT (job_id) DO UPDATE SET
       next_ts = GREATEST(c.next_ts, EXCLUDED.next_ts),
       -- Counters move with the checkpoint only: a chunk behind it was counted when it committed.
       pages = c.pages + CASE WHEN EXCLUDED.next_ts > c.next_ts THEN EXCLUDED.pages ELSE 0 END,
       rows_received = c.rows_received + CASE WHEN EXCLUDED.next_ts > c.next_ts THEN EXCLUDED.rows_received ELSE 0 END,
       rows_written = c.rows_written + CASE WHEN EXCLUDED.next_ts > c.next_ts THEN EXCLUDED.rows_written ELSE 0 END,
       last_run_id = EXCLUDED.last_run_id,
       updated_at = now(),
       completed_at = COALESCE(c.completed_at, EXCLUDED.completed_at)`,
    [
      job.jobId,
      s.source,
      s.dataset,
      s.market,
      s.instrument,
      s.interval,
      job.from,
      job.to,
      input.nextCursor,
      pages.length,
      stats.received,
      merged.inserted + merged.updated,
      runId,
    ],
  );
}
