/**
 * Workflow inputs checked before a workflow uses them: every problem at once, as plain strings
 * (`path: what is wrong`). Pure and deterministic (no zod: the workflow sandbox imports only
 * workflow modules); each workflow fails with the non-retryable `InvalidInputError` when the list
 * is not empty (`workflows/input.ts`), instead of a workflow task retried forever on a value that
 * will never fit, or a silent no-op.
 */
import { INTERVALS, parseDurationMs } from './series';

export type Problems = string[];

const ID_PART = /^[A-Za-z0-9._-]{1,100}$/;

function present(v: unknown): boolean {
  return v !== undefined && v !== null;
}

/** A registry id or business-key part: letters, digits, dot, dash, underscore (1–100). */
export function checkId(p: Problems, path: string, v: unknown, optional = false): void {
  if (!present(v)) {
    if (!optional) p.push(`${path}: required`);
    return;
  }
  if (typeof v !== 'string' || !ID_PART.test(v)) {
    p.push(`${path}: ${JSON.stringify(v)} is not an id (letters, digits, dot, dash, underscore; 1–100)`);
  }
}

export function checkInterval(p: Problems, path: string, v: unknown, optional = false): void {
  if (!present(v)) {
    if (!optional) p.push(`${path}: required (${INTERVALS.join(', ')})`);
    return;
  }
  if (!(INTERVALS as readonly unknown[]).includes(v)) {
    p.push(`${path}: ${JSON.stringify(v)} is not an interval (${INTERVALS.join(', ')})`);
  }
}

export function checkInstant(p: Problems, path: string, v: unknown, optional = true): void {
  if (!present(v)) {
    if (!optional) p.push(`${path}: required (an ISO-8601 time)`);
    return;
  }
  if (typeof v !== 'string' || !Number.isFinite(Date.parse(v))) {
    p.push(`${path}: ${JSON.stringify(v)} is not an ISO-8601 time`);
  }
}

export function checkInt(p: Problems, path: string, v: unknown, min: number, max: number): void {
  if (!present(v)) return;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    p.push(`${path}: ${JSON.stringify(v)} is not a whole number from ${min} to ${max}`);
  }
}

export function checkBool(p: Problems, path: string, v: unknown): void {
  if (present(v) && typeof v !== 'boolean') p.push(`${path}: ${JSON.stringify(v)} is not true or false`);
}

/** An `ms`-style duration (`30s`, `2m`) between the bounds (milliseconds). */
export function checkDuration(p: Problems, path: string, v: unknown, minMs: number, maxMs: number): void {
  if (!present(v)) return;
  const ms = typeof v === 'string' ? parseDurationMs(v) : undefined;
  if (ms === undefined || ms < minMs || ms > maxMs) {
    p.push(`${path}: ${JSON.stringify(v)} is not a duration from ${minMs / 1000}s to ${maxMs / 1000}s (e.g. 30s, 2m)`);
  }
}

/** The input is an object; keys it may not carry (a typo) are problems too. */
export function checkObject(p: Problems, path: string, v: unknown, keys: readonly string[]): v is object {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) {
    p.push(`${path}: not an object`);
    return false;
  }
  for (const k of Object.keys(v))
    if (!keys.includes(k)) p.push(`${path}.${k}: unknown field (known: ${keys.join(', ')})`);
  return true;
}

type Input = Record<string, unknown>;

export function backfillSeriesProblems(input: unknown): Problems {
  const p: Problems = [];
  if (
    !checkObject(p, 'input', input, [
      'source',
      'dataset',
      'market',
      'instrument',
      'interval',
      'from',
      'to',
      'options',
      'state',
    ])
  )
    return p;
  const i = input as Input;
  for (const k of ['source', 'dataset', 'market', 'instrument']) checkId(p, k, i[k]);
  checkInterval(p, 'interval', i.interval);
  checkInstant(p, 'from', i.from, false);
  checkInstant(p, 'to', i.to);
  if (
    present(i.options) &&
    checkObject(p, 'options', i.options, ['pagesPerActivity', 'continueAsNewAfter', 'heartbeatTimeout'])
  ) {
    const o = i.options as Input;
    checkInt(p, 'options.pagesPerActivity', o.pagesPerActivity, 1, 50);
    checkInt(p, 'options.continueAsNewAfter', o.continueAsNewAfter, 1, 5_000);
    checkDuration(p, 'options.heartbeatTimeout', o.heartbeatTimeout, 1_000, 600_000);
  }
  return p;
}

export function refreshReferenceProblems(input: unknown): Problems {
  const p: Problems = [];
  if (!checkObject(p, 'input', input, ['source', 'dataset', 'params', 'state'])) return p;
  const i = input as Input;
  checkId(p, 'source', i.source);
  checkId(p, 'dataset', i.dataset);
  if (present(i.params) && (typeof i.params !== 'object' || Array.isArray(i.params))) p.push('params: not an object');
  return p;
}

export function refreshUniverseProblems(input: unknown): Problems {
  const p: Problems = [];
  if (!checkObject(p, 'input', input, ['config', 'asOf'])) return p;
  const i = input as Input;
  checkInstant(p, 'asOf', i.asOf);
  const c = i.config as Input | undefined;
  if (c === null || typeof c !== 'object' || Array.isArray(c)) {
    p.push('config: not an object (the universe config, see docs/universe.md)');
    return p;
  }
  if (!Array.isArray(c.references)) p.push('config.references: not a list');
  if (!Array.isArray(c.track)) p.push('config.track: not a list');
  checkInt(p, 'config.backfillConcurrency', c.backfillConcurrency, 1, 64);
  return p;
}

export function syncDatasetProblems(input: unknown): Problems {
  const p: Problems = [];
  const keys = [
    'source',
    'dataset',
    'interval',
    'asOf',
    'lookbackPeriods',
    'batchSize',
    'concurrency',
    'maxPagesPerSeries',
    'tickEvery',
  ];
  if (!checkObject(p, 'input', input, keys)) return p;
  const i = input as Input;
  checkId(p, 'source', i.source);
  checkId(p, 'dataset', i.dataset);
  checkInterval(p, 'interval', i.interval);
  checkInstant(p, 'asOf', i.asOf);
  checkInt(p, 'lookbackPeriods', i.lookbackPeriods, 0, 10_000);
  checkInt(p, 'batchSize', i.batchSize, 1, 1_000);
  checkInt(p, 'concurrency', i.concurrency, 1, 32);
  checkInt(p, 'maxPagesPerSeries', i.maxPagesPerSeries, 1, 100);
  checkDuration(p, 'tickEvery', i.tickEvery, 1_000, 366 * 86_400_000);
  return p;
}

export function backfillUniverseProblems(input: unknown): Problems {
  const p: Problems = [];
  const keys = ['source', 'dataset', 'interval', 'from', 'to', 'asOf', 'concurrency', 'state'];
  if (!checkObject(p, 'input', input, keys)) return p;
  const i = input as Input;
  checkId(p, 'source', i.source, true);
  checkId(p, 'dataset', i.dataset, true);
  checkInterval(p, 'interval', i.interval, true);
  checkInstant(p, 'from', i.from);
  checkInstant(p, 'to', i.to);
  checkInstant(p, 'asOf', i.asOf);
  if (present(i.from) !== present(i.to)) p.push('from, to: give both (an explicit range) or neither');
  checkInt(p, 'concurrency', i.concurrency, 1, 64);
  return p;
}

export function repairCoverageProblems(input: unknown): Problems {
  const p: Problems = [];
  const keys = ['source', 'dataset', 'interval', 'since', 'asOf', 'maxRanges', 'concurrency', 'dryRun'];
  if (!checkObject(p, 'input', input, keys)) return p;
  const i = input as Input;
  checkId(p, 'source', i.source, true);
  checkId(p, 'dataset', i.dataset, true);
  checkInterval(p, 'interval', i.interval, true);
  checkInstant(p, 'since', i.since);
  checkInstant(p, 'asOf', i.asOf);
  checkInt(p, 'maxRanges', i.maxRanges, 1, 100_000);
  checkInt(p, 'concurrency', i.concurrency, 1, 32);
  checkBool(p, 'dryRun', i.dryRun);
  return p;
}

export function exportDatasetProblems(input: unknown): Problems {
  const p: Problems = [];
  const keys = ['source', 'dataset', 'from', 'to', 'markets', 'instruments', 'intervals', 'destination'];
  if (!checkObject(p, 'input', input, keys)) return p;
  const i = input as Input;
  checkId(p, 'source', i.source);
  checkId(p, 'dataset', i.dataset);
  checkInstant(p, 'from', i.from, false);
  checkInstant(p, 'to', i.to, false);
  if (typeof i.from === 'string' && typeof i.to === 'string' && Date.parse(i.from) >= Date.parse(i.to))
    p.push(`from ${i.from} is not before to ${i.to}`);
  for (const k of ['markets', 'instruments', 'intervals'] as const) {
    const v = i[k];
    if (v === undefined) continue;
    if (!Array.isArray(v) || v.length === 0) p.push(`${k}: ${JSON.stringify(v)} is not a non-empty list`);
    else v.forEach((x, n) => (k === 'intervals' ? checkInterval(p, `${k}[${n}]`, x) : checkId(p, `${k}[${n}]`, x)));
  }
  if (typeof i.destination !== 'string' || !i.destination.startsWith('/'))
    p.push(`destination: ${JSON.stringify(i.destination)} is not an absolute path`);
  return p;
}

export function importFilesProblems(input: unknown): Problems {
  const p: Problems = [];
  if (!checkObject(p, 'input', input, ['path', 'source', 'dataset', 'columnMap'])) return p;
  const i = input as Input;
  if (typeof i.path !== 'string' || !i.path.startsWith('/') || i.path.split('/').includes('..'))
    p.push(`path: ${JSON.stringify(i.path)} is not an absolute path`);
  checkId(p, 'source', i.source, true);
  checkId(p, 'dataset', i.dataset, true);
  if ((i.source === undefined) !== (i.dataset === undefined)) p.push('source and dataset: give both or neither');
  if (i.columnMap !== undefined) {
    const m = i.columnMap;
    if (m === null || typeof m !== 'object' || Array.isArray(m)) p.push('columnMap: not an object of names');
    else
      for (const [k, v] of Object.entries(m))
        if (typeof v !== 'string' || !/^[a-z_][a-z0-9_]*$/.test(v))
          p.push(`columnMap.${k}: ${JSON.stringify(v)} is not a column name`);
  }
  return p;
}

export function reconcileSourcesProblems(input: unknown): Problems {
  const p: Problems = [];
  if (!checkObject(p, 'input', input, ['asOf', 'days', 'tolerance'])) return p;
  const i = input as Input;
  checkInstant(p, 'asOf', i.asOf);
  checkInt(p, 'days', i.days, 1, 31);
  if (i.tolerance !== undefined) {
    if (!checkObject(p, 'tolerance', i.tolerance, ['close', 'volume'])) return p;
    for (const [k, v] of Object.entries(i.tolerance as Input))
      if (typeof v !== 'number' || !(v >= 0 && v < 1))
        p.push(`tolerance.${k}: ${JSON.stringify(v)} is not a fraction from 0 to 1`);
  }
  return p;
}
