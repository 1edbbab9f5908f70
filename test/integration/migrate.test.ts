/**
 * The migration runner: ordered, recorded, idempotent, and safe when several workers start at once.
 */
import { readdirSync } from 'node:fs';
import pg from 'pg';
import { describe, expect, inject, it } from 'vitest';
import { migrate, SQL_DIR } from '../../activities/db/migrate';

async function freshDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const base = inject('databaseUrl');
  const name = `migrate_test_${process.pid}_${Date.now()}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const u = new URL(base);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: base });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

describe('migrate', () => {
  it('applies every sql/ file once, in order, records it, and applies nothing the second time', async () => {
    const db = await freshDatabase();
    try {
      const files = readdirSync(SQL_DIR)
        .filter((f) => f.endsWith('.sql'))
        .sort()
        .map((f) => f.replace(/\.sql$/, ''));
      expect(files.length).toBeGreaterThan(0);
      expect((await migrate(db.url)).applied).toEqual(files);
      expect((await migrate(db.url)).applied).toEqual([]);
      const c = new pg.Client({ connectionString: db.url });
      c.on('error', () => undefined); // the database is force-dropped in finally
      await c.connect();
      const recorded = await c.query<{ name: string }>('SELECT name FROM schema_migrations ORDER BY id');
      expect(recorded.rows.map((r) => r.name)).toEqual(files);
      const tables = await c.query<{ t: string }>(
        `SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' AND tablename IN ('spot_ohlcv', 'ingest_checkpoints', 'ingestion_runs') ORDER BY 1`,
      );
      expect(tables.rows.map((r) => r.t)).toEqual(['ingest_checkpoints', 'ingestion_runs', 'spot_ohlcv']);
      const parted = await c.query(`SELECT 1 FROM pg_partitioned_table WHERE partrelid = 'spot_ohlcv'::regclass`);
      expect(parted.rowCount).toBe(1);
      await c.end();
    } finally {
      await db.drop();
    }
  });

  it('several workers migrating at once apply each migration exactly once', async () => {
    const db = await freshDatabase();
    try {
      const results = await Promise.all([migrate(db.url), migrate(db.url), migrate(db.url)]);
      const applied = results.flatMap((r) => r.applied);
      expect(applied).toEqual([...new Set(applied)]);
      expect(applied.length).toBe(readdirSync(SQL_DIR).filter((f) => f.endsWith('.sql')).length);
    } finally {
      await db.drop();
    }
  });
});
