/**
 * Least privilege on real PostgreSQL: a login role that is only a member of `crypto_ingest_writer`
 * (sql/0009) runs a worker with migrations off and backfills exactly, writing into a month whose
 * partition does not exist yet (created by the SECURITY DEFINER function as the owner), while it
 * cannot create, drop or alter tables, nor touch the migrations' bookkeeping.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool } from '../../activities/db/pool';
import { PgIngestStore } from '../../activities/db/store';
import { backfillWorkflowId } from '../../workflows/contracts/ids';
import type { SeriesKey } from '../../workflows/contracts/series';
import { openTestEnv, startWorkers, type RunningWorkers, type TestEnv } from '../helpers/env';
import { expectedSpotRows, storedSpotRows } from '../helpers/expected';

let env: TestEnv;
let workerPool: pg.Pool;
let workers: RunningWorkers | undefined;
const role = `test_worker_${randomUUID().slice(0, 8)}`;
let workerUrl: string;

beforeAll(async () => {
  env = await openTestEnv('least-privilege', { ownDatabase: true });
  const password = randomUUID();
  await env.pool.query(`CREATE ROLE ${role} LOGIN PASSWORD '${password}' IN ROLE crypto_ingest_writer`);
  const u = new URL(env.workerEnv.DATABASE_URL!);
  u.username = role;
  u.password = password;
  workerUrl = u.toString();
  workerPool = createPool(workerUrl, { max: 2 });
});

afterAll(async () => {
  await workers?.stop();
  await workerPool?.end();
  await env?.pool.query(`DROP ROLE IF EXISTS ${role}`).catch(() => undefined);
  await env?.close();
});

const code = (p: Promise<unknown>) =>
  p.then(
    () => 'ok',
    (e: { code?: string }) => e.code,
  );

describe('the workers’ role', () => {
  it('is not a superuser, owns nothing, and may not create, drop or alter tables or rewrite migrations', async () => {
    const me = await workerPool.query<{ rolsuper: boolean; owned: number }>(
      `SELECT rolsuper, (SELECT count(*)::int FROM pg_class c WHERE c.relowner = r.oid) AS owned
       FROM pg_roles r WHERE rolname = current_user`,
    );
    expect(me.rows[0]).toEqual({ rolsuper: false, owned: 0 });
    expect(await code(workerPool.query('CREATE TABLE not_allowed (a int)'))).toBe('42501');
    expect(await code(workerPool.query('DROP TABLE spot_ohlcv'))).toBe('42501');
    expect(await code(workerPool.query('ALTER TABLE spot_ohlcv ADD COLUMN x int'))).toBe('42501');
    expect(await code(workerPool.query('DELETE FROM schema_migrations'))).toBe('42501');
    // It reads and writes rows, and creates a month's partition only through the owner's function.
    expect(await code(workerPool.query('SELECT count(*) FROM spot_ohlcv'))).toBe('ok');
    const made = await workerPool.query<{ n: number }>(
      `SELECT ensure_monthly_partitions('spot_ohlcv'::regclass, '2031-05-03', '2031-05-04') AS n`,
    );
    expect(made.rows[0]!.n).toBe(1);
    const owner = await env.pool.query<{ owner: string }>(
      `SELECT pg_get_userbyid(relowner) AS owner FROM pg_class WHERE relname = 'spot_ohlcv_p2031_05'`,
    );
    expect(owner.rows[0]!.owner).not.toBe(role);
    expect(new PgIngestStore(workerPool)).toBeDefined();
  });

  it('runs a worker (migrations off) that backfills exactly, into months whose partitions it had to create', async () => {
    workers = await startWorkers(env, {
      DATABASE_URL: workerUrl,
      INGEST_MIGRATE: 'false',
      DATA_API_KEY: `least-privilege-${randomUUID()}`,
    });
    const s: SeriesKey = {
      source: 'data-api',
      dataset: 'spot-ohlcv',
      market: 'kraken',
      instrument: 'BTC-USD',
      interval: '1d',
    };
    const from = Date.UTC(2019, 0, 1) / 1000;
    const to = Date.UTC(2019, 3, 1) / 1000; // three months, three new partitions
    const result = await env.client.workflow.execute('backfillSeries', {
      taskQueue: env.taskQueue,
      workflowId: `least-privilege/${backfillWorkflowId(s, from, to)}`,
      args: [{ ...s, from: new Date(from * 1000).toISOString(), to: new Date(to * 1000).toISOString() }],
    });
    expect((result as { status: string }).status).toBe('completed');
    expect(await storedSpotRows(env.pool, s, from, to)).toEqual(expectedSpotRows(s, from, to));
    const runs = await env.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM ingestion_runs WHERE job_id LIKE 'backfill/data-api/spot-ohlcv/kraken/BTC-USD/1d/%'`,
    );
    expect(runs.rows[0]!.n).toBeGreaterThan(0);
  });
});
