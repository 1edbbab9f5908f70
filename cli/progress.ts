/**
 * Reading each workflow type's `progress` query result as one line and a percentage. The types
 * are the workflow contracts'; anything unknown prints its status and numeric fields.
 */
import type { BackfillProgress } from '../workflows/contracts/backfill';
import type { RepairCoverageProgress } from '../workflows/contracts/repair';
import type { SyncDatasetProgress } from '../workflows/contracts/sync';
import type { RefreshUniverseProgress } from '../workflows/contracts/universe';
import type { BackfillUniverseProgress } from '../workflows/contracts/universe-backfill';
import type { RefreshReferenceProgress } from '../workflows/contracts/reference';
import { formatCount as n, formatInstant, percentBar } from './output';

export interface ProgressView {
  /** 0–100 for a progress bar. */
  readonly percent: number;
  /** The main counters, one line. */
  readonly text: string;
  readonly completed: boolean;
}

export const WAITING_FOR_WORKER = 'waiting for a worker';

const pct = (done: number, total: number) => (total > 0 ? Math.min(100, Math.floor((done / total) * 100)) : 0);

function pausedSuffix(p: { status?: string; pausedUntil?: string; pauseReason?: string }): string {
  if (p.status !== 'paused' && !p.pausedUntil) return '';
  return `  paused until ${formatInstant(p.pausedUntil)}${p.pauseReason ? ` (${p.pauseReason})` : ''}`;
}

function backfill(p: BackfillProgress): ProgressView {
  if (p.status === 'planning') return { percent: 0, text: 'planning', completed: false };
  const text =
    `${String(p.percent).padStart(3)}%  rows ${n(p.rowsReceived)} (new ${n(p.rowsInserted)})  pages ${n(p.pages)}` +
    `  cursor ${formatInstant(p.cursor)}${pausedSuffix(p)}`;
  return { percent: p.percent, text, completed: p.status === 'completed' };
}

function sync(p: SyncDatasetProgress): ProgressView {
  const text =
    `${p.status}  batches ${p.batchesDone}/${p.batches}  series ${n(p.series)}: synced ${n(p.synced)}, up to date ${n(p.upToDate)},` +
    ` awaiting backfill ${n(p.pendingBackfill)}  rows new ${n(p.rowsInserted)}, updated ${n(p.rowsUpdated)}${pausedSuffix(p)}`;
  const done = p.status === 'completed';
  return { percent: done ? 100 : pct(p.batchesDone, p.batches), text, completed: done };
}

function universeBackfill(p: BackfillUniverseProgress): ProgressView {
  const text =
    `${p.status}  series started ${n(p.started)}: completed ${n(p.completed)}, running ${n(p.running)}, failed ${n(p.failed)}` +
    `  rows ${n(p.rows)}`;
  const done = p.status === 'completed';
  return { percent: done ? 100 : pct(p.completed + p.failed, p.started), text, completed: done };
}

function repair(p: RepairCoverageProgress): ProgressView {
  const text =
    `${p.status}  ranges ${p.rangesDone}/${p.ranges}  series ${n(p.series)}  missing ${n(p.missing)}: filled ${n(p.filled)},` +
    ` certified empty ${n(p.certified)}, remaining ${n(p.remaining)}${pausedSuffix(p)}`;
  const done = p.status === 'completed';
  return { percent: done ? 100 : pct(p.rangesDone, p.ranges), text, completed: done };
}

const UNIVERSE_STEPS: ReadonlyArray<RefreshUniverseProgress['status']> = [
  'refreshing-references',
  'resolving',
  'starting-backfills',
  'completed',
];

function universe(p: RefreshUniverseProgress): ProgressView {
  const text =
    `${p.status}  references ${n(p.references)}  tracked ${n(p.tracked)} (+${n(p.added)} -${n(p.removed)})` +
    `  awaiting backfill ${n(p.pendingBackfill)}${p.backfillWorkflowId ? `  → ${p.backfillWorkflowId}` : ''}` +
    (p.unlisted?.length ? `  NOT LISTED, not tracked: ${p.unlisted.join(', ')}` : '');
  const step = Math.max(0, UNIVERSE_STEPS.indexOf(p.status));
  return { percent: pct(step, UNIVERSE_STEPS.length - 1), text, completed: p.status === 'completed' };
}

function reference(p: RefreshReferenceProgress): ProgressView {
  const text =
    `${p.status}  pages ${n(p.pages)}  assets ${n(p.assets)}, ranked ${n(p.topList)}, markets ${n(p.markets)},` +
    ` instruments ${n(p.instruments)} (${n(p.changed)} new or changed)${pausedSuffix(p)}`;
  const done = p.status === 'completed';
  return { percent: done ? 100 : 0, text, completed: done };
}

function generic(p: Record<string, unknown>): ProgressView {
  const status = typeof p.status === 'string' ? p.status : 'running';
  const counters = Object.entries(p)
    .filter(([, v]) => typeof v === 'number')
    .map(([k, v]) => `${k} ${n(v as number)}`)
    .join(', ');
  const done = status === 'completed';
  return {
    percent: done ? 100 : typeof p.percent === 'number' ? p.percent : 0,
    text: `${status}${counters ? `  ${counters}` : ''}${pausedSuffix(p as { status?: string; pausedUntil?: string })}`,
    completed: done,
  };
}

/** The view of a workflow's progress; `undefined` progress means no worker answered the query. */
export function viewProgress(workflowType: string, progress: unknown): ProgressView {
  if (progress === undefined || progress === null || typeof progress !== 'object') {
    return { percent: 0, text: WAITING_FOR_WORKER, completed: false };
  }
  switch (workflowType) {
    case 'backfillSeries':
      return backfill(progress as BackfillProgress);
    case 'syncDataset':
      return sync(progress as SyncDatasetProgress);
    case 'backfillUniverse':
      return universeBackfill(progress as BackfillUniverseProgress);
    case 'repairCoverage':
      return repair(progress as RepairCoverageProgress);
    case 'refreshUniverse':
      return universe(progress as RefreshUniverseProgress);
    case 'refreshReference':
      return reference(progress as RefreshReferenceProgress);
    default:
      return generic(progress as Record<string, unknown>);
  }
}

/** The one-line form for lists: a percent bar in front for backfills (they have a true percentage). */
export function progressLine(workflowType: string, progress: unknown): string {
  const v = viewProgress(workflowType, progress);
  if (workflowType === 'backfillSeries' && progress && v.text !== 'planning')
    return `${percentBar(v.percent)} ${v.text}`;
  return v.text;
}

/** `spot-ohlcv kraken BTC-USD 1h` for a backfill's business key; the ID itself otherwise. */
export function workflowLabel(workflowId: string): string {
  const m = /^backfill\/[^/]+\/([^/]+)\/([^/]+)\/([^/]+)\/([^/]+)\//.exec(workflowId);
  return m ? `${m[1]} ${m[2]} ${m[3]} ${m[4]}` : workflowId;
}

/** The completed backfill's summary (its result is its final progress). */
export function backfillSummary(p: BackfillProgress): string[] {
  const lines = [
    `  rows ${n(p.rowsReceived)} received: ${n(p.rowsInserted)} new, ${n(p.rowsUpdated)} updated, ${n(p.rowsUnchanged)} unchanged, ${n(p.rowsQuarantined ?? 0)} quarantined`,
    `  ${n(p.pages)} page${p.pages === 1 ? '' : 's'} in ${n(p.chunks)} chunk${p.chunks === 1 ? '' : 's'}, ${n(p.runs)} run${p.runs === 1 ? '' : 's'}` +
      `${p.pauses ? `, paused ${p.pauses}×` : ''}; range ${formatInstant(p.from)} → ${formatInstant(p.to)}`,
  ];
  if (p.note) lines.push(`  note: ${p.note}`);
  return lines;
}
