/**
 * `crypto-ingest backfill`: one series over a range, as the business-key workflow
 * `backfill/<source>/<dataset>/<market>/<instrument>/<interval>/<from>/<to>` (starting the same
 * backfill again attaches to the open run).
 */
import type { Command } from 'commander';
import { backfillStartSpec, type BackfillRequest } from '../client/backfill';
import { checkDataset, checkInstant, checkInt, checkInterval, checkRequired, checkSource } from './args';
import type { CliContext } from './context';
import { Problems } from './errors';
import { formatInstant } from './output';
import { runStart } from './start';

export interface BackfillOptions {
  source?: string;
  dataset?: string;
  market?: string;
  instrument?: string;
  interval?: string;
  from?: string;
  to?: string;
  pagesPerActivity?: string;
}

/** Validate every option against the registry; every problem at once (`UsageError`). */
export function parseBackfillOptions(o: BackfillOptions, now = Date.now()): BackfillRequest {
  const p = new Problems();
  const sourceId = checkRequired(p, '--source', o.source);
  const datasetId = checkRequired(p, '--dataset', o.dataset);
  const market = checkRequired(p, '--market', o.market);
  const instrument = checkRequired(p, '--instrument', o.instrument);
  const intervalValue = checkRequired(p, '--interval', o.interval);
  const fromValue = checkRequired(p, '--from', o.from);
  const source = checkSource(p, sourceId);
  const dataset = checkDataset(p, source, datasetId);
  const interval = checkInterval(p, intervalValue, dataset);
  const from = checkInstant(p, '--from', fromValue);
  const to = o.to === undefined ? now : checkInstant(p, '--to', o.to);
  if (from !== undefined && to !== undefined && from >= to) {
    p.add(
      o.to === undefined
        ? `--from ${formatInstant(from)} is not in the past (the range ends now unless --to is given)`
        : `--from ${formatInstant(from)} must be before --to ${formatInstant(to)}`,
    );
  }
  const pages = checkInt(p, '--pages-per-activity', o.pagesPerActivity, 1, 50);
  p.throwIfAny();
  return {
    source: source!.id,
    dataset: dataset!.id,
    market: market!,
    instrument: instrument!,
    interval: interval!,
    from: formatInstant(from!),
    to: formatInstant(to!),
    ...(pages !== undefined ? { options: { pagesPerActivity: pages } } : {}),
  };
}

export function registerBackfill(program: Command, ctx: CliContext): void {
  program
    .command('backfill')
    .description('backfill one series over a range (starts, or attaches to, its business-key workflow)')
    .option('--source <id>', 'source, e.g. data-api or min-api')
    .option('--dataset <id>', 'time-series dataset of the source, e.g. spot-ohlcv')
    .option('--market <market>', 'market / exchange as the source spells it, e.g. kraken, CCCAGG')
    .option('--instrument <id>', 'instrument, e.g. BTC-USD or BTC-USDT-VANILLA-PERPETUAL')
    .option('--interval <interval>', '1m, 1h or 1d')
    .option('--from <date>', 'first period (inclusive): YYYY-MM-DD or an ISO-8601 instant')
    .option('--to <date>', 'end of the range (exclusive); default: now')
    .option('--pages-per-activity <n>', 'API pages per activity (and transaction), 1-50; default 5')
    .option('--task-queue <name>', 'workflow task queue', ctx.defaultTaskQueue)
    .option('--wait', 'show live progress until it completes, then a summary')
    .addHelpText(
      'after',
      '\nExample:\n  crypto-ingest backfill --source data-api --dataset spot-ohlcv --market kraken --instrument BTC-USD \\\n    --interval 1h --from 2024-01-01 --wait',
    )
    .action(async (o: BackfillOptions & { taskQueue: string; wait?: boolean }) => {
      const request = parseBackfillOptions(o);
      await runStart(ctx, backfillStartSpec(request, o.taskQueue), o.wait === true);
    });
}
