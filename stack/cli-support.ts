/**
 * Shared plumbing of the stack entrypoints (`npm start`, `npm run demo`): print operator errors as
 * one message (no stack trace for a taken port or a missing tool), and stop on SIGINT, SIGTERM or
 * SIGHUP in one order: the entrypoint's own pg pool and Temporal connection first, then the stack
 * (in reverse start order: the workers first), then exit with 128 + the signal's number (130, 143,
 * 129). A second signal while stopping exits at once; the exit handler and the reaper stop what is
 * left.
 */
import os from 'node:os';
import { Client, Connection } from '@temporalio/client';
import pg from 'pg';
import { ConfigError } from '../activities/errors';
import { runMain as runEntrypoint } from '../workers/run-main';
import type { Stack } from './index';
import { StackError, within } from './processes';

const STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/** 128 + the signal's number, as a shell reports a process ended by it: SIGINT 130, SIGTERM 143, SIGHUP 129. */
export function signalExitCode(signal: NodeJS.Signals): number {
  return 128 + (os.constants.signals[signal] ?? 0);
}

let received: NodeJS.Signals | undefined;
let resolveFirst: (signal: NodeJS.Signals) => void = () => {};
const firstSignal = new Promise<NodeJS.Signals>((resolve) => (resolveFirst = resolve));
let watching = false;
/** Set by `serveStack` once the stack is up: from then on a second signal exits at once. */
let exitOnSecond = false;
let onFirstSignal: () => void = () => {};

function onStopSignal(signal: NodeJS.Signals): void {
  if (received === undefined) {
    received = signal;
    onFirstSignal();
    resolveFirst(signal);
    return;
  }
  // While the stack starts, its supervisor handles a second signal (kills the children, exits).
  if (!exitOnSecond) return;
  console.log(`${signal} again: exiting now; whatever still runs is stopped in the background`);
  process.exit(signalExitCode(received));
}

/**
 * Watch SIGINT/SIGTERM/SIGHUP for the whole run of a stack entrypoint; call it before `startStack`.
 * While the stack starts, its supervisor acts on a signal (stops what was started, and `startStack`
 * throws); this only records it, so that `runMain` exits with the signal's code, and calls
 * `onSignal` once (e.g. `consoleStackLog().shuttingDown`). Once the stack is up, `serveStack` acts
 * on it. Also ignores write errors of stdout/stderr: a pipe reader (`| tee`, `| less`) killed by
 * the same Ctrl-C must not turn the orderly stop into a crash.
 */
export function watchSignals(onSignal: () => void = () => {}): void {
  onFirstSignal = onSignal;
  if (watching) return;
  watching = true;
  for (const signal of STOP_SIGNALS) process.on(signal, onStopSignal);
  process.stdout.on('error', () => undefined);
  process.stderr.on('error', () => undefined);
}

/** The first stop signal received, if any. */
export function receivedSignal(): NodeJS.Signals | undefined {
  return received;
}

/** An entrypoint's own clients of its stack: a lazy Temporal connection and a small pg pool. */
export interface StackClients {
  connection: Connection;
  client: Client;
  pool: pg.Pool;
}

export function openClients(stack: Stack): StackClients {
  const connection = Connection.lazy({ address: stack.temporalAddress });
  const pool = new pg.Pool({ connectionString: stack.databaseUrl, max: 2 });
  // a connection PostgreSQL drops while idle (a crash, a restart) is discarded: never an
  // unhandled 'error' event
  pool.on('error', () => undefined);
  return { connection, client: new Client({ connection, namespace: stack.namespace }), pool };
}

/**
 * Run an entrypoint's work on its started stack (started with `signals: 'caller-when-ready'`),
 * then shut down in one order whatever ends it: the work returning, the work failing, or a signal.
 *
 * - First signal: prints `<SIGNAL>: stopping the stack…` and aborts `abort`: the work's Temporal
 *   calls are cancelled (it runs under `connection.withAbortSignal`), its later failures are
 *   ignored and it should print nothing more. Once it has settled (at most 5 s), the pool and the
 *   connection are closed (at most 10 s) while PostgreSQL and Temporal still run, then the stack
 *   stops (reverse start order). Resolves `{ signal }`; the entrypoint returns
 *   `signalExitCode(signal)`.
 * - The work returns: the same close and stop, then resolves `{ done }`.
 * - The work fails: the same close and stop, then rethrows.
 * - A second signal while stopping exits at once with the first signal's code: the exit handler
 *   signals every child still running and the reaper finishes their stop (SIGKILL after each
 *   one's stop timeout), so nothing is left running either way.
 */
export async function serveStack<T>(
  stack: Stack,
  clients: StackClients,
  opts: {
    work: (abort: AbortSignal) => Promise<T>;
    /** Called before the stack stops (quiets the components' shutdown noise). */
    shuttingDown: () => void;
  },
): Promise<{ done: T } | { signal: NodeJS.Signals }> {
  if (!watching) watchSignals();
  exitOnSecond = true;
  const abort = new AbortController();
  const work = clients.connection.withAbortSignal(abort.signal, () => opts.work(abort.signal));
  // a failure after the abort is the stop's doing (cancelled calls): not worth a word
  const settled = work.then(
    () => undefined,
    () => undefined,
  );
  const shutDown = async (): Promise<void> => {
    abort.abort();
    // no call in flight when the connection closes: a gRPC retry timer firing on a closed
    // channel throws where nobody can catch it
    await within(settled, 5_000, undefined);
    await within(
      (async () => {
        await clients.pool.end().catch(() => undefined);
        await clients.connection.close().catch(() => undefined);
      })(),
      10_000,
      undefined,
    );
    opts.shuttingDown();
    await stack.stop();
  };
  let outcome: { done: T } | { signal: NodeJS.Signals };
  try {
    outcome = await Promise.race([work.then((done) => ({ done })), firstSignal.then((signal) => ({ signal }))]);
  } catch (err) {
    await shutDown();
    throw err;
  }
  if ('signal' in outcome) {
    opts.shuttingDown();
    console.log(`\n${outcome.signal}: stopping the stack…`);
  }
  await shutDown();
  return outcome;
}

/**
 * Run a stack entrypoint: a `StackError` or `ConfigError` prints as a message and exits 1; one
 * caused by a stop signal (e.g. the stack start interrupted by Ctrl-C) exits with the signal's code.
 */
export function runMain(name: string, main: () => Promise<number | void>): void {
  runEntrypoint(name, async () => {
    try {
      return await main();
    } catch (err) {
      const signal = receivedSignal();
      if (signal === undefined || !(err instanceof StackError)) throw err;
      console.error(`${name}: ${err.message}`);
      return signalExitCode(signal);
    }
  }, [StackError, ConfigError]);
}

/** An error-level line in any component's own log format (Temporal server, worker, PostgreSQL). */
const PROBLEM = /level=(ERROR|FATAL)\b|\[(ERROR|FATAL)\]|\b(ERROR|FATAL|PANIC):|\bfatal:/;

/** The supervisor's line when a component ignored its stop signal and was killed. */
const KILLED = /^\[[\w.-]+\] did not stop within /;

/**
 * A log sink for the stack entrypoints: the stack's own lines always, a component's lines only
 * when they are error-level and the stack is not shutting down (Temporal logs a burst of
 * harmless warnings while it stops, PostgreSQL a FATAL line per connection it terminates), and a
 * component killed for not stopping in time. Every line is in the component's log file regardless.
 */
export function consoleStackLog(): { log: (line: string) => void; shuttingDown: () => void } {
  let stopping = false;
  return {
    log: (line) => {
      if (line.startsWith('[stack]') || KILLED.test(line) || (!stopping && PROBLEM.test(line))) console.log(line);
    },
    shuttingDown: () => {
      stopping = true;
    },
  };
}
