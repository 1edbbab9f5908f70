-- Up Migration
-- The gap report as of any instant (`coverage_report_at`), and exact on the last, partial day.
--
-- 0003's view counted every row of a day as present. On the day still in progress the stored open
-- candle (the period containing now, provisional) is not an expected period, so one hole of that
-- day went unreported. The ledger counts rows per day, not which; what lies at or after the open
-- period is known from the watermark instead: nothing is stored for the future, so the periods from
-- the open one to `last_ts` are exactly the stored ones there.

CREATE FUNCTION coverage_report_at(p_now timestamptz)
RETURNS TABLE (
  source text, dataset text, market text, instrument text, "interval" text, day date,
  expected integer, present integer, filler integer, provisional integer, certified_empty integer, missing integer
)
LANGUAGE sql STABLE AS $$
WITH scope AS (
  SELECT t.source, t.dataset, t.market, t.instrument, t.interval, interval_seconds(t.interval) AS step,
         extract(epoch FROM t.backfill_from)::bigint AS start_s,
         (floor(extract(epoch FROM p_now) / interval_seconds(t.interval)) * interval_seconds(t.interval))::bigint AS end_s,
         extract(epoch FROM w.last_ts)::bigint AS last_s
  FROM tracked_series t
  LEFT JOIN series_watermarks w USING (source, dataset, market, instrument, interval)
  WHERE t.active
), days AS (
  -- UTC days as epoch arithmetic: independent of the session's time zone (no DST days).
  SELECT s.*, ds, (to_timestamp(ds) AT TIME ZONE 'UTC')::date AS day,
         greatest(s.start_s, ds) AS lo, least(s.end_s, ds + 86400) AS hi
  FROM scope s, generate_series((s.start_s / 86400) * 86400, s.end_s - 1, 86400) AS ds
  WHERE s.end_s > s.start_s
), counted AS (
  SELECT d.source, d.dataset, d.market, d.instrument, d.interval, d.day,
         -- periods whose start lies in [lo, hi)
         greatest(0, ceil(d.hi::numeric / d.step) - ceil(d.lo::numeric / d.step))::int AS expected,
         greatest(0, coalesce(c.present, 0) - CASE
           -- the day in progress: stored periods from the open one on are not expected ones
           WHEN d.hi < d.ds + 86400 AND d.last_s >= d.hi
             THEN least((d.last_s - d.hi) / d.step + 1, (d.ds + 86400 - d.hi) / d.step)::int
           ELSE 0 END) AS present,
         coalesce(c.filler, 0) AS filler,
         coalesce(c.provisional, 0) AS provisional,
         coalesce(c.certified_empty, 0) AS certified_empty
  FROM days d
  LEFT JOIN coverage_daily c
    ON c.source = d.source AND c.dataset = d.dataset AND c.market = d.market AND c.instrument = d.instrument
   AND c.interval = d.interval AND c.day = d.day
)
SELECT source, dataset, market, instrument, interval, day, expected, present, filler, provisional, certified_empty,
       greatest(0, expected - present - certified_empty) AS missing
FROM counted
$$;

-- Same columns as before: `coverage_gaps` and every reader keep working.
CREATE OR REPLACE VIEW coverage_report AS SELECT * FROM coverage_report_at(now());
