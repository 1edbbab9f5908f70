/**
 * Shared plumbing of the stack entrypoints: print operator errors as one message (no stack
 * trace for a taken port or a missing tool), and stop the stack once on Ctrl-C.
 */
import { StackError } from './processes';
import { ConfigError } from '../activities/errors';

/** Run an entrypoint: known operator errors print as a message and exit 1. */
export function runMain(name: string, main: () => Promise<number | void>): void {
  main()
    .then((code) => process.exit(code ?? 0))
    .catch((err: unknown) => {
      if (err instanceof StackError || err instanceof ConfigError) {
        console.error(`${name}: ${err.message}`);
      } else {
        console.error(
          `${name}: unexpected failure: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
        );
      }
      process.exit(1);
    });
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
