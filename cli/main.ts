/**
 * `crypto-ingest` (bin/crypto-ingest.mjs, `npm run cli --`). Operator mistakes print as one line
 * (or a list of problems) with no stack trace; exit codes are in cli/errors.ts.
 */
import { CommanderError } from 'commander';
import { consoleOutput, CliContext } from './context';
import { describeError } from './errors';
import { buildProgram } from './program';

async function main(argv: string[]): Promise<number> {
  const ctx = new CliContext(process.env, consoleOutput);
  try {
    await buildProgram(ctx).parseAsync(argv);
    return 0;
  } catch (err) {
    // Commander already printed its own message (unknown option, missing argument, --help).
    if (err instanceof CommanderError) return err.exitCode;
    const { message, exitCode } = describeError(err);
    consoleOutput.error(`crypto-ingest: ${message}`);
    return exitCode;
  } finally {
    await ctx.close();
  }
}

process.exit(await main(process.argv));
