/**
 * Writes reference snapshots (assets, dated top lists, markets, instruments) in ONE transaction
 * per refresh, with its lineage row. Upserts change a row only when a value differs; a top-list
 * snapshot of a day is replaced as a whole by the latest fetch of that day.
 *
 * A refresh stages its pages in `reference_staging` as it fetches them (`stagePage`, keyed by the
 * job), so a pause or a crashed worker loses nothing and the next call resumes (`stagedPages`).
 * `writeStagedReference` reads them back in page order, a few pages at a time, inside the one
 * transaction that writes the snapshot and deletes them: the reference tables still see a
 * snapshot whole or not at all, and the worker never holds more than `STAGED_BATCH_PAGES` pages.
 */
import type pg from 'pg';
import { classifyDatabaseError, DatabaseTransientError } from '../errors';
import { jsonForPg } from '../validation';
import type { AssetRecord, InstrumentRecord, MarketRecord, ReferencePage, TopListEntry } from '../sources/types';
import { recordDrift } from './drift';
import { inTransaction } from './transaction';
import type { Lineage } from './store';

export interface WriteReferenceInput {
  readonly jobId: string;
  readonly source: string;
  readonly dataset: string;
  readonly pages: readonly ReferencePage[];
  /** UTC date (`YYYY-MM-DD`) the snapshot is of. */
  readonly snapshotDate: string;
  readonly lineage: Lineage;
}

export interface WriteReferenceResult {
  readonly runId: number;
  readonly assets: number;
  readonly topList: number;
  readonly markets: number;
  readonly instruments: number;
  /** Rows whose values changed or that are new (across tables). */
  readonly changed: number;
}

/** What a job has staged, as `stagedPages` finds it. */
export interface StagedPages {
  /** How many pages are staged. */
  readonly pages: number;
  /** The highest page number staged: equal to `pages` when none is missing. */
  readonly lastPage: number;
  /** `next` of the last staged page (where to resume); undefined when it was the snapshot's last page. */
  readonly next: string | undefined;
  /** The input fingerprint the pages were fetched for; undefined when they disagree. */
  readonly inputSha256: string | undefined;
  /** The earliest server time of the staged pages (Unix seconds), else when the first was staged. */
  readonly since: number;
}

export interface StagePageInput {
  readonly jobId: string;
  /** Fingerprint of the refresh's source, dataset and parameters. */
  readonly inputSha256: string;
  /** 1, 2, … in fetch order. */
  readonly page: number;
  readonly content: ReferencePage;
}

export interface WriteStagedReferenceInput {
  readonly jobId: string;
  readonly source: string;
  readonly dataset: string;
  /** How many pages the caller staged (1…pages): the write refuses to run on anything else. */
  readonly pages: number;
  /** Unix seconds that date the snapshot when no staged page carries a server time. */
  readonly fallbackTime: number;
  readonly lineage: Lineage;
  /** Called after each batch of pages is written, with the pages written so far (to heartbeat). */
  readonly onProgress?: (pagesWritten: number) => void;
}

export interface WriteStagedReferenceResult extends WriteReferenceResult {
  readonly pages: number;
  /** UTC date the snapshot is of: the earliest server time of its pages. */
  readonly snapshotDate: string;
  /** What the pages reported as odd and handled: the first 20 distinct. */
  readonly warnings: string[];
}

/** Staging of a snapshot's pages in PostgreSQL (`reference_staging`), for `fetchReferenceSnapshot`. */
export interface ReferenceStaging {
  stagedPages(jobId: string): Promise<StagedPages | undefined>;
  /** Stage one page (idempotent: staging the same page number again replaces it). */
  stagePage(input: StagePageInput): Promise<void>;
  discardStaged(jobId: string): Promise<void>;
  /** Write the staged snapshot in one transaction, which also deletes the staged pages. */
  writeStagedReference(input: WriteStagedReferenceInput): Promise<WriteStagedReferenceResult>;
}

/**
 * The staging methods are optional so that a fake store for activities that never take a
 * snapshot can leave them out; `fetchReferenceSnapshot` needs them (`requireStaging`).
 */
export interface ReferenceStore extends Partial<ReferenceStaging> {
  writeReference(input: WriteReferenceInput): Promise<WriteReferenceResult>;
}

/** The store's staging, or an error naming the wiring mistake (the worker's `PgReferenceStore` has it). */
export function requireStaging(store: ReferenceStore): ReferenceStaging {
  if ('stagedPages' in store && 'stagePage' in store && 'discardStaged' in store && 'writeStagedReference' in store)
    return store as ReferenceStaging;
  throw new Error('the ReferenceStore given to the activities cannot stage pages (use PgReferenceStore)');
}

/** Staged pages read back per batch by `writeStagedReference`: the most pages it holds in memory. */
export const STAGED_BATCH_PAGES = 10;

/** Distinct warnings a refresh reports, at most. */
const MAX_WARNINGS = 20;

const iso = (s: number | null | undefined): string | null => (s == null ? null : new Date(s * 1000).toISOString());

/** Last record wins when a snapshot repeats a key (pages can overlap while the list moves). */
function dedupe<T>(items: readonly T[], key: (t: T) => string): T[] {
  return [...new Map(items.map((t) => [key(t), t])).values()];
}

interface SnapshotRows {
  readonly assets: AssetRecord[];
  readonly topList: TopListEntry[];
  readonly markets: MarketRecord[];
  readonly instruments: InstrumentRecord[];
}

function snapshotRows(pages: readonly ReferencePage[]): SnapshotRows {
  return {
    assets: dedupe(
      pages.flatMap((p) => p.assets ?? []),
      (a) => a.assetId,
    ),
    topList: dedupe(
      pages.flatMap((p) => p.topList ?? []),
      (t) => `${t.list}|${t.quote}|${t.rank}`,
    ),
    markets: dedupe(
      pages.flatMap((p) => p.markets ?? []),
      (m) => `${m.kind}|${m.market}`,
    ),
    instruments: dedupe(
      pages.flatMap((p) => p.instruments ?? []),
      (i) => `${i.kind}|${i.market}|${i.instrument}`,
    ),
  };
}

/** A staged row back as the page it was (the columns carry the page's request, hash, time and token). */
interface StagedRow {
  readonly page: number;
  readonly page_json: Omit<ReferencePage, 'request' | 'responseSha256' | 'serverTime' | 'next'>;
  readonly request: string;
  readonly response_sha256: string;
  readonly server_time: number | null;
  readonly next_token: string | null;
}

function pageOf(r: StagedRow): ReferencePage {
  return {
    ...r.page_json,
    request: r.request,
    responseSha256: r.response_sha256,
    serverTime: r.server_time ?? undefined,
    next: r.next_token ?? undefined,
  };
}

export class PgReferenceStore implements ReferenceStore, ReferenceStaging {
  readonly #pool: pg.Pool;

  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  async writeReference(input: WriteReferenceInput): Promise<WriteReferenceResult> {
    const rows = snapshotRows(input.pages);
    return this.#transaction(async (client) => {
      const runId = await insertRun(
        client,
        input,
        input.pages.map((p) => p.request),
        input.pages.map((p) => p.responseSha256),
        rows.assets.length + rows.topList.length + rows.markets.length + rows.instruments.length,
      );
      const changed = await writeRows(client, input.source, input.snapshotDate, rows, runId, new Set());
      await client.query('UPDATE ingestion_runs SET rows_inserted = $2 WHERE id = $1', [runId, changed]);
      await recordDrift(client, input.source, input.dataset, input.pages, runId);
      return {
        runId,
        assets: rows.assets.length,
        topList: rows.topList.length,
        markets: rows.markets.length,
        instruments: rows.instruments.length,
        changed,
      };
    });
  }

  async stagedPages(jobId: string): Promise<StagedPages | undefined> {
    const res = await this.#query<{
      pages: number;
      last_page: number | null;
      next: string | null;
      input_sha256: string | null;
      since: number | null;
    }>(
      `SELECT count(*)::int AS pages, max(page) AS last_page, (array_agg(next_token ORDER BY page DESC))[1] AS next,
              CASE WHEN count(DISTINCT input_sha256) = 1 THEN min(input_sha256) END AS input_sha256,
              extract(epoch FROM coalesce(min(server_time), min(staged_at)))::float8 AS since
       FROM reference_staging WHERE job_id = $1`,
      [jobId],
    );
    const r = res.rows[0];
    if (!r || r.pages === 0) return undefined;
    return {
      pages: r.pages,
      lastPage: r.last_page ?? 0,
      next: r.next ?? undefined,
      inputSha256: r.input_sha256 ?? undefined,
      since: r.since ?? 0,
    };
  }

  async stagePage(input: StagePageInput): Promise<void> {
    const { request, responseSha256, serverTime, next, ...content } = input.content;
    await this.#query(
      `INSERT INTO reference_staging (job_id, page, input_sha256, page_json, request, response_sha256, server_time,
         next_token)
       VALUES ($1, $2, $3, $4::jsonb, $5, $6, to_timestamp($7::float8), $8)
       ON CONFLICT (job_id, page) DO UPDATE SET
         input_sha256 = EXCLUDED.input_sha256, page_json = EXCLUDED.page_json, request = EXCLUDED.request,
         response_sha256 = EXCLUDED.response_sha256, server_time = EXCLUDED.server_time,
         next_token = EXCLUDED.next_token, staged_at = now()`,
      [
        input.jobId,
        input.page,
        input.inputSha256,
        jsonForPg(content),
        request,
        responseSha256,
        serverTime ?? null,
        next ?? null,
      ],
    );
  }

  async discardStaged(jobId: string): Promise<void> {
    await this.#query('DELETE FROM reference_staging WHERE job_id = $1', [jobId]);
  }

  async writeStagedReference(input: WriteStagedReferenceInput): Promise<WriteStagedReferenceResult> {
    return this.#transaction(async (client) => {
      // Lock the staged pages: a second attempt of the same job (a worker thought dead) waits here,
      // then finds them gone and fails instead of writing an empty or partial snapshot.
      const staged = await client.query<{ page: number }>(
        'SELECT page FROM reference_staging WHERE job_id = $1 ORDER BY page FOR UPDATE',
        [input.jobId],
      );
      if (staged.rows.length !== input.pages || staged.rows.some((r, i) => r.page !== i + 1)) {
        throw new DatabaseTransientError(
          `the staged pages of ${input.jobId} changed while the snapshot was written (another attempt of the job?): ` +
            `${staged.rows.length} staged, ${input.pages} expected`,
          { details: { jobId: input.jobId, staged: staged.rows.length, expected: input.pages } },
        );
      }
      const summary = (
        await client.query<{
          first_server_time: number | null;
          requests: string[];
          hashes: string[];
          assets: number;
          top_list: number;
          markets: number;
          instruments: number;
        }>(
          `WITH staged AS (SELECT * FROM reference_staging WHERE job_id = $1)
           SELECT extract(epoch FROM (SELECT min(server_time) FROM staged))::float8 AS first_server_time,
                  (SELECT array_agg(request ORDER BY page) FROM staged) AS requests,
                  (SELECT array_agg(response_sha256 ORDER BY page) FROM staged) AS hashes,
                  -- Distinct keys, as the in-memory write's dedupe counts them.
                  (SELECT count(DISTINCT e->>'assetId')::int
                     FROM staged s, jsonb_array_elements(s.page_json->'assets') e) AS assets,
                  (SELECT count(DISTINCT (e->>'list', e->>'quote', e->>'rank'))::int
                     FROM staged s, jsonb_array_elements(s.page_json->'topList') e) AS top_list,
                  (SELECT count(DISTINCT (e->>'kind', e->>'market'))::int
                     FROM staged s, jsonb_array_elements(s.page_json->'markets') e) AS markets,
                  (SELECT count(DISTINCT (e->>'kind', e->>'market', e->>'instrument'))::int
                     FROM staged s, jsonb_array_elements(s.page_json->'instruments') e) AS instruments`,
          [input.jobId],
        )
      ).rows[0]!;
      // The snapshot is of the API's day (its Date header), so a frozen test clock dates it too.
      const snapshotDate = new Date((summary.first_server_time ?? input.fallbackTime) * 1000)
        .toISOString()
        .slice(0, 10);
      const counts = {
        assets: summary.assets,
        topList: summary.top_list,
        markets: summary.markets,
        instruments: summary.instruments,
      };
      const runId = await insertRun(
        client,
        input,
        summary.requests,
        summary.hashes,
        counts.assets + counts.topList + counts.markets + counts.instruments,
      );
      // A few pages at a time, in page order: a key repeated on a later page is written again, so the
      // last record wins as in the in-memory write (`changed` may then count that row twice).
      const replacedLists = new Set<string>();
      const warnings = new Set<string>();
      let changed = 0;
      for (let after = 0; ;) {
        const batch = await client.query<StagedRow>(
          `SELECT page, page_json, request, response_sha256, extract(epoch FROM server_time)::float8 AS server_time,
                  next_token
           FROM reference_staging WHERE job_id = $1 AND page > $2 ORDER BY page LIMIT $3`,
          [input.jobId, after, STAGED_BATCH_PAGES],
        );
        if (batch.rows.length === 0) break;
        const pages = batch.rows.map(pageOf);
        changed += await writeRows(client, input.source, snapshotDate, snapshotRows(pages), runId, replacedLists);
        await recordDrift(client, input.source, input.dataset, pages, runId);
        for (const w of pages.flatMap((p) => p.warnings ?? [])) if (warnings.size < MAX_WARNINGS) warnings.add(w);
        after = batch.rows.at(-1)!.page;
        input.onProgress?.(after);
      }
      await client.query('UPDATE ingestion_runs SET rows_inserted = $2 WHERE id = $1', [runId, changed]);
      await client.query('DELETE FROM reference_staging WHERE job_id = $1', [input.jobId]);
      return { runId, ...counts, changed, pages: input.pages, snapshotDate, warnings: [...warnings] };
    });
  }

  async #transaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    try {
      return await inTransaction(this.#pool, undefined, work);
    } catch (err) {
      throw classifyDatabaseError(err);
    }
  }

  async #query<R extends pg.QueryResultRow>(sql: string, params: unknown[]): Promise<pg.QueryResult<R>> {
    try {
      return await this.#pool.query<R>(sql, params);
    } catch (err) {
      throw classifyDatabaseError(err);
    }
  }
}

async function insertRun(
  client: pg.PoolClient,
  run: { readonly jobId: string; readonly source: string; readonly dataset: string; readonly lineage: Lineage },
  requests: readonly string[],
  responseHashes: readonly string[],
  received: number,
): Promise<number> {
  const l = run.lineage;
  const res = await client.query<{ id: string }>(
    `INSERT INTO ingestion_runs (job_id, workflow_id, workflow_run_id, activity_id, attempt, source, dataset,
       market, instrument, interval, window_from, window_to, requests, response_sha256, rows_received,
       rows_inserted, rows_updated, rows_unchanged, rows_filler, rows_provisional, started_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, '*', '*', NULL, NULL, NULL, $8, $9, $10, 0, 0, 0, 0, 0, $11)
     RETURNING id`,
    [
      run.jobId,
      l.workflowId,
      l.workflowRunId,
      l.activityId,
      l.attempt,
      run.source,
      run.dataset,
      requests,
      responseHashes,
      received,
      l.startedAt,
    ],
  );
  return Number(res.rows[0]!.id);
}

/** Write one batch of deduplicated rows; returns the rows new or changed. */
async function writeRows(
  client: pg.PoolClient,
  source: string,
  snapshotDate: string,
  rows: SnapshotRows,
  runId: number,
  replacedLists: Set<string>,
): Promise<number> {
  return (
    (await upsertAssets(client, source, rows.assets, runId)) +
    (await replaceTopList(client, source, snapshotDate, rows.topList, runId, replacedLists)) +
    (await upsertMarkets(client, source, rows.markets, runId)) +
    (await upsertInstruments(client, source, rows.instruments, runId))
  );
}

async function upsertAssets(
  client: pg.PoolClient,
  source: string,
  rows: readonly AssetRecord[],
  runId: number,
): Promise<number> {
  if (rows.length === 0) return 0;
  const res = await client.query(
    `INSERT INTO assets AS a (source, asset_id, symbol, name, asset_type, launch_date, price_usd, market_cap_usd,
       supply_circulating, attributes, ingest_run_id)
     SELECT $1, x.asset_id, x.symbol, x.name, x.asset_type, x.launch_date::date, x.price_usd, x.market_cap_usd,
            x.supply_circulating, coalesce(x.attributes, '{}'::jsonb), $2
     FROM jsonb_to_recordset($3::jsonb) AS x(asset_id text, symbol text, name text, asset_type text, launch_date text,
       price_usd float8, market_cap_usd float8, supply_circulating float8, attributes jsonb)
     ON CONFLICT (source, asset_id) DO UPDATE SET
       -- A snapshot that does not carry a value (a coin list has no price) keeps the stored one.
       symbol = EXCLUDED.symbol, name = coalesce(EXCLUDED.name, a.name), asset_type = coalesce(EXCLUDED.asset_type, a.asset_type),
       launch_date = coalesce(EXCLUDED.launch_date, a.launch_date), price_usd = coalesce(EXCLUDED.price_usd, a.price_usd),
       market_cap_usd = coalesce(EXCLUDED.market_cap_usd, a.market_cap_usd),
       supply_circulating = coalesce(EXCLUDED.supply_circulating, a.supply_circulating),
       attributes = a.attributes || EXCLUDED.attributes, ingest_run_id = EXCLUDED.ingest_run_id, updated_at = now()
     WHERE (a.symbol, a.name, a.asset_type, a.launch_date, a.price_usd, a.market_cap_usd, a.supply_circulating,
            a.attributes) IS DISTINCT FROM
           (EXCLUDED.symbol, coalesce(EXCLUDED.name, a.name), coalesce(EXCLUDED.asset_type, a.asset_type),
            coalesce(EXCLUDED.launch_date, a.launch_date), coalesce(EXCLUDED.price_usd, a.price_usd),
            coalesce(EXCLUDED.market_cap_usd, a.market_cap_usd), coalesce(EXCLUDED.supply_circulating, a.supply_circulating),
            a.attributes || EXCLUDED.attributes)`,
    [
      source,
      runId,
      jsonForPg(
        rows.map((r) => ({
          asset_id: r.assetId,
          symbol: r.symbol,
          name: r.name ?? null,
          asset_type: r.assetType ?? null,
          launch_date: r.launchDate ?? null,
          price_usd: r.priceUsd ?? null,
          market_cap_usd: r.marketCapUsd ?? null,
          supply_circulating: r.supplyCirculating ?? null,
          attributes: r.attributes ?? {},
        })),
      ),
    ],
  );
  return res.rowCount ?? 0;
}

/**
 * The day's ranking is replaced: the first batch of a write that carries a list deletes that list's
 * stored snapshot of the day (`replacedLists` remembers it), later batches add to it.
 */
async function replaceTopList(
  client: pg.PoolClient,
  source: string,
  snapshotDate: string,
  rows: readonly TopListEntry[],
  runId: number,
  replacedLists: Set<string>,
): Promise<number> {
  if (rows.length === 0) return 0;
  for (const key of new Set(rows.map((r) => `${r.list}|${r.quote}`))) {
    if (replacedLists.has(key)) continue;
    replacedLists.add(key);
    const [list, quote] = key.split('|') as [string, string];
    await client.query(
      'DELETE FROM top_list_snapshots WHERE source = $1 AND list = $2 AND quote = $3 AND snapshot_date = $4::date',
      [source, list, quote, snapshotDate],
    );
  }
  const res = await client.query(
    `INSERT INTO top_list_snapshots (source, list, quote, snapshot_date, rank, asset_id, symbol, price, market_cap,
       volume_24h, ingest_run_id)
     SELECT $1, x.list, x.quote, $2::date, x.rank, x.asset_id, x.symbol, x.price, x.market_cap, x.volume_24h, $3
     FROM jsonb_to_recordset($4::jsonb) AS x(list text, quote text, rank int, asset_id text, symbol text, price float8,
       market_cap float8, volume_24h float8)
     -- A rank an earlier batch of the same write already stored: the later page wins.
     ON CONFLICT (source, list, quote, snapshot_date, rank) DO UPDATE SET
       asset_id = EXCLUDED.asset_id, symbol = EXCLUDED.symbol, price = EXCLUDED.price,
       market_cap = EXCLUDED.market_cap, volume_24h = EXCLUDED.volume_24h, ingest_run_id = EXCLUDED.ingest_run_id`,
    [
      source,
      snapshotDate,
      runId,
      jsonForPg(
        rows.map((r) => ({
          list: r.list,
          quote: r.quote,
          rank: r.rank,
          asset_id: r.assetId,
          symbol: r.symbol,
          price: r.price ?? null,
          market_cap: r.marketCap ?? null,
          volume_24h: r.volume24h ?? null,
        })),
      ),
    ],
  );
  return res.rowCount ?? 0;
}

async function upsertMarkets(
  client: pg.PoolClient,
  source: string,
  rows: readonly MarketRecord[],
  runId: number,
): Promise<number> {
  if (rows.length === 0) return 0;
  const res = await client.query(
    `INSERT INTO markets AS m (source, kind, market, status, attributes, ingest_run_id)
     SELECT $1, x.kind, x.market, x.status, coalesce(x.attributes, '{}'::jsonb), $2
     FROM jsonb_to_recordset($3::jsonb) AS x(kind text, market text, status text, attributes jsonb)
     ON CONFLICT (source, kind, market) DO UPDATE SET
       status = EXCLUDED.status, attributes = EXCLUDED.attributes, ingest_run_id = EXCLUDED.ingest_run_id, updated_at = now()
     WHERE (m.status, m.attributes) IS DISTINCT FROM (EXCLUDED.status, EXCLUDED.attributes)`,
    [
      source,
      runId,
      jsonForPg(
        rows.map((r) => ({ kind: r.kind, market: r.market, status: r.status ?? null, attributes: r.attributes ?? {} })),
      ),
    ],
  );
  return res.rowCount ?? 0;
}

async function upsertInstruments(
  client: pg.PoolClient,
  source: string,
  rows: readonly InstrumentRecord[],
  runId: number,
): Promise<number> {
  if (rows.length === 0) return 0;
  const recordset = (
    param: number,
  ) => `jsonb_to_recordset($${param}::jsonb) AS x(kind text, market text, instrument text, native_instrument text,
         base text, quote text, status text, first_trade_ts timestamptz, last_trade_ts timestamptz,
         expires_at timestamptz, attributes jsonb)`;
  const payload = jsonForPg(
    rows.map((r) => ({
      kind: r.kind,
      market: r.market,
      instrument: r.instrument,
      native_instrument: r.nativeInstrument ?? null,
      base: r.base ?? null,
      quote: r.quote ?? null,
      status: r.status ?? null,
      first_trade_ts: iso(r.firstTradeTs),
      last_trade_ts: iso(r.lastTradeTs),
      expires_at: iso(r.expiresAt),
      attributes: r.attributes ?? {},
    })),
  );
  // Every instrument of the snapshot was seen now, changed or not.
  await client.query(
    `UPDATE instruments i SET last_seen_at = now() FROM ${recordset(2)}
     WHERE i.source = $1 AND i.kind = x.kind AND i.market = x.market AND i.instrument = x.instrument`,
    [source, payload],
  );
  const res = await client.query(
    `INSERT INTO instruments AS i (source, kind, market, instrument, native_instrument, base, quote, status,
       first_trade_ts, last_trade_ts, expires_at, attributes, ingest_run_id)
     SELECT $1, x.kind, x.market, x.instrument, x.native_instrument, x.base, x.quote, x.status, x.first_trade_ts,
            x.last_trade_ts, x.expires_at, coalesce(x.attributes, '{}'::jsonb), $2
     FROM ${recordset(3)}
     ON CONFLICT (source, kind, market, instrument) DO UPDATE SET
       native_instrument = coalesce(EXCLUDED.native_instrument, i.native_instrument), base = coalesce(EXCLUDED.base, i.base),
       quote = coalesce(EXCLUDED.quote, i.quote), status = coalesce(EXCLUDED.status, i.status),
       first_trade_ts = coalesce(EXCLUDED.first_trade_ts, i.first_trade_ts),
       last_trade_ts = coalesce(EXCLUDED.last_trade_ts, i.last_trade_ts), expires_at = EXCLUDED.expires_at,
       attributes = EXCLUDED.attributes, ingest_run_id = EXCLUDED.ingest_run_id, updated_at = now()
     WHERE (i.native_instrument, i.base, i.quote, i.status, i.first_trade_ts, i.last_trade_ts, i.expires_at,
            i.attributes) IS DISTINCT FROM
           (coalesce(EXCLUDED.native_instrument, i.native_instrument), coalesce(EXCLUDED.base, i.base),
            coalesce(EXCLUDED.quote, i.quote), coalesce(EXCLUDED.status, i.status),
            coalesce(EXCLUDED.first_trade_ts, i.first_trade_ts), coalesce(EXCLUDED.last_trade_ts, i.last_trade_ts),
            EXCLUDED.expires_at, EXCLUDED.attributes)`,
    [source, runId, payload],
  );
  return res.rowCount ?? 0;
}
