-- Cross-source reconciliation (docs/reconciliation.md): per run, what was compared; per disagreement
-- beyond the tolerance, both values. One row per pair of series, hour (period) and column: a later run
-- that sees the same disagreement updates it (last_seen_at), one that no longer sees it leaves it
-- (resolved_at stays NULL until a run compares the period again and finds agreement).
CREATE TABLE reconcile_runs (
  id            bigserial   PRIMARY KEY,
  as_of         timestamptz NOT NULL,
  since         timestamptz NOT NULL,
  pairs         integer     NOT NULL,
  compared      bigint      NOT NULL,
  disagreements bigint      NOT NULL,
  workflow_id   text        NOT NULL,
  started_at    timestamptz NOT NULL DEFAULT now(),
  -- NULL while the run is going (or if its activity gave up: a retry goes on with the same run).
  finished_at   timestamptz
);

CREATE TABLE reconcile_diffs (
  left_source    text        NOT NULL,
  left_dataset   text        NOT NULL,
  right_source   text        NOT NULL,
  right_dataset  text        NOT NULL,
  market         text        NOT NULL,
  instrument     text        NOT NULL,
  interval       text        NOT NULL,
  ts             timestamptz NOT NULL,
  column_name    text        NOT NULL,
  left_value     float8      NOT NULL,
  right_value    float8      NOT NULL,
  -- |left − right| / max(|left|, |right|)
  relative_diff  float8      NOT NULL,
  tolerance      float8      NOT NULL,
  first_seen_at  timestamptz NOT NULL DEFAULT now(),
  last_seen_at   timestamptz NOT NULL DEFAULT now(),
  resolved_at    timestamptz,
  run_id         bigint      NOT NULL REFERENCES reconcile_runs (id),
  PRIMARY KEY (left_source, left_dataset, right_source, right_dataset, market, instrument, interval, ts, column_name)
);
CREATE INDEX reconcile_diffs_open_idx ON reconcile_diffs (last_seen_at) WHERE resolved_at IS NULL;
