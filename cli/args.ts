/**
 * Argument checks shared by the commands. Each takes a `Problems` collector and adds a named
 * problem instead of throwing, so a command reports every mistake of one invocation at once.
 * Sources, datasets and intervals are checked against the registry (`activities/sources`).
 */
import { SOURCES, findSource } from '../activities/sources/index';
import type { DatasetSpec, SourceDefinition } from '../activities/sources/types';
import { INTERVALS, isInterval, parseDurationMs, type Interval } from '../workflows/contracts/series';
import type { Problems } from './errors';

export const sourceIds = (): string[] => SOURCES.map((s) => s.id);

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/i;

/** A `YYYY-MM-DD` that exists in the calendar, or undefined. */
export function parseDay(value: string): string | undefined {
  const v = value.trim();
  if (!DAY.test(v)) return undefined;
  const ms = Date.parse(`${v}T00:00:00Z`);
  if (Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== v) return undefined;
  return v;
}

/**
 * `YYYY-MM-DD` (UTC midnight) or an ISO-8601 instant with an explicit zone (`Z` or `+02:00`), as
 * epoch milliseconds; undefined otherwise (a zone-less time would depend on this machine's zone).
 */
export function parseInstant(value: string): number | undefined {
  const v = value.trim();
  const day = parseDay(v);
  if (day) return Date.parse(`${day}T00:00:00Z`);
  if (!INSTANT.test(v) || !parseDay(v.slice(0, 10))) return undefined;
  const ms = Date.parse(v);
  return Number.isNaN(ms) ? undefined : ms;
}

const DATE_FORMS = 'YYYY-MM-DD or an ISO-8601 instant with a zone, e.g. 2024-01-01T00:00:00Z';

/** Check an optional date option; the epoch ms when valid. */
export function checkInstant(problems: Problems, flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = parseInstant(value);
  if (ms === undefined) problems.add(`${flag} '${value}' is not a date (${DATE_FORMS})`);
  return ms;
}

export function checkDay(problems: Problems, flag: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const day = parseDay(value);
  if (!day) problems.add(`${flag} '${value}' is not a date of the form YYYY-MM-DD`);
  return day;
}

export function checkSource(
  problems: Problems,
  id: string | undefined,
  flag = '--source',
): SourceDefinition | undefined {
  if (id === undefined) return undefined;
  const source = findSource(id);
  if (!source) problems.add(`${flag ? `${flag}: ` : ''}unknown source '${id}' (sources: ${sourceIds().join(', ')})`);
  return source;
}

export function checkDataset(
  problems: Problems,
  source: SourceDefinition | undefined,
  id: string | undefined,
): DatasetSpec<unknown> | undefined {
  if (!source || id === undefined) return undefined;
  const dataset = source.datasets[id];
  if (dataset) return dataset;
  const hint = source.references[id]
    ? ` ('${id}' is a reference dataset: refresh it with the refreshReference workflow, see docs/datasets.md)`
    : '';
  problems.add(
    `--dataset: source '${source.id}' has no time-series dataset '${id}' (datasets: ${Object.keys(source.datasets).join(', ')})${hint}`,
  );
  return undefined;
}

export function checkInterval(
  problems: Problems,
  value: string | undefined,
  dataset?: DatasetSpec<unknown>,
): Interval | undefined {
  if (value === undefined) return undefined;
  if (!isInterval(value)) {
    problems.add(`--interval: unknown interval '${value}' (intervals: ${INTERVALS.join(', ')})`);
    return undefined;
  }
  if (dataset && !dataset.intervals.includes(value)) {
    problems.add(
      `--interval: dataset '${dataset.id}' has no interval '${value}' (has: ${dataset.intervals.join(', ')})`,
    );
    return undefined;
  }
  return value;
}

/** Source, dataset and interval filters (each optional; a dataset or interval needs what precedes it to be checked). */
export function checkSeriesFilter(
  problems: Problems,
  o: { source?: string; dataset?: string; interval?: string },
): { source?: string; dataset?: string; interval?: Interval } {
  const source = checkSource(problems, o.source);
  if (o.dataset !== undefined && o.source === undefined) problems.add('--dataset needs --source');
  const dataset = checkDataset(problems, source, o.dataset);
  const interval = checkInterval(problems, o.interval, dataset);
  return {
    ...(source ? { source: source.id } : {}),
    ...(dataset ? { dataset: dataset.id } : {}),
    ...(interval ? { interval } : {}),
  };
}

export function checkInt(
  problems: Problems,
  flag: string,
  value: string | undefined,
  min: number,
  max: number,
): number | undefined {
  if (value === undefined) return undefined;
  const n = /^\s*\d+\s*$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    problems.add(`${flag} '${value}' is not a whole number from ${min} to ${max}`);
    return undefined;
  }
  return n;
}

/** `30m`, `2h`, `1d`, `90s` as milliseconds (at least `min`). */
export function checkDuration(
  problems: Problems,
  flag: string,
  value: string | undefined,
  minMs = 1_000,
): number | undefined {
  if (value === undefined) return undefined;
  const ms = parseDurationMs(value);
  if (ms === undefined || ms < minMs) {
    problems.add(`${flag} '${value}' is not a duration like 30m, 2h or 1d`);
    return undefined;
  }
  return ms;
}

export function checkRequired(problems: Problems, flag: string, value: string | undefined): string | undefined {
  if (value === undefined || value.trim() === '') {
    problems.add(`${flag} is required`);
    return undefined;
  }
  return value.trim();
}
