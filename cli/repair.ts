/**
 * `crypto-ingest repair`: audit coverage and re-fetch the holes now, outside the daily schedule
 * (`repairCoverage`, ID `repair/manual-<now>`).
 */
import type { Command } from 'commander';
import type { RepairCoverageInput } from '../workflows/contracts/repair';
import { checkDay, checkSeriesFilter } from './args';
import type { CliContext } from './context';
import { Problems } from './errors';
import { formatInstant } from './output';
import { runStart } from './start';

export function parseRepairOptions(
  o: { source?: string; dataset?: string; interval?: string; since?: string; dryRun?: boolean },
  now = Date.now(),
): RepairCoverageInput {
  const p = new Problems();
  const filter = checkSeriesFilter(p, o);
  const since = checkDay(p, '--since', o.since);
  if (since && Date.parse(`${since}T00:00:00Z`) >= now) p.add(`--since ${since} is not in the past`);
  p.throwIfAny();
  return { ...filter, ...(since ? { since: `${since}T00:00:00Z` } : {}), ...(o.dryRun ? { dryRun: true } : {}) };
}

export function registerRepair(program: Command, ctx: CliContext): void {
  program
    .command('repair')
    .description('audit coverage and repair the holes now (repairCoverage, ID repair/manual-<now>)')
    .option('--source <id>', 'only series of this source')
    .option('--dataset <id>', 'only this dataset (needs --source)')
    .option('--interval <interval>', 'only this interval (1m, 1h, 1d)')
    .option('--since <YYYY-MM-DD>', 'audit from this day on (default: the last 7 days)')
    .option(
      '--dry-run',
      'only audit: recount the coverage ledger from the fact tables (so `gaps` shows every hole), repair nothing',
    )
    .option('--task-queue <name>', 'workflow task queue', ctx.defaultTaskQueue)
    .option('--wait', 'show live progress until it completes')
    .action(
      async (o: {
        source?: string;
        dataset?: string;
        interval?: string;
        since?: string;
        dryRun?: boolean;
        taskQueue: string;
        wait?: boolean;
      }) => {
        const input = parseRepairOptions(o);
        await runStart(
          ctx,
          {
            workflowType: 'repairCoverage',
            workflowId: `repair/${input.dryRun ? 'audit' : 'manual'}-${formatInstant(Date.now())}`,
            taskQueue: o.taskQueue,
            args: [input],
            searchAttributes: {
              kind: 'repair',
              ...(input.source ? { source: input.source } : {}),
              ...(input.dataset ? { dataset: input.dataset } : {}),
              ...(input.interval ? { interval: input.interval } : {}),
            },
            summary: input.dryRun
              ? 'Coverage audit, dry run (crypto-ingest CLI)'
              : 'Coverage repair (crypto-ingest CLI)',
          },
          o.wait === true,
        );
      },
    );
}
