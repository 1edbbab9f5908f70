-- A grant is only good for the rest of its windows: rate_budget_acquire also returns how long
-- (valid_seconds, on the database's clock: until the earliest limited window ends). A caller that
-- cannot send its request before then (a busy event loop, a slow connection) asks again instead of
-- sending a call the API would count in its next window, where the budget grants a full window anew.
DROP FUNCTION rate_budget_acquire(text, integer[], integer[], float8);

CREATE FUNCTION rate_budget_acquire(p_source text, p_windows integer[], p_limits integer[],
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
    IF w.window_start = cur_s AND w.used >= lim THEN
      IF cur_s + w.window_seconds - now_s > wait_seconds THEN
        wait_seconds := cur_s + w.window_seconds - now_s;
        reason := format('budget: %s calls per %s s used', lim, w.window_seconds);
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
