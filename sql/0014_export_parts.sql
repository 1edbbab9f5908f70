-- An export's plan, kept in the database rather than in the workflow's history (an export of tens
-- of thousands of files would not fit one activity result): its parts in order, with their file
-- paths. The manifest lists the files of the current plan only (not what an older run recorded).
CREATE TABLE export_parts (
  export_id   text    NOT NULL,
  idx         integer NOT NULL,
  market      text    NOT NULL,
  instrument  text    NOT NULL,
  interval    text    NOT NULL,
  month       text    NOT NULL,
  path        text    NOT NULL,
  PRIMARY KEY (export_id, idx)
);
