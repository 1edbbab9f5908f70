/**
 * Issue 11, Parquet out: `crypto-ingest export` on the real stack (its own database, a Data API twin,
 * a worker process). Other tools read the files (pyarrow and duckdb, Python from PyPI) and find
 * exactly PostgreSQL's rows and values, with the table's types; the manifest's checksums are the
 * files'; a second run keeps every file; a run after files were lost or damaged rewrites exactly
 * those; a worker killed mid-export leaves no half file and the export completes on another.
 * Parquet in: the export imported into an empty database (its own worker) reproduces the table
 * (checksum over every value column), a second import changes nothing, and a legacy Arrow dump with
 * other column names loads through a column map, its bad row quarantined with the file it came from.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tableFromArrays, tableToIPC } from 'apache-arrow';
import type { ImportProgress } from '../../workflows/contracts/import';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataApiSimulator } from '../../simulator/sources/data-api';
import { minApiSimulator } from '../../simulator/sources/min-api';
import { startSimulator, type RunningSimulator } from '../../simulator/server';
import type { ExportProgress } from '../../workflows/contracts/export';
import { exportWorkflowId, importWorkflowId } from '../../workflows/contracts/ids';
import { openTestEnv, runCli, startWorkerProcess, waitFor, type TestEnv, type WorkerProcess } from '../helpers/env';
import { ensurePython, runPython } from '../helpers/python';

let env: TestEnv;
let sim: RunningSimulator;
let worker: WorkerProcess;
let target: TestEnv;
let targetWorker: WorkerProcess;
const workerEnv = () => ({
  DATA_API_BASE_URL: `${sim.url}/data-api`,
  DATA_API_KEY: `export-${randomUUID()}`,
  MIN_API_BASE_URL: `${sim.url}/min-api`,
});

beforeAll(async () => {
  ensurePython();
  env = await openTestEnv('export', { ownDatabase: true });
  sim = await startSimulator({ port: 0, sources: [dataApiSimulator, minApiSimulator] });
  worker = await startWorkerProcess(env, workerEnv());
  // The import's target: an empty database of its own, with its own worker.
  target = await openTestEnv('import', { ownDatabase: true });
  targetWorker = await startWorkerProcess(target, workerEnv());
});

afterAll(async () => {
  targetWorker?.child.kill('SIGTERM');
  await targetWorker?.exited;
  await target?.close();
  worker?.child.kill('SIGTERM');
  await worker?.exited;
  await sim?.close();
  await env?.close();
});

const cli = (args: string[]) => runCli(env, args, { DATA_API_BASE_URL: `${sim.url}/data-api` });

const backfill = (market: string, instrument: string, interval: string, from: string, to: string) =>
  env.client.workflow.execute('backfillSeries', {
    taskQueue: env.taskQueue,
    workflowId: `test-export/backfill/${randomUUID()}`,
    args: [{ source: 'data-api', dataset: 'spot-ohlcv', market, instrument, interval, from, to }],
  });

/** Every row of the exported range as PostgreSQL holds it: timestamps as epoch microseconds, int8 as numbers. */
async function pgRows(from: string, to: string, where = 'true'): Promise<Array<Record<string, unknown>>> {
  const cols = await env.pool.query<{ column_name: string; data_type: string }>(
    `SELECT column_name, data_type FROM information_schema.columns
     WHERE table_schema = current_schema() AND table_name = 'spot_ohlcv' ORDER BY ordinal_position`,
  );
  const select = cols.rows.map((c) =>
    c.data_type === 'timestamp with time zone'
      ? `(extract(epoch FROM ${c.column_name}) * 1000000)::int8 AS ${c.column_name}`
      : c.column_name,
  );
  const res = await env.pool.query(
    `SELECT ${select.join(', ')} FROM spot_ohlcv WHERE ts >= $1 AND ts < $2 AND ${where}
     ORDER BY market, instrument, interval, ts`,
    [from, to],
  );
  const int8 = new Set(
    cols.rows
      .filter((c) => c.data_type === 'bigint' || c.data_type === 'timestamp with time zone')
      .map((c) => c.column_name),
  );
  return res.rows.map((r: Record<string, unknown>) =>
    Object.fromEntries(Object.entries(r).map(([k, v]) => [k, int8.has(k) && v !== null ? Number(v) : v])),
  );
}

/** The export as pyarrow and duckdb read it: schema per column, rows in (market, instrument, interval, ts) order. */
const READ = String.raw`
import glob, json, os, sys
import pyarrow as pa, pyarrow.parquet as pq, duckdb
root = sys.argv[1]
files = sorted(glob.glob(os.path.join(root, '**', '*.parquet'), recursive=True))
def rows(t):
    cols = {}
    for name in t.column_names:
        c = t.column(name)
        if pa.types.is_timestamp(c.type):
            c = c.cast(pa.timestamp('us', tz='UTC')).cast(pa.int64())
        cols[name] = c.to_pylist()
    return [dict(zip(cols.keys(), v)) for v in zip(*cols.values())] if cols else []
tables = [pq.read_table(f) for f in files]
schema = {f.name: str(f.type) for f in tables[0].schema} if tables else {}
out_pa = [r for t in tables for r in rows(t)]
out_pa.sort(key=lambda r: (r['market'], r['instrument'], r['interval'], r['ts']))
con = duckdb.connect()
d = con.sql(f"SELECT * FROM read_parquet('{root}/**/*.parquet') ORDER BY market, instrument, interval, ts").arrow()
if hasattr(d, 'read_all'):
    d = d.read_all()
print(json.dumps({'files': [os.path.relpath(f, root) for f in files], 'schema': schema, 'pyarrow': out_pa, 'duckdb': rows(d)}))
`;

interface ReadBack {
  files: string[];
  schema: Record<string, string>;
  pyarrow: Array<Record<string, unknown>>;
  duckdb: Array<Record<string, unknown>>;
}

interface Manifest {
  rows: number;
  checksum: string;
  files: Array<{ path: string; rows: number; minTs: string; maxTs: string; sha256: string; bytes: number }>;
}

/** An MD5 over every value column of the table's rows in [from, to) (not lineage, not update times), in key order. */
async function tableChecksum(
  pool: import('pg').Pool,
  from: string,
  to: string,
  table = 'spot_ohlcv',
  key = 'market, instrument, interval',
): Promise<string> {
  const cols = await pool.query<{ column_name: string }>(
    `SELECT column_name FROM information_schema.columns
     WHERE table_schema = current_schema() AND table_name = $1
       AND column_name NOT IN ('ingest_run_id', 'updated_at') ORDER BY ordinal_position`,
    [table],
  );
  const res = await pool.query<{ sum: string | null; n: number }>(
    `SELECT md5(string_agg(ROW(${cols.rows.map((c) => c.column_name).join(', ')})::text, E'\\n'
                ORDER BY ${key}, ts)) AS sum, count(*)::int AS n
     FROM ${table} WHERE ts >= $1 AND ts < $2`,
    [from, to],
  );
  return `${res.rows[0]!.n}:${res.rows[0]!.sum}`;
}

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

const FROM = '2024-01-01T00:00:00.000Z';
const TO = '2024-03-01T00:00:00.000Z';

describe('crypto-ingest export', () => {
  let out: string;
  const exportArgs = () => ['export', '--source', 'data-api', '--dataset', 'spot-ohlcv', '--from', FROM, '--to', TO];
  const run = async (args: string[]): Promise<ExportProgress> => {
    const r = await cli([...args, '--task-queue', env.taskQueue, '--wait']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const dest = args[args.indexOf('--out') + 1]!;
    return (await env.client.workflow
      .getHandle(exportWorkflowId('data-api', 'spot-ohlcv', path.resolve(dest)))
      .result()) as ExportProgress;
  };

  it('writes what pyarrow and duckdb read back as exactly the table, typed as the table, with a manifest of checksums', async () => {
    await backfill('kraken', 'BTC-USD', '1h', '2023-12-20T00:00:00Z', '2024-03-05T00:00:00Z');
    await backfill('coinbase', 'ETH-USD', '1d', '2023-11-01T00:00:00Z', '2024-03-10T00:00:00Z');
    out = mkdtempSync(path.join(tmpdir(), 'export-'));

    const p = await run([...exportArgs(), '--out', out]);
    expect(p).toMatchObject({ status: 'completed', files: 4, written: 4, kept: 0, percent: 100 });
    const expected = await pgRows(FROM, TO);
    expect(expected.length).toBe(31 * 24 + 29 * 24 + 31 + 29); // Jan + Feb 2024 of hours and of days
    expect(p.rows).toBe(expected.length);

    const back = runPython<ReadBack>(READ, [out]);
    expect(back.files).toEqual([
      'spot-ohlcv/coinbase/1d/2024-01/ETH-USD.parquet',
      'spot-ohlcv/coinbase/1d/2024-02/ETH-USD.parquet',
      'spot-ohlcv/kraken/1h/2024-01/BTC-USD.parquet',
      'spot-ohlcv/kraken/1h/2024-02/BTC-USD.parquet',
    ]);
    expect(back.schema).toMatchObject({
      market: 'string',
      ts: 'timestamp[us, tz=UTC]',
      close: 'double',
      total_trades: 'int64',
      first_trade_ts: 'timestamp[us, tz=UTC]',
      is_final: 'bool',
    });
    expect(Object.keys(back.schema)).toEqual(Object.keys(expected[0]!));
    expect(back.pyarrow).toEqual(expected);
    expect(back.duckdb).toEqual(expected);

    const manifest = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8')) as Manifest;
    expect(manifest.rows).toBe(expected.length);
    expect(manifest.files.map((f) => f.path)).toEqual(back.files);
    for (const f of manifest.files) expect(f.sha256).toBe(sha256(path.join(out, f.path)));
    const jan = manifest.files.find((f) => f.path === 'spot-ohlcv/kraken/1h/2024-01/BTC-USD.parquet')!;
    expect([jan.rows, jan.minTs, jan.maxTs]).toEqual([744, '2024-01-01T00:00:00.000Z', '2024-01-31T23:00:00.000Z']);

    // Another dataset into the same directory: refused, named (one manifest per export).
    const clash = await cli([
      ...['export', '--source', 'data-api', '--dataset', 'futures-ohlcv', '--from', FROM, '--to', TO, '--out', out],
      ...['--task-queue', env.taskQueue, '--wait'],
    ]);
    expect(clash.code).toBe(3);
    expect(`${clash.stdout}${clash.stderr}`).toContain(
      `${out} holds an export of data-api/spot-ohlcv: give each dataset its own directory`,
    );

    // Filters: one market and interval only.
    const only = mkdtempSync(path.join(tmpdir(), 'export-'));
    const q = await run([...exportArgs(), '--market', 'kraken', '--interval', '1h', '--out', only]);
    expect(q).toMatchObject({ files: 2, rows: 31 * 24 + 29 * 24 });
    expect(runPython<ReadBack>(READ, [only]).pyarrow).toEqual(await pgRows(FROM, TO, `market = 'kraken'`));
    rmSync(only, { recursive: true, force: true });
  });

  it('keeps identical files on a second run, and rewrites exactly the lost or damaged ones', async () => {
    const files = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8')) as Manifest;
    const mtimes = files.files.map((f) => statSync(path.join(out, f.path)).mtimeMs);

    const again = await run([...exportArgs(), '--out', out]);
    expect(again).toMatchObject({ status: 'completed', files: 4, written: 0, kept: 4 });
    expect(files.files.map((f) => statSync(path.join(out, f.path)).mtimeMs)).toEqual(mtimes);
    const second = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8')) as Manifest;
    expect(second.checksum).toBe(files.checksum);

    unlinkSync(path.join(out, files.files[0]!.path));
    writeFileSync(path.join(out, files.files[1]!.path), 'not parquet');
    const repaired = await run([...exportArgs(), '--out', out]);
    expect(repaired).toMatchObject({ files: 4, written: 2, kept: 2 });
    for (const f of files.files) expect(sha256(path.join(out, f.path))).toBe(f.sha256);
    expect(runPython<ReadBack>(READ, [out]).pyarrow).toEqual(await pgRows(FROM, TO));
  });

  it('resumes after its worker is killed mid-export: no half file, every file right', async () => {
    // Many small files (a daily series, one per month over four years), written two at a time.
    await backfill('bitstamp', 'BTC-USD', '1d', '2020-01-01T00:00:00Z', '2024-01-01T00:00:00Z');
    const dest = mkdtempSync(path.join(tmpdir(), 'export-'));
    const args = ['export', '--source', 'data-api', '--dataset', 'spot-ohlcv', '--market', 'bitstamp', '--from'];
    args.push('2020-01-01', '--to', '2024-01-01', '--out', dest);
    const started = await cli([...args, '--task-queue', env.taskQueue]);
    expect(started.code).toBe(0);
    const id = exportWorkflowId('data-api', 'spot-ohlcv', dest);
    const exportId = id;
    const recorded = async () =>
      (
        await env.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM export_files WHERE export_id = $1`, [
          exportId,
        ])
      ).rows[0]!.n;
    const atKill = await waitFor(async () => ((await recorded()) > 0 ? recorded() : undefined), 60_000, 'a first file');
    worker.child.kill('SIGKILL');
    await worker.exited;
    expect(atKill).toBeLessThan(48); // killed mid-export
    worker = await startWorkerProcess(env, workerEnv());

    const result = (await env.client.workflow.getHandle(id).result()) as ExportProgress;
    expect(result).toMatchObject({ status: 'completed', files: 48, rows: 1461 });
    const back = runPython<ReadBack>(READ, [dest]);
    expect(back.files).toHaveLength(48);
    expect(back.pyarrow).toEqual(await pgRows('2020-01-01T00:00:00Z', '2024-01-01T00:00:00Z', `market = 'bitstamp'`));
    const manifest = JSON.parse(readFileSync(path.join(dest, 'manifest.json'), 'utf8')) as Manifest;
    for (const f of manifest.files) expect(f.sha256).toBe(sha256(path.join(dest, f.path)));
    rmSync(dest, { recursive: true, force: true });
  }, 240_000);

  it('imports the export into an empty database: the same table (checksum); again: nothing changes', async () => {
    const manifest = path.join(out, 'manifest.json');
    const load = async (): Promise<ImportProgress> => {
      const r = await runCli(target, ['import', manifest, '--task-queue', target.taskQueue, '--wait'], {
        DATA_API_BASE_URL: `${sim.url}/data-api`,
      });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      return (await target.client.workflow.getHandle(importWorkflowId(manifest)).result()) as ImportProgress;
    };
    const rows = (await pgRows(FROM, TO)).length;
    const first = await load();
    expect(first).toMatchObject({ status: 'completed', files: 4, rows, inserted: rows, updated: 0, quarantined: 0 });
    const source = await tableChecksum(env.pool, FROM, TO);
    expect(await tableChecksum(target.pool, FROM, TO)).toBe(source);
    expect(await tableChecksum(target.pool, '1970-01-01', '2100-01-01')).toBe(source); // nothing else there

    const again = await load();
    expect(again).toMatchObject({ rows, inserted: 0, updated: 0, unchanged: rows, quarantined: 0 });
    expect(await tableChecksum(target.pool, FROM, TO)).toBe(source);
    // Lineage names the files.
    const lineage = await target.pool.query<{ request: string }>(
      `SELECT DISTINCT unnest(requests) AS request FROM ingestion_runs ORDER BY 1`,
    );
    expect(lineage.rows.map((r) => r.request)).toContain(
      `import ${path.join(out, 'spot-ohlcv/kraken/1h/2024-01/BTC-USD.parquet')} (744 rows of data-api/spot-ohlcv/kraken/BTC-USD/1h)`,
    );
  });

  it('loads a legacy Arrow dump through a column map; its bad row goes to quarantine, naming the file', async () => {
    // Rows of early March (not exported): renamed as a legacy table would have them, one broken.
    const legacy = await pgRows('2024-03-01T00:00:00Z', '2024-03-02T00:00:00Z', `market = 'kraken'`);
    expect(legacy).toHaveLength(24);
    const rename: Record<string, string> = { ts: 'time', market: 'exchange', close: 'close_price' };
    const columns: Record<string, unknown[]> = {};
    for (const k of Object.keys(legacy[0]!)) {
      if (k === 'ingest_run_id' || k === 'updated_at' || k === 'is_final') continue; // the store's own columns
      columns[rename[k] ?? k] = legacy.map((r, i) =>
        k === 'close' && i === 5
          ? NaN
          : typeof r[k] === 'number' && /_ts$|^ts$/.test(k)
            ? (r[k] as number) / 1000
            : r[k],
      );
    }
    const dir = mkdtempSync(path.join(tmpdir(), 'legacy-'));
    const file = path.join(dir, 'spot_legacy.arrow');
    writeFileSync(file, tableToIPC(tableFromArrays(columns as Parameters<typeof tableFromArrays>[0]), 'file'));
    const withoutMap = await runCli(
      target,
      [
        'import',
        file,
        ...['--source', 'data-api', '--dataset', 'spot-ohlcv', '--map', 'time=ts', '--map', 'exchange=market'],
        ...['--task-queue', target.taskQueue, '--wait'],
      ],
      { DATA_API_BASE_URL: `${sim.url}/data-api` },
    );
    // close_price is not a column of the table and close is missing: the import fails, named, nothing loaded.
    expect(withoutMap.code).toBe(3);
    expect(`${withoutMap.stdout}${withoutMap.stderr}`).toContain('lacks column(s) close of spot_ohlcv');
    const start = async () => {
      const ok = await runCli(
        target,
        [
          'import',
          file,
          '--source',
          'data-api',
          '--dataset',
          'spot-ohlcv',
          '--map',
          'time=ts',
          '--map',
          'exchange=market',
          '--map',
          'close_price=close',
          '--task-queue',
          target.taskQueue,
          '--wait',
        ],
        { DATA_API_BASE_URL: `${sim.url}/data-api` },
      );
      expect(ok.stderr).toBe('');
      expect(ok.code).toBe(0);
      return (await target.client.workflow.getHandle(importWorkflowId(file)).result()) as ImportProgress;
    };
    const loaded = await start();
    expect(loaded).toMatchObject({ status: 'completed', files: 1, rows: 24, inserted: 23, quarantined: 1 });
    const q = await target.pool.query<{ reason: string; raw: { file: string; row: number } }>(
      `SELECT reason, raw FROM quarantine WHERE source = 'data-api' AND dataset = 'spot-ohlcv'`,
    );
    expect(q.rows).toHaveLength(1);
    expect(q.rows[0]!.reason).toContain('close NaN is not a finite number');
    expect(q.rows[0]!.raw).toMatchObject({ file, row: 5 });
    const stored = await target.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM spot_ohlcv WHERE market = 'kraken' AND ts >= '2024-03-01' AND ts < '2024-03-02'`,
    );
    expect(stored.rows[0]!.n).toBe(23);
    // A dump without is_final: every period but the series' last in the file is final.
    const finals = await target.pool.query<{ h: number; is_final: boolean }>(
      `SELECT extract(hour FROM ts AT TIME ZONE 'UTC')::int AS h, is_final FROM spot_ohlcv
       WHERE market = 'kraken' AND ts >= '2024-03-01' AND ts < '2024-03-02' ORDER BY ts`,
    );
    expect(finals.rows.filter((r) => !r.is_final).map((r) => r.h)).toEqual([23]);

    // Times in epoch seconds where milliseconds are expected: the file stops, named, nothing loaded.
    const seconds = path.join(dir, 'seconds.arrow');
    const cols = { ...columns, time: (columns.time as number[]).map((ms) => ms / 1000) };
    writeFileSync(seconds, tableToIPC(tableFromArrays(cols as Parameters<typeof tableFromArrays>[0]), 'file'));
    const bad = await runCli(
      target,
      [
        'import',
        seconds,
        ...['--source', 'data-api', '--dataset', 'spot-ohlcv'],
        ...['--map', 'time=ts', '--map', 'exchange=market', '--map', 'close_price=close'],
        ...['--task-queue', target.taskQueue, '--wait'],
      ],
      { DATA_API_BASE_URL: `${sim.url}/data-api` },
    );
    expect(bad.code).toBe(3);
    expect(`${bad.stdout}${bad.stderr}`).toContain(
      'is not a plausible time (epoch seconds where milliseconds are expected?)',
    );
    rmSync(dir, { recursive: true, force: true });
  });

  it("imports a min-api export: series columns exchange/fsym/tsym mapped back by the dataset's inverse", async () => {
    await env.client.workflow.execute('backfillSeries', {
      taskQueue: env.taskQueue,
      workflowId: `test-export/backfill/${randomUUID()}`,
      args: [
        {
          source: 'min-api',
          dataset: 'histo-ohlcv',
          market: 'CCCAGG',
          instrument: 'BTC-USD',
          interval: '1d',
          from: FROM,
          to: TO,
        },
      ],
    });
    const dest = mkdtempSync(path.join(tmpdir(), 'export-minapi-'));
    const exported = await cli([
      ...['export', '--source', 'min-api', '--dataset', 'histo-ohlcv', '--from', FROM, '--to', TO, '--out', dest],
      ...['--task-queue', env.taskQueue, '--wait'],
    ]);
    expect(exported.stderr).toBe('');
    expect(exported.code).toBe(0);
    const manifest = path.join(dest, 'manifest.json');
    const r = await runCli(target, ['import', manifest, '--task-queue', target.taskQueue, '--wait'], {
      DATA_API_BASE_URL: `${sim.url}/data-api`,
    });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const loaded = (await target.client.workflow.getHandle(importWorkflowId(manifest)).result()) as ImportProgress;
    expect(loaded).toMatchObject({ status: 'completed', files: 2, rows: 60, inserted: 60, quarantined: 0 });
    const key = 'exchange, fsym, tsym, interval';
    const source = await tableChecksum(env.pool, FROM, TO, 'minapi_ohlcv', key);
    expect(source.startsWith('60:')).toBe(true);
    expect(await tableChecksum(target.pool, FROM, TO, 'minapi_ohlcv', key)).toBe(source);
    // Its watermark is the series' own: the import named the series as the API path does.
    const w = await target.pool.query<{ market: string; instrument: string }>(
      `SELECT market, instrument FROM series_watermarks WHERE source = 'min-api'`,
    );
    expect(w.rows).toEqual([{ market: 'CCCAGG', instrument: 'BTC-USD' }]);
    rmSync(dest, { recursive: true, force: true });
  });
});
