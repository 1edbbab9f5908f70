-- The data-quality dashboard (docs/dashboard.md).
--
-- 1. It reads ledgers by time: throughput from ingestion_runs by commit time, quarantine per hour by
--    first sighting. These indexes let a request read only the window it shows instead of the
--    whole ledger. Built inside the migration's transaction: while they build, writers of these
--    two tables wait (a chunk's commit waits, up to its lock timeout, then its activity retries);
--    on a big ingestion_runs, migrate while the workers are stopped (docs/dashboard.md).
CREATE INDEX ingestion_runs_committed_idx ON ingestion_runs (committed_at);
CREATE INDEX quarantine_first_seen_idx ON quarantine (first_seen_at);

-- 2. A role for readers of the ledgers: SELECT on the ledger and summary tables the dashboard shows,
--    nothing on the fact tables (a dashboard that logs in as a member of it cannot scan them, or
--    write anything). As in 0009, creating the role needs CREATEROLE; a migrator without it skips
--    that step with a notice, and the DBA creates `crypto_ingest_reader` (NOLOGIN) and grants what
--    the second block grants.
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'crypto_ingest_reader') THEN
    CREATE ROLE crypto_ingest_reader NOLOGIN;
  END IF;
EXCEPTION
  WHEN insufficient_privilege THEN
    RAISE NOTICE 'no CREATEROLE: create the role crypto_ingest_reader (NOLOGIN) once, grant it SELECT as sql/0016 does, then grant it to the dashboard''s login role';
  -- Roles are the cluster's: another database of it migrating at the same moment created it first.
  WHEN duplicate_object OR unique_violation THEN
    NULL;
END
$$;

DO $$
BEGIN
  IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'crypto_ingest_reader') THEN
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO crypto_ingest_reader', current_database());
    GRANT USAGE ON SCHEMA public TO crypto_ingest_reader;
    GRANT SELECT ON tracked_series, series_watermarks, coverage_daily, quarantine, schema_drift,
                    rate_budget_windows, source_pauses, sync_demand, ingestion_runs,
                    reconcile_runs, reconcile_diffs
      TO crypto_ingest_reader;
  END IF;
END
$$;
