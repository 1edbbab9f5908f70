/**
 * The source contract (our "dialect", after Kysely): everything outside `activities/sources/<id>/`
 * works through these types only and never names a source. Adding an API = adding a folder that
 * exports a `SourceDefinition`, plus one line in `./index.ts`.
 */
import type { Table } from 'apache-arrow';
import type { z } from 'zod';
import type { Interval, SeriesKey } from '../../workflows/contracts/series';
import type { SourceSimulator } from '../../simulator/types';
import type { RateGate } from '../http';

/** Column types the generic COPY + merge path supports. */
export type ColumnType = 'float8' | 'int8' | 'timestamptz' | 'text' | 'bool';

export interface ColumnSpec {
  /** Column name in the fact table (snake_case). */
  readonly name: string;
  readonly type: ColumnType;
  readonly nullable: boolean;
}

/**
 * A request for the periods `from ≤ ts ≤ to` (Unix seconds, both aligned to the interval,
 * inclusive, at most `maxPeriodsPerRequest` periods).
 */
export interface PageRequest {
  readonly series: SeriesKey;
  readonly from: number;
  readonly to: number;
}

/** What one successful request produced. Rows never leave the activity. */
export interface Page {
  /**
   * The rows as Arrow columns: `ts` (Float64, Unix seconds, ascending, unique) followed by the
   * dataset's value columns in `DatasetSpec.columns` order. Built by `BatchBuilder`.
   */
  readonly batch: Table;
  /** Redacted request description for lineage (path and query without secrets). */
  readonly request: string;
  /** SHA-256 of the raw response body, for lineage. */
  readonly responseSha256: string;
  /** The server's clock (HTTP `Date`), Unix seconds, when it sent one. */
  readonly serverTime: number | undefined;
  /**
   * Set when the API says the series has no data before this time (e.g. "was not trading"):
   * the generic code skips ahead to it instead of failing.
   */
  readonly firstAvailable?: number;
}

/** Per-call context handed to a source by the generic activity code. */
export interface FetchContext<C> {
  readonly config: C;
  /** Aborted when the activity is cancelled (or the worker shuts down). */
  readonly signal: AbortSignal;
  /** The fleet-wide budget gate for this source; `acquire()` before each request. */
  readonly gate: RateGate;
}

export interface DatasetSpec<C> {
  /** Stable id, used in workflow inputs, IDs and search attributes, e.g. `spot-ohlcv`. */
  readonly id: string;
  readonly description: string;
  /** Fact table (partitioned by range on `ts`). */
  readonly table: string;
  /**
   * Columns that are constant for one series (part of the primary key besides `ts`), with the
   * function giving their values. The generic merge adds them as constants, so they are not
   * copied per row.
   */
  readonly seriesColumns: readonly ColumnSpec[];
  seriesValues(series: SeriesKey): readonly string[];
  /** Per-row value columns, in the order of the page batch (after `ts`). */
  readonly columns: readonly ColumnSpec[];
  readonly intervals: readonly Interval[];
  /** Most periods one request may cover for this interval (the API's `limit` cap). */
  maxPeriodsPerRequest(interval: Interval): number;
  fetchPage(ctx: FetchContext<C>, req: PageRequest): Promise<Page>;
}

export interface SourceDefinition<C = unknown> {
  /** Folder name and id: `activities/sources/<id>/`. */
  readonly id: string;
  readonly description: string;
  /**
   * The source's own environment variables, parsed at worker boot. Secrets must be parsed into
   * `Secret` (see `workers/secret.ts`) so they never print.
   */
  readonly configSchema: z.ZodType<C>;
  readonly datasets: Readonly<Record<string, DatasetSpec<C>>>;
  /** The simulator module for this API (loaded lazily: workers never need it). */
  loadSimulator(): Promise<SourceSimulator>;
}
