/**
 * `crypto-ingest status`: what the ingest workflows are doing. Without IDs, a list of the running
 * ones (a visibility query on `IngestKind`), one line each with its progress query's answer; with
 * IDs or `--watch`, live progress bars until they all close.
 */
import type { Command } from 'commander';
import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import { SA } from '../workflows/contracts/search-attributes';
import { checkInt, checkSource } from './args';
import type { CliContext } from './context';
import { Problems } from './errors';
import { formatInstant, table } from './output';
import { progressLine } from './progress';
import { queryProgress, watchAndSummarize } from './watch';

export const INGEST_KINDS = [
  'backfill',
  'sync',
  'repair',
  'reference',
  'universe',
  'export',
  'import',
  'reconcile',
] as const;

export interface StatusOptions {
  kind?: string;
  source?: string;
  all?: boolean;
  watch?: boolean;
  limit?: string;
}

const quote = (v: string) => `'${v.replace(/'/g, "''")}'`;

/** The visibility query of `status` (the same text works in the UI and `temporal workflow list --query`). */
export function statusQuery(o: { kind?: string; source?: string; all?: boolean }): string {
  const parts = [o.kind ? `${SA.kind.name} = ${quote(o.kind)}` : `${SA.kind.name} IS NOT NULL`];
  if (o.source) parts.push(`${SA.source.name} = ${quote(o.source)}`);
  if (!o.all) parts.push(`ExecutionStatus = 'Running'`);
  return parts.join(' AND ');
}

export function parseStatusOptions(o: StatusOptions): { kind?: string; source?: string; all: boolean; limit: number } {
  const p = new Problems();
  if (o.kind !== undefined && !(INGEST_KINDS as readonly string[]).includes(o.kind)) {
    p.add(`--kind: unknown kind '${o.kind}' (kinds: ${INGEST_KINDS.join(', ')})`);
  }
  const source = checkSource(p, o.source);
  const limit = checkInt(p, '--limit', o.limit, 1, 10_000);
  p.throwIfAny();
  return {
    ...(o.kind ? { kind: o.kind } : {}),
    ...(source ? { source: source.id } : {}),
    all: o.all === true,
    limit: limit ?? 100,
  };
}

async function listIngestWorkflows(client: Client, query: string, limit: number) {
  const found: WorkflowExecutionInfo[] = [];
  let more = false;
  for await (const w of client.workflow.list({ query, pageSize: Math.min(limit + 1, 1000) })) {
    if (found.length === limit) {
      more = true;
      break;
    }
    found.push(w);
  }
  return { found, more };
}

async function queryAll(client: Client, infos: WorkflowExecutionInfo[]): Promise<unknown[]> {
  const out: unknown[] = new Array(infos.length).fill(undefined);
  const batch = 16;
  for (let i = 0; i < infos.length; i += batch) {
    await Promise.all(
      infos.slice(i, i + batch).map(async (w, k) => {
        if (w.status.name !== 'RUNNING') return;
        out[i + k] = await queryProgress(client, client.workflow.getHandle(w.workflowId));
      }),
    );
  }
  return out;
}

/** One row per workflow: type, ID, (status with --all), progress. */
export function statusRows(infos: WorkflowExecutionInfo[], progress: unknown[], all: boolean): string[][] {
  return infos.map((w, i) => {
    const running = w.status.name === 'RUNNING';
    const what = running ? progressLine(w.type, progress[i]) : `closed ${formatInstant(w.closeTime)}`;
    return all ? [w.type, w.workflowId, w.status.name.toLowerCase(), what] : [w.type, w.workflowId, what];
  });
}

export function registerStatus(program: Command, ctx: CliContext): void {
  program
    .command('status')
    .argument('[workflowId...]', 'workflows to watch live (until they all close)')
    .description('list running ingest workflows with their progress, or watch some live')
    .option('--kind <kind>', `only this kind: ${INGEST_KINDS.join(', ')}`)
    .option('--source <id>', 'only this source')
    .option('--all', 'closed workflows too (not only running ones)')
    .option('--watch', 'live progress bars, refreshed every second, until all close (Ctrl-C stops watching)')
    .option('--limit <n>', 'most workflows to list (default 100)')
    .action(async (ids: string[], o: StatusOptions) => {
      const opts = parseStatusOptions(o);
      const { client, target } = await ctx.temporal();
      if (ids.length > 0) {
        await watchAndSummarize(client, ids, { out: ctx.out, target });
        return;
      }
      const query = statusQuery(opts);
      const { found, more } = await listIngestWorkflows(client, query, opts.limit);
      if (found.length === 0) {
        ctx.out.log(`no ${opts.all ? '' : 'running '}ingest workflows (query: ${query})`);
        return;
      }
      if (o.watch) {
        const running = found.filter((w) => w.status.name === 'RUNNING').map((w) => w.workflowId);
        if (running.length === 0) {
          ctx.out.log('none of them is running');
          return;
        }
        await watchAndSummarize(client, running, { out: ctx.out, target });
        return;
      }
      const progress = await queryAll(client, found);
      const columns = opts.all
        ? [{ header: 'TYPE' }, { header: 'WORKFLOW ID' }, { header: 'STATUS' }, { header: 'PROGRESS' }]
        : [{ header: 'TYPE' }, { header: 'WORKFLOW ID' }, { header: 'PROGRESS' }];
      for (const line of table(columns, statusRows(found, progress, opts.all))) ctx.out.log(line);
      if (more) ctx.out.log(`… more than ${opts.limit}: narrow with --kind/--source or raise --limit`);
    });
}
