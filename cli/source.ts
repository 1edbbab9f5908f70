/**
 * `crypto-ingest source pause|resume|status`: the fleet-wide pauses in `source_pauses` (one row per
 * budget key: the source id, or `<id>#<fingerprint of the API key>`). A pause is taken by every
 * worker before its next request; running workflows wait on a durable timer (status `paused`).
 */
import type { Command } from 'commander';
import { PgPauseStore, type PauseRow, type PauseStore } from '../activities/db/pause-store';
import type { SourceDefinition } from '../activities/sources/types';
import { withoutEmpty } from '../workers/config';
import { checkDuration, checkSource } from './args';
import type { CliContext } from './context';
import type { Env } from './connect';
import { Problems } from './errors';
import { formatDuration, formatInstant, table } from './output';

/**
 * The budget keys of a source: its id, every `<id>#…` key PostgreSQL knows of (pauses and budget
 * windows, i.e. every API key a worker used), and the key this environment's own API key maps to.
 */
export async function budgetKeys(
  pauses: PauseStore,
  source: SourceDefinition<unknown>,
  env: Env = {},
): Promise<string[]> {
  const keys = new Set([source.id, ...(await pauses.keyedBudgets(source.id))]);
  // As the worker reads its environment (empty values are unset), so the fingerprint matches.
  const parsed = source.configSchema.safeParse(withoutEmpty(env));
  if (parsed.success) keys.add(source.budget(parsed.data).key);
  return [...keys].sort();
}

/** Pause these budget keys for `seconds` (extends, never shortens, an existing pause), `set_by` operator. */
export async function pauseBudgetKeys(
  pauses: PauseStore,
  keys: readonly string[],
  seconds: number,
  reason: string,
  setBy = 'operator',
): Promise<PauseRow[]> {
  for (const key of keys) await pauses.pause(key, seconds, reason, setBy);
  return pauses.list({ keys, all: true });
}

export function formatPauses(rows: PauseRow[]): string[] {
  return table(
    [
      { header: 'SOURCE' },
      { header: 'PAUSED UNTIL' },
      { header: 'REMAINING' },
      { header: 'SET BY' },
      { header: 'REASON' },
    ],
    rows.map((r) => [
      r.source,
      formatInstant(r.pausedUntil),
      r.remainingMs > 0 ? formatDuration(r.remainingMs) : 'ended',
      r.setBy,
      r.reason,
    ]),
  );
}

function parseSource(id: string): SourceDefinition<unknown> {
  const p = new Problems();
  const source = checkSource(p, id, '');
  p.throwIfAny();
  return source!;
}

export function parsePauseOptions(
  id: string,
  o: { for?: string; reason?: string },
): {
  source: SourceDefinition<unknown>;
  seconds: number;
  reason: string;
} {
  const p = new Problems();
  const source = checkSource(p, id, '');
  if (o.for === undefined) p.add('--for is required (a duration like 30m, 2h or 1d)');
  const ms = checkDuration(p, '--for', o.for);
  if (o.reason !== undefined && o.reason.trim() === '') p.add('--reason is empty');
  p.throwIfAny();
  return { source: source!, seconds: ms! / 1000, reason: o.reason?.trim() || 'paused by an operator' };
}

export function registerSource(program: Command, ctx: CliContext): void {
  const group = program.command('source').description('pause, resume and inspect sources (fleet-wide, per budget key)');

  group
    .command('pause')
    .argument('<source>', 'source id, e.g. data-api')
    .description('pause a source for every worker (extends an existing pause, never shortens it)')
    .option('--for <duration>', 'how long: 30m, 2h, 1d …')
    .option('--reason <text>', "why (shown in workflows' progress and source status)")
    .action(async (id: string, o: { for?: string; reason?: string }) => {
      const { source, seconds, reason } = parsePauseOptions(id, o);
      const pauses = new PgPauseStore(await ctx.db());
      const keys = await budgetKeys(pauses, source, ctx.env);
      const rows = await pauseBudgetKeys(pauses, keys, seconds, reason);
      ctx.out.log(
        `paused ${source.id} for ${formatDuration(seconds * 1000)} (${keys.length} budget key${keys.length === 1 ? '' : 's'}; a longer existing pause is kept):`,
      );
      for (const line of formatPauses(rows)) ctx.out.log(`  ${line}`);
      ctx.out.log('workers stop calling it before their next request; running workflows wait (status paused).');
    });

  group
    .command('resume')
    .argument('<source>', 'source id, e.g. data-api')
    .description("lift a source's pauses (every budget key)")
    .action(async (id: string) => {
      const source = parseSource(id);
      const pauses = new PgPauseStore(await ctx.db());
      const lifted = await pauses.lift(await budgetKeys(pauses, source, ctx.env));
      if (lifted.length === 0) {
        ctx.out.log(`${source.id} was not paused`);
        return;
      }
      ctx.out.log(`resumed ${source.id}: lifted ${lifted.join(', ')}`);
      ctx.out.log(
        "workers call it again at once; a workflow already waiting wakes at its timer's end (or reset it: docs/runbook.md).",
      );
    });

  group
    .command('status')
    .description('the pauses in force (until, remaining, reason, set by)')
    .option('--all', 'ended pauses too')
    .action(async (o: { all?: boolean }) => {
      const rows = await new PgPauseStore(await ctx.db()).list({ all: o.all === true });
      if (rows.length === 0) {
        ctx.out.log(o.all ? 'no pauses recorded' : 'no source is paused');
        return;
      }
      for (const line of formatPauses(rows)) ctx.out.log(line);
    });
}
