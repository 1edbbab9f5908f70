-- Up Migration
-- Schema v1: spot OHLCV facts (time-partitioned), backfill checkpoints, ingestion runs (lineage).

-- Ingestion runs: one row per committed chunk (one activity call). Fact rows point at the run
-- that last changed them, so any row can be traced to the workflow, attempt and requests.
CREATE TABLE ingestion_runs (
  id               bigserial PRIMARY KEY,
  job_id           text        NOT NULL,
  workflow_id      text        NOT NULL,
  workflow_run_id  text        NOT NULL,
  activity_id      text        NOT NULL,
  attempt          integer     NOT NULL,
  source           text        NOT NULL,
  dataset          text        NOT NULL,
  market           text        NOT NULL,
  instrument       text        NOT NULL,
  interval         text        NOT NULL,
  window_from      timestamptz NOT NULL,
  window_to        timestamptz NOT NULL,
  requests         text[]      NOT NULL,
  response_sha256  text[]      NOT NULL,
  rows_received    integer     NOT NULL,
  rows_inserted    integer     NOT NULL,
  rows_updated     integer     NOT NULL,
  rows_unchanged   integer     NOT NULL,
  rows_filler      integer     NOT NULL,
  rows_provisional integer     NOT NULL,
  started_at       timestamptz NOT NULL,
  committed_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ingestion_runs_job_idx ON ingestion_runs (job_id, id);
CREATE INDEX ingestion_runs_series_idx ON ingestion_runs (source, dataset, market, instrument, interval, committed_at);

-- Backfill checkpoints: everything of the job's range before next_ts is stored. Written in the
-- same transaction as the rows it covers, so it can never run ahead of the data.
CREATE TABLE ingest_checkpoints (
  job_id        text        PRIMARY KEY,
  source        text        NOT NULL,
  dataset       text        NOT NULL,
  market        text        NOT NULL,
  instrument    text        NOT NULL,
  interval      text        NOT NULL,
  range_from    timestamptz NOT NULL,
  range_to      timestamptz NOT NULL,
  next_ts       timestamptz NOT NULL,
  pages         bigint      NOT NULL DEFAULT 0,
  rows_received bigint      NOT NULL DEFAULT 0,
  rows_written  bigint      NOT NULL DEFAULT 0,
  last_run_id   bigint      REFERENCES ingestion_runs (id),
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  completed_at  timestamptz,
  CHECK (range_from < range_to),
  CHECK (next_ts >= range_from AND next_ts <= range_to)
);

-- Spot OHLCV, one row per (market, instrument, interval, period start). Prices and volumes are
-- float8: the API sends IEEE-754 doubles, so float8 stores exactly what arrives.
-- `*_trade_*` columns are NULL on filler rows (periods without trades); `is_final` is false for
-- the still-forming period and becomes true once a fetch sees it closed.
CREATE TABLE spot_ohlcv (
  market               text        NOT NULL,
  instrument           text        NOT NULL,
  interval             text        NOT NULL CHECK (interval IN ('1m', '1h', '1d')),
  ts                   timestamptz NOT NULL,
  open                 float8      NOT NULL,
  high                 float8      NOT NULL,
  low                  float8      NOT NULL,
  close                float8      NOT NULL,
  volume               float8      NOT NULL,
  quote_volume         float8      NOT NULL,
  volume_buy           float8      NOT NULL,
  quote_volume_buy     float8      NOT NULL,
  volume_sell          float8      NOT NULL,
  quote_volume_sell    float8      NOT NULL,
  volume_unknown       float8      NOT NULL,
  quote_volume_unknown float8      NOT NULL,
  total_trades         bigint      NOT NULL,
  total_trades_buy     bigint      NOT NULL,
  total_trades_sell    bigint      NOT NULL,
  total_trades_unknown bigint      NOT NULL,
  first_trade_ts       timestamptz,
  last_trade_ts        timestamptz,
  first_trade_price    float8,
  high_trade_price     float8,
  high_trade_ts        timestamptz,
  low_trade_price      float8,
  low_trade_ts         timestamptz,
  last_trade_price     float8,
  is_filler            boolean     NOT NULL,
  is_final             boolean     NOT NULL,
  ingest_run_id        bigint      NOT NULL,
  updated_at           timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (market, instrument, interval, ts)
) PARTITION BY RANGE (ts);

-- Monthly range partitions, created on demand (in their own short transaction, before the data
-- transaction, because creating a partition locks the parent). Serialized by an advisory lock so
-- concurrent workers never race on the same month.
CREATE FUNCTION ensure_monthly_partitions(parent regclass, from_ts timestamptz, to_ts timestamptz)
RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  m       timestamptz := date_trunc('month', from_ts AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
  created integer := 0;
  part    text;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('ensure_monthly_partitions:' || parent::text));
  WHILE m <= to_ts LOOP
    part := format('%s_p%s', parent::text, to_char(m AT TIME ZONE 'UTC', 'YYYY_MM'));
    IF to_regclass(part) IS NULL THEN
      EXECUTE format('CREATE TABLE %I PARTITION OF %s FOR VALUES FROM (%L) TO (%L)',
                     part, parent, m, (m AT TIME ZONE 'UTC' + interval '1 month') AT TIME ZONE 'UTC');
      created := created + 1;
    END IF;
    m := (m AT TIME ZONE 'UTC' + interval '1 month') AT TIME ZONE 'UTC';
  END LOOP;
  RETURN created;
END
$$;
