/**
 * Custom search attributes: registered on the server at start (`temporal server start-dev
 * --search-attribute …`, or `temporal operator search-attribute create`), set by workflows so
 * the Temporal UI and `temporal workflow list --query` can filter on them. All share the `Ingest`
 * prefix, so they are easy to find in the UI and never collide with SQL keywords.
 *
 * The dev server's SQL visibility has 10 Keyword, 3 Int and 3 Datetime slots: keep within them.
 */
import type { SearchAttributeKey, SearchAttributeType } from '@temporalio/common/lib/search-attributes';

/** Same as the SDK's `defineSearchAttributeKey`, kept local so this module imports types only. */
function key<T extends SearchAttributeType>(name: string, type: T): SearchAttributeKey<T> {
  return { name, type };
}

export const SA = {
  /** Source id (a folder under activities/sources/). */
  source: key('IngestSource', 'KEYWORD'),
  /** Dataset id within the source, e.g. `spot-ohlcv`. */
  dataset: key('IngestDataset', 'KEYWORD'),
  market: key('IngestMarket', 'KEYWORD'),
  instrument: key('IngestInstrument', 'KEYWORD'),
  /** (`Interval` alone is a reserved word in Temporal's visibility SQL.) */
  interval: key('IngestInterval', 'KEYWORD'),
  /** What kind of job: `backfill`, `sync`, `repair`, `reference`, `universe`, `export`, `import`, `reconcile`. */
  kind: key('IngestKind', 'KEYWORD'),
  /** How far the job has got (next period it will fetch). Updated once per chunk. */
  cursor: key('IngestCursor', 'DATETIME'),
  /** Percent done, 0–100. Updated once per chunk. */
  percent: key('IngestPercent', 'INT'),
  /** Set while the job waits for its source to reopen (rate limit, quota, ban); removed after. */
  pausedUntil: key('IngestPausedUntil', 'DATETIME'),
} as const;

/** Set by Temporal on every scheduled run: the schedule's nominal time (built in, not registered by us). */
export const SCHEDULED_START_TIME = key('TemporalScheduledStartTime', 'DATETIME');

/** `Name=Type` pairs for `temporal server start-dev --search-attribute` and `operator search-attribute create`. */
export const SEARCH_ATTRIBUTE_REGISTRATIONS: ReadonlyArray<{ name: string; type: string }> = [
  { name: SA.source.name, type: 'Keyword' },
  { name: SA.dataset.name, type: 'Keyword' },
  { name: SA.market.name, type: 'Keyword' },
  { name: SA.instrument.name, type: 'Keyword' },
  { name: SA.interval.name, type: 'Keyword' },
  { name: SA.kind.name, type: 'Keyword' },
  { name: SA.cursor.name, type: 'Datetime' },
  { name: SA.percent.name, type: 'Int' },
  { name: SA.pausedUntil.name, type: 'Datetime' },
];
