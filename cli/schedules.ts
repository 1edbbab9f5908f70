/**
 * `crypto-ingest schedules apply|list|pause|resume|trigger`: the Temporal Schedules that keep the
 * universe current. `apply` is idempotent: it creates missing schedules, updates those whose
 * recorded hash differs from the config's, leaves the rest, and deletes `crypto-ingest/…`
 * schedules the config no longer asks for. A schedule's pause survives an update.
 */
import type { Command } from 'commander';
import type { Client, ScheduleDescription } from '@temporalio/client';
import {
  applySchedules,
  applySummary,
  describeSchedule,
  managedScheduleIds,
  type ApplyAction,
  type ApplyRow,
} from '../client/schedules';
import { SCHEDULE_IDS } from '../workflows/contracts/ids';
import type { CliContext } from './context';
import { NotFoundError, RefusedError, UsageError } from './errors';
import { formatDuration, formatInstant, table } from './output';
import { desiredSchedules } from '../client/schedule-plan';
import { loadUniverseConfigFile } from './universe';
import { LIMITS_OPTION, planOf, planRefusals, planVerdicts, renderPlan } from './plan';

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
  lines.push(applySummary(rows, dryRun));
  return lines;
}

/** The refusal of a plan whose syncs need more of a day or a month than allowed: what and what to do. */
export function refusedFor(refusals: readonly string[], dryRun: boolean): RefusedError {
  return new RefusedError(
    [
      `${dryRun ? 'apply would refuse' : 'refused, nothing changed'}: the steady state of this config (its syncs and reference refreshes) can never keep up:`,
      ...refusals.map((r) => `  - ${r}`),
      'Sync less often (schedules.sync.<interval>.every), track fewer series, or use a plan with larger limits',
      '(docs/universe.md, "When the plan does not fit"); --accept-lag applies it anyway, and the syncs then',
      'share what there is fairly and report their lag.',
    ].join('\n'),
  );
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
  for (const id of full) if (!(await describeSchedule(client, id))) missing.push(id);
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
    .option('--dry-run', 'print what would change and the full plan of API calls, change nothing')
    .option(...LIMITS_OPTION)
    .option('--accept-lag', 'apply even when the steady state needs more calls a day or a month than the limits allow')
    .action(
      async (o: { config?: string; taskQueue: string; dryRun?: boolean; limits: string[]; acceptLag?: boolean }) => {
        const config = loadUniverseConfigFile(o.config);
        const desired = desiredSchedules(config, o.taskQueue);
        // The plan first: a config whose syncs can never keep up is refused before anything changes.
        const plan = await planOf(config, o.limits, ctx);
        const refusals = planRefusals(plan);
        const { client } = await ctx.temporal();
        if (o.dryRun) {
          for (const line of formatApply(await applySchedules(client, desired, { dryRun: true }), true))
            ctx.out.log(line);
          ctx.out.log('');
          for (const line of renderPlan(plan)) ctx.out.log(line);
        } else {
          for (const line of planVerdicts(plan)) ctx.out.log(line);
        }
        if (refusals.length > 0 && !o.acceptLag) throw refusedFor(refusals, o.dryRun === true);
        if (refusals.length > 0) ctx.out.log(`accepted lag (--accept-lag): ${refusals.join('; ')}`);
        if (o.dryRun) return;
        const rows = await applySchedules(client, desired, { dryRun: false });
        for (const line of formatApply(rows, false)) ctx.out.log(line);
      },
    );

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
        const d = await describeSchedule(client, id);
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
