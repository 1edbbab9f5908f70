-- Keeping the plan at run time (issue 12).
--
-- 1. Fair sync ticks. A tick takes its series least recently taken first: `last_sync_tick` is the
--    nominal time of the last tick that took the series (synced it, found it awaiting its backfill,
--    or saw it fail). A tick cut short by the budget leaves the rest with an older value, so the
--    next tick takes them first: no series is left behind tick after tick.
--    Never taken: -infinity (first). `last_sync_run` is the workflow run that took it: a tick's
--    batches read only the series their run has not taken yet (a second run of the same nominal
--    time, e.g. a reset, takes every series again).
ALTER TABLE tracked_series ADD COLUMN last_sync_tick timestamptz NOT NULL DEFAULT '-infinity';
ALTER TABLE tracked_series ADD COLUMN last_sync_run text;
CREATE INDEX tracked_series_fair_sync_idx
  ON tracked_series (source, dataset, interval, last_sync_tick, market, instrument) WHERE active;

-- 2. What the syncs need, as their ticks plan it: one row per schedule (source × dataset × interval),
--    written at the start of every tick. Backfills and repairs keep this need free in every rate
--    window (syncs first); the metrics and the CLI show it next to what was used.
CREATE TABLE sync_demand (
  source          text        NOT NULL,
  dataset         text        NOT NULL,
  interval        text        NOT NULL,
  -- Series the tick syncs (tracked, initial backfill done).
  series          integer     NOT NULL,
  -- The plan: calls one tick needs (series × calls per series) and how often it ticks.
  calls_per_tick  integer     NOT NULL,
  every_seconds   integer     NOT NULL CHECK (every_seconds > 0),
  -- Series the previous tick left unsynced (it ran out of budget before the next tick was due).
  lagging         integer     NOT NULL DEFAULT 0,
  as_of           timestamptz NOT NULL,
  updated_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (source, dataset, interval)
);

-- 3. A window whose limit is zero or less grants nothing (a caller whose share of the window is
--    reserved for others). Until now a fresh window granted its first call whatever the limit.
CREATE OR REPLACE FUNCTION rate_budget_acquire(p_source text, p_windows integer[], p_limits integer[],
                                    p_guard_seconds float8 DEFAULT 0.2,
                                    OUT granted boolean, OUT wait_seconds float8, OUT reason text,
                                    OUT valid_seconds float8)
LANGUAGE plpgsql AS $$
DECLARE
  now_s   float8;
  p       record;
  w       record;
  lim     integer;
  start_s bigint;
  cur_s   bigint;
BEGIN
  granted := false;
  wait_seconds := 0;
  reason := NULL;
  valid_seconds := NULL;
  SELECT * INTO p FROM source_pauses WHERE source = p_source AND paused_until > clock_timestamp();
  IF FOUND THEN
    wait_seconds := extract(epoch FROM p.paused_until) - extract(epoch FROM clock_timestamp());
    reason := 'paused: ' || p.reason;
    RETURN;
  END IF;
  IF p_windows IS NULL OR cardinality(p_windows) = 0 THEN
    granted := true;
    RETURN;
  END IF;
  INSERT INTO rate_budget_windows (source, window_seconds)
  SELECT p_source, unnest(p_windows) ON CONFLICT DO NOTHING;
  -- Lock first (in a fixed order, so concurrent callers cannot deadlock), then read the clock.
  PERFORM 1 FROM rate_budget_windows
   WHERE source = p_source AND window_seconds = ANY (p_windows)
   ORDER BY window_seconds FOR UPDATE;
  now_s := extract(epoch FROM clock_timestamp());
  FOR w IN SELECT * FROM rate_budget_windows
           WHERE source = p_source AND window_seconds = ANY (p_windows)
           ORDER BY window_seconds LOOP
    lim := p_limits[array_position(p_windows, w.window_seconds)];
    start_s := floor(now_s / w.window_seconds)::bigint * w.window_seconds;
    cur_s := greatest(start_s, w.window_start);
    IF (w.window_start = cur_s AND w.used >= lim) OR lim <= 0 THEN
      IF cur_s + w.window_seconds - now_s > wait_seconds THEN
        wait_seconds := cur_s + w.window_seconds - now_s;
        reason := format('budget: %s calls per %s s used', greatest(lim, 0), w.window_seconds);
      END IF;
    ELSIF cur_s + w.window_seconds - now_s < p_guard_seconds AND cur_s + w.window_seconds - now_s > wait_seconds THEN
      wait_seconds := cur_s + w.window_seconds - now_s;
      reason := coalesce(reason, 'budget: window boundary guard');
    END IF;
    valid_seconds := least(coalesce(valid_seconds, 'Infinity'::float8), cur_s + w.window_seconds - now_s);
  END LOOP;
  IF wait_seconds > 0 THEN
    valid_seconds := NULL;
    RETURN;
  END IF;
  UPDATE rate_budget_windows
     SET used = CASE WHEN window_start >= floor(now_s / window_seconds)::bigint * window_seconds THEN used + 1 ELSE 1 END,
         window_start = greatest(window_start, floor(now_s / window_seconds)::bigint * window_seconds)
   WHERE source = p_source AND window_seconds = ANY (p_windows);
  granted := true;
END
$$;
