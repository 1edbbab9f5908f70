-- Parquet exports (docs/export.md): the files an export wrote or kept, with what its manifest says of
-- each. Rows of a re-planned export are replaced; the files themselves live on the destination.
CREATE TABLE export_files (
  export_id   text        NOT NULL,
  path        text        NOT NULL,
  rows        integer     NOT NULL,
  min_ts      timestamptz,
  max_ts      timestamptz,
  sha256      text        NOT NULL,
  bytes       bigint      NOT NULL,
  kept        boolean     NOT NULL,
  written_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (export_id, path)
);
