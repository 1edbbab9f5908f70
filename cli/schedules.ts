/**
 * `crypto-ingest schedules apply|list|pause|resume|trigger`: the Temporal Schedules that keep the
 * universe current. `apply` is idempotent: it creates missing schedules, updates those whose
 * recorded hash differs from the config's, leaves the rest, and deletes `crypto-ingest/…`
 * schedules the config no longer asks for. A schedule's pause survives an update.
 */
import type { Command } from 'commander';
import { ScheduleNotFoundError, type Client, type ScheduleDescription } from '@temporalio/client';
import { SCHEDULE_IDS } from '../workflows/contracts/ids';
import type { CliContext } from './context';
import { NotFoundError, UsageError } from './errors';
import { formatDuration, formatInstant, table } from './output';
import { desiredSchedules, recordedHash, toScheduleOptions, type DesiredSchedule } from './schedule-plan';
import { loadUniverseConfigFile } from './universe';

export type ApplyAction = 'created' | 'updated' | 'unchanged' | 'deleted';

export interface ApplyRow {
  readonly id: string;
  readonly action: ApplyAction;
  /** Next run (undefined for deleted, or not yet known in a dry run); 'paused' when paused. */
  readonly next?: Date | 'paused';
}

/** `crypto-ingest/…` schedule IDs on the server (the list is eventually consistent: a schedule created a moment ago may be missing). */
export async function managedScheduleIds(client: Client): Promise<string[]> {
  const ids: string[] = [];
  for await (const s of client.schedule.list())
    if (s.scheduleId.startsWith(SCHEDULE_IDS.prefix)) ids.push(s.scheduleId);
  return ids.sort();
}

async function describeOrUndefined(client: Client, id: string): Promise<ScheduleDescription | undefined> {
  try {
    return await client.schedule.getHandle(id).describe();
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) return undefined;
    throw err;
  }
}

function nextOf(d: ScheduleDescription): Date | 'paused' | undefined {
  return d.state.paused ? 'paused' : d.info.nextActionTimes[0];
}

/** Create / update / leave / delete so the server holds exactly the desired schedules. */
export async function applySchedules(
  client: Client,
  desired: readonly DesiredSchedule[],
  o: { dryRun?: boolean } = {},
): Promise<ApplyRow[]> {
  const rows: ApplyRow[] = [];
  const wanted = new Set(desired.map((d) => d.id));
  const existing = await managedScheduleIds(client);
  for (const d of desired) {
    const handle = client.schedule.getHandle(d.id);
    const current = await describeOrUndefined(client, d.id);
    if (!current) {
      if (o.dryRun) {
        rows.push({ id: d.id, action: 'created' });
        continue;
      }
      await client.schedule.create(toScheduleOptions(d));
    } else if (recordedHash(current) !== d.hash) {
      if (!o.dryRun) {
        const { scheduleId: _id, memo: _memo, state: _state, ...rest } = toScheduleOptions(d);
        await handle.update((prev) => ({
          ...rest,
          state: {
            paused: prev.state.paused,
            ...(prev.state.note !== undefined ? { note: prev.state.note } : {}),
            ...(prev.state.remainingActions !== undefined ? { remainingActions: prev.state.remainingActions } : {}),
          },
        }));
      }
    } else {
      rows.push({ id: d.id, action: 'unchanged', next: nextOf(current) });
      continue;
    }
    const after = o.dryRun ? current : await describeOrUndefined(client, d.id);
    rows.push({ id: d.id, action: current ? 'updated' : 'created', next: after ? nextOf(after) : undefined });
  }
  for (const id of existing) {
    if (wanted.has(id)) continue;
    if (!o.dryRun) {
      try {
        await client.schedule.getHandle(id).delete();
      } catch (err) {
        if (!(err instanceof ScheduleNotFoundError)) throw err;
      }
    }
    rows.push({ id, action: 'deleted' });
  }
  return rows;
}

export function formatApply(rows: readonly ApplyRow[], dryRun: boolean): string[] {
  const verb = (a: ApplyAction) =>
    dryRun
      ? { created: 'would create', updated: 'would update', unchanged: 'unchanged', deleted: 'would delete' }[a]
      : a;
  const next = (r: ApplyRow) => (r.next === undefined ? '-' : r.next === 'paused' ? 'paused' : formatInstant(r.next));
  const lines = table(
    [{ header: 'SCHEDULE' }, { header: 'ACTION' }, { header: 'NEXT RUN' }],
    rows.map((r) => [r.id, verb(r.action), next(r)]),
  );
  const count = (a: ApplyAction) => rows.filter((r) => r.action === a).length;
  lines.push(
    `${dryRun ? 'dry run, nothing changed: ' : ''}${count('created')} ${dryRun ? 'to create' : 'created'}, ${count('updated')} ${dryRun ? 'to update' : 'updated'}, ${count('unchanged')} unchanged, ${count('deleted')} ${dryRun ? 'to delete' : 'deleted'}`,
  );
  return lines;
}

/** `crypto-ingest/repair` or its short form `repair`. */
export function fullScheduleId(id: string): string {
  return id.startsWith(SCHEDULE_IDS.prefix) ? id : `${SCHEDULE_IDS.prefix}${id}`;
}

/** `--all` or IDs, not both, not neither (checked before connecting). */
function checkTargets(ids: string[], all: boolean | undefined): void {
  if (all && ids.length > 0) throw new UsageError('give either --all or schedule IDs, not both');
  if (!all && ids.length === 0) throw new UsageError('give schedule IDs, or --all');
}

/**
 * The schedules an `--all | <id…>` command acts on (`checkTargets` has checked the choice); unknown
 * IDs are one `NotFoundError` naming them all.
 */
async function targets(client: Client, ids: string[], all: boolean | undefined): Promise<string[]> {
  if (all) return managedScheduleIds(client);
  const full = [...new Set(ids.map(fullScheduleId))];
  const missing: string[] = [];
  for (const id of full) if (!(await describeOrUndefined(client, id))) missing.push(id);
  if (missing.length > 0) {
    const known = await managedScheduleIds(client);
    throw new NotFoundError(
      `no schedule${missing.length === 1 ? '' : 's'} ${missing.map((m) => `'${m}'`).join(', ')} (schedules: ${known.join(', ') || 'none; run schedules apply'})`,
    );
  }
  return full;
}

function describeEvery(d: ScheduleDescription): string {
  const i = d.spec.intervals?.[0];
  if (!i) return d.spec.calendars?.length ? 'calendar' : '-';
  return `${formatDuration(i.every)}${i.offset ? ` +${formatDuration(i.offset)}` : ''}`;
}

export function registerSchedules(program: Command, ctx: CliContext): void {
  const group = program.command('schedules').description('the Temporal Schedules: universe refresh, sync, repair');

  group
    .command('apply')
    .description('create/update/delete the schedules a universe config asks for (idempotent)')
    .option('--config <file>', 'universe config, e.g. config/universe.json')
    .option('--task-queue <name>', 'task queue of the scheduled workflows', ctx.defaultTaskQueue)
    .option('--dry-run', 'print the plan, change nothing')
    .action(async (o: { config?: string; taskQueue: string; dryRun?: boolean }) => {
      const config = loadUniverseConfigFile(o.config);
      const desired = desiredSchedules(config, o.taskQueue);
      const { client } = await ctx.temporal();
      const rows = await applySchedules(client, desired, { dryRun: o.dryRun === true });
      for (const line of formatApply(rows, o.dryRun === true)) ctx.out.log(line);
    });

  group
    .command('list')
    .description('the crypto-ingest schedules: workflow, timing, state, next and last run')
    .action(async () => {
      const { client } = await ctx.temporal();
      const ids = await managedScheduleIds(client);
      if (ids.length === 0) {
        ctx.out.log('no crypto-ingest schedules (create them with: crypto-ingest schedules apply --config …)');
        return;
      }
      const rows: string[][] = [];
      for (const id of ids) {
        const d = await describeOrUndefined(client, id);
        if (!d) continue;
        const last = d.info.recentActions.at(-1);
        rows.push([
          id,
          d.action.workflowType,
          describeEvery(d),
          d.state.paused ? 'paused' : 'active',
          d.state.paused ? '-' : formatInstant(d.info.nextActionTimes[0]),
          last ? formatInstant(last.takenAt) : '-',
          d.state.note ?? '',
        ]);
      }
      const columns = [
        { header: 'SCHEDULE' },
        { header: 'WORKFLOW' },
        { header: 'EVERY' },
        { header: 'STATE' },
        { header: 'NEXT RUN' },
        { header: 'LAST RUN' },
        { header: 'NOTE' },
      ];
      for (const line of table(columns, rows)) ctx.out.log(line);
    });

  for (const [verb, description, defaultNote] of [
    ['pause', 'pause schedules (running workflows are not affected)', 'paused by an operator (crypto-ingest CLI)'],
    ['resume', 'resume paused schedules', 'resumed by an operator (crypto-ingest CLI)'],
  ] as const) {
    group
      .command(verb)
      .argument('[id...]', 'schedule IDs (crypto-ingest/repair, or just repair)')
      .description(description)
      .option('--all', 'every crypto-ingest schedule')
      .option('--note <text>', verb === 'pause' ? 'why (shown in schedules list and the UI)' : 'note to record')
      .action(async (ids: string[], o: { all?: boolean; note?: string }) => {
        checkTargets(ids, o.all);
        const { client } = await ctx.temporal();
        const list = await targets(client, ids, o.all);
        if (list.length === 0) {
          ctx.out.log('no crypto-ingest schedules');
          return;
        }
        for (const id of list) {
          const handle = client.schedule.getHandle(id);
          await (verb === 'pause' ? handle.pause(o.note ?? defaultNote) : handle.unpause(o.note ?? defaultNote));
          ctx.out.log(`${verb}d ${id}`);
        }
      });
  }

  group
    .command('trigger')
    .argument('<id>', 'schedule ID (crypto-ingest/repair, or just repair)')
    .description("run a schedule's workflow now (its overlap policy applies: skipped while one still runs)")
    .action(async (id: string) => {
      const { client } = await ctx.temporal();
      const [full] = await targets(client, [id], false);
      await client.schedule.getHandle(full!).trigger();
      ctx.out.log(`triggered ${full}: a run starts now unless one is still running (overlap policy SKIP)`);
    });
}
