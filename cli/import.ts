/**
 * `crypto-ingest import <path>`: Parquet or Arrow IPC files into a dataset's table through the
 * ingestion path (`importFiles`, ID `import/<path>`): an export's `manifest.json`, a directory or a
 * file; `--map file=table` renames a legacy dump's columns. docs/export.md.
 */
import path from 'node:path';
import type { Command } from 'commander';
import type { ImportFilesInput } from '../workflows/contracts/import';
import { importWorkflowId } from '../workflows/contracts/ids';
import { checkDataset, checkSource } from './args';
import type { CliContext } from './context';
import { Problems } from './errors';
import { runStart } from './start';

export interface ImportOptions {
  source?: string;
  dataset?: string;
  map: string[];
}

/** Validate every option; every problem at once (`UsageError`). */
export function parseImportOptions(target: string, o: ImportOptions, cwd = process.cwd()): ImportFilesInput {
  const p = new Problems();
  const manifest = target.endsWith('.json');
  if (!manifest && (o.source === undefined || o.dataset === undefined))
    p.add('--source and --dataset are required unless the path is an export manifest (manifest.json)');
  const source = o.source === undefined ? undefined : checkSource(p, o.source);
  const dataset = o.dataset === undefined ? undefined : checkDataset(p, source, o.dataset);
  const columnMap: Record<string, string> = {};
  for (const m of o.map) {
    const [from, to, ...rest] = m.split('=');
    if (!from || !to || rest.length > 0 || !/^[a-z_][a-z0-9_]*$/.test(to))
      p.add(`--map '${m}': expected <file column>=<table column>, e.g. time=ts`);
    else columnMap[from] = to;
  }
  p.throwIfAny();
  return {
    path: path.resolve(cwd, target),
    ...(source ? { source: source.id } : {}),
    ...(dataset ? { dataset: dataset.id } : {}),
    ...(Object.keys(columnMap).length > 0 ? { columnMap } : {}),
  };
}

export function registerImport(program: Command, ctx: CliContext): void {
  program
    .command('import')
    .argument(
      '<path>',
      "an export's manifest.json, a directory of .parquet/.arrow files, or one file (as the workers see it)",
    )
    .description('load Parquet or Arrow IPC files into a table through the ingestion path (importFiles)')
    .option('--source <id>', 'source (not needed for a manifest)')
    .option('--dataset <id>', 'dataset (not needed for a manifest)')
    .option(
      '--map <file=table>',
      "rename a file's column to the table's (repeatable), e.g. time=ts",
      (v: string, prev: string[]) => [...prev, v],
      [] as string[],
    )
    .option('--task-queue <name>', 'workflow task queue', ctx.defaultTaskQueue)
    .option('--wait', 'show live progress until it completes')
    .action(async (target: string, o: ImportOptions & { taskQueue: string; wait?: boolean }) => {
      const input = parseImportOptions(target, o);
      await runStart(
        ctx,
        {
          workflowType: 'importFiles',
          workflowId: importWorkflowId(input.path),
          taskQueue: o.taskQueue,
          args: [input],
          searchAttributes: {
            kind: 'import',
            ...(input.source ? { source: input.source } : {}),
            ...(input.dataset ? { dataset: input.dataset } : {}),
          },
          summary: `Import of ${input.path} (crypto-ingest CLI)`,
        },
        o.wait === true,
      );
    });
}
