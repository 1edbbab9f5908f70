/**
 * `npm run migrate`: apply pending sql/ migrations to DATABASE_URL (workers also do this at boot
 * unless INGEST_MIGRATE=false). Idempotent; safe while workers run.
 */
import { migrate } from '../activities/db/migrate';
import { runMain } from './run-main';
import { ConfigError } from '../activities/errors';

runMain('npm run migrate', async () => {
  const url = process.env.DATABASE_URL?.trim();
  if (!url || !/^postgres(ql)?:\/\//.test(url))
    throw new ConfigError(['DATABASE_URL: is required (a postgres:// URL)']);
  const { applied } = await migrate(url, (l) => console.log(l));
  console.log(applied.length ? `applied ${applied.length} migration(s)` : 'schema is up to date');
});
