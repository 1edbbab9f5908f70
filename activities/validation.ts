/**
 * Row validation shared by every time-series dataset. Two kinds of bad data, two outcomes:
 *
 * - the response breaks the endpoint's **contract** (a row is not an object, a required field is
 *   missing): the page fails with the non-retryable `ResponseSchemaError`. Nothing is written.
 * - a **row** breaks an invariant (a value of the wrong type such as `"NaN"`, high < low, a negative
 *   volume, a misaligned, out-of-window, duplicate or millisecond timestamp): the row goes to
 *   quarantine with its raw JSON and the reason; the rest of the page is stored.
 *
 * If every row of a page (two or more) fails, the page fails with `DataInvariantError`: a whole
 * dataset is never quarantined silently. Fields the schema does not know are reported (recorded
 * once per dataset) and otherwise ignored.
 */
import type { z } from 'zod';
import { DataInvariantError, ResponseSchemaError } from './errors';
import { plainCheckOf } from './plain-check';
import type { ColumnSpec, QuarantinedRow } from './sources/types';

export interface RowRules<T> {
  /** Request description (for messages). */
  readonly request: string;
  /** What the rows are, for messages (`spot OHLCV`). */
  readonly what: string;
  /** Keys every row must carry: a missing one is a contract break. */
  readonly required: readonly string[];
  /** Every key the endpoint is known to send (anything else is drift). */
  readonly known: ReadonlySet<string>;
  /** Value types; a failure quarantines the row. */
  readonly schema: z.ZodType<T>;
  /** The key holding the row's period start in Unix seconds (a number in `schema`). */
  readonly timestampField: keyof T & string;
  /** The requested periods (inclusive) and the interval length, in seconds. */
  readonly window: { readonly from: number; readonly to: number; readonly step: number };
  /** Dataset invariants (OHLC ordering, non-negative volumes…): a reason, or undefined. */
  invariants?(row: T): string | undefined;
  /**
   * The fact-table columns a row's values go to, each with its wire key: a value the column cannot
   * store (`columnProblem`) quarantines the row instead of failing the merge.
   */
  readonly columns?: ReadonlyArray<readonly [ColumnSpec, string]>;
  /** Rows that carry no data and are dropped without a trace (e.g. the min-api's all-zero rows). */
  skip?(raw: Record<string, unknown>): boolean;
}

export interface ValidatedRows<T> {
  readonly rows: T[];
  readonly quarantined: QuarantinedRow[];
  readonly unknownFields: Array<{ field: string; sample: unknown }>;
}

/** Seconds since the epoch larger than this are milliseconds (year 5138 in seconds). */
const MS_THRESHOLD = 1e11;

export function validateRows<T>(raw: readonly unknown[], rules: RowRules<T>): ValidatedRows<T> {
  const rows: T[] = [];
  const quarantined: QuarantinedRow[] = [];
  const unknown = new Map<string, unknown>();
  let skipped = 0;
  let prevTs = -Infinity;
  const { from, to, step } = rules.window;
  const plain = plainCheckOf(rules.schema);

  // A plain loop with no closure per row: this runs for every row of every page.
  for (let i = 0; i < raw.length; i++) {
    const item = raw[i];
    if (item === null || typeof item !== 'object' || Array.isArray(item)) {
      throw new ResponseSchemaError(`${rules.request}: ${rules.what} row ${i} is not an object`, {
        details: { url: rules.request, row: i },
      });
    }
    const obj = item as Record<string, unknown>;
    for (let k = 0; k < rules.required.length; k++) {
      const key = rules.required[k]!;
      if (!(key in obj)) {
        throw new ResponseSchemaError(
          `${rules.request}: ${rules.what} row ${i} lacks the required field ${key}: the endpoint's contract changed`,
          { details: { url: rules.request, row: i, missing: key, keys: Object.keys(obj) } },
        );
      }
    }
    for (const key in obj) if (!rules.known.has(key) && !unknown.has(key)) unknown.set(key, obj[key]);
    if (rules.skip?.(obj)) {
      skipped++;
      continue;
    }
    let row: T;
    if (plain?.(obj)) {
      row = obj as T; // what zod would return: a loose object's output is its input's keys and values
    } else {
      const parsed = rules.schema.safeParse(item);
      if (!parsed.success) {
        const issues = parsed.error.issues
          .slice(0, 3)
          .map((x) => `${x.path.map(String).join('.')}: ${x.message}`)
          .join('; ');
        const rawTs = obj[rules.timestampField];
        quarantined.push({
          ts: typeof rawTs === 'number' && rawTs < MS_THRESHOLD ? rawTs : null,
          reason: `invalid value: ${issues}`,
          raw: item,
        });
        continue;
      }
      row = parsed.data;
    }
    const ts = row[rules.timestampField] as number;
    const tsProblem =
      ts > MS_THRESHOLD
        ? `timestamp ${ts} is in milliseconds, seconds expected`
        : ts % step !== 0
          ? `timestamp ${ts} is not aligned to the ${step} s interval`
          : ts < from || ts > to
            ? `timestamp ${ts} is outside the requested window ${from}..${to}`
            : ts <= prevTs
              ? `timestamp ${ts} repeats or goes back (previous row ${prevTs})`
              : undefined;
    if (tsProblem !== undefined) {
      quarantined.push({ ts: ts > MS_THRESHOLD ? Math.floor(ts / 1000) : ts, reason: tsProblem, raw: item });
      continue;
    }
    const problem = rules.invariants?.(row) ?? storableProblem(row as Record<string, unknown>, rules.columns);
    if (problem !== undefined) {
      quarantined.push({ ts, reason: problem, raw: item });
      continue;
    }
    prevTs = ts;
    rows.push(row);
  }

  const considered = raw.length - skipped;
  if (considered >= 2 && quarantined.length === considered) {
    throw new DataInvariantError(
      `${rules.request}: every one of ${considered} ${rules.what} rows failed validation (first: ${quarantined[0]!.reason})`,
      { details: { url: rules.request, reasons: [...new Set(quarantined.map((q) => q.reason))].slice(0, 5) } },
    );
  }
  return { rows, quarantined, unknownFields: [...unknown].map(([field, sample]) => ({ field, sample })) };
}

function storableProblem(
  row: Record<string, unknown>,
  columns: ReadonlyArray<readonly [ColumnSpec, string]> | undefined,
): string | undefined {
  if (!columns) return undefined;
  for (let i = 0; i < columns.length; i++) {
    const [spec, key] = columns[i]!;
    // The label is built only for a value that fails (this runs for every cell of every page).
    if (columnProblem(spec, row[key]) !== undefined) return columnProblem(spec, row[key], `${spec.name} (${key})`);
  }
  return undefined;
}

/** Largest magnitude stored in an `int8` column (a little below 2^63, where doubles are still exact enough). */
const INT8_LIMIT = 9.2e18;
/** Times are seconds from 1970 up to (not including) 2200-01-01 UTC. */
const MAX_TIME_SECONDS = Date.UTC(2200, 0, 1) / 1000;

/**
 * Why a value cannot be stored in a column of this type, or undefined when it can (absent values are
 * the NULL check's business): `int8` within ±9.2e18, `timestamptz` seconds within 1970–2200, `float8`
 * finite, `text` without NUL characters.
 */
export function columnProblem(spec: ColumnSpec, value: unknown, label: string = spec.name): string | undefined {
  if (value === undefined || value === null) return undefined;
  switch (spec.type) {
    case 'int8':
      return typeof value === 'number' && Number.isFinite(value) && Math.abs(value) < INT8_LIMIT
        ? undefined
        : `${label} ${String(value)} does not fit int8`;
    case 'timestamptz':
      return typeof value === 'number' && Number.isFinite(value) && value >= 0 && value < MAX_TIME_SECONDS
        ? undefined
        : `${label} ${String(value)} is not a time in seconds between 1970 and 2200`;
    case 'float8':
      return typeof value === 'number' && Number.isFinite(value)
        ? undefined
        : `${label} ${String(value)} is not a finite number`;
    case 'text':
      return typeof value === 'string' && value.includes('\u0000') ? `${label} contains a NUL character` : undefined;
    case 'bool':
      return undefined;
  }
}

/**
 * A reference record's time (Unix seconds) if a `timestamptz` column can hold it, else null with a
 * warning naming it (`what`): a bogus listing date must not fail a whole snapshot, nor pass silently.
 */
export function storableTime(value: number | null | undefined, what: string, warnings: string[]): number | null {
  if (value === null || value === undefined) return null;
  const problem = columnProblem({ name: what, type: 'timestamptz', nullable: true }, value);
  if (problem === undefined) return value;
  warnings.push(`${problem}: stored as NULL`);
  return null;
}

/**
 * JSON text for a `jsonb` value: PostgreSQL refuses the NUL character (`\u0000`, SQLSTATE 22P05),
 * so NULs in strings and keys are written as U+2400 (SYMBOL FOR NULL); everything else is as
 * `JSON.stringify` writes it.
 */
export function jsonForPg(value: unknown): string {
  return JSON.stringify(withoutNul(value));
}

function withoutNul(value: unknown): unknown {
  if (typeof value === 'string') return value.includes('\u0000') ? value.replaceAll('\u0000', '\u2400') : value;
  if (Array.isArray(value)) return value.map(withoutNul);
  if (value !== null && typeof value === 'object') {
    const toJSON = (value as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') return withoutNul((toJSON as () => unknown).call(value));
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [withoutNul(k) as string, withoutNul(v)]));
  }
  return value;
}

/** OHLC ordering: low ≤ open, close ≤ high. */
export function ohlcProblem(open: number, high: number, low: number, close: number): string | undefined {
  if (high < low) return `high ${high} is below low ${low}`;
  if (high < Math.max(open, close)) return `high ${high} is below open/close (${open}, ${close})`;
  if (low > Math.min(open, close)) return `low ${low} is above open/close (${open}, ${close})`;
  return undefined;
}

/** The first of `keys` (in order) whose value in `row` is a negative number, as a reason. */
export function negativeKeyProblem(
  row: Readonly<Record<string, unknown>>,
  keys: readonly string[],
): string | undefined {
  for (let i = 0; i < keys.length; i++) {
    const v = row[keys[i]!];
    if (typeof v === 'number' && v < 0) return `${keys[i]} is negative (${v})`;
  }
  return undefined;
}

/** The first field (in order) with a negative value, as a reason. */
export function negativeProblem(
  values: ReadonlyArray<readonly [string, number | null | undefined]>,
): string | undefined {
  for (const [name, v] of values) if (typeof v === 'number' && v < 0) return `${name} is negative (${v})`;
  return undefined;
}
