/**
 * The embedded default's jobs and how it shows them (`npm start`, `npm run demo`): the demo's
 * series and reference snapshots (`config/demo.json`), one-line descriptions of backfill progress, sync ticks and
 * snapshots, and the rows stored for a request. Starting and querying is `client/`'s.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import { findSource } from '../activities/sources/index';
import type { BackfillRequest } from '../client/backfill';
import type { BackfillProgress } from '../workflows/contracts/backfill';
import { canonicalTime } from '../workflows/contracts/ids';
import type { SyncDatasetProgress } from '../workflows/contracts/sync';
import type { RefreshReferenceInput, RefreshReferenceProgress } from '../workflows/contracts/reference';
import { alignDown, type SeriesKey } from '../workflows/contracts/series';
import { REPO_ROOT } from './processes';

export function label(r: SeriesKey): string {
  return `${r.dataset} ${r.market} ${r.instrument} ${r.interval}`;
}

export function describeProgress(p: BackfillProgress | undefined): string {
  if (!p) return 'waiting for a worker';
  if (p.status === 'planning') return 'planning';
  return `${String(p.percent).padStart(3)}%  rows ${p.rowsReceived} (new ${p.rowsInserted})  pages ${p.pages}  cursor ${p.cursor ?? '-'}`;
}

/** Sync runs started by this project's schedules: `crypto-ingest/sync/<s>/<d>/<i>-<nominal time>`. */
const SCHEDULED_SYNC = /^crypto-ingest\/sync\/(.+)-\d{4}-\d\d-\d\dT[\d:]+Z$/;

/** The newest run of each sync schedule, from workflow IDs listed newest first. */
export function latestTickPerSchedule(workflowIds: readonly string[]): Array<{ schedule: string; workflowId: string }> {
  const seen = new Map<string, string>();
  for (const id of workflowIds) {
    const schedule = SCHEDULED_SYNC.exec(id)?.[1];
    if (schedule && !seen.has(schedule)) seen.set(schedule, id);
  }
  return [...seen].map(([schedule, workflowId]) => ({ schedule, workflowId }));
}

/** `data-api/spot-ohlcv/1m @04:15 2/2 up to date[, n awaiting backfill][, n failed]`. */
export function describeTick(schedule: string, r: SyncDatasetProgress): string {
  const at = r.asOf ? ` @${r.asOf.slice(11, 16)}` : '';
  return (
    `${schedule}${at} ${r.upToDate}/${r.series} up to date` +
    (r.pendingBackfill ? `, ${r.pendingBackfill} awaiting backfill` : '') +
    (r.failed ? `, ${r.failed} failed` : '')
  );
}

export function describeReference(p: RefreshReferenceProgress): string {
  return `snapshot of ${p.snapshotDate}: ${p.assets} assets, ${p.topList} ranked, ${p.markets} markets, ${p.instruments} instruments (${p.changed} new or changed)`;
}

/** A few characters: `waiting`, `planning` or the percentage. */
export function shortProgress(p: BackfillProgress | undefined): string {
  if (!p) return 'waiting';
  return p.status === 'planning' ? 'planning' : `${p.percent}%`;
}

/** The embedded default's jobs (`config/demo.json`): reference snapshots, then series to backfill. */
interface DemoConfig {
  readonly references: RefreshReferenceInput[];
  readonly backfills: Array<SeriesKey & { readonly days: number }>;
}

function demoConfig(): DemoConfig {
  return JSON.parse(readFileSync(path.join(REPO_ROOT, 'config', 'demo.json'), 'utf8')) as DemoConfig;
}

/**
 * The embedded default's series: each over its last `days` days, ending at the start of today (UTC)
 * so their IDs are stable within a day.
 */
export function demoBackfills(now = Date.now()): BackfillRequest[] {
  const today = alignDown(Math.floor(now / 1000), '1d');
  return demoConfig().backfills.map(({ days, ...series }) => ({
    ...series,
    from: canonicalTime(today - days * 86_400),
    to: canonicalTime(today),
  }));
}

/** Reference snapshots the embedded default takes first (instruments give backfills their floor). */
export function demoReferences(): RefreshReferenceInput[] {
  return demoConfig().references;
}

/** Rows stored for a backfill request's series and range, counted in its dataset's table. */
export async function countStoredRows(pool: pg.Pool, r: BackfillRequest): Promise<number> {
  const dataset = findSource(r.source)?.datasets[r.dataset];
  if (!dataset) throw new Error(`unknown dataset ${r.source}/${r.dataset}`);
  const cols = dataset.seriesColumns.map((c) => c.name);
  const where = cols.map((c, i) => `"${c}" = $${i + 1}`).join(' AND ');
  const res = await pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM "${dataset.table}"
     WHERE ${where} AND ts >= $${cols.length + 1}::timestamptz AND ts < $${cols.length + 2}::timestamptz`,
    [...dataset.seriesValues(r), r.from, r.to],
  );
  return res.rows[0]!.n;
}
