/**
 * The source contract (our "dialect", after Kysely): everything outside `activities/sources/<id>/`
 * works through these types only and never names a source. Adding an API = adding a folder that
 * exports a `SourceDefinition`, plus one line in `./index.ts`, and its simulator twin in
 * `simulator/sources/<id>/` (docs/guidelines.md has the checklist).
 */
import type { Table } from 'apache-arrow';
import type { z } from 'zod';
import type { Interval, SeriesKey } from '../../workflows/contracts/series';
import type { RateGate } from '../rate-gate';
import type { RateLimits } from '../rate-limits';

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

/** A row that broke an invariant: stored in `quarantine`, never in a fact table. */
export interface QuarantinedRow {
  /** The row's period start (Unix seconds), when it could be read. */
  readonly ts: number | null;
  readonly reason: string;
  /** The row exactly as the API sent it. */
  readonly raw: unknown;
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
  /** Rows that failed validation (already excluded from `batch`). */
  readonly quarantined: readonly QuarantinedRow[];
  /** Fields the rows carried that the schema does not know (recorded once per dataset). */
  readonly unknownFields: ReadonlyArray<{ readonly field: string; readonly sample: unknown }>;
}

/** Per-call context handed to a source by the generic activity code. */
export interface FetchContext<C> {
  /** The source's id (metric labels: `crypto_ingest_requests_total`); set by the generic activity code. */
  readonly source?: string;
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
  /**
   * The inverse of `seriesValues`: a row's series-column values (by column name) as the series'
   * market and instrument, or undefined when they name none (imports). @default the columns
   * `market` and `instrument` themselves
   */
  seriesKeyOf?(values: Readonly<Record<string, unknown>>): { market: string; instrument: string } | undefined;
  /** Per-row value columns, in the order of the page batch (after `ts`). */
  readonly columns: readonly ColumnSpec[];
  readonly intervals: readonly Interval[];
  /** Most periods one request may cover for this interval (the API's `limit` cap). */
  maxPeriodsPerRequest(interval: Interval): number;
  /**
   * How far back the API keeps this interval (seconds before now), when limited: a backfill's
   * `from` is clamped to it (e.g. the min-api keeps 7 days of minutes).
   */
  maxHistorySeconds?(interval: Interval): number | undefined;
  /**
   * Which `instruments` rows (by kind) hold this dataset's series, so a backfill can start at the
   * instrument's first trade instead of paging through years before it.
   */
  readonly instrumentKind?: 'spot' | 'futures';
  /**
   * What the dataset's rows can be compared with in other sources' datasets of the same `kind`
   * (reconciliation): its close and base-volume columns. A series is matched by interval,
   * instrument and market name (case aside).
   */
  readonly comparable?: ComparableColumns;
  fetchPage(ctx: FetchContext<C>, req: PageRequest): Promise<Page>;
}

/** The columns reconciliation compares, by the market-data concept they hold. */
export interface ComparableColumns {
  /** e.g. `spot-ohlcv`: an exchange's candles of a pair, whatever the source. */
  readonly kind: string;
  readonly close: string;
  /** Volume in the base asset. */
  readonly volume: string;
}

/** One page of a reference snapshot: records for the generic reference tables. */
export interface ReferencePage {
  readonly assets?: readonly AssetRecord[];
  readonly topList?: readonly TopListEntry[];
  readonly markets?: readonly MarketRecord[];
  readonly instruments?: readonly InstrumentRecord[];
  readonly request: string;
  readonly responseSha256: string;
  readonly serverTime: number | undefined;
  /** Token for the next page, or undefined when the snapshot is complete. */
  readonly next?: string | undefined;
  readonly unknownFields?: ReadonlyArray<{ readonly field: string; readonly sample: unknown }>;
  /** What was odd about the page and handled (e.g. coin list ids shared by several coins), to report. */
  readonly warnings?: readonly string[];
}

export interface AssetRecord {
  readonly assetId: string;
  readonly symbol: string;
  readonly name?: string | null;
  readonly assetType?: string | null;
  /** ISO date `YYYY-MM-DD`. */
  readonly launchDate?: string | null;
  readonly priceUsd?: number | null;
  readonly marketCapUsd?: number | null;
  readonly supplyCirculating?: number | null;
  readonly attributes?: Readonly<Record<string, unknown>>;
}

export interface TopListEntry {
  /** Which ranking, e.g. `circulating_mkt_cap_usd`, `mktcap`, `totalvol`. */
  readonly list: string;
  readonly quote: string;
  readonly rank: number;
  readonly assetId: string;
  readonly symbol: string;
  readonly price?: number | null;
  readonly marketCap?: number | null;
  readonly volume24h?: number | null;
}

export interface MarketRecord {
  readonly kind: 'spot' | 'futures';
  readonly market: string;
  readonly status?: string | null;
  readonly attributes?: Readonly<Record<string, unknown>>;
}

export interface InstrumentRecord {
  readonly kind: 'spot' | 'futures';
  readonly market: string;
  /** The id series use (mapped, `BASE-QUOTE…`). */
  readonly instrument: string;
  readonly nativeInstrument?: string | null;
  readonly base?: string | null;
  readonly quote?: string | null;
  readonly status?: string | null;
  /** Unix seconds. */
  readonly firstTradeTs?: number | null;
  readonly lastTradeTs?: number | null;
  readonly expiresAt?: number | null;
  readonly attributes?: Readonly<Record<string, unknown>>;
}

/**
 * A reference dataset: a snapshot (assets, top lists, markets, instruments) fetched page by
 * page and written atomically into the generic reference tables.
 */
export interface ReferenceDatasetSpec<C, P = unknown> {
  readonly id: string;
  readonly description: string;
  /** Which reference tables it writes. */
  readonly writes: ReadonlyArray<'assets' | 'top_list_snapshots' | 'markets' | 'instruments'>;
  /** The refresh's parameters (validated in the activity; errors list every problem). */
  readonly paramsSchema: z.ZodType<P>;
  /** Fetch one page; `pageToken` is undefined for the first. */
  fetchPage(ctx: FetchContext<C>, params: P, pageToken: string | undefined): Promise<ReferencePage>;
  /** Requests one snapshot with these (parsed) parameters makes at most (the universe plan's count). */
  plannedCalls(params: P): number;
}

export interface SourceDefinition<C = unknown> {
  /** Folder name and id: `activities/sources/<id>/`. */
  readonly id: string;
  readonly description: string;
  /**
   * Prefix of the source's environment variables (`<PREFIX>_BASE_URL`, `<PREFIX>_KEY`,
   * `<PREFIX>_RATE_LIMITS`, …), so generic code (the local stack) can point them at the simulator.
   */
  readonly envPrefix: string;
  /**
   * The budget the fleet keeps to, from the parsed config: its key (quotas are per API key, so
   * the source id plus a fingerprint of the key) and its limits (`off`: no budget).
   */
  budget(config: C): { readonly key: string; readonly limits: RateLimits | 'off' };
  /**
   * The source's own environment variables, parsed at worker boot. Secrets must be parsed into
   * `Secret` (see `activities/secret.ts`) so they never print.
   */
  readonly configSchema: z.ZodType<C>;
  readonly datasets: Readonly<Record<string, DatasetSpec<C>>>;
  readonly references: Readonly<Record<string, ReferenceDatasetSpec<C, any>>>; // eslint-disable-line @typescript-eslint/no-explicit-any
}
