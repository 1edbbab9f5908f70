/**
 * The CLI's error classes. Every operator mistake is one of these, printed as one line (or a list
 * of problems) with no stack trace; the exit code says which kind it was:
 *
 * | exit | meaning                                                                       |
 * | ---- | ----------------------------------------------------------------------------- |
 * | 0    | done (for `--wait` / `--watch`: every workflow completed)                     |
 * | 1    | a usage or configuration mistake (`UsageError`, `ConfigError`, `NotFoundError`), |
 * |      | or a config whose plan does not fit its limits (`RefusedError`)               |
 * | 2    | Temporal or PostgreSQL cannot be reached (`UnreachableError`)                 |
 * | 3    | a workflow we waited for failed, was terminated, cancelled or timed out       |
 * | 130  | Ctrl-C while waiting or watching (the workflows keep running)                 |
 */
import { NamespaceNotFoundError } from '@temporalio/client';
import { ConfigError } from '../activities/errors';

export abstract class CliError extends Error {
  abstract readonly exitCode: number;
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** Bad arguments or options: every problem at once. */
export class UsageError extends CliError {
  readonly exitCode = 1;
  readonly problems: readonly string[];
  constructor(problems: string | readonly string[], heading = 'invalid arguments') {
    const list = typeof problems === 'string' ? [problems] : problems;
    super(list.length === 1 ? list[0]! : `${heading}:\n${list.map((p) => `  - ${p}`).join('\n')}`);
    this.problems = list;
  }
}

/** Something named on the command line does not exist (a schedule, a workflow). */
export class NotFoundError extends CliError {
  readonly exitCode = 1;
}

/** The command would do harm as asked (a plan that cannot fit): nothing was changed; the message says what would. */
export class RefusedError extends CliError {
  readonly exitCode = 1;
}

/** Temporal or PostgreSQL is not there: name the address and what to start. */
export class UnreachableError extends CliError {
  readonly exitCode = 2;
}

/** A workflow the command waited for did not complete (the details are already printed). */
export class JobFailedError extends CliError {
  readonly exitCode = 3;
}

/** Ctrl-C while waiting: not an error, but the command did not see the end. */
export class InterruptedError extends CliError {
  readonly exitCode = 130;
}

/** Collects problems; `throwIfAny` raises them together as one `UsageError`. */
export class Problems {
  readonly list: string[] = [];
  add(problem: string): void {
    this.list.push(problem);
  }
  throwIfAny(heading?: string): void {
    if (this.list.length > 0) throw new UsageError(this.list, heading);
  }
}

/**
 * The message to print for an error and the exit code. Known errors print their message only;
 * anything else is a bug or an unexpected server answer: its message, and the stack trace only
 * with `CRYPTO_INGEST_DEBUG=1`.
 */
export function describeError(
  err: unknown,
  debug = process.env.CRYPTO_INGEST_DEBUG === '1',
): {
  message: string;
  exitCode: number;
} {
  if (err instanceof CliError) return { message: err.message, exitCode: err.exitCode };
  if (err instanceof ConfigError) return { message: err.message, exitCode: 1 };
  if (err instanceof NamespaceNotFoundError) return { message: err.message, exitCode: 1 };
  const text = err instanceof Error ? (debug ? (err.stack ?? err.message) : err.message) : String(err);
  return {
    message: `unexpected failure: ${text}${debug ? '' : ' (CRYPTO_INGEST_DEBUG=1 prints the stack trace)'}`,
    exitCode: 1,
  };
}
