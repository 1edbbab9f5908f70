/**
 * Writes reference snapshots (assets, dated top lists, markets, instruments) in ONE transaction
 * per refresh, with its lineage row. Upserts change a row only when a value differs; a top-list
 * snapshot of a day is replaced as a whole by the latest fetch of that day.
 */
import type pg from 'pg';
import { classifyDatabaseError } from '../errors';
import { jsonForPg } from '../validation';
import type { AssetRecord, InstrumentRecord, MarketRecord, ReferencePage, TopListEntry } from '../sources/types';
import { recordDrift } from './drift';
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

export interface ReferenceStore {
  writeReference(input: WriteReferenceInput): Promise<WriteReferenceResult>;
}

const iso = (s: number | null | undefined): string | null => (s == null ? null : new Date(s * 1000).toISOString());

/** Last record wins when a snapshot repeats a key (pages can overlap while the list moves). */
function dedupe<T>(items: readonly T[], key: (t: T) => string): T[] {
  return [...new Map(items.map((t) => [key(t), t])).values()];
}

export class PgReferenceStore implements ReferenceStore {
  readonly #pool: pg.Pool;

  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  async writeReference(input: WriteReferenceInput): Promise<WriteReferenceResult> {
    const assets = dedupe(
      input.pages.flatMap((p) => p.assets ?? []),
      (a) => a.assetId,
    );
    const topList = dedupe(
      input.pages.flatMap((p) => p.topList ?? []),
      (t) => `${t.list}|${t.quote}|${t.rank}`,
    );
    const markets = dedupe(
      input.pages.flatMap((p) => p.markets ?? []),
      (m) => `${m.kind}|${m.market}`,
    );
    const instruments = dedupe(
      input.pages.flatMap((p) => p.instruments ?? []),
      (i) => `${i.kind}|${i.market}|${i.instrument}`,
    );
    const client = await this.#pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const l = input.lineage;
      const runId = Number(
        (
          await client.query<{ id: string }>(
            `INSERT INTO ingestion_runs (job_id, workflow_id, workflow_run_id, activity_id, attempt, source, dataset,
               market, instrument, interval, window_from, window_to, requests, response_sha256, rows_received,
               rows_inserted, rows_updated, rows_unchanged, rows_filler, rows_provisional, started_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, '*', '*', NULL, NULL, NULL, $8, $9, $10, 0, 0, 0, 0, 0, $11)
             RETURNING id`,
            [
              input.jobId,
              l.workflowId,
              l.workflowRunId,
              l.activityId,
              l.attempt,
              input.source,
              input.dataset,
              input.pages.map((p) => p.request),
              input.pages.map((p) => p.responseSha256),
              assets.length + topList.length + markets.length + instruments.length,
              l.startedAt,
            ],
          )
        ).rows[0]!.id,
      );
      const changed =
        (await upsertAssets(client, input.source, assets, runId)) +
        (await replaceTopList(client, input.source, input.snapshotDate, topList, runId)) +
        (await upsertMarkets(client, input.source, markets, runId)) +
        (await upsertInstruments(client, input.source, instruments, runId));
      await client.query('UPDATE ingestion_runs SET rows_inserted = $2 WHERE id = $1', [runId, changed]);
      await recordDrift(client, input.source, input.dataset, input.pages, runId);
      await client.query('COMMIT');
      return {
        runId,
        assets: assets.length,
        topList: topList.length,
        markets: markets.length,
        instruments: instruments.length,
        changed,
      };
    } catch (err) {
      await client.query('ROLLBACK').catch((e: unknown) => {
        broken = e instanceof Error ? e : new Error(String(e));
      });
      throw classifyDatabaseError(err);
    } finally {
      client.release(broken);
    }
  }
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

async function replaceTopList(
  client: pg.PoolClient,
  source: string,
  snapshotDate: string,
  rows: readonly TopListEntry[],
  runId: number,
): Promise<number> {
  if (rows.length === 0) return 0;
  const lists = [...new Set(rows.map((r) => `${r.list}|${r.quote}`))].map((k) => k.split('|') as [string, string]);
  for (const [list, quote] of lists) {
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
       market_cap float8, volume_24h float8)`,
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
