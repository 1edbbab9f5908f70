/**
 * `crypto-ingest universe refresh|backfill|plan`: run the tracked-universe workflows now, outside
 * their schedules, or plan what a universe costs in API calls (`plan`, cli/plan.ts). `refresh` resolves the universe from a config (`refreshUniverse`, ID
 * `universe/<now>`); `backfill` backfills tracked series (`backfillUniverse`, ID
 * `universe-backfill/manual-<now>`).
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { parseUniverseConfig } from '../activities/universe-config';
import type { UniverseConfig } from '../workflows/contracts/universe';
import type { BackfillUniverseInput } from '../workflows/contracts/universe-backfill';
import { checkInstant, checkInt, checkSeriesFilter } from './args';
import type { CliContext } from './context';
import { Problems, UsageError } from './errors';
import { formatInstant } from './output';
import { universeInputConfig } from '../client/schedule-plan';
import { runStart } from './start';
import { LIMITS_OPTION, planOf, renderPlan } from './plan';

/** Read and validate a universe config file; every problem at once (`UsageError`). */
export function loadUniverseConfigFile(file: string | undefined): UniverseConfig {
  if (file === undefined) throw new UsageError('--config is required (e.g. --config config/universe.json)');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(
      code === 'ENOENT'
        ? `--config: no file '${file}' (start from config/universe.example.json)`
        : `--config: cannot read '${file}': ${(err as Error).message}`,
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`--config: '${file}' is not valid JSON: ${(err as Error).message}`);
  }
  const parsed = parseUniverseConfig(raw);
  if (!parsed.ok) throw new UsageError(parsed.problems, `invalid config '${file}'`);
  return parsed.config;
}

export function parseUniverseBackfillOptions(
  o: { source?: string; dataset?: string; interval?: string; from?: string; to?: string; concurrency?: string },
  now = Date.now(),
): BackfillUniverseInput {
  const p = new Problems();
  const filter = checkSeriesFilter(p, o);
  const from = checkInstant(p, '--from', o.from);
  const to = checkInstant(p, '--to', o.to);
  if (o.to !== undefined && o.from === undefined) p.add('--to needs --from');
  const end = to ?? now;
  if (from !== undefined && end !== undefined && from >= end) {
    p.add(`--from ${formatInstant(from)} must be before ${o.to !== undefined ? `--to ${formatInstant(end)}` : 'now'}`);
  }
  const concurrency = checkInt(p, '--concurrency', o.concurrency, 1, 64);
  p.throwIfAny();
  return {
    ...filter,
    ...(from !== undefined ? { from: formatInstant(from), to: formatInstant(end) } : {}),
    ...(concurrency !== undefined ? { concurrency } : {}),
  };
}

export function registerUniverse(program: Command, ctx: CliContext): void {
  const group = program.command('universe').description('the tracked universe: refresh it, backfill it');

  group
    .command('refresh')
    .description('resolve the tracked universe from a config now (refreshUniverse, ID universe/<now>)')
    .option('--config <file>', 'universe config, e.g. config/universe.json')
    .option('--task-queue <name>', 'workflow task queue', ctx.defaultTaskQueue)
    .option('--wait', 'show live progress until it completes')
    .action(async (o: { config?: string; taskQueue: string; wait?: boolean }) => {
      const config = loadUniverseConfigFile(o.config);
      const workflowId = `universe/${formatInstant(Date.now())}`;
      await runStart(
        ctx,
        {
          workflowType: 'refreshUniverse',
          workflowId,
          taskQueue: o.taskQueue,
          args: [{ config: universeInputConfig(config) }],
          searchAttributes: { kind: 'universe' },
          summary: `Universe refresh from ${o.config} (crypto-ingest CLI)`,
        },
        o.wait === true,
      );
    });

  group
    .command('plan')
    .description('what a universe costs each source in API calls per rate window, and when its backfills complete')
    .option('--config <file>', 'universe config, e.g. config/universe.json')
    .option(...LIMITS_OPTION)
    .option('--json', 'the plan as JSON (every window, every pending backfill)')
    .action(async (o: { config?: string; limits: string[]; json?: boolean }) => {
      const plan = await planOf(loadUniverseConfigFile(o.config), o.limits, ctx);
      if (o.json) ctx.out.log(JSON.stringify(plan, null, 2));
      else for (const line of renderPlan(plan)) ctx.out.log(line);
    });

  group
    .command('backfill')
    .description('backfill tracked series now (backfillUniverse, ID universe-backfill/manual-<now>)')
    .option('--source <id>', 'only series of this source')
    .option('--dataset <id>', 'only this dataset (needs --source)')
    .option('--interval <interval>', 'only this interval (1m, 1h, 1d)')
    .option('--from <date>', "explicit range start for every selected series (default: each series' own horizon)")
    .option('--to <date>', 'explicit range end (default: now; needs --from)')
    .option('--concurrency <n>', 'series backfilled at once, 1-64 (default 4)')
    .option('--task-queue <name>', 'workflow task queue', ctx.defaultTaskQueue)
    .option('--wait', 'show live progress until it completes')
    .action(
      async (o: {
        source?: string;
        dataset?: string;
        interval?: string;
        from?: string;
        to?: string;
        concurrency?: string;
        taskQueue: string;
        wait?: boolean;
      }) => {
        const input = parseUniverseBackfillOptions(o);
        const workflowId = `universe-backfill/manual-${formatInstant(Date.now())}`;
        await runStart(
          ctx,
          {
            workflowType: 'backfillUniverse',
            workflowId,
            taskQueue: o.taskQueue,
            args: [input],
            searchAttributes: {
              kind: 'universe',
              ...(input.source ? { source: input.source } : {}),
              ...(input.dataset ? { dataset: input.dataset } : {}),
              ...(input.interval ? { interval: input.interval } : {}),
            },
            summary: 'Universe backfill (crypto-ingest CLI)',
          },
          o.wait === true,
        );
      },
    );
}
