/**
 * The error taxonomy. Every activity failure is one of these classes; `toFailure` turns it into
 * an `ApplicationFailure` whose `type` is the class name, so the Temporal UI and history show a
 * stable, searchable name, and whose retryability is decided here and nowhere else.
 *
 * Sources map their own status codes and bodies onto these classes (their `errors.ts`); generic
 * code never inspects a source's wire format.
 */
import { ApplicationFailure, ApplicationFailureCategory } from '@temporalio/common';
import type { SpentWindow } from './rate-limits';

export interface IngestErrorOptions {
  /** Structured, secret-free facts shown in the failure's details (status, url path, param…). */
  readonly details?: Readonly<Record<string, unknown>>;
  readonly cause?: unknown;
}

/** Base class: never thrown directly. */
export abstract class IngestError extends Error {
  abstract readonly retryable: boolean;
  /** What an operator should do about it; shown in the failure message. */
  abstract readonly hint: string;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(message: string, options: IngestErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.details = options.details ?? {};
  }
}

/** Network error, timeout, connection reset, 5xx, maintenance. Retried with backoff. */
export class SourceUnavailableError extends IngestError {
  readonly retryable = true;
  readonly hint = 'transient: retried automatically; if it persists check the API status and the network';
}

/**
 * Over a rate limit (429, quota body, ban). Retried after `retryAfterSeconds` when the API says
 * how long to wait. Not a data error: nothing is lost. `quota` is the window the API's own report
 * says is spent, when it says so (the fleet budget then marks that window spent too).
 */
export class RateLimitedError extends IngestError {
  readonly retryable = true;
  readonly hint = 'rate limited: waits for the window to reopen, then resumes by itself';
  readonly retryAfterSeconds: number | undefined;
  readonly quota: SpentWindow | undefined;

  constructor(
    message: string,
    retryAfterSeconds: number | undefined,
    options: IngestErrorOptions & { readonly quota?: SpentWindow | undefined } = {},
  ) {
    super(message, options);
    this.retryAfterSeconds = retryAfterSeconds;
    this.quota = options.quota;
  }
}

/**
 * How a quota answer reads: `quota spent: day window, 7773 of 7500 calls, resets 2026-12-03T00:00:00Z`.
 * `atSeconds` is the instant the report was made (the server's clock).
 */
export function describeSpentWindow(q: SpentWindow, atSeconds: number): string {
  const resets = new Date(Math.round(atSeconds + q.resetSeconds) * 1000).toISOString().replace('.000Z', 'Z');
  return `quota spent: ${q.window} window, ${q.callsMade} of ${q.maxCalls} calls, resets ${resets}`;
}

/** A transient database condition (connection lost, serialization failure, deadlock, too many connections). */
export class DatabaseTransientError extends IngestError {
  readonly retryable = true;
  readonly hint = 'transient database error: retried automatically; writes are idempotent';
}

/** The API rejected the key (401/403). Fix the configuration; retrying cannot help. */
export class SourceAuthError extends IngestError {
  readonly retryable = false;
  readonly hint = "check the source's API key in the worker configuration, then reset the workflow";
}

/** The API rejected the request (400/404): unknown market or instrument, bad parameter. */
export class SourceRequestError extends IngestError {
  readonly retryable = false;
  readonly hint = 'fix the workflow input (market, instrument, interval, range) and start it again';
}

/**
 * Answers in a row a request may get that are not the API's before it fails for good. Counted per
 * request, in place (`getJson` asks again): failures of other kinds (a reset, a 500) on earlier
 * activity attempts never count towards it.
 */
export const MALFORMED_IN_A_ROW = 3;

/**
 * An answer that is not the API's: a 2xx whose body is not JSON (a proxy's page, a truncated body)
 * or an HTML page in place of a 403 (a firewall). Such a page usually passes, so the request asks
 * again in place, up to `MALFORMED_IN_A_ROW` answers in a row; what reaches Temporal is final, never
 * a retry loop against a broken edge.
 */
export class MalformedResponseError extends IngestError {
  readonly retryable = false;
  readonly hint =
    "not the API's answer (a proxy's or firewall's page, a truncated body), several times in a row: check what stands between the worker and the API, then reset the workflow";
}

/** A JSON body that breaks the endpoint's contract (missing or mistyped fields, wrong envelope). */
export class ResponseSchemaError extends IngestError {
  readonly retryable = false;
  readonly hint =
    "the API's response no longer matches its contract: add a fixture, update the source's schemas, then reset the workflow";
}

/**
 * A page none of whose rows can be stored (every row broke an invariant): quarantining a whole page
 * would hide a broken API or a bug. Single bad rows are quarantined instead, never this.
 */
export class DataInvariantError extends IngestError {
  readonly retryable = false;
  readonly hint = 'every row of the page broke an invariant; inspect the quarantine and the details before resetting';
}

/**
 * PostgreSQL refused a value (SQLSTATE class 22, data exception; 23502 not null; 23514 check) or a
 * batch (class 21: the same key twice in one merge): the same rows would be refused again, so
 * retrying cannot help. Validation quarantines such values
 * before the merge; this is the net behind it, naming the code and PostgreSQL's message.
 */
export class UnstorableValueError extends IngestError {
  readonly retryable = false;
  readonly hint =
    'the database cannot store a value of this data: find it in the details, add a validation rule (docs/guidelines.md), then reset';
}

/** Workflow or activity input that cannot be valid. */
export class InvalidInputError extends IngestError {
  readonly retryable = false;
  readonly hint = 'fix the input and start the workflow again';
}

/** Boot-time configuration problem. Never crosses Temporal: the process prints it and exits 1. */
export class ConfigError extends Error {
  constructor(
    readonly problems: readonly string[],
    heading = 'invalid configuration',
  ) {
    super(`${heading}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Turn anything an activity throws into the failure Temporal records. Known classes keep their
 * name as the failure type and their retryability; `RateLimitedError` carries the server's
 * `Retry-After` as `nextRetryDelay`. Unknown errors pass through unchanged (retryable).
 */
export function toFailure(err: unknown): unknown {
  if (!(err instanceof IngestError)) return err;
  const nextRetryDelay =
    err instanceof RateLimitedError && err.retryAfterSeconds !== undefined
      ? Math.max(1, Math.ceil(err.retryAfterSeconds)) * 1000
      : undefined;
  return ApplicationFailure.create({
    type: err.name,
    message: `${err.message} (${err.hint})`,
    nonRetryable: !err.retryable,
    details: [err.details],
    nextRetryDelay,
    // Rate limits are expected operating conditions, not errors worth alerting on.
    category: err instanceof RateLimitedError ? ApplicationFailureCategory.BENIGN : undefined,
    cause: err.cause instanceof Error ? err.cause : undefined,
  });
}

/** Classify a `pg` error: transient conditions become `DatabaseTransientError`, others pass through. */
export function classifyDatabaseError(err: unknown): unknown {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') {
    // Connection-level failures from the driver carry no SQLSTATE.
    const msg = err instanceof Error ? err.message : String(err);
    if (/ECONNREFUSED|ECONNRESET|Connection terminated|timeout exceeded when trying to connect/i.test(msg)) {
      return new DatabaseTransientError(`database unreachable: ${msg}`, { cause: err });
    }
    return err;
  }
  const transient =
    code.startsWith('08') || // connection exception
    code === '40001' || // serialization_failure
    code === '40P01' || // deadlock_detected
    code === '53300' || // too_many_connections
    code === '57P01' || // admin_shutdown
    code === '57P03' || // cannot_connect_now
    code === '57014' || // query_canceled: statement_timeout, or a cancelled activity's query
    code === '55P03' || // lock_not_available: lock_timeout
    code === '25P03' || // idle_in_transaction_session_timeout
    code === '23505' || // unique_violation (a concurrent insert)
    code === '23503' || // foreign_key_violation (a row a concurrent transaction removed)
    code === '23P01'; // exclusion_violation
  const msg = err instanceof Error ? err.message : String(err);
  // A value the database refuses (22: data exception; 23502 not null, 23514 check), or a batch it
  // cannot apply (21: the same key twice in one merge): the same data fails the same way again.
  // Other integrity errors (23505 unique, 23503 foreign key, 23P01 exclusion) are races: retried.
  if (code.startsWith('22') || code.startsWith('21') || code === '23502' || code === '23514') {
    const pg = err as { column?: string; table?: string; constraint?: string; detail?: string };
    return new UnstorableValueError(`database refused a value: ${msg} (SQLSTATE ${code})`, {
      cause: err,
      details: { sqlstate: code, table: pg.table, column: pg.column, constraint: pg.constraint, detail: pg.detail },
    });
  }
  if (!transient) return err;
  return new DatabaseTransientError(`database: ${msg} (SQLSTATE ${code})`, { cause: err, details: { sqlstate: code } });
}
