-- Up Migration
-- Revisions: the old values of a final fact row that a later final row changed.
--
-- The merge lets a final row overwrite a final row with other values (the API revised the period),
-- which lost the old values. Now `writeChunk` first copies every stored final row the merge is about
-- to change into `revisions`, in the same transaction and for every dataset. A replacement by a
-- filler row (the API now reports the period without trades: zero volumes, carried-forward price)
-- is flagged `replaced_by_filler`: that is the suspicious kind, a traded period turned empty.
-- Identical reloads and provisional rows (which never overwrite a final row) record nothing, nor
-- does a provisional row becoming final.

CREATE TABLE revisions (
  id                 bigserial   PRIMARY KEY,
  -- The series as every other generic table names it (ingestion_runs, quarantine, coverage_daily):
  -- for the min-api, market = exchange and instrument = FSYM-TSYM.
  source             text        NOT NULL,
  dataset            text        NOT NULL,
  market             text        NOT NULL,
  instrument         text        NOT NULL,
  interval           text        NOT NULL,
  ts                 timestamptz NOT NULL,
  -- The fact table the row lives in (spot_ohlcv, futures_ohlcv, futures_open_interest, …).
  fact_table         text        NOT NULL,
  -- The dataset's value columns (is_filler included) before and after, as the fact table stores them.
  old_values         jsonb       NOT NULL,
  new_values         jsonb       NOT NULL,
  changed_columns    text[]      NOT NULL,
  -- The new row is a filler row (is_filler): a final row replaced by a filler/zero row.
  replaced_by_filler boolean     NOT NULL,
  -- The run that wrote the old values, and the run that replaced them (its lineage row).
  old_ingest_run_id  bigint      NOT NULL,
  new_ingest_run_id  bigint      NOT NULL REFERENCES ingestion_runs (id) DEFERRABLE INITIALLY DEFERRED,
  revised_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX revisions_series_ts_idx ON revisions (source, dataset, market, instrument, interval, ts);
CREATE INDEX revisions_filler_idx ON revisions (revised_at) WHERE replaced_by_filler;

-- Lineage: how many stored final rows a chunk revised.
ALTER TABLE ingestion_runs ADD COLUMN rows_revised integer NOT NULL DEFAULT 0;

-- Revisions per series: how many, how many by a filler row, which periods, and the latest.
CREATE VIEW revision_counts AS
SELECT source, dataset, market, instrument, interval,
       count(*) AS revisions,
       count(*) FILTER (WHERE replaced_by_filler) AS replaced_by_filler,
       min(ts) AS first_ts,
       max(ts) AS last_ts,
       max(revised_at) AS last_revised_at
FROM revisions
GROUP BY source, dataset, market, instrument, interval;
