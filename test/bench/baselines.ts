/**
 * The baselines the bench compares the pipeline with, on the same rows and the same table:
 *
 * - **database ceiling**: the rows as a COPY text file, then one `psql` session: per series, in one
 *   transaction, `\copy` into the store's own TEMP stage table and the store's own merge statement
 *   (`datasetSql(spotOhlcv)`: `INSERT … SELECT … FROM stage ON CONFLICT (market, instrument,
 *   interval, ts) DO UPDATE … WHERE changed`), its parameters inlined. Timed: the psql run.
 * - **COPY ceiling**: the rows as a COPY text file of the fact table's own columns, then one
 *   `psql` session: per series, in one transaction, `\copy` straight into `spot_ohlcv` (no stage,
 *   no merge): the physical limit of the path the pipeline takes for a range with nothing stored.
 * - **naive path**: multi-row `INSERT … VALUES … ON CONFLICT … DO UPDATE`, 1,000 rows per
 *   statement, each statement its own transaction, from Node with `pg`. Timed: the statements
 *   (the rows are generated between them, outside the clock).
 *
 * Rows come from the simulator's generator (`expectedSpotRows`), as the columns of `spot_ohlcv`.
 */
import { execFile } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import path from 'node:path';
import { once } from 'node:events';
import pg from 'pg';
import { datasetSql } from '../../activities/db/store';
import { spotOhlcv } from '../../activities/sources/data-api/ohlcv';
import type { SeriesKey } from '../../workflows/contracts/series';
import { expectedSpotRows, type SpotRow } from '../helpers/expected';

const STEP = 60; // 1m
const SLICE_ROWS = 10_000;

export interface BenchSeries {
  key: SeriesKey;
  from: number;
  to: number;
}

/** The stage table's columns: `ts`, then the dataset's value columns (as the store COPYs them). */
const STAGE_COLUMNS = ['ts', ...spotOhlcv.columns.map((c) => c.name)] as const;

function cell(v: unknown): string {
  if (v === null || v === undefined) return '\\N';
  if (typeof v === 'boolean') return v ? 't' : 'f';
  return String(v); // numbers: the shortest round-trip form (float8 input reads it back to the same double)
}

/** Rows of a series in slices (bounded memory). */
export function* rowSlices(s: BenchSeries, sliceRows = SLICE_ROWS): Generator<SpotRow[]> {
  for (let a = s.from; a < s.to; a += sliceRows * STEP)
    yield expectedSpotRows(s.key, a, Math.min(s.to, a + sliceRows * STEP));
}

/** Expected row count of a series in [from, to) (from the generator). */
export function expectedCount(key: SeriesKey, from: number, to: number): number {
  let n = 0;
  for (const rows of rowSlices({ key, from, to }, 50_000)) n += rows.length;
  return n;
}

/** The fact table's columns a direct copy writes (the series key and run id as constants). */
const DIRECT_COLUMNS = ['market', 'instrument', 'interval', 'ts', ...spotOhlcv.columns.map((c) => c.name), 'is_final'];
const TIME_COLUMNS = new Set(['ts', ...spotOhlcv.columns.filter((c) => c.type === 'timestamptz').map((c) => c.name)]);

/**
 * Write one series' rows as COPY text twice: the stage's columns (`stageFile`) and the fact
 * table's (`directFile`: times as ISO instants, every period closed); returns the row count.
 */
export async function writeCopyFiles(s: BenchSeries, stageFile: string, directFile: string): Promise<number> {
  const stage = createWriteStream(stageFile);
  const direct = createWriteStream(directFile);
  const key: Record<string, unknown> = { market: s.key.market, instrument: s.key.instrument, interval: s.key.interval };
  let n = 0;
  for (const rows of rowSlices(s)) {
    let a = '';
    let b = '';
    for (const r of rows) {
      const rec: Record<string, unknown> = { ...key, ...(r as unknown as Record<string, unknown>), is_final: true };
      a += STAGE_COLUMNS.map((c) => cell(rec[c])).join('\t') + '\n';
      b +=
        DIRECT_COLUMNS.map((c) =>
          TIME_COLUMNS.has(c) && typeof rec[c] === 'number'
            ? new Date((rec[c] as number) * 1000).toISOString()
            : cell(rec[c]),
        ).join('\t') + '\t0\n'; // ingest_run_id
    }
    n += rows.length;
    if (!stage.write(a)) await once(stage, 'drain');
    if (!direct.write(b)) await once(direct, 'drain');
  }
  stage.end();
  direct.end();
  await Promise.all([once(stage, 'finish'), once(direct, 'finish')]);
  return n;
}

async function runPsql(binDir: string, databaseUrl: string, lines: string[], scriptFile: string): Promise<number> {
  const { writeFile } = await import('node:fs/promises');
  await writeFile(scriptFile, ['\\set ON_ERROR_STOP on', ...lines].join('\n') + '\n');
  const t0 = performance.now();
  await new Promise<void>((resolve, reject) => {
    execFile(
      path.join(binDir, 'psql'),
      ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', databaseUrl, '-f', scriptFile],
      { maxBuffer: 16 << 20 },
      (err, _stdout, stderr) => (err ? reject(new Error(`psql: ${err.message}\n${stderr}`)) : resolve()),
    );
  });
  return (performance.now() - t0) / 1000;
}

/**
 * The COPY ceiling: `psql` \copy of each series' direct file straight into `spot_ohlcv`, one
 * transaction per series, one session. Returns the seconds of the psql run.
 */
export async function runCopyCeiling(
  binDir: string,
  databaseUrl: string,
  files: Array<{ series: BenchSeries; file: string }>,
  scriptFile: string,
): Promise<number> {
  const lines = files.flatMap(({ file }) => [
    'BEGIN;',
    `\\copy spot_ohlcv (${[...DIRECT_COLUMNS, 'ingest_run_id'].join(', ')}) FROM ${literal(path.resolve(file))}`,
    'COMMIT;',
  ]);
  return runPsql(binDir, databaseUrl, lines, scriptFile);
}

const literal = (v: string | number): string => (typeof v === 'number' ? String(v) : `'${v.replace(/'/g, "''")}'`);

/** The store's SQL with its `$n` parameters inlined (psql runs it as a plain script). */
function inline(sql: string, params: ReadonlyArray<string | number>): string {
  return sql.replace(/\$(\d+)/g, (_, n: string) => literal(params[Number(n) - 1]!));
}

/**
 * The ceiling: `psql` \copy of each series' file into the store's stage table and the store's
 * merge, one transaction per series, one session. Returns the seconds of the psql run.
 */
export async function runCeiling(
  binDir: string,
  databaseUrl: string,
  files: Array<{ series: BenchSeries; file: string }>,
  scriptFile: string,
): Promise<number> {
  const sql = datasetSql(spotOhlcv);
  const finalBefore = Math.floor(Date.now() / 1000);
  const lines: string[] = [];
  for (const { series, file } of files) {
    const params = [...spotOhlcv.seriesValues(series.key), STEP, finalBefore, 0];
    lines.push(
      'BEGIN;',
      `${sql.createStage};`,
      `\\copy ${sql.stageTable} (${sql.stageColumns}) FROM ${literal(path.resolve(file))}`,
      `${inline(sql.merge, params).replace(/\n/g, ' ')};`,
      'COMMIT;',
    );
  }
  return runPsql(binDir, databaseUrl, lines, scriptFile);
}

const FACT_COLUMNS = ['market', 'instrument', 'interval', 'ts', ...spotOhlcv.columns.map((c) => c.name), 'is_final'];
const TIMESTAMP_COLUMNS = new Set([
  'ts',
  ...spotOhlcv.columns.filter((c) => c.type === 'timestamptz').map((c) => c.name),
]);

/**
 * The naive path: `INSERT … VALUES (…), … ON CONFLICT … DO UPDATE`, `batch` rows per statement,
 * autocommit. Returns the seconds spent in the statements.
 */
export async function runNaive(databaseUrl: string, series: BenchSeries[], batch = 1_000): Promise<number> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const cols = [...FACT_COLUMNS, 'ingest_run_id'];
  const update = [...FACT_COLUMNS.slice(4), 'ingest_run_id'].map((c) => `${c} = EXCLUDED.${c}`).join(', ');
  const head = `INSERT INTO spot_ohlcv AS t (${cols.join(', ')}) VALUES `;
  const tail = ` ON CONFLICT (market, instrument, interval, ts) DO UPDATE SET ${update}, updated_at = now()`;
  let ms = 0;
  try {
    for (const s of series) {
      for (const rows of rowSlices(s, batch)) {
        const params: unknown[] = [];
        const tuples: string[] = [];
        for (const r of rows) {
          const rec = r as unknown as Record<string, unknown>;
          const base = params.length;
          for (const c of FACT_COLUMNS) {
            const v =
              c === 'market'
                ? s.key.market
                : c === 'instrument'
                  ? s.key.instrument
                  : c === 'interval'
                    ? s.key.interval
                    : rec[c];
            params.push(TIMESTAMP_COLUMNS.has(c) && typeof v === 'number' ? new Date(v * 1000) : (v ?? null));
          }
          params.push(0);
          tuples.push(`(${cols.map((_, i) => `$${base + i + 1}`).join(', ')})`);
        }
        const text = head + tuples.join(', ') + tail;
        const t0 = performance.now();
        await client.query(text, params);
        ms += performance.now() - t0;
      }
    }
  } finally {
    await client.end();
  }
  return ms / 1000;
}
