-- Up Migration
-- The tracked universe, per-series watermarks, the coverage ledger and the gap report.

-- Which series the service keeps current (resolved from config/universe.json by refreshUniverse).
CREATE TABLE tracked_series (
  source            text        NOT NULL,
  dataset           text        NOT NULL,
  market            text        NOT NULL,
  instrument        text        NOT NULL,
  interval          text        NOT NULL CHECK (interval IN ('1m', '1h', '1d')),
  origin            text        NOT NULL,
  active            boolean     NOT NULL DEFAULT true,
  -- Where the series' coverage starts: the configured horizon, never before the listing.
  backfill_from     timestamptz NOT NULL,
  -- Set when the initial backfill (backfill_from up to the tracking instant) completed.
  backfilled_at     timestamptz,
  first_tracked_at  timestamptz NOT NULL DEFAULT now(),
  last_resolved_at  timestamptz NOT NULL DEFAULT now(),
  untracked_at      timestamptz,
  PRIMARY KEY (source, dataset, market, instrument, interval)
);
CREATE INDEX tracked_series_sync_idx ON tracked_series (source, dataset, interval, market, instrument) WHERE active;

-- Per series, what is stored: updated in the same transaction as the rows.
CREATE TABLE series_watermarks (
  source         text        NOT NULL,
  dataset        text        NOT NULL,
  market         text        NOT NULL,
  instrument     text        NOT NULL,
  interval       text        NOT NULL,
  first_ts       timestamptz NOT NULL,
  last_ts        timestamptz NOT NULL,
  -- The latest period stored as final (everything a sync re-reads starts before it).
  last_final_ts  timestamptz,
  updated_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (source, dataset, market, instrument, interval)
);

-- Coverage ledger: per series and UTC day, what the fact table holds. Maintained in the same
-- transaction as the data, and recomputed from the fact table by the coverage audit.
CREATE TABLE coverage_daily (
  source           text    NOT NULL,
  dataset          text    NOT NULL,
  market           text    NOT NULL,
  instrument       text    NOT NULL,
  interval         text    NOT NULL,
  day              date    NOT NULL,
  present          integer NOT NULL,
  filler           integer NOT NULL,
  provisional      integer NOT NULL,
  certified_empty  integer NOT NULL DEFAULT 0,
  updated_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (source, dataset, market, instrument, interval, day)
);

-- Periods the API confirmed empty: re-fetched by the repair, and the answer (evidence: its hash)
-- had no row for them. They are not holes.
CREATE TABLE coverage_certified_empty (
  source           text        NOT NULL,
  dataset          text        NOT NULL,
  market           text        NOT NULL,
  instrument       text        NOT NULL,
  interval         text        NOT NULL,
  ts               timestamptz NOT NULL,
  response_sha256  text        NOT NULL,
  ingest_run_id    bigint      REFERENCES ingestion_runs (id),
  certified_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (source, dataset, market, instrument, interval, ts)
);

CREATE FUNCTION interval_seconds(p_interval text) RETURNS integer
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE p_interval WHEN '1m' THEN 60 WHEN '1h' THEN 3600 WHEN '1d' THEN 86400 END
$$;

-- The gap report: per active tracked series and day, from its coverage start up to the last
-- closed period, the periods expected, present, certified empty, and missing. Days with no row in
-- the ledger at all count as wholly missing.
CREATE VIEW coverage_report AS
WITH scope AS (
  SELECT t.source, t.dataset, t.market, t.instrument, t.interval, interval_seconds(t.interval) AS step,
         extract(epoch FROM t.backfill_from)::bigint AS start_s,
         (floor(extract(epoch FROM now()) / interval_seconds(t.interval)) * interval_seconds(t.interval))::bigint AS end_s
  FROM tracked_series t
  WHERE t.active
), days AS (
  -- UTC days as epoch arithmetic: independent of the session's time zone (no DST days).
  SELECT s.*, (to_timestamp(ds) AT TIME ZONE 'UTC')::date AS day,
         greatest(s.start_s, ds) AS lo, least(s.end_s, ds + 86400) AS hi
  FROM scope s, generate_series((s.start_s / 86400) * 86400, s.end_s - 1, 86400) AS ds
  WHERE s.end_s > s.start_s
)
SELECT d.source, d.dataset, d.market, d.instrument, d.interval, d.day,
       -- periods whose start lies in [lo, hi)
       greatest(0, ceil(d.hi::numeric / d.step) - ceil(d.lo::numeric / d.step))::int AS expected,
       coalesce(c.present, 0) AS present,
       coalesce(c.filler, 0) AS filler,
       coalesce(c.provisional, 0) AS provisional,
       coalesce(c.certified_empty, 0) AS certified_empty,
       greatest(0, (ceil(d.hi::numeric / d.step) - ceil(d.lo::numeric / d.step))::int - coalesce(c.present, 0)
                   - coalesce(c.certified_empty, 0)) AS missing
FROM days d
LEFT JOIN coverage_daily c
  ON c.source = d.source AND c.dataset = d.dataset AND c.market = d.market AND c.instrument = d.instrument
 AND c.interval = d.interval AND c.day = d.day;

-- Only the days with holes.
CREATE VIEW coverage_gaps AS SELECT * FROM coverage_report WHERE missing > 0;
