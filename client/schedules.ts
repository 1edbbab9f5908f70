/**
 * The Temporal Schedules a universe config asks for, applied as a Temporal client: create the
 * missing ones, update those whose recorded hash differs (a pause survives the update), leave the
 * rest, delete `crypto-ingest/…` schedules the config no longer asks for. Idempotent.
 */
import { ScheduleNotFoundError, type Client, type ScheduleDescription } from '@temporalio/client';
import { SCHEDULE_IDS } from '../workflows/contracts/ids';
import { recordedHash, toScheduleOptions, type DesiredSchedule } from './schedule-plan';

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

/** The schedule's description, or undefined when there is no such schedule. */
export async function describeSchedule(client: Client, id: string): Promise<ScheduleDescription | undefined> {
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
    const current = await describeSchedule(client, d.id);
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
    const after = o.dryRun ? current : await describeSchedule(client, d.id);
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

/** `2 created, 0 updated, 5 unchanged, 1 deleted` (or, for a dry run, what would be done). */
export function applySummary(rows: readonly ApplyRow[], dryRun: boolean): string {
  const count = (a: ApplyAction) => rows.filter((r) => r.action === a).length;
  return `${dryRun ? 'dry run, nothing changed: ' : ''}${count('created')} ${dryRun ? 'to create' : 'created'}, ${count('updated')} ${dryRun ? 'to update' : 'updated'}, ${count('unchanged')} unchanged, ${count('deleted')} ${dryRun ? 'to delete' : 'deleted'}`;
}
