/**
 * How every entrypoint runs (`run().catch(… process.exit(1))`, as Temporal's samples do): the
 * operator's own mistakes (a `ConfigError`, or the caller's other known classes) print as one
 * message without a stack trace; anything else is unexpected and prints its stack.
 */
import { ConfigError } from '../activities/errors';

type ErrorClass = abstract new (...args: never[]) => Error;

export function runMain(
  name: string,
  main: () => Promise<number | void>,
  operatorErrors: readonly ErrorClass[] = [ConfigError],
): void {
  main()
    .then((code) => process.exit(code ?? 0))
    .catch((err: unknown) => {
      if (operatorErrors.some((cls) => err instanceof cls)) {
        console.error(`${name}: ${(err as Error).message}`);
      } else {
        console.error(
          `${name}: unexpected failure: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
        );
      }
      process.exit(1);
    });
}
