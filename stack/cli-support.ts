/**
 * Shared plumbing of the stack entrypoints: print operator errors as one message (no stack
 * trace for a taken port or a missing tool), and stop the stack once on Ctrl-C.
 */
import { ConfigError } from '../activities/errors';
import { runMain as runEntrypoint } from '../workers/run-main';
import { StackError } from './processes';

/** Run a stack entrypoint: a `StackError` or `ConfigError` prints as a message and exits 1. */
export function runMain(name: string, main: () => Promise<number | void>): void {
  runEntrypoint(name, main, [StackError, ConfigError]);
}

/** Resolves on the first SIGINT/SIGTERM. */
export function interrupted(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
}

/** An error-level line in any component's own log format (Temporal server, worker, PostgreSQL). */
const PROBLEM = /level=(ERROR|FATAL)\b|\[(ERROR|FATAL)\]|\b(ERROR|FATAL|PANIC):|\bfatal:/;

/**
 * A log sink for the stack entrypoints: the stack's own lines always, a component's lines only
 * when they are error-level and the stack is not shutting down (Temporal logs a burst of
 * harmless warnings while it stops). Every line is in the component's log file regardless.
 */
export function consoleStackLog(): { log: (line: string) => void; shuttingDown: () => void } {
  let stopping = false;
  return {
    log: (line) => {
      if (line.startsWith('[stack]') || (!stopping && PROBLEM.test(line))) console.log(line);
    },
    shuttingDown: () => {
      stopping = true;
    },
  };
}
