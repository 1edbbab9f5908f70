/**
 * The `crypto-ingest` command tree (commander). Built from a context so tests can run it in-process
 * with their own output and environment; `cli/main.ts` runs it for real.
 */
import { Command } from 'commander';
import { registerBackfill } from './backfill';
import { registerDashboard } from './dashboard';
import { registerExport } from './export';
import { registerImport } from './import';
import { registerReconcile } from './reconcile';
import type { CliContext } from './context';
import { registerGaps } from './gaps';
import { registerRepair } from './repair';
import { registerSchedules } from './schedules';
import { registerSource } from './source';
import { registerStatus } from './status';
import { registerUniverse } from './universe';

export function buildProgram(ctx: CliContext): Command {
  const program = new Command('crypto-ingest')
    .description(
      'Operate crypto-ingest: backfills, status, coverage gaps, schedules, source pauses, universe, repair, export/import, reconciliation and the dashboard.\n' +
        'Temporal: TEMPORAL_ADDRESS (default 127.0.0.1:7233), TEMPORAL_NAMESPACE (default), TEMPORAL_API_KEY, TEMPORAL_TLS_*.\n' +
        'PostgreSQL: DATABASE_URL (default postgres://crypto_ingest@127.0.0.1:54329/crypto_ingest, its password from .data/pg/crypto-ingest-credentials.json). Both default to `npm start`.',
    )
    .option('--address <host:port>', 'Temporal frontend address (overrides TEMPORAL_ADDRESS)')
    .option('--namespace <name>', 'Temporal namespace (overrides TEMPORAL_NAMESPACE)')
    .showHelpAfterError('(add --help for usage)')
    .configureOutput({
      writeOut: (s) => ctx.out.log(s.replace(/\n$/, '')),
      writeErr: (s) => ctx.out.error(s.replace(/\n$/, '')),
    })
    // Set before any subcommand exists: `.command()` copies the output, the error handling and
    // showHelpAfterError to each subcommand (commander's copyInheritedSettings).
    .exitOverride()
    .hook('preAction', (_root, action) => {
      const g = action.optsWithGlobals<{ address?: string; namespace?: string }>();
      if (g.address) ctx.flags.address = g.address;
      if (g.namespace) ctx.flags.namespace = g.namespace;
    });
  registerBackfill(program, ctx);
  registerStatus(program, ctx);
  registerGaps(program, ctx);
  registerSchedules(program, ctx);
  registerSource(program, ctx);
  registerUniverse(program, ctx);
  registerRepair(program, ctx);
  registerExport(program, ctx);
  registerImport(program, ctx);
  registerReconcile(program, ctx);
  registerDashboard(program, ctx);
  return program;
}
