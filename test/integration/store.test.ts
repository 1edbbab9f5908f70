/**
 * The write path on real PostgreSQL: one transaction per chunk (rows + lineage + checkpoint),
 * the finality rule, identical reloads, monotonic checkpoints, and nothing half-written on failure.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import type pg from 'pg';
import { BatchBuilder } from '../../activities/arrow/batch-builder';
import { createPool } from '../../activities/db/pool';
import { PgIngestStore, type JobRange, type WriteChunkInput } from '../../activities/db/store';
import { DatabaseTransientError, UnstorableValueError } from '../../activities/errors';
import type { AssetRecord, Page } from '../../activities/sources/types';
import { PgReferenceStore } from '../../activities/db/reference-store';
import { spotOhlcv } from '../../activities/sources/data-api/ohlcv';
import type { SeriesKey } from '../../workflows/contracts/series';

const H = 3600;
const T0 = Date.UTC(2023, 0, 31, 22) / 1000; // straddles a month (partition) boundary

let pool: pg.Pool;
let store: PgIngestStore;

beforeAll(() => {
  pool = createPool(inject('databaseUrl'), { max: 2 });
  store = new PgIngestStore(pool);
});
afterAll(async () => {
  await pool.end();
});

/** A page of `n` hourly rows from T0; `value` sets every numeric column of row k to value + k. */
function page(n: number, value = 100, start = T0): Page {
  const b = new BatchBuilder(spotOhlcv.columns, n);
  for (let k = 0; k < n; k++) {
    const i = b.addRow();
    b.setNumber(0, i, start + k * H);
    for (let c = 1; c <= 16; c++) b.setNumber(c, i, value + k);
    for (let c = 17; c <= 24; c++) b.setNumber(c, i, k % 2 ? null : start + k * H);
    b.setBool(25, i, k % 2 === 1);
  }
  return {
    batch: b.finish(),
    request: `/test?start=${start}`,
    responseSha256: 'f'.repeat(64),
    serverTime: undefined,
    quarantined: [],
    unknownFields: [],
  };
}

function setup(instrument: string) {
  const series: SeriesKey = {
    source: 'data-api',
    dataset: 'spot-ohlcv',
    market: 'teststore',
    instrument,
    interval: '1h',
  };
  const job: JobRange = { jobId: `store-test/${instrument}`, series, from: T0, to: T0 + 10 * H };
  const write = (pages: Page[], nextCursor: number, finalBefore: number, attempt = 1) =>
    store.writeChunk({
      job,
      dataset: spotOhlcv as WriteChunkInput['dataset'],
      pages,
      windowFrom: T0,
      nextCursor,
      finalBefore,
      lineage: { workflowId: 'wf', workflowRunId: 'run', activityId: 'a1', attempt, startedAt: new Date() },
    });
  const rows = async () =>
    (
      await pool.query<{
        ts: number;
        open: number;
        is_final: boolean;
        is_filler: boolean;
        first_trade_ts: Date | null;
      }>(
        `SELECT extract(epoch FROM ts)::float8 AS ts, open, is_final, is_filler, first_trade_ts
         FROM spot_ohlcv WHERE market = 'teststore' AND instrument = $1 ORDER BY ts`,
        [instrument],
      )
    ).rows;
  const checkpoint = async () =>
    (
      await pool.query<{ next_ts: number; completed: boolean }>(
        `SELECT extract(epoch FROM next_ts)::float8 AS next_ts, completed_at IS NOT NULL AS completed
         FROM ingest_checkpoints WHERE job_id = $1`,
        [job.jobId],
      )
    ).rows[0];
  return { job, write, rows, checkpoint };
}

describe('PgIngestStore.writeChunk on real PostgreSQL', () => {
  it('inserts, then skips identical reloads, finalizes provisional rows, and never lets provisional overwrite final', async () => {
    const t = setup('FINAL-RULE');
    await store.openCheckpoint(t.job);
    // Rows 0..3; periods ending at or before T0 + 3h are final: rows 0, 1, 2. Row 3 is provisional.
    expect(await t.write([page(4)], T0 + 4 * H, T0 + 3 * H)).toMatchObject({
      received: 4,
      inserted: 4,
      updated: 0,
      unchanged: 0,
      filler: 2,
      provisional: 1,
    });
    expect((await t.rows()).map((r) => r.is_final)).toEqual([true, true, true, false]);
    // The same page again: nothing changes.
    expect(await t.write([page(4)], T0 + 4 * H, T0 + 3 * H)).toMatchObject({ inserted: 0, updated: 0, unchanged: 4 });
    // Later, everything has closed: only row 3 changes (provisional → final).
    expect(await t.write([page(4)], T0 + 4 * H, T0 + 10 * H)).toMatchObject({ inserted: 0, updated: 1, unchanged: 3 });
    // A provisional fetch with different values must not touch the final rows.
    expect(await t.write([page(4, 500)], T0 + 4 * H, T0)).toMatchObject({ inserted: 0, updated: 0, unchanged: 4 });
    const after = await t.rows();
    expect(after.map((r) => r.open)).toEqual([100, 101, 102, 103]);
    expect(after.every((r) => r.is_final)).toBe(true);
    expect(after.map((r) => r.is_filler)).toEqual([false, true, false, true]);
    expect(after[1]!.first_trade_ts).toBeNull();
    // A final fetch with revised values does update final rows (revisions are real).
    expect(await t.write([page(4, 200)], T0 + 4 * H, T0 + 10 * H)).toMatchObject({ updated: 4 });
  });

  it('writes a lineage row per chunk and moves the checkpoint only forward', async () => {
    const t = setup('CHECKPOINT');
    await store.openCheckpoint(t.job);
    const first = await t.write([page(3), page(3, 100, T0 + 3 * H)], T0 + 6 * H, T0 + 10 * H, 2);
    expect(await t.checkpoint()).toEqual({ next_ts: T0 + 6 * H, completed: false });
    const lineage = await pool.query('SELECT * FROM ingestion_runs WHERE id = $1', [first.runId]);
    expect(lineage.rows[0]).toMatchObject({
      job_id: t.job.jobId,
      workflow_id: 'wf',
      attempt: 2,
      requests: [`/test?start=${T0}`, `/test?start=${T0 + 3 * H}`],
      rows_received: 6,
      rows_inserted: 6,
    });
    const runIds = await pool.query(`SELECT DISTINCT ingest_run_id FROM spot_ohlcv WHERE instrument = 'CHECKPOINT'`);
    expect(runIds.rows.map((r: { ingest_run_id: string }) => Number(r.ingest_run_id))).toEqual([first.runId]);
    // A late retry of an earlier chunk (e.g. a reset) never moves the checkpoint back.
    await t.write([page(2)], T0 + 2 * H, T0 + 10 * H);
    expect((await t.checkpoint())!.next_ts).toBe(T0 + 6 * H);
    await t.write([page(4, 100, T0 + 6 * H)], T0 + 10 * H, T0 + 20 * H);
    expect(await t.checkpoint()).toEqual({ next_ts: T0 + 10 * H, completed: true });
  });

  it('leaves nothing half-written when a chunk fails mid-transaction: no rows, no lineage, no checkpoint move', async () => {
    const t = setup('ATOMIC');
    await store.openCheckpoint(t.job);
    const runsBefore = (
      await pool.query(`SELECT count(*)::int AS n FROM ingestion_runs WHERE job_id = $1`, [t.job.jobId])
    ).rows[0].n;
    // Two pages with the same period: the merge hits the same key twice and PostgreSQL aborts the
    // transaction after the first page's COPY has already gone in.
    await expect(t.write([page(3), page(3)], T0 + 6 * H, T0 + 10 * H)).rejects.toThrow(/affect row a second time/);
    expect(await t.rows()).toEqual([]);
    expect(await t.checkpoint()).toEqual({ next_ts: T0, completed: false });
    const runsAfter = (
      await pool.query(`SELECT count(*)::int AS n FROM ingestion_runs WHERE job_id = $1`, [t.job.jobId])
    ).rows[0].n;
    expect(runsAfter).toBe(runsBefore);
    // The pool is still usable afterwards.
    expect(await t.write([page(3)], T0 + 3 * H, T0 + 10 * H)).toMatchObject({ inserted: 3 });
  });

  it('a value the database refuses is the non-retryable UnstorableValueError naming its SQLSTATE; nothing is written', async () => {
    const t = setup('UNSTORABLE');
    await store.openCheckpoint(t.job);
    // Past validation (built directly): the int8 counts of 1e19 do not fit.
    const err = await t.write([page(2, 1e19)], T0 + 2 * H, T0 + 10 * H).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnstorableValueError);
    expect((err as UnstorableValueError).retryable).toBe(false);
    expect((err as Error).message).toMatch(/out of range.*\(SQLSTATE 22003\)/);
    expect(await t.rows()).toEqual([]);
    expect(await t.checkpoint()).toEqual({ next_ts: T0, completed: false });
  });

  it('NUL characters in a quarantined row or a drift sample are stored as U+2400 (jsonb refuses \\u0000)', async () => {
    const t = setup('NUL');
    const p: Page = {
      ...page(1),
      quarantined: [{ ts: T0 + H, reason: 'test: a NUL in the raw row', raw: { NAME: 'a\u0000b' } }],
      unknownFields: [{ field: 'NUL_TEST_FIELD', sample: 'x\u0000' }],
    };
    expect(await t.write([p], T0 + 2 * H, T0 + 10 * H)).toMatchObject({ inserted: 1, quarantined: 1 });
    const q = await pool.query(`SELECT raw FROM quarantine WHERE market = 'teststore' AND instrument = 'NUL'`);
    expect(q.rows.map((r) => r.raw)).toEqual([{ NAME: 'a\u2400b' }]);
    const d = await pool.query(`SELECT sample FROM schema_drift WHERE field = 'NUL_TEST_FIELD'`);
    expect(d.rows.map((r) => r.sample)).toEqual(['x\u2400']);
  });

  it("a cancelled activity's write ends its statement on the server and returns the connection", async () => {
    const t = setup('CANCEL');
    await store.openCheckpoint(t.job);
    // Another session holds the job's checkpoint row: the write blocks at its checkpoint step.
    const holder = await pool.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT 1 FROM ingest_checkpoints WHERE job_id = $1 FOR UPDATE', [t.job.jobId]);
      const abort = new AbortController();
      const writing = store
        .writeChunk({
          job: t.job,
          dataset: spotOhlcv as WriteChunkInput['dataset'],
          pages: [page(2)],
          windowFrom: T0,
          nextCursor: T0 + 2 * H,
          finalBefore: T0 + 10 * H,
          lineage: { workflowId: 'wf', workflowRunId: 'run', activityId: 'a1', attempt: 1, startedAt: new Date() },
          signal: abort.signal,
        })
        .catch((e: unknown) => e);
      await new Promise((r) => setTimeout(r, 300));
      const started = Date.now();
      abort.abort();
      const err = await writing;
      expect(Date.now() - started).toBeLessThan(2_000);
      expect(err).toBeInstanceOf(DatabaseTransientError);
      expect((err as Error).message).toContain('SQLSTATE 57014');
    } finally {
      await holder.query('ROLLBACK');
      holder.release();
    }
    const waiting = await pool.query(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%ingest_checkpoints%'`,
    );
    expect(waiting.rows[0].n).toBe(0);
    expect(await t.rows()).toEqual([]);
    // The connection went back to the pool, and the write goes through once nothing holds the row.
    expect(await t.write([page(2)], T0 + 2 * H, T0 + 10 * H)).toMatchObject({ inserted: 2 });
  });

  it("a lock wait longer than the pool's lock_timeout fails as a transient, retried error instead of hanging", async () => {
    const short = createPool(inject('databaseUrl'), { max: 1, lockTimeoutMs: 300 });
    const shortStore = new PgIngestStore(short);
    const t = setup('LOCKWAIT');
    await store.openCheckpoint(t.job);
    const holder = await pool.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT 1 FROM ingest_checkpoints WHERE job_id = $1 FOR UPDATE', [t.job.jobId]);
      const started = Date.now();
      const err = await shortStore
        .writeChunk({
          job: t.job,
          dataset: spotOhlcv as WriteChunkInput['dataset'],
          pages: [page(2)],
          windowFrom: T0,
          nextCursor: T0 + 2 * H,
          finalBefore: T0 + 10 * H,
          lineage: { workflowId: 'wf', workflowRunId: 'run', activityId: 'a1', attempt: 1, startedAt: new Date() },
        })
        .catch((e: unknown) => e);
      expect(Date.now() - started).toBeLessThan(3_000);
      expect(err).toBeInstanceOf(DatabaseTransientError);
      expect((err as Error).message).toContain('SQLSTATE 55P03');
    } finally {
      await holder.query('ROLLBACK');
      holder.release();
      await short.end();
    }
  });

  it('a retried chunk that had committed (its completion was lost) reports its first counts and adds nothing', async () => {
    const t = setup('LOSTCOMPLETION');
    await store.openCheckpoint(t.job);
    const first = await t.write([page(3)], T0 + 3 * H, T0 + 10 * H);
    expect(first).toMatchObject({ inserted: 3, received: 3 });
    // The worker died after the commit: the activity runs again over the same window.
    const again = await t.write([page(3)], T0 + 3 * H, T0 + 10 * H, 2);
    expect(again).toEqual(first);
    const cp = await pool.query<{ pages: number; rows_received: number; rows_written: number }>(
      `SELECT pages::int, rows_received::int, rows_written::int FROM ingest_checkpoints WHERE job_id = $1`,
      [t.job.jobId],
    );
    expect(cp.rows[0]).toEqual({ pages: 1, rows_received: 3, rows_written: 3 });
    // The next chunk counts as usual.
    expect(await t.write([page(2, 100, T0 + 3 * H)], T0 + 5 * H, T0 + 10 * H)).toMatchObject({ inserted: 2 });
    const after = await pool.query<{ pages: number; rows_received: number }>(
      `SELECT pages::int, rows_received::int FROM ingest_checkpoints WHERE job_id = $1`,
      [t.job.jobId],
    );
    expect(after.rows[0]).toEqual({ pages: 2, rows_received: 5 });
  });

  it('a fresh range copied straight into the table stores what the staged merge stores, to the bit', async () => {
    // Values where the conversions matter: fractional seconds (to_timestamp rounds half to even
    // at the microsecond), fractional counts (float8::int8 rounds half to even), tiny and huge floats.
    const odd = (start: number, bump: number): Page => {
      const b = new BatchBuilder(spotOhlcv.columns, 3);
      for (let k = 0; k < 3; k++) {
        const i = b.addRow();
        b.setNumber(0, i, start + k * H);
        for (let c = 1; c <= 12; c++) b.setNumber(c, i, [0.1 + 0.2, 1e-300, 1.7976931348623157e308][k]! + bump);
        for (let c = 13; c <= 16; c++) b.setNumber(c, i, [2.5, 3.5, 9e15][k]!);
        for (let c = 17; c <= 24; c++) b.setNumber(c, i, start + k * H + [1 / 128, 3 / 128, 0.4999999][k]!);
        b.setBool(25, i, k === 1);
      }
      return { ...page(0), batch: b.finish() };
    };
    const fresh = setup('BITS-FRESH');
    const merged = setup('BITS-MERGED');
    await store.openCheckpoint(fresh.job);
    await store.openCheckpoint(merged.job);
    // The merged series has a stored row in the range (a reload), so its write takes the stage.
    await merged.write([page(1, 7, T0 + H)], T0 + 2 * H, T0 + 10 * H);
    await fresh.write([odd(T0, 0)], T0 + 3 * H, T0 + 10 * H);
    await merged.write([odd(T0, 0)], T0 + 3 * H, T0 + 10 * H);
    const stored = async (instrument: string) =>
      (
        await pool.query(
          `SELECT to_jsonb(t) - 'instrument' - 'ingest_run_id' - 'updated_at' AS row FROM spot_ohlcv t
           WHERE market = 'teststore' AND instrument = $1 ORDER BY ts`,
          [instrument],
        )
      ).rows.map((r: { row: unknown }) => r.row);
    const a = await stored('BITS-FRESH');
    expect(a).toHaveLength(3);
    expect(a).toEqual(await stored('BITS-MERGED'));
    // And what PostgreSQL's own conversions give for the same doubles.
    const sqlSays = await pool.query<{ t1: string; t2: string; n1: string; n2: string }>(
      `SELECT to_timestamp($1::float8)::text AS t1, to_timestamp($2::float8)::text AS t2, 2.5::float8::int8::text AS n1,
              3.5::float8::int8::text AS n2`,
      [T0 + 1 / 128, T0 + H + 3 / 128],
    );
    const got = await pool.query<{ t1: string; t2: string; n1: string; n2: string }>(
      `SELECT (array_agg(first_trade_ts::text ORDER BY ts))[1] AS t1, (array_agg(first_trade_ts::text ORDER BY ts))[2] AS t2,
              (array_agg(total_trades::text ORDER BY ts))[1] AS n1, (array_agg(total_trades::text ORDER BY ts))[2] AS n2
       FROM spot_ohlcv WHERE market = 'teststore' AND instrument = 'BITS-FRESH'`,
    );
    expect(got.rows[0]).toEqual(sqlSays.rows[0]);
  });

  it('a fresh-range copy that meets a row another writer inserted meanwhile falls back to the merge', async () => {
    const t = setup('FRESH-RACE');
    await store.openCheckpoint(t.job);
    // A writer that skips the series lock inserts row 1 and holds it uncommitted: the store sees
    // an empty range, starts its copy, waits on that key, then meets it once it commits.
    const side = createPool(inject('databaseUrl'), { max: 2 }); // the store's pool stays the store's
    const other = await side.connect();
    try {
      await other.query('BEGIN');
      await other.query(
        `INSERT INTO spot_ohlcv (market, instrument, interval, ts, open, high, low, close, volume, quote_volume,
           volume_buy, quote_volume_buy, volume_sell, quote_volume_sell, volume_unknown, quote_volume_unknown,
           total_trades, total_trades_buy, total_trades_sell, total_trades_unknown, is_filler, is_final, ingest_run_id)
         VALUES ('teststore', 'FRESH-RACE', '1h', to_timestamp($1), 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
           false, true, 0)`,
        [T0 + H],
      );
      const writing = t.write([page(3)], T0 + 3 * H, T0 + 10 * H);
      // Commit once the copy waits on the key (visible in pg_locks as a transaction-id wait).
      for (let i = 0; i < 100; i++) {
        const w = await side.query(
          `SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'COPY %spot_ohlcv%'`,
        );
        if (w.rows[0].n > 0) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      await other.query('COMMIT');
      expect(await writing).toMatchObject({ received: 3, inserted: 2, updated: 1 });
    } finally {
      other.release();
      await side.end();
    }
    expect((await t.rows()).map((r) => [r.ts, r.open])).toEqual([
      [T0, 100],
      [T0 + H, 101],
      [T0 + 2 * H, 102],
    ]);
  });

  it('creates monthly partitions on demand and routes rows into them', async () => {
    const t = setup('PARTITIONS');
    await store.openCheckpoint(t.job);
    await t.write([page(4)], T0 + 4 * H, T0 + 10 * H);
    const parts = await pool.query<{ part: string; n: number }>(
      `SELECT tableoid::regclass::text AS part, count(*)::int AS n FROM spot_ohlcv
       WHERE market = 'teststore' AND instrument = 'PARTITIONS' GROUP BY 1 ORDER BY 1`,
    );
    expect(parts.rows).toEqual([
      { part: 'spot_ohlcv_p2023_01', n: 2 },
      { part: 'spot_ohlcv_p2023_02', n: 2 },
    ]);
  });

  it('a final row replaced by a final filler row keeps its old values as a revision; reloads and provisional rows record none', async () => {
    const t = setup('REVISED');
    await store.openCheckpoint(t.job);
    /** Final filler rows: the periods now reported without trades (price carried forward, zeros). */
    const fillerPage = (n: number, price: number): Page => {
      const b = new BatchBuilder(spotOhlcv.columns, n);
      for (let k = 0; k < n; k++) {
        const i = b.addRow();
        b.setNumber(0, i, T0 + k * H);
        for (let c = 1; c <= 4; c++) b.setNumber(c, i, price);
        for (let c = 5; c <= 16; c++) b.setNumber(c, i, 0);
        for (let c = 17; c <= 24; c++) b.setNumber(c, i, null);
        b.setBool(25, i, true);
      }
      return {
        batch: b.finish(),
        request: '/test?filler',
        responseSha256: 'f'.repeat(64),
        serverTime: undefined,
        quarantined: [],
        unknownFields: [],
      };
    };
    const revisions = async () =>
      (
        await pool.query<{
          ts: number;
          old_open: number;
          new_open: number;
          old_volume: number;
          old_filler: boolean;
          changed: string[];
          replaced_by_filler: boolean;
          old_run: number;
          new_run: number;
        }>(
          `SELECT extract(epoch FROM ts)::float8 AS ts, (old_values->>'open')::float8 AS old_open,
                  (new_values->>'open')::float8 AS new_open, (old_values->>'volume')::float8 AS old_volume,
                  (old_values->>'is_filler')::boolean AS old_filler, changed_columns AS changed, replaced_by_filler,
                  old_ingest_run_id::int AS old_run, new_ingest_run_id::int AS new_run
           FROM revisions WHERE source = 'data-api' AND dataset = 'spot-ohlcv' AND market = 'teststore'
             AND instrument = 'REVISED' AND interval = '1h'
           ORDER BY id`,
        )
      ).rows;

    // Rows 0..3, all final (rows 1 and 3 are filler already): new rows are no revision.
    const first = await t.write([page(4)], T0 + 4 * H, T0 + 10 * H);
    expect(first).toMatchObject({ inserted: 4, revised: 0 });
    // An identical reload and a provisional fetch with other values change nothing: no revision.
    expect(await t.write([page(4)], T0 + 4 * H, T0 + 10 * H)).toMatchObject({ unchanged: 4, revised: 0 });
    expect(await t.write([page(4, 500)], T0 + 4 * H, T0)).toMatchObject({ unchanged: 4, revised: 0 });
    // A provisional row (period 4, still open) finalized with other values is no revision either.
    expect(await t.write([page(1, 700, T0 + 4 * H)], T0 + 5 * H, T0 + 4 * H)).toMatchObject({
      inserted: 1,
      provisional: 1,
      revised: 0,
    });
    expect(await t.write([page(1, 800, T0 + 4 * H)], T0 + 5 * H, T0 + 10 * H)).toMatchObject({
      updated: 1,
      revised: 0,
    });
    expect(await revisions()).toEqual([]);

    // The API now reports periods 0..3 as final filler rows: the old values are kept.
    const filler = await t.write([fillerPage(4, 99)], T0 + 4 * H, T0 + 10 * H);
    expect(filler).toMatchObject({ updated: 4, revised: 4, filler: 4 });
    expect((await t.rows()).slice(0, 4).map((r) => [r.open, r.is_filler])).toEqual([
      [99, true],
      [99, true],
      [99, true],
      [99, true],
    ]);
    const kept = await revisions();
    expect(kept.map((r) => [r.ts, r.old_open, r.new_open, r.old_volume, r.old_filler, r.replaced_by_filler])).toEqual([
      [T0, 100, 99, 100, false, true],
      [T0 + H, 101, 99, 101, true, true],
      [T0 + 2 * H, 102, 99, 102, false, true],
      [T0 + 3 * H, 103, 99, 103, true, true],
    ]);
    expect(kept.every((r) => r.old_run === first.runId && r.new_run === filler.runId)).toBe(true);
    expect(kept[0]!.changed).toEqual(expect.arrayContaining(['open', 'volume', 'first_trade_ts', 'is_filler']));
    expect(kept[1]!.changed).not.toContain('is_filler');
    const lineage = await pool.query('SELECT rows_revised FROM ingestion_runs WHERE id = $1', [filler.runId]);
    expect(lineage.rows[0]).toEqual({ rows_revised: 4 });

    // The same filler rows again: identical, no revision.
    expect(await t.write([fillerPage(4, 99)], T0 + 4 * H, T0 + 10 * H)).toMatchObject({ unchanged: 4, revised: 0 });
    // A later revision of final rows by rows with trades is kept too; only a filler replacement is flagged.
    expect(await t.write([page(2, 300)], T0 + 2 * H, T0 + 10 * H)).toMatchObject({ updated: 2, revised: 2 });
    expect((await revisions()).slice(4).map((r) => [r.old_open, r.new_open, r.replaced_by_filler])).toEqual([
      [99, 300, false],
      [99, 301, true],
    ]);
    const counted = await pool.query(
      `SELECT revisions::int, replaced_by_filler::int FROM revision_counts
       WHERE source = 'data-api' AND dataset = 'spot-ohlcv' AND market = 'teststore' AND instrument = 'REVISED'`,
    );
    expect(counted.rows).toEqual([{ revisions: 6, replaced_by_filler: 5 }]);
  });
});

describe('PgReferenceStore.writeReference on real PostgreSQL', () => {
  it('a snapshot that lacks a value (coin list: no price) keeps the value another snapshot wrote', async () => {
    const refs = new PgReferenceStore(pool);
    const lineage = { workflowId: 'wf', workflowRunId: 'run', activityId: 'a', attempt: 1, startedAt: new Date() };
    const page = (assets: AssetRecord[]) => ({ assets, request: '/x', responseSha256: 'x', serverTime: undefined });
    const write = (assets: AssetRecord[]) =>
      refs.writeReference({
        jobId: 'ref-test',
        source: 'ref-test',
        dataset: 'd',
        pages: [page(assets)],
        snapshotDate: '2026-01-01',
        lineage,
      });
    await write([
      {
        assetId: '1',
        symbol: 'AAA',
        name: 'Aaa',
        launchDate: '2015-01-02',
        priceUsd: 12.5,
        marketCapUsd: 1e9,
        supplyCirculating: 8e7,
        attributes: { rank: 1 },
      },
    ]);
    // A coin-list style snapshot: identity and attributes, no market data.
    await write([{ assetId: '1', symbol: 'AAA', name: 'Aaa', attributes: { algorithm: 'SHA-256' } }]);
    const row = (await pool.query(`SELECT * FROM assets WHERE source = 'ref-test' AND asset_id = '1'`)).rows[0];
    expect(row).toMatchObject({ symbol: 'AAA', price_usd: 12.5, market_cap_usd: 1e9, supply_circulating: 8e7 });
    expect(row.launch_date.toISOString().slice(0, 10)).toBe('2015-01-02');
    expect(row.attributes).toEqual({ rank: 1, algorithm: 'SHA-256' });
    // A snapshot with a new value does update it.
    await write([{ assetId: '1', symbol: 'AAA', priceUsd: 13 }]);
    expect(
      (await pool.query(`SELECT price_usd FROM assets WHERE source = 'ref-test' AND asset_id = '1'`)).rows[0].price_usd,
    ).toBe(13);
  });
});

describe('coverage_report', () => {
  it('counts UTC days whatever the session time zone (no shifted days, no 23/25-hour DST days)', async () => {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      // A tracked series over a US DST change (2024-11-03), inside a transaction rolled back after.
      await client.query(
        `INSERT INTO tracked_series (source, dataset, market, instrument, interval, origin, backfill_from)
         VALUES ('tz-test', 'd', 'm', 'I', '1h', 'test', '2024-11-02T00:00:00Z')`,
      );
      const report = async (tz: string) => {
        await client.query(`SET LOCAL timezone = '${tz}'`);
        return (
          await client.query(
            `SELECT to_char(day, 'YYYY-MM-DD') AS day, expected FROM coverage_report
             WHERE source = 'tz-test' AND day < '2024-11-05' ORDER BY day`,
          )
        ).rows;
      };
      const utc = await report('UTC');
      expect(utc).toEqual([
        { day: '2024-11-02', expected: 24 },
        { day: '2024-11-03', expected: 24 },
        { day: '2024-11-04', expected: 24 },
      ]);
      expect(await report('America/New_York')).toEqual(utc);
      expect(await report('Asia/Kolkata')).toEqual(utc);
    } finally {
      await client.query('ROLLBACK');
      client.release();
    }
  });

  it('the last, partial day counts only closed periods: a stored open candle does not hide a hole', async () => {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      // 1h series from 2024-06-01 00:00; "now" 2024-06-03 10:30: the 10:00 period is open.
      await client.query(
        `INSERT INTO tracked_series (source, dataset, market, instrument, interval, origin, backfill_from)
         VALUES ('edge-test', 'd', 'm', 'I', '1h', 'test', '2024-06-01T00:00:00Z')`,
      );
      // Day 3: 00:00…09:00 expected; 05:00 missing, the open 10:00 candle stored: still 10 rows.
      await client.query(
        `INSERT INTO coverage_daily (source, dataset, market, instrument, interval, day, present, filler, provisional, certified_empty)
         VALUES ('edge-test', 'd', 'm', 'I', '1h', '2024-06-01', 24, 0, 0, 0),
                ('edge-test', 'd', 'm', 'I', '1h', '2024-06-02', 24, 0, 0, 0),
                ('edge-test', 'd', 'm', 'I', '1h', '2024-06-03', 10, 0, 1, 0)`,
      );
      await client.query(
        `INSERT INTO series_watermarks (source, dataset, market, instrument, interval, first_ts, last_ts, last_final_ts)
         VALUES ('edge-test', 'd', 'm', 'I', '1h', '2024-06-01T00:00:00Z', '2024-06-03T10:00:00Z', '2024-06-03T09:00:00Z')`,
      );
      const report = async (at: string) =>
        (
          await client.query(
            `SELECT to_char(day, 'YYYY-MM-DD') AS day, expected, present, missing
             FROM coverage_report_at($1::timestamptz) WHERE source = 'edge-test' ORDER BY day`,
            [at],
          )
        ).rows;
      expect(await report('2024-06-03T10:30:00Z')).toEqual([
        { day: '2024-06-01', expected: 24, present: 24, missing: 0 },
        { day: '2024-06-02', expected: 24, present: 24, missing: 0 },
        { day: '2024-06-03', expected: 10, present: 9, missing: 1 },
      ]);
      // An hour later the 10:00 candle is a closed period like any other, and counts.
      expect((await report('2024-06-03T11:30:00Z')).at(-1)).toEqual({
        day: '2024-06-03',
        expected: 11,
        present: 10,
        missing: 1,
      });
      // The view is the report as of now (these days are long closed).
      const now = await client.query(
        `SELECT to_char(day, 'YYYY-MM-DD') AS day, expected, present, missing FROM coverage_report
         WHERE source = 'edge-test' AND day <= '2024-06-03' ORDER BY day`,
      );
      expect(now.rows.at(-1)).toEqual({ day: '2024-06-03', expected: 24, present: 10, missing: 14 });
    } finally {
      await client.query('ROLLBACK');
      client.release();
    }
  });
});
