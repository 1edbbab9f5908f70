/**
 * Activities of `importFiles`: list the files (an export's manifest, a directory, one file), then
 * load each through the ingestion path: rows checked against the table's column types and
 * nullability (a row that fails goes to `quarantine` with the file and row it came from), grouped
 * by series, written by `IngestStore.writeChunk` (COPY, merge, revisions, watermark, coverage
 * ledger) with lineage naming the file and its SHA-256. Importing the same rows again changes
 * nothing: the merge finds them unchanged.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { Context, heartbeat, log } from '@temporalio/activity';
import { tableFromIPC, type Table } from 'apache-arrow';
import * as parquet from 'parquet-wasm/node';
import type { ImportFileResult, ImportFilesInput } from '../workflows/contracts/import';
import { seriesPath } from '../workflows/contracts/ids';
import { INTERVAL_SECONDS, isInterval, type Interval, type SeriesKey } from '../workflows/contracts/series';
import { BatchBuilder } from './arrow/batch-builder';
import { InvalidInputError } from './errors';
import { lineageNow } from './fetch-range';
import { recordWrite } from './metrics';
import { resolveDataset, type ActivityDeps } from './runtime';
import type { ColumnSpec, DatasetSpec, Page, QuarantinedRow } from './sources/types';

const FILE_TYPES = ['.parquet', '.arrow', '.feather'];
/** Rows one transaction writes: a big legacy file goes in several, with a heartbeat each. */
const ROWS_PER_WRITE = 50_000;
/** Times before this are not market data (epoch seconds read as milliseconds land in 1970). */
const EARLIEST = Date.UTC(2009, 0, 1) / 1000;
/** Columns an export carries that the store sets itself on write. */
const STORE_SET = new Set(['is_final', 'ingest_run_id', 'updated_at']);

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...filesUnder(p));
    else if (FILE_TYPES.some((t) => e.name.endsWith(t))) out.push(p);
  }
  return out.sort();
}

/** The columns naming a row's series: the dataset's series columns (with `interval`). */
const seriesColumnsOf = (dataset: DatasetSpec<unknown>): string[] => dataset.seriesColumns.map((c) => c.name);

/** A row's market and instrument from its series columns: the dataset's inverse, or the columns themselves. */
function seriesKeyOf(
  dataset: DatasetSpec<unknown>,
  values: Readonly<Record<string, unknown>>,
): { market: string; instrument: string } | undefined {
  if (dataset.seriesKeyOf) return dataset.seriesKeyOf(values);
  const { market, instrument } = values;
  return typeof market === 'string' && typeof instrument === 'string' ? { market, instrument } : undefined;
}

/** Datasets an import can load: their rows name their series (the columns, or the dataset's inverse). */
function importable(dataset: DatasetSpec<unknown>): void {
  const names = seriesColumnsOf(dataset);
  if (!dataset.seriesKeyOf && !(names.includes('market') && names.includes('instrument') && names.includes('interval')))
    throw new InvalidInputError(
      `dataset '${dataset.id}' cannot be imported: its series columns (${names.join(', ')}) do not name a series`,
    );
}

function readTable(file: string, bytes: Uint8Array): Table {
  try {
    if (file.endsWith('.parquet')) return tableFromIPC(parquet.readParquet(bytes).intoIPCStream());
    return tableFromIPC(bytes);
  } catch (err) {
    throw new InvalidInputError(`${file} is not a readable ${path.extname(file).slice(1)} file: ${String(err)}`, {
      details: { file },
    });
  }
}

/** A cell as the batch takes it, or why it cannot be. Times are Unix seconds. */
function cell(c: ColumnSpec, v: unknown): { value: number | boolean | string | null } | { problem: string } {
  if (v === null || v === undefined) return c.nullable ? { value: null } : { problem: `${c.name} is missing` };
  switch (c.type) {
    case 'timestamptz': {
      const ms = v instanceof Date ? v.getTime() : typeof v === 'bigint' ? Number(v) : (v as number);
      return typeof ms === 'number' && Number.isFinite(ms)
        ? { value: ms / 1000 }
        : { problem: `${c.name} is not a time` };
    }
    case 'float8':
    case 'int8': {
      const n = typeof v === 'bigint' ? Number(v) : v;
      if (typeof n !== 'number' || !Number.isFinite(n))
        return { problem: `${c.name} ${String(v)} is not a finite number` };
      if (c.type === 'int8' && !Number.isInteger(n)) return { problem: `${c.name} ${n} is not a whole number` };
      return { value: n };
    }
    case 'bool':
      return typeof v === 'boolean' ? { value: v } : { problem: `${c.name} ${String(v)} is not true or false` };
    case 'text':
      return typeof v === 'string' ? { value: v } : { problem: `${c.name} is not text` };
  }
}

const jsonSafe = (v: unknown): unknown =>
  typeof v === 'bigint' ? v.toString() : v instanceof Date ? v.toISOString() : v;

export function createImportActivities(deps: ActivityDeps) {
  return {
    /** The source, dataset and files of an import (a manifest's files with their SHA-256). */
    async planImport(
      input: ImportFilesInput,
    ): Promise<{ source: string; dataset: string; files: Array<{ path: string; sha256?: string }> }> {
      if (!existsSync(input.path)) throw new InvalidInputError(`no such file or directory: ${input.path}`);
      let source = input.source;
      let dataset = input.dataset;
      let files: Array<{ path: string; sha256?: string }>;
      if (input.path.endsWith('.json')) {
        let m: { format?: unknown; source?: unknown; dataset?: unknown; files?: unknown };
        try {
          m = JSON.parse(readFileSync(input.path, 'utf8')) as typeof m;
        } catch (err) {
          throw new InvalidInputError(`${input.path} is not JSON: ${String(err)}`);
        }
        if (m.format !== 'crypto-ingest-export/1' || !Array.isArray(m.files))
          throw new InvalidInputError(
            `${input.path} is not the manifest of a crypto-ingest export (format crypto-ingest-export/1)`,
          );
        if ((source && source !== m.source) || (dataset && dataset !== m.dataset))
          throw new InvalidInputError(
            `${input.path} is an export of ${String(m.source)}/${String(m.dataset)}, not ${source}/${dataset}`,
          );
        source = String(m.source);
        dataset = String(m.dataset);
        const dir = path.dirname(input.path);
        files = (m.files as unknown[]).map((f, i) => {
          const e = f as { path?: unknown; sha256?: unknown } | null;
          const file = typeof e?.path === 'string' ? path.resolve(dir, e.path) : undefined;
          // Every file of the manifest, under the manifest's directory.
          if (!file || !file.startsWith(`${dir}${path.sep}`) || typeof e?.sha256 !== 'string')
            throw new InvalidInputError(`${input.path}: files[${i}] is not a file of this export (path, sha256)`);
          return { path: file, sha256: e.sha256 };
        });
      } else {
        if (!source || !dataset)
          throw new InvalidInputError(
            `importing ${input.path} needs the source and dataset (only a manifest names them)`,
          );
        files = statSync(input.path).isDirectory()
          ? filesUnder(input.path).map((p) => ({ path: p }))
          : [{ path: input.path }];
        if (files.length === 0) throw new InvalidInputError(`no ${FILE_TYPES.join(', ')} files under ${input.path}`);
      }
      importable(resolveDataset(deps, source, dataset).dataset);
      return { source, dataset, files };
    },

    /** Load one file: rows checked, bad ones quarantined, each series written in one transaction. */
    async importFile(args: {
      source: string;
      dataset: string;
      file: string;
      sha256?: string;
      columnMap?: Record<string, string>;
    }): Promise<ImportFileResult> {
      const startedAt = new Date();
      const { dataset } = resolveDataset(deps, args.source, args.dataset);
      importable(dataset);
      if (!existsSync(args.file)) throw new InvalidInputError(`no such file: ${args.file}`);
      const bytes = readFileSync(args.file);
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      if (args.sha256 && args.sha256 !== sha256)
        throw new InvalidInputError(
          `${args.file} changed since its manifest was written (SHA-256 ${sha256}, manifest ${args.sha256})`,
        );
      const table = readTable(args.file, bytes);
      heartbeat({ file: args.file, rows: table.numRows });

      // The file's columns under the table's names.
      const byName = new Map<string, ReturnType<Table['getChildAt']>>();
      table.schema.fields.forEach((f, i) => byName.set(args.columnMap?.[f.name] ?? f.name, table.getChildAt(i)));
      const needed = [
        'ts',
        ...seriesColumnsOf(dataset),
        ...dataset.columns.filter((c) => !c.nullable).map((c) => c.name),
      ];
      const missing = needed.filter((n) => !byName.has(n));
      if (missing.length > 0)
        throw new InvalidInputError(
          `${args.file} lacks column(s) ${missing.join(', ')} of ${dataset.table} (map a file's names with --map file=table)`,
        );
      const known = new Set(['ts', ...seriesColumnsOf(dataset), ...dataset.columns.map((c) => c.name), ...STORE_SET]);
      const ignored = [...byName.keys()].filter((n) => !known.has(n));
      if (ignored.length > 0)
        log.warn(`${args.file}: columns not in ${dataset.table}, not imported: ${ignored.join(', ')}`);

      // Rows by series, in file order.
      const get = (name: string, i: number): unknown => byName.get(name)?.get(i);
      const groups = new Map<string, { series: SeriesKey; rows: number[] }>();
      for (let i = 0; i < table.numRows; i++) {
        const values = Object.fromEntries(seriesColumnsOf(dataset).map((c) => [c, get(c, i)]));
        const key0 = seriesKeyOf(dataset, values);
        const interval = values.interval;
        if (!key0 || !isInterval(String(interval)) || !dataset.intervals.includes(interval as Interval))
          throw new InvalidInputError(
            `${args.file} row ${i}: ${JSON.stringify(values)} is not a series of ${dataset.id}`,
          );
        const { market, instrument } = key0;
        const key = `${market}\u0001${instrument}\u0001${String(interval)}`;
        let g = groups.get(key);
        if (!g)
          groups.set(
            key,
            (g = {
              series: {
                source: args.source,
                dataset: args.dataset,
                market,
                instrument,
                interval: interval as Interval,
              },
              rows: [],
            }),
          );
        g.rows.push(i);
      }

      const total = { rows: table.numRows, series: groups.size, inserted: 0, updated: 0, unchanged: 0, quarantined: 0 };
      const tsSpec: ColumnSpec = { name: 'ts', type: 'timestamptz', nullable: false };
      const hasFinal = byName.has('is_final');
      const latest = Date.now() / 1000 + 86_400;
      for (const { series, rows } of groups.values()) {
        const step = INTERVAL_SECONDS[series.interval];
        for (let at = 0; at < rows.length; at += ROWS_PER_WRITE) {
          const slice = rows.slice(at, at + ROWS_PER_WRITE);
          const last = at + ROWS_PER_WRITE >= rows.length; // the series' last slice of the file
          const builder = new BatchBuilder(dataset.columns, slice.length);
          const quarantined: QuarantinedRow[] = [];
          let minTs = Infinity;
          let maxTs = -Infinity;
          let lastFinal = -Infinity;
          for (const i of slice) {
            const ts = cell(tsSpec, get('ts', i));
            const t = 'value' in ts ? (ts.value as number) : null;
            if (t !== null && (t < EARLIEST || t > latest))
              throw new InvalidInputError(
                `${args.file} row ${i}: ts ${new Date(t * 1000).toISOString()} is not a plausible time (epoch seconds where milliseconds are expected?)`,
              );
            const values = dataset.columns.map((c) => cell(c, get(c.name, i)));
            const problems = [ts, ...values].flatMap((v) => ('problem' in v ? [v.problem] : []));
            if (t !== null && t % step !== 0) problems.push(`ts ${t} is not aligned to ${series.interval}`);
            if (problems.length > 0) {
              const raw: Record<string, unknown> = { file: args.file, row: i };
              for (const [n, v] of byName) raw[n] = jsonSafe(v?.get(i));
              quarantined.push({ ts: t, reason: `import: ${problems.join('; ')}`, raw });
              continue;
            }
            const r = builder.addRow();
            builder.setNumber(0, r, t);
            dataset.columns.forEach((c, k) => {
              const v = (values[k] as { value: number | boolean | string | null }).value;
              if (c.type === 'bool') builder.setBool(k + 1, r, v as boolean | null);
              else if (c.type === 'text') builder.setText(k + 1, r, v as string | null);
              else builder.setNumber(k + 1, r, v as number | null);
            });
            minTs = Math.min(minTs, t!);
            maxTs = Math.max(maxTs, t!);
            if (!hasFinal || get('is_final', i) === true) lastFinal = Math.max(lastFinal, t!);
          }
          if (!Number.isFinite(minTs) && quarantined.length === 0) continue;
          let from = minTs;
          if (!Number.isFinite(from)) {
            from = Infinity;
            for (const q of quarantined) if (q.ts !== null && q.ts < from) from = q.ts;
            if (!Number.isFinite(from)) from = 0;
          }
          const to = Number.isFinite(maxTs) ? maxTs + step : from + step;
          // Finality: the file's own `is_final` when it has one (an export); otherwise every period but
          // the series' last in the file (a dump taken while it was open must not become final).
          const finalBefore = hasFinal
            ? Number.isFinite(lastFinal)
              ? lastFinal + step
              : from
            : last && Number.isFinite(maxTs)
              ? maxTs
              : to;
          const page: Page = {
            batch: builder.finish(),
            request: `import ${args.file} (${slice.length} rows of ${seriesPath(series)})`,
            responseSha256: sha256,
            serverTime: undefined,
            quarantined,
            unknownFields: [],
          };
          const written = await deps.store.writeChunk({
            job: { jobId: `import/${sha256}/${seriesPath(series)}`, series, from, to },
            dataset,
            pages: [page],
            windowFrom: from,
            nextCursor: to,
            finalBefore,
            lineage: lineageNow(startedAt),
            checkpoint: false,
            signal: Context.current().cancellationSignal,
          });
          recordWrite(series.source, dataset.id, written);
          total.inserted += written.inserted;
          total.updated += written.updated;
          total.unchanged += written.unchanged;
          total.quarantined += written.quarantined;
          heartbeat({ file: args.file, series: seriesPath(series), rows: at + slice.length });
        }
      }
      return total;
    },
  };
}
