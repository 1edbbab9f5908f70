/**
 * PostgreSQL connection pool, with server-side timeouts on every session (statement, lock wait,
 * idle in transaction). `float8`, `int8` and `timestamptz` come back as strings from `pg` by
 * default; the pipeline never reads fact rows back, so the defaults stay.
 */
import pg from 'pg';

export interface PoolOptions {
  readonly max?: number;
  readonly applicationName?: string;
  /** Longest statement (a hung query fails instead of looking alive until start-to-close). @default 300 s */
  readonly statementTimeoutMs?: number;
  /** Longest wait for a lock. @default 60 s */
  readonly lockTimeoutMs?: number;
  /** A session idle inside a transaction this long is ended by the server. @default 300 s */
  readonly idleInTransactionTimeoutMs?: number;
  /** Every transaction read-only (`default_transaction_read_only`): for readers such as the dashboard. */
  readonly readOnly?: boolean;
}

export const DB_TIMEOUT_DEFAULTS = {
  statementTimeoutMs: 300_000,
  lockTimeoutMs: 60_000,
  idleInTransactionTimeoutMs: 300_000,
} as const;

export function createPool(databaseUrl: string, options: PoolOptions = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: options.max ?? 10,
    application_name: options.applicationName ?? 'crypto-ingest',
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: 15_000,
    // Set per session by the server: a statement, a lock wait or an idle transaction cannot hang.
    statement_timeout: options.statementTimeoutMs ?? DB_TIMEOUT_DEFAULTS.statementTimeoutMs,
    lock_timeout: options.lockTimeoutMs ?? DB_TIMEOUT_DEFAULTS.lockTimeoutMs,
    idle_in_transaction_session_timeout:
      options.idleInTransactionTimeoutMs ?? DB_TIMEOUT_DEFAULTS.idleInTransactionTimeoutMs,
    ...(options.readOnly ? { options: '-c default_transaction_read_only=on' } : {}),
  });
  // An idle client losing its connection must not crash the worker; the next query reconnects.
  pool.on('error', () => undefined);
  return pool;
}
