/**
 * Schema migrations: the ordered `sql/NNNN_name.sql` files, applied once each and recorded in
 * `schema_migrations` by node-pg-migrate, under a blocking advisory lock so that several workers
 * starting together apply them exactly once. Idempotent: a second run applies nothing.
 */
import { runner } from 'node-pg-migrate';
import { findUp } from '../repo-path';

export const SQL_DIR = findUp(import.meta.url, 'sql');

export async function migrate(
  databaseUrl: string,
  log: (line: string) => void = () => undefined,
): Promise<{ applied: string[] }> {
  const applied = await runner({
    databaseUrl,
    dir: SQL_DIR,
    direction: 'up',
    migrationsTable: 'schema_migrations',
    checkOrder: true,
    singleTransaction: true,
    advisoryLockMode: 'wait',
    count: Infinity,
    log: () => undefined,
    logger: {
      debug: () => undefined,
      info: () => undefined,
      warn: (m: string) => log(m),
      error: (m: string) => log(m),
    },
  });
  const names = applied.map((m) => m.name);
  if (names.length > 0) log(`applied migrations: ${names.join(', ')}`);
  return { applied: names };
}
