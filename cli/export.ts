/**
 * `crypto-ingest export`: a dataset as Parquet files under a directory every worker sees, with a
 * manifest (`exportDataset`, ID `export/<source>/<dataset>/<destination>`; starting it again
 * re-runs it and keeps every file whose content is unchanged). docs/export.md.
 */
import path from 'node:path';
import type { Command } from 'commander';
import type { ExportDatasetInput } from '../workflows/contracts/export';
import { exportWorkflowId } from '../workflows/contracts/ids';
import type { Interval } from '../workflows/contracts/series';
import { checkDataset, checkInstant, checkInterval, checkRequired, checkSource } from './args';
import type { CliContext } from './context';
import { Problems } from './errors';
import { runStart } from './start';

export interface ExportOptions {
  source?: string;
  dataset?: string;
  from?: string;
  to?: string;
  market: string[];
  instrument: string[];
  interval: string[];
  out?: string;
}

/** Validate every option; every problem at once (`UsageError`). */
export function parseExportOptions(o: ExportOptions, cwd = process.cwd(), now = Date.now()): ExportDatasetInput {
  const p = new Problems();
  const source = checkSource(p, checkRequired(p, '--source', o.source));
  const dataset = checkDataset(p, source, checkRequired(p, '--dataset', o.dataset));
  const from = checkInstant(p, '--from', checkRequired(p, '--from', o.from));
  const to = o.to === undefined ? now : checkInstant(p, '--to', o.to);
  if (from !== undefined && to !== undefined && from >= to) p.add(`--from must be before --to`);
  const intervals = o.interval.map((i) => checkInterval(p, i, dataset)).filter((i): i is Interval => i !== undefined);
  const out = checkRequired(p, '--out', o.out);
  p.throwIfAny();
  return {
    source: source!.id,
    dataset: dataset!.id,
    from: new Date(from!).toISOString(),
    to: new Date(to!).toISOString(),
    ...(o.market.length > 0 ? { markets: o.market } : {}),
    ...(o.instrument.length > 0 ? { instruments: o.instrument } : {}),
    ...(intervals.length > 0 ? { intervals } : {}),
    destination: path.resolve(cwd, out!),
  };
}

const many = (v: string, prev: string[]) => [...prev, v];

export function registerExport(program: Command, ctx: CliContext): void {
  program
    .command('export')
    .description('write a dataset as Parquet files, one per series and month, with a manifest (exportDataset)')
    .option('--source <id>', 'source, e.g. data-api')
    .option('--dataset <id>', 'dataset, e.g. spot-ohlcv')
    .option('--from <time>', 'first instant (inclusive), e.g. 2024-01-01')
    .option('--to <time>', 'end (exclusive; default now)')
    .option('--market <id>', 'only this market (repeatable)', many, [] as string[])
    .option('--instrument <id>', 'only this instrument (repeatable)', many, [] as string[])
    .option('--interval <interval>', 'only this interval (repeatable)', many, [] as string[])
    .option('--out <dir>', "destination directory, on a filesystem the workers see (the workers' path)")
    .option('--task-queue <name>', 'workflow task queue', ctx.defaultTaskQueue)
    .option('--wait', 'show live progress until it completes')
    .action(async (o: ExportOptions & { taskQueue: string; wait?: boolean }) => {
      const input = parseExportOptions(o);
      await runStart(
        ctx,
        {
          workflowType: 'exportDataset',
          workflowId: exportWorkflowId(input.source, input.dataset, input.destination),
          taskQueue: o.taskQueue,
          args: [input],
          searchAttributes: { kind: 'export', source: input.source, dataset: input.dataset },
          summary: `Export of ${input.source}/${input.dataset} to ${input.destination} (crypto-ingest CLI)`,
        },
        o.wait === true,
      );
    });
}
