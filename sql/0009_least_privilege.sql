-- Up Migration
-- Least privilege: the role that runs migrations owns the tables; workers connect as a role that
-- is a member of `crypto_ingest_writer`, which may read and write rows and nothing else (no DDL,
-- no ownership). The one thing a worker needed DDL for, creating a month's partition on demand, is
-- done by `ensure_monthly_partitions` as its owner (SECURITY DEFINER, with a pinned search_path).
--
-- Creating a role needs CREATEROLE. A migrator without it (a managed database) skips that step with
-- a notice: the DBA creates `crypto_ingest_writer` (NOLOGIN) once, and the grants below apply when
-- it exists. docs/runbook.md says how to run migrations apart from the workers.

DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'crypto_ingest_writer') THEN
    CREATE ROLE crypto_ingest_writer NOLOGIN;
  END IF;
EXCEPTION WHEN insufficient_privilege THEN
  RAISE NOTICE 'no CREATEROLE: create the role crypto_ingest_writer (NOLOGIN) once, then grant it to the workers'' login role';
END
$$;

-- Partitions are created as the owner, whoever calls. The search_path is pinned (pg_temp last) so
-- a caller's objects cannot stand in for ours.
ALTER FUNCTION ensure_monthly_partitions(regclass, timestamptz, timestamptz) SECURITY DEFINER;
ALTER FUNCTION ensure_monthly_partitions(regclass, timestamptz, timestamptz) SET search_path = public, pg_temp;
-- It runs DDL as its owner: only the writer role may call it, not every role of the database.
REVOKE EXECUTE ON FUNCTION ensure_monthly_partitions(regclass, timestamptz, timestamptz) FROM PUBLIC;
-- PostgreSQL before 15 lets every role create objects in public: not the workers.
REVOKE CREATE ON SCHEMA public FROM PUBLIC;

DO $$
BEGIN
  IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'crypto_ingest_writer') THEN
    EXECUTE format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO crypto_ingest_writer', current_database());
    GRANT USAGE ON SCHEMA public TO crypto_ingest_writer;
    GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO crypto_ingest_writer;
    GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO crypto_ingest_writer;
    GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO crypto_ingest_writer;
    -- Tables, sequences and functions of later migrations (run by this same owner) too.
    ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO crypto_ingest_writer;
    ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO crypto_ingest_writer;
    ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT EXECUTE ON FUNCTIONS TO crypto_ingest_writer;
    -- The migrations' own bookkeeping stays the owner's.
    IF to_regclass('public.schema_migrations') IS NOT NULL THEN
      REVOKE INSERT, UPDATE, DELETE ON public.schema_migrations FROM crypto_ingest_writer;
    END IF;
  END IF;
END
$$;
