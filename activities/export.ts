/**
 * Activities of `exportDataset`: plan the parts (series × UTC month) from the coverage ledger,
 * write each as a Parquet file (the table's columns, typed as the table: timestamps as UTC
 * microsecond timestamps, numbers as float64 / int64, booleans), and write the export's manifest.
 * Files are written to a temporary name and renamed, so a crash never leaves half a file; a file
 * already there with the same bytes (SHA-256) is kept untouched.
 */
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { activityInfo, heartbeat } from '@temporalio/activity';
import {
  Bool,
  DateDay,
  Float64,
  Int32,
  Int64,
  makeData,
  makeVector,
  Table,
  tableToIPC,
  TimestampMicrosecond,
  Utf8,
  vectorFromArray,
  type Vector,
} from 'apache-arrow';
import * as parquet from 'parquet-wasm/node';
import type { ExportDatasetInput, ExportPart, ExportPartsResult } from '../workflows/contracts/export';
import type { SeriesKey } from '../workflows/contracts/series';
import type { ExportColumn } from './db/export-store';
import { InvalidInputError } from './errors';
import { resolveDataset, type ActivityDeps } from './runtime';

/** A part's path component: what the database holds, if it cannot escape the destination. */
function pathPart(what: string, v: string): string {
  if (v === '' || v.includes('/') || v.includes('\\') || v.startsWith('.') || v.includes('\0'))
    throw new InvalidInputError(`${what} ${JSON.stringify(v)} cannot be a file name in an export`);
  return v;
}

/** The file of a part, relative to the destination. */
export const partPath = (dataset: string, p: ExportPart): string =>
  path.posix.join(
    dataset,
    pathPart('market', p.market),
    p.interval,
    p.month,
    `${pathPart('instrument', p.instrument)}.parquet`,
  );

function validity(values: readonly unknown[]): { bitmap: Uint8Array | undefined; nulls: number } {
  let nulls = 0;
  const bitmap = new Uint8Array(Math.ceil(values.length / 8));
  values.forEach((v, i) => {
    if (v === null || v === undefined) nulls++;
    else bitmap[i >> 3]! |= 1 << (i & 7);
  });
  return { bitmap: nulls === 0 ? undefined : bitmap, nulls };
}

/** One column of rows as an Arrow vector of the column's export type. */
function vectorOf(c: ExportColumn, values: readonly unknown[]): Vector {
  const n = values.length;
  const { bitmap, nulls } = validity(values);
  const fixed = <T extends Float64 | Int64 | Int32 | TimestampMicrosecond | DateDay>(
    type: T,
    data: Float64Array | BigInt64Array | Int32Array,
  ) =>
    makeVector(
      makeData({ type, length: n, nullCount: nulls, ...(bitmap ? { nullBitmap: bitmap } : {}), data } as never),
    );
  switch (c.kind) {
    case 'timestamp':
      return fixed(
        new TimestampMicrosecond('UTC'),
        BigInt64Array.from(values, (v) => (v == null ? 0n : BigInt(v as string))),
      );
    case 'int64':
      return fixed(
        new Int64(),
        BigInt64Array.from(values, (v) => (v == null ? 0n : BigInt(v as string))),
      );
    case 'float64':
      return fixed(
        new Float64(),
        Float64Array.from(values, (v) => (v == null ? 0 : Number(v))),
      );
    case 'int32':
      return fixed(
        new Int32(),
        Int32Array.from(values, (v) => (v == null ? 0 : Number(v))),
      );
    case 'date':
      return fixed(
        new DateDay(),
        Int32Array.from(values, (v) => (v == null ? 0 : Number(v))),
      );
    case 'bool':
      return vectorFromArray(values as Array<boolean | null>, new Bool());
    case 'utf8':
      return vectorFromArray(values as Array<string | null>, new Utf8());
  }
}

/** Rows (objects by column name) as Parquet bytes: deterministic for the same rows. */
export function parquetOf(columns: readonly ExportColumn[], rows: ReadonlyArray<Record<string, unknown>>): Uint8Array {
  const vectors: Record<string, Vector> = {};
  for (const c of columns)
    vectors[c.name] = vectorOf(
      c,
      rows.map((r) => r[c.name]),
    );
  const table = new Table(vectors);
  const props = new parquet.WriterPropertiesBuilder().setCompression(parquet.Compression.ZSTD).build();
  return parquet.writeParquet(parquet.Table.fromIPCStream(tableToIPC(table, 'stream')), props);
}

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** Filesystem errors no retry can fix: the destination is not writable or not a directory. */
const FATAL_FS = new Set(['EACCES', 'EPERM', 'EROFS', 'ENOTDIR', 'EISDIR']);

/**
 * Write atomically unless the file already holds these bytes (returns whether it was kept). The
 * temporary file is hidden (`.name.<uuid>.tmp`: readers skip dot files) and unique per attempt, so two
 * attempts at one part never share it; it is removed if the write fails.
 */
function writeUnlessSame(file: string, bytes: Uint8Array, hash: string): boolean {
  try {
    if (existsSync(file) && sha256(readFileSync(file)) === hash) return true;
    mkdirSync(path.dirname(file), { recursive: true });
    const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${randomUUID()}.tmp`);
    try {
      writeFileSync(tmp, bytes, { flush: true });
      renameSync(tmp, file);
    } catch (err) {
      rmSync(tmp, { force: true });
      throw err;
    }
    return false;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code && FATAL_FS.has(code))
      throw new InvalidInputError(`cannot write ${file} (${code}): give a destination the workers can write`, {
        details: { file },
      });
    throw err;
  }
}

const monthStart = (month: string): number => Date.parse(`${month}-01T00:00:00Z`);
const nextMonth = (month: string): number => {
  const d = new Date(monthStart(month));
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
};

export function createExportActivities(deps: ActivityDeps) {
  const store = () => {
    if (!deps.exports) throw new Error('exports need a database (ActivityDeps.exports)');
    return deps.exports;
  };
  const exportIdOf = () => activityInfo().workflowExecution?.workflowId ?? activityInfo().activityId;
  return {
    /**
     * Plan the export: its parts (from the coverage ledger), kept in the database under this
     * export's id; what it recorded before is forgotten. Returns how many parts there are.
     */
    async planExport(input: ExportDatasetInput): Promise<{ exportId: string; parts: number }> {
      const { dataset } = resolveDataset(deps, input.source, input.dataset);
      const manifest = path.join(input.destination, 'manifest.json');
      if (existsSync(manifest)) {
        let other: { source?: unknown; dataset?: unknown } = {};
        try {
          other = JSON.parse(readFileSync(manifest, 'utf8')) as typeof other;
        } catch {
          // not ours, or damaged: rewritten below
        }
        if (other.source !== undefined && (other.source !== input.source || other.dataset !== input.dataset))
          throw new InvalidInputError(
            `${input.destination} holds an export of ${String(other.source)}/${String(other.dataset)}: give each dataset its own directory`,
          );
      }
      const exportId = exportIdOf();
      const parts = await store().parts(input, input.from, input.to);
      await store().plan(
        exportId,
        parts.map((p) => ({ ...p, path: partPath(dataset.id, p) })),
      );
      return { exportId, parts: parts.length };
    },

    /** Write parts [from, to) of the plan (or keep those unchanged), recording each; a retry goes on where its heartbeat says. */
    async exportParts(args: {
      input: ExportDatasetInput;
      exportId: string;
      from: number;
      to: number;
    }): Promise<ExportPartsResult> {
      const { input, exportId } = args;
      const { dataset } = resolveDataset(deps, input.source, input.dataset);
      const columns = await store().columns(dataset.table);
      const beat = activityInfo().heartbeatDetails as { next?: number; done?: ExportPartsResult } | undefined;
      const done: ExportPartsResult = beat?.done ?? { written: 0, kept: 0, empty: 0, rows: 0 };
      const start = Math.max(args.from, beat?.next ?? args.from);
      for (const part of await store().planned(exportId, start, args.to)) {
        heartbeat({ next: part.idx, done });
        const series: SeriesKey = { source: input.source, dataset: input.dataset, ...part };
        const values = dataset.seriesValues(series);
        const where = dataset.seriesColumns.map((c, i) => [c.name, values[i]!] as const);
        const from = new Date(Math.max(monthStart(part.month), Date.parse(input.from))).toISOString();
        const to = new Date(Math.min(nextMonth(part.month), Date.parse(input.to))).toISOString();
        const rows = await store().rows(dataset.table, columns, where, from, to);
        if (rows.length === 0) {
          done.empty++;
          continue;
        }
        const rel = partPath(input.dataset, part);
        const bytes = parquetOf(columns, rows);
        const hash = sha256(bytes);
        const kept = writeUnlessSame(path.join(input.destination, rel), bytes, hash);
        const ts = (r: Record<string, unknown>) => new Date(Number(BigInt(r.ts as string) / 1000n)).toISOString();
        await store().record(exportId, {
          path: rel,
          rows: rows.length,
          minTs: ts(rows[0]!),
          maxTs: ts(rows[rows.length - 1]!),
          sha256: hash,
          bytes: bytes.length,
          kept,
        });
        if (kept) done.kept++;
        else done.written++;
        done.rows += rows.length;
      }
      return done;
    },

    /** The export's manifest (`manifest.json` in the destination): every file with its rows, time span and checksum. */
    async writeExportManifest(args: { input: ExportDatasetInput; exportId: string }): Promise<{ path: string }> {
      const { input, exportId } = args;
      const files = await store().files(exportId);
      const manifest = {
        format: 'crypto-ingest-export/1',
        exportId,
        source: input.source,
        dataset: input.dataset,
        table: resolveDataset(deps, input.source, input.dataset).dataset.table,
        from: input.from,
        to: input.to,
        filters: {
          ...(input.markets ? { markets: input.markets } : {}),
          ...(input.instruments ? { instruments: input.instruments } : {}),
          ...(input.intervals ? { intervals: input.intervals } : {}),
        },
        rows: files.reduce((n, f) => n + f.rows, 0),
        // One checksum of the whole export: over each file's path and SHA-256, in path order.
        checksum: sha256(new TextEncoder().encode(files.map((f) => `${f.path} ${f.sha256}\n`).join(''))),
        files,
      };
      const file = path.join(input.destination, 'manifest.json');
      const bytes = new TextEncoder().encode(`${JSON.stringify(manifest, null, 2)}\n`);
      writeUnlessSame(file, bytes, sha256(bytes));
      return { path: file };
    },
  };
}
