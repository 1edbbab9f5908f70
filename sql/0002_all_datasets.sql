-- Up Migration
-- Every dataset of both APIs: fact tables (time-partitioned), reference tables, quarantine and
-- schema-drift records, the fleet-wide rate budget and source pauses.

------------------------------------------------------------------------------------------------
-- Lineage: how many rows of a chunk were quarantined.
ALTER TABLE ingestion_runs ADD COLUMN rows_quarantined integer NOT NULL DEFAULT 0;
-- Reference refreshes are recorded too; they have no interval or time window.
ALTER TABLE ingestion_runs ALTER COLUMN interval DROP NOT NULL;
ALTER TABLE ingestion_runs ALTER COLUMN window_from DROP NOT NULL;
ALTER TABLE ingestion_runs ALTER COLUMN window_to DROP NOT NULL;

------------------------------------------------------------------------------------------------
-- Futures OHLCV (Data API /futures/v1/historical/*): spot's columns plus contracts traded.
CREATE TABLE futures_ohlcv (LIKE spot_ohlcv INCLUDING DEFAULTS INCLUDING CONSTRAINTS) PARTITION BY RANGE (ts);
ALTER TABLE futures_ohlcv ADD COLUMN number_of_contracts float8;
ALTER TABLE futures_ohlcv ADD PRIMARY KEY (market, instrument, interval, ts);

-- Futures open interest (Data API /futures/v1/historical/open-interest/*). *_settlement: OI in
-- settlement/contract units; *_quote: OI value in the quote currency; *_mark_price: mark price.
CREATE TABLE futures_open_interest (
  market                       text        NOT NULL,
  instrument                   text        NOT NULL,
  interval                     text        NOT NULL CHECK (interval IN ('1m', '1h', '1d')),
  ts                           timestamptz NOT NULL,
  open_settlement              float8      NOT NULL,
  open_mark_price              float8,
  open_quote                   float8,
  high_settlement              float8      NOT NULL,
  high_settlement_mark_price   float8,
  high_mark_price              float8,
  high_mark_price_settlement   float8,
  high_quote                   float8,
  high_quote_mark_price        float8,
  low_settlement               float8      NOT NULL,
  low_settlement_mark_price    float8,
  low_mark_price               float8,
  low_mark_price_settlement    float8,
  low_quote                    float8,
  low_quote_mark_price         float8,
  close_settlement             float8      NOT NULL,
  close_mark_price             float8,
  close_quote                  float8,
  total_updates                bigint      NOT NULL,
  is_filler                    boolean     NOT NULL,
  is_final                     boolean     NOT NULL,
  ingest_run_id                bigint      NOT NULL,
  updated_at                   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (market, instrument, interval, ts)
) PARTITION BY RANGE (ts);

-- Futures funding rate (Data API /futures/v1/historical/funding-rate/*): fractions per funding
-- interval (interval_ms), signed.
CREATE TABLE futures_funding_rate (
  market         text        NOT NULL,
  instrument     text        NOT NULL,
  interval       text        NOT NULL CHECK (interval IN ('1m', '1h', '1d')),
  ts             timestamptz NOT NULL,
  interval_ms    bigint,
  open           float8      NOT NULL,
  high           float8      NOT NULL,
  low            float8      NOT NULL,
  close          float8      NOT NULL,
  total_updates  bigint      NOT NULL,
  is_filler      boolean     NOT NULL,
  is_final       boolean     NOT NULL,
  ingest_run_id  bigint      NOT NULL,
  updated_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (market, instrument, interval, ts)
) PARTITION BY RANGE (ts);

-- Aggregate / exchange OHLCV (min-api /data/v2/histo*): exchange is CCCAGG or an exchange name
-- as CryptoCompare spells it. All-zero pre-history rows are never stored.
CREATE TABLE minapi_ohlcv (
  exchange           text        NOT NULL,
  fsym               text        NOT NULL,
  tsym               text        NOT NULL,
  interval           text        NOT NULL CHECK (interval IN ('1m', '1h', '1d')),
  ts                 timestamptz NOT NULL,
  open               float8      NOT NULL,
  high               float8      NOT NULL,
  low                float8      NOT NULL,
  close              float8      NOT NULL,
  volume_from        float8      NOT NULL,
  volume_to          float8      NOT NULL,
  conversion_type    text,
  conversion_symbol  text,
  is_filler          boolean     NOT NULL,
  is_final           boolean     NOT NULL,
  ingest_run_id      bigint      NOT NULL,
  updated_at         timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (exchange, fsym, tsym, interval, ts)
) PARTITION BY RANGE (ts);

------------------------------------------------------------------------------------------------
-- Bad data is never silent: rows that break an invariant land here with their raw JSON, the
-- reason and the run that saw them, never in a fact table. A re-fetch of the same bad row does
-- not add a second entry.
CREATE TABLE quarantine (
  id             bigserial   PRIMARY KEY,
  source         text        NOT NULL,
  dataset        text        NOT NULL,
  market         text        NOT NULL,
  instrument     text        NOT NULL,
  interval       text,
  ts             timestamptz,
  reason         text        NOT NULL,
  raw            jsonb       NOT NULL,
  raw_sha256     text        NOT NULL,
  request        text,
  ingest_run_id  bigint      REFERENCES ingestion_runs (id),
  workflow_id    text,
  first_seen_at  timestamptz NOT NULL DEFAULT now(),
  UNIQUE (source, dataset, market, instrument, raw_sha256, reason)
);
CREATE INDEX quarantine_series_idx ON quarantine (source, dataset, market, instrument, interval, ts);

-- Fields an API started sending that the schema does not know: accepted, recorded once.
CREATE TABLE schema_drift (
  source         text        NOT NULL,
  dataset        text        NOT NULL,
  field          text        NOT NULL,
  sample         jsonb,
  request        text,
  ingest_run_id  bigint      REFERENCES ingestion_runs (id),
  first_seen_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (source, dataset, field)
);

------------------------------------------------------------------------------------------------
-- Fleet-wide rate budget: one row per budget (a source, plus a fingerprint of its API key when
-- one is used: quotas are per key) and window length, holding the current fixed
-- window (epoch-aligned, on the database clock: one clock for every worker) and the calls
-- granted in it. `rate_budget_acquire` grants a call only if every window has room.
CREATE TABLE rate_budget_windows (
  source          text    NOT NULL,
  window_seconds  integer NOT NULL CHECK (window_seconds > 0),
  window_start    bigint  NOT NULL DEFAULT 0,
  used            integer NOT NULL DEFAULT 0,
  PRIMARY KEY (source, window_seconds)
);

-- A paused source (per budget key, as above): no worker calls it before paused_until (set by a
-- 429 / quota / ban answer, by an exhausted window reported in the API's headers, or by an operator).
CREATE TABLE source_pauses (
  source        text        PRIMARY KEY,
  paused_until  timestamptz NOT NULL,
  reason        text        NOT NULL,
  set_by        text        NOT NULL,
  set_at        timestamptz NOT NULL DEFAULT now()
);

-- Returns (granted, wait_seconds, reason). granted = false with wait_seconds > 0 means: nothing
-- was counted; try again after that long. A pause is reported with reason 'paused: …'.
-- Guard band: no call is granted in the last p_guard_seconds of a limited window, because a call
-- granted then could reach the API after the boundary and count in the next window there, where
-- the budget would grant a full window again.
CREATE FUNCTION rate_budget_acquire(p_source text, p_windows integer[], p_limits integer[],
                                    p_guard_seconds float8 DEFAULT 0.2,
                                    OUT granted boolean, OUT wait_seconds float8, OUT reason text)
LANGUAGE plpgsql AS $$
DECLARE
  now_s   float8 := extract(epoch FROM clock_timestamp());
  p       record;
  w       record;
  lim     integer;
  start_s bigint;
BEGIN
  granted := false;
  wait_seconds := 0;
  reason := NULL;
  SELECT * INTO p FROM source_pauses WHERE source = p_source AND paused_until > clock_timestamp();
  IF FOUND THEN
    wait_seconds := extract(epoch FROM p.paused_until) - now_s;
    reason := 'paused: ' || p.reason;
    RETURN;
  END IF;
  IF p_windows IS NULL OR cardinality(p_windows) = 0 THEN
    granted := true;
    RETURN;
  END IF;
  INSERT INTO rate_budget_windows (source, window_seconds)
  SELECT p_source, unnest(p_windows) ON CONFLICT DO NOTHING;
  FOR w IN SELECT * FROM rate_budget_windows
           WHERE source = p_source AND window_seconds = ANY (p_windows)
           ORDER BY window_seconds FOR UPDATE LOOP
    lim := p_limits[array_position(p_windows, w.window_seconds)];
    start_s := floor(now_s / w.window_seconds)::bigint * w.window_seconds;
    IF w.window_start = start_s AND w.used >= lim THEN
      IF start_s + w.window_seconds - now_s > wait_seconds THEN
        wait_seconds := start_s + w.window_seconds - now_s;
        reason := format('budget: %s calls per %s s used', lim, w.window_seconds);
      END IF;
    ELSIF start_s + w.window_seconds - now_s < p_guard_seconds AND start_s + w.window_seconds - now_s > wait_seconds THEN
      wait_seconds := start_s + w.window_seconds - now_s;
      reason := coalesce(reason, 'budget: window boundary guard');
    END IF;
  END LOOP;
  IF wait_seconds > 0 THEN
    RETURN;
  END IF;
  UPDATE rate_budget_windows
     SET used = CASE WHEN window_start = floor(now_s / window_seconds)::bigint * window_seconds THEN used + 1 ELSE 1 END,
         window_start = floor(now_s / window_seconds)::bigint * window_seconds
   WHERE source = p_source AND window_seconds = ANY (p_windows);
  granted := true;
END
$$;

------------------------------------------------------------------------------------------------
-- Reference data.

CREATE TABLE assets (
  source          text        NOT NULL,
  asset_id        text        NOT NULL,
  symbol          text        NOT NULL,
  name            text,
  asset_type      text,
  launch_date     date,
  price_usd       float8,
  market_cap_usd  float8,
  supply_circulating float8,
  attributes      jsonb       NOT NULL DEFAULT '{}'::jsonb,
  ingest_run_id   bigint      REFERENCES ingestion_runs (id),
  first_seen_at   timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (source, asset_id)
);
CREATE INDEX assets_symbol_idx ON assets (source, symbol);

-- Dated top-list snapshots with rank: what the list looked like on each day it was fetched
-- (survivorship-safe universes).
CREATE TABLE top_list_snapshots (
  source         text    NOT NULL,
  list           text    NOT NULL,
  quote          text    NOT NULL,
  snapshot_date  date    NOT NULL,
  rank           integer NOT NULL CHECK (rank > 0),
  asset_id       text    NOT NULL,
  symbol         text    NOT NULL,
  price          float8,
  market_cap     float8,
  volume_24h     float8,
  ingest_run_id  bigint  REFERENCES ingestion_runs (id),
  PRIMARY KEY (source, list, quote, snapshot_date, rank)
);
CREATE INDEX top_list_snapshots_asset_idx ON top_list_snapshots (source, list, quote, symbol, snapshot_date);

CREATE TABLE markets (
  source         text        NOT NULL,
  kind           text        NOT NULL CHECK (kind IN ('spot', 'futures')),
  market         text        NOT NULL,
  status         text,
  attributes     jsonb       NOT NULL DEFAULT '{}'::jsonb,
  ingest_run_id  bigint      REFERENCES ingestion_runs (id),
  first_seen_at  timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (source, kind, market)
);

-- Instruments per market, with first/last trade (the backfill floor) and status. For the
-- min-api, `first_trade_ts` is `histo_minute_start_ts` from /data/v4/all/exchanges.
CREATE TABLE instruments (
  source             text        NOT NULL,
  kind               text        NOT NULL CHECK (kind IN ('spot', 'futures')),
  market             text        NOT NULL,
  instrument         text        NOT NULL,
  native_instrument  text,
  base               text,
  quote              text,
  status             text,
  first_trade_ts     timestamptz,
  last_trade_ts      timestamptz,
  expires_at         timestamptz,
  attributes         jsonb       NOT NULL DEFAULT '{}'::jsonb,
  ingest_run_id      bigint      REFERENCES ingestion_runs (id),
  first_seen_at      timestamptz NOT NULL DEFAULT now(),
  last_seen_at       timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (source, kind, market, instrument)
);

-- The old system's get_top_assets.sql: the top N assets of a list as of a date, from the latest
-- snapshot taken on or before that date.
CREATE FUNCTION top_assets(p_as_of date, p_n integer DEFAULT 50, p_source text DEFAULT 'data-api',
                           p_list text DEFAULT 'circulating_mkt_cap_usd', p_quote text DEFAULT 'USD')
RETURNS TABLE (rank integer, asset_id text, symbol text, market_cap float8, price float8, snapshot_date date)
LANGUAGE sql STABLE AS $$
  SELECT t.rank, t.asset_id, t.symbol, t.market_cap, t.price, t.snapshot_date
  FROM top_list_snapshots t
  WHERE t.source = p_source AND t.list = p_list AND t.quote = p_quote
    AND t.snapshot_date = (SELECT max(s.snapshot_date) FROM top_list_snapshots s
                           WHERE s.source = p_source AND s.list = p_list AND s.quote = p_quote
                             AND s.snapshot_date <= p_as_of)
    AND t.rank <= p_n
  ORDER BY t.rank
$$;
