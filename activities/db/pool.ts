/**
 * PostgreSQL connection pool. `float8`, `int8` and `timestamptz` come back as strings from `pg`
 * by default; the pipeline never reads fact rows back, so the defaults stay.
 */
import pg from 'pg';

export interface PoolOptions {
  readonly max?: number;
  readonly applicationName?: string;
}

export function createPool(databaseUrl: string, options: PoolOptions = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: options.max ?? 10,
    application_name: options.applicationName ?? 'crypto-ingest',
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: 15_000,
  });
  // An idle client losing its connection must not crash the worker; the next query reconnects.
  pool.on('error', () => undefined);
  return pool;
}
