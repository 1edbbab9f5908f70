/**
 * The schedules a universe config asks for, as pure data (`desiredSchedules`), and their Temporal
 * form (`toScheduleOptions`). `schedules apply` compares each desired schedule's `hash` (over its
 * spec, action and policies) with the one recorded on the server to decide create / update / leave.
 *
 * Where the hash is recorded: the schedule's memo `{ managedBy, hash }` is written at creation, but
 * Temporal cannot change a schedule's memo afterwards (UpdateSchedule replaces spec, action, policies
 * and state only). So the hash also travels in the action's workflow memo (`scheduleHash`), which
 * an update does replace; `recordedHash` reads that one first.
 */
import { createHash } from 'node:crypto';
import { ScheduleOverlapPolicy, type ScheduleDescription, type ScheduleOptions } from '@temporalio/client';
import type { SearchAttributePair } from '@temporalio/common';
import { SCHEDULE_IDS } from '../workflows/contracts/ids';
import type { RepairCoverageInput } from '../workflows/contracts/repair';
import type { ReconcileSourcesInput } from '../workflows/contracts/reconcile';
import type { SyncDatasetInput } from '../workflows/contracts/sync';
import type { RefreshUniverseInput, UniverseConfig } from '../workflows/contracts/universe';
import { SA } from '../workflows/contracts/search-attributes';
import { parseDurationMs, type Interval } from '../workflows/contracts/series';
import { ConfigError } from '../activities/errors';

export const MANAGED_BY = 'crypto-ingest';

export interface Timing {
  readonly every: string;
  readonly offset: string;
  readonly catchupWindow: string;
}

/** Default timings: a sync runs shortly after each period closes; catch-up covers a short outage. */
export const SCHEDULE_DEFAULTS: {
  readonly universe: Timing;
  readonly sync: Readonly<Record<Interval, Timing>>;
  readonly repair: Timing;
  readonly reconcile: Timing;
} = {
  universe: { every: '1h', offset: '2m', catchupWindow: '2h' },
  sync: {
    '1m': { every: '1m', offset: '5s', catchupWindow: '10m' },
    '1h': { every: '1h', offset: '1m', catchupWindow: '2h' },
    '1d': { every: '1d', offset: '10m', catchupWindow: '2d' },
  },
  repair: { every: '1d', offset: '30m', catchupWindow: '1d' },
  reconcile: { every: '1d', offset: '45m', catchupWindow: '1d' },
};

export type ScheduleKind = 'universe' | 'sync' | 'repair' | 'reconcile';

export interface DesiredSchedule {
  readonly id: string;
  readonly kind: ScheduleKind;
  readonly workflowType: 'refreshUniverse' | 'syncDataset' | 'repairCoverage' | 'reconcileSources';
  readonly taskQueue: string;
  readonly args: [RefreshUniverseInput] | [SyncDatasetInput] | [RepairCoverageInput] | [ReconcileSourcesInput];
  /** As configured (for display). */
  readonly timing: Timing;
  readonly everyMs: number;
  readonly offsetMs: number;
  readonly catchupWindowMs: number;
  /** Search attributes of the started workflows, by name (IngestKind, IngestSource, …). */
  readonly searchAttributes: Readonly<Record<string, string>>;
  /** Stable hash of spec + action + policies. */
  readonly hash: string;
}

/** JSON with object keys sorted at every level (undefined members dropped): equal data, equal text. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

export function scheduleHash(d: Omit<DesiredSchedule, 'hash' | 'timing' | 'kind'>): string {
  const basis = {
    spec: { every: d.everyMs, offset: d.offsetMs },
    action: {
      workflowType: d.workflowType,
      workflowId: d.id,
      taskQueue: d.taskQueue,
      args: d.args,
      searchAttributes: d.searchAttributes,
    },
    policies: { overlap: 'SKIP', catchupWindow: d.catchupWindowMs },
  };
  return createHash('sha256').update(canonicalJson(basis)).digest('hex').slice(0, 16);
}

/**
 * The config a universe refresh runs with: without `schedules` (timings) and `sync` (tuning), which
 * only `schedules apply` reads (they become the schedules' specs and the syncs' args). So editing a
 * timing updates that schedule alone, not the universe refresh too.
 */
export function universeInputConfig(config: UniverseConfig): UniverseConfig {
  const { schedules: _schedules, sync: _sync, reconcile: _reconcile, ...rest } = config;
  return rest;
}

/** A duration in its largest whole unit (`60m` → `1h`): the same timing, the same schedule hash. */
export function canonicalDuration(ms: number): string {
  for (const [unit, size] of [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1_000],
  ] as const)
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  return `${ms}ms`;
}

function timingOf(
  where: string,
  defaults: Timing,
  override: { every: string; offset?: string } | undefined,
  problems: string[],
): { timing: Timing; everyMs: number; offsetMs: number; catchupWindowMs: number } {
  const every = override?.every ?? defaults.every;
  const everyMs = parseDurationMs(every);
  const defaultOffsetMs = parseDurationMs(defaults.offset)!;
  // A configured `every` without an offset keeps the default offset when it still fits.
  const offset = override?.offset ?? (everyMs === undefined || defaultOffsetMs < everyMs ? defaults.offset : '0s');
  const offsetMs = parseDurationMs(offset);
  if (everyMs === undefined || everyMs < 1_000)
    problems.push(`${where}.every: '${every}' is not a duration like 5m, 1h`);
  if (offsetMs === undefined) problems.push(`${where}.offset: '${offset}' is not a duration like 30s, 2m`);
  if (everyMs !== undefined && offsetMs !== undefined && offsetMs >= everyMs) {
    problems.push(`${where}: offset ${offset} must be shorter than every ${every}`);
  }
  return {
    timing: { every, offset, catchupWindow: defaults.catchupWindow },
    everyMs: everyMs ?? 0,
    offsetMs: offsetMs ?? 0,
    catchupWindowMs: parseDurationMs(defaults.catchupWindow)!,
  };
}

/**
 * The schedules a (validated) config asks for, in a stable order: the universe refresh, one sync
 * per distinct source × dataset × interval of the track rules (sorted by id), the coverage repair.
 * Throws `ConfigError` (every problem) for timings Temporal would reject.
 */
export function desiredSchedules(config: UniverseConfig, taskQueue: string): DesiredSchedule[] {
  const problems: string[] = [];
  const out: DesiredSchedule[] = [];
  const add = (d: Omit<DesiredSchedule, 'hash'>) => out.push({ ...d, hash: scheduleHash(d) });

  const u = timingOf('schedules.universe', SCHEDULE_DEFAULTS.universe, config.schedules?.universe, problems);
  add({
    id: SCHEDULE_IDS.universe,
    kind: 'universe',
    workflowType: 'refreshUniverse',
    taskQueue,
    args: [{ config: universeInputConfig(config) }],
    ...u,
    searchAttributes: { [SA.kind.name]: 'universe' },
  });

  const syncs = new Map<string, { source: string; dataset: string; interval: Interval }>();
  for (const rule of config.track) {
    for (const interval of rule.intervals) {
      const id = SCHEDULE_IDS.sync(rule.source, rule.dataset, interval);
      syncs.set(id, { source: rule.source, dataset: rule.dataset, interval });
    }
  }
  for (const [id, s] of [...syncs].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const t = timingOf(
      `schedules.sync.${s.interval}`,
      SCHEDULE_DEFAULTS.sync[s.interval],
      config.schedules?.sync?.[s.interval],
      problems,
    );
    const lookback = config.sync?.lookbackPeriods?.[s.interval];
    const input: SyncDatasetInput = {
      source: s.source,
      dataset: s.dataset,
      interval: s.interval,
      ...(lookback !== undefined ? { lookbackPeriods: lookback } : {}),
      ...(config.sync?.batchSize !== undefined ? { batchSize: config.sync.batchSize } : {}),
      ...(config.sync?.concurrency !== undefined ? { concurrency: config.sync.concurrency } : {}),
      // The tick knows when the next is due: it keeps the plan (fair, syncs first, lag reported).
      tickEvery: canonicalDuration(t.everyMs),
    };
    add({
      id,
      kind: 'sync',
      workflowType: 'syncDataset',
      taskQueue,
      args: [input],
      ...t,
      searchAttributes: {
        [SA.kind.name]: 'sync',
        [SA.source.name]: s.source,
        [SA.dataset.name]: s.dataset,
        [SA.interval.name]: s.interval,
      },
    });
  }

  const r = timingOf('schedules.repair', SCHEDULE_DEFAULTS.repair, config.schedules?.repair, problems);
  add({
    id: SCHEDULE_IDS.repair,
    kind: 'repair',
    workflowType: 'repairCoverage',
    taskQueue,
    args: [{}],
    ...r,
    searchAttributes: { [SA.kind.name]: 'repair' },
  });

  if (config.reconcile) {
    const { every, offset, ...input } = config.reconcile;
    const t = timingOf(
      'reconcile',
      SCHEDULE_DEFAULTS.reconcile,
      every || offset
        ? { every: every ?? SCHEDULE_DEFAULTS.reconcile.every, ...(offset ? { offset } : {}) }
        : undefined,
      problems,
    );
    add({
      id: SCHEDULE_IDS.reconcile,
      kind: 'reconcile',
      workflowType: 'reconcileSources',
      taskQueue,
      args: [input],
      ...t,
      searchAttributes: { [SA.kind.name]: 'reconcile' },
    });
  }

  if (problems.length > 0) throw new ConfigError(problems, 'invalid schedule timings');
  return out;
}

const SA_BY_NAME = new Map(Object.values(SA).map((k) => [k.name, k]));

function pairs(sa: Readonly<Record<string, string>>): SearchAttributePair[] {
  return Object.entries(sa).map(([name, value]) => ({ key: SA_BY_NAME.get(name)!, value }) as SearchAttributePair);
}

/** The Temporal form of a desired schedule (for create; `update` takes the same minus id and memo). */
export function toScheduleOptions(d: DesiredSchedule): ScheduleOptions {
  return {
    scheduleId: d.id,
    spec: { intervals: [{ every: d.everyMs, offset: d.offsetMs }] },
    action: {
      type: 'startWorkflow',
      workflowType: d.workflowType,
      workflowId: d.id,
      taskQueue: d.taskQueue,
      args: d.args,
      typedSearchAttributes: pairs(d.searchAttributes),
      memo: { managedBy: MANAGED_BY, scheduleHash: d.hash },
    },
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: d.catchupWindowMs },
    memo: { managedBy: MANAGED_BY, hash: d.hash },
  };
}

/** The hash the server has for a schedule: the action memo's (kept current by updates), else the schedule memo's. */
export function recordedHash(desc: Pick<ScheduleDescription, 'memo' | 'action'>): string | undefined {
  const action = desc.action as { memo?: Record<string, unknown> };
  const fromAction = action.memo?.scheduleHash;
  if (typeof fromAction === 'string') return fromAction;
  const fromMemo = desc.memo?.hash;
  return typeof fromMemo === 'string' ? fromMemo : undefined;
}
