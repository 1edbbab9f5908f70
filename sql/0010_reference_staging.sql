-- Up Migration
-- Reference snapshots staged page by page. `fetchReferenceSnapshot` writes each page here as it is
-- fetched, keyed by its job (the workflow ID, `reference/<source>/<dataset>[/<variant>]/<day>`), so
-- a pause or a worker crash loses nothing: the next call resumes from the last page's `next_token`.
-- When the last page is in, the pages are read back in order and written into `assets`,
-- `top_list_snapshots`, `markets` and `instruments` in one transaction that also deletes them, so
-- the reference tables still see a snapshot whole or not at all.

CREATE TABLE reference_staging (
  job_id           text        NOT NULL,
  -- 1, 2, … in fetch order, without gaps.
  page             integer     NOT NULL CHECK (page > 0),
  -- sha256 of the refresh's source, dataset and parameters: pages of another input are not resumed.
  input_sha256     text        NOT NULL,
  -- The page as the source module returned it (records, warnings, unknown fields), NULs escaped.
  page_json        jsonb       NOT NULL,
  request          text        NOT NULL,
  response_sha256  text        NOT NULL,
  -- The API's clock (its Date header) when it answered: dates the snapshot.
  server_time      timestamptz,
  -- The token of the page after this one; NULL on the snapshot's last page.
  next_token       text,
  staged_at        timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (job_id, page)
);
