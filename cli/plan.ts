/**
 * `crypto-ingest universe plan --config <file> [--limits <source>=<windows>]… [--json]`: what a
 * universe costs each source in API calls per rate window before a call is spent. It reads what
 * the workflows read: the config (its schedules: `client/schedule-plan.ts`), the reference tables
 * (`desiredUniverse`, as `refreshUniverse` resolves the rules), `tracked_series` and the backfill
 * checkpoints; the limits are the workers' (`<PREFIX>_RATE_LIMITS` in this environment) unless
 * `--limits` says otherwise. The arithmetic and its model: `activities/universe-plan.ts`.
 */
import type pg from 'pg';
import { rateLimitsSchema, type RateLimits, RATE_WINDOWS } from '../activities/rate-limits';
import { findSource, SOURCES } from '../activities/sources/index';
import type { DatasetSpec } from '../activities/sources/types';
import { desiredUniverse, type UniverseReader } from '../activities/universe';
import { PgUniverseStore } from '../activities/db/universe-store';
import {
  backfillCalls,
  backfillEtas,
  bindingWindow,
  fits,
  leftoverRate,
  needPerWindow,
  syncCallsPerSeries,
  type RecurringDemand,
  type WindowNeed,
} from '../activities/universe-plan';
import { desiredSchedules } from '../client/schedule-plan';
import { workerRateLimits } from '../workers/config';
import { seriesPath } from '../workflows/contracts/ids';
import { INTERVAL_SECONDS, type Interval, type SeriesKey } from '../workflows/contracts/series';
import { DEFAULT_LOOKBACK, DEFAULT_MAX_PAGES_PER_SERIES } from '../workflows/contracts/sync';
import type { UniverseConfig } from '../workflows/contracts/universe';
import type { Env } from './connect';
import { Problems } from './errors';
import { formatCount, formatDuration, formatInstant, table } from './output';

export interface SourcePlan {
  readonly source: string;
  /** The limits planned against, and where they came from. */
  readonly limits: RateLimits | 'off';
  readonly limitsFrom: string;
  readonly steadyState: RecurringDemand[];
  readonly windows: WindowNeed[];
  readonly binding: { readonly window: string; readonly share: number } | null;
  readonly fits: boolean;
  readonly backfills: {
    readonly pending: number;
    readonly calls: number;
    /** What the steady state leaves, calls per second, and the window that leaves the least. */
    readonly leftoverCallsPerSecond: number | null;
    readonly leftoverWindow: string | null;
    /** When the last pending backfill completes (null: never at this rate). */
    readonly completeAt: string | null;
    readonly series: Array<{
      readonly series: string;
      readonly from: string;
      readonly calls: number;
      readonly completeAt: string | null;
    }>;
  };
}

export interface UniversePlan {
  readonly asOf: string;
  readonly series: number;
  readonly sources: SourcePlan[];
  /** Explicitly named instruments a refreshed market does not list (not planned). */
  readonly unlisted: string[];
}

/** A tracked series' backfill state: done, or where its backfill stands. */
export interface BackfillState {
  readonly backfilled: boolean;
  /** The backfill's checkpoint (Unix seconds), when one is open; else its start. */
  readonly nextTs: number;
}

export interface PlanInputs {
  readonly reader: UniverseReader;
  /** Backfill state of the tracked series, by `seriesPath`. */
  readonly tracked: ReadonlyMap<string, BackfillState>;
  readonly limits: ReadonlyMap<string, { readonly limits: RateLimits | 'off'; readonly from: string }>;
  readonly now: number;
}

/** The sources a config uses: its track rules' and its references'. */
export const planSources = (config: UniverseConfig): string[] =>
  [...new Set([...config.track.map((r) => r.source), ...config.references.map((r) => r.source)])].sort();

function datasetOf(source: string, dataset: string): DatasetSpec<unknown> {
  const ds = findSource(source)?.datasets[dataset];
  if (!ds) throw new Error(`no dataset ${source}/${dataset}`); // the config was validated against the registry
  return ds;
}

/** The plan of a (validated) config: per source, the steady state's need per window and the backfills' ETA. */
export async function buildPlan(config: UniverseConfig, inputs: PlanInputs): Promise<UniversePlan> {
  const { desired, unlisted } = await desiredUniverse(inputs.reader, config, inputs.now, datasetOf);
  const schedules = desiredSchedules(config, 'plan');
  const universeEvery = schedules.find((s) => s.kind === 'universe')!.everyMs / 1000;
  const sources = planSources(config);

  const plans = sources.map((source): SourcePlan => {
    const steady: RecurringDemand[] = [];
    for (const s of schedules) {
      if (s.kind !== 'sync') continue;
      const input = s.args[0] as { source: string; dataset: string; interval: Interval; lookbackPeriods?: number };
      if (input.source !== source) continue;
      const n = desired.filter(
        (d) => d.source === source && d.dataset === input.dataset && d.interval === input.interval,
      ).length;
      const perSeries = syncCallsPerSeries({
        everySeconds: s.everyMs / 1000,
        stepSeconds: INTERVAL_SECONDS[input.interval],
        lookbackPeriods: input.lookbackPeriods ?? DEFAULT_LOOKBACK[input.interval],
        cap: datasetOf(source, input.dataset).maxPeriodsPerRequest(input.interval),
        maxPagesPerSeries: DEFAULT_MAX_PAGES_PER_SERIES,
      });
      steady.push({
        what: `sync ${input.dataset} ${input.interval}: ${n} series × ${perSeries} call${perSeries === 1 ? '' : 's'} every ${formatDuration(s.everyMs)}`,
        callsPerTick: n * perSeries,
        everySeconds: s.everyMs / 1000,
      });
    }
    const refs = config.references.filter((r) => r.source === source);
    if (refs.length > 0) {
      const def = findSource(source)!;
      const parts = refs.map((r) => {
        const spec = def.references[r.dataset]!;
        return { dataset: r.dataset, calls: spec.plannedCalls(spec.paramsSchema.parse(r.params ?? {})) };
      });
      const calls = parts.reduce((n, p) => n + p.calls, 0);
      steady.push({
        what: `reference refresh (${parts.map((p) => `${p.dataset} ${p.calls}`).join(', ')}) every ${formatDuration(universeEvery * 1000)}`,
        callsPerTick: calls,
        everySeconds: universeEvery,
      });
    }
    const { limits, from: limitsFrom } = inputs.limits.get(source) ?? {
      limits: 'off' as const,
      from: 'unknown source',
    };
    const windows = needPerWindow(steady, limits === 'off' ? {} : limits);
    const binding = bindingWindow(windows);

    // Pending backfills: tracked and not yet backfilled (from their checkpoint), or not tracked yet
    // (from where the config starts them), up to now.
    const pending = desired
      .filter((d) => d.source === source)
      .flatMap((d) => {
        const t = inputs.tracked.get(seriesPath(d));
        if (t?.backfilled) return [];
        const from = t?.nextTs ?? d.backfillFrom;
        const calls = backfillCalls(
          from,
          inputs.now,
          INTERVAL_SECONDS[d.interval],
          datasetOf(source, d.dataset).maxPeriodsPerRequest(d.interval),
        );
        return [{ key: `${d.dataset}/${d.market}/${d.instrument}/${d.interval}`, from, calls }];
      });
    const left = leftoverRate(windows);
    const etas = backfillEtas(pending, left.callsPerSecond);
    const at = (seconds: number): string | null =>
      Number.isFinite(seconds) ? formatInstant((inputs.now + seconds) * 1000) : null;
    return {
      source,
      limits,
      limitsFrom,
      steadyState: steady,
      windows,
      binding: binding ? { window: binding.window, share: binding.share! } : null,
      fits: fits(windows),
      backfills: {
        pending: pending.length,
        calls: pending.reduce((n, p) => n + p.calls, 0),
        leftoverCallsPerSecond: Number.isFinite(left.callsPerSecond) ? left.callsPerSecond : null,
        leftoverWindow: left.window ?? null,
        completeAt: etas.length === 0 ? formatInstant(inputs.now * 1000) : at(etas[etas.length - 1]!.doneInSeconds),
        series: etas.map((e, i) => ({
          series: e.key,
          from: formatInstant(pending[i]!.from * 1000),
          calls: e.calls,
          completeAt: at(e.doneInSeconds),
        })),
      },
    };
  });
  return { asOf: formatInstant(inputs.now * 1000), series: desired.length, sources: plans, unlisted };
}

/**
 * The limits to plan against, per source: `--limits <source>=<windows>` (e.g.
 * `data-api=second=50,minute=2000,hour=100000`, or `data-api=off`), else what a worker in this
 * environment would use (`<PREFIX>_RATE_LIMITS`, the free tier when unset).
 */
export function planLimits(
  sources: readonly string[],
  options: readonly string[],
  env: Env,
  p: Problems,
): Map<string, { limits: RateLimits | 'off'; from: string }> {
  const out = new Map<string, { limits: RateLimits | 'off'; from: string }>();
  const fromEnv = workerRateLimits(env);
  for (const id of sources) {
    const l = fromEnv.get(id);
    if (!l) continue;
    if ('problem' in l) p.add(l.problem);
    else out.set(id, l);
  }
  for (const o of options) {
    const eq = o.indexOf('=');
    const id = eq < 0 ? o : o.slice(0, eq);
    if (eq < 0 || !findSource(id)) {
      p.add(
        `--limits '${o}': expected <source>=<windows>, e.g. data-api=second=50,minute=2000 (sources: ${sourcesList()})`,
      );
      continue;
    }
    const limits = rateLimitsSchema.safeParse(o.slice(eq + 1));
    if (!limits.success) {
      p.add(`--limits '${o}': ${limits.error.issues[0]?.message ?? 'not windows like second=20,minute=300'}`);
      continue;
    }
    out.set(id, { limits: limits.data, from: '--limits' });
  }
  return out;
}

const sourcesList = (): string => SOURCES.map((s) => s.id).join(', ');

/** Backfill state of every active tracked series (the latest open checkpoint of each). */
export async function trackedBackfillState(db: pg.Pool): Promise<Map<string, BackfillState>> {
  const res = await db.query<SeriesKey & { backfilled: boolean; next_ts: number }>(
    `SELECT t.source, t.dataset, t.market, t.instrument, t.interval, t.backfilled_at IS NOT NULL AS backfilled,
            extract(epoch FROM coalesce(c.next_ts, t.backfill_from))::float8 AS next_ts
     FROM tracked_series t
     LEFT JOIN LATERAL (
       SELECT next_ts FROM ingest_checkpoints c
       WHERE c.source = t.source AND c.dataset = t.dataset AND c.market = t.market AND c.instrument = t.instrument
         AND c.interval = t.interval AND c.completed_at IS NULL
       ORDER BY c.updated_at DESC LIMIT 1) c ON true
     WHERE t.active`,
  );
  return new Map(res.rows.map((r) => [seriesPath(r), { backfilled: r.backfilled, nextTs: Number(r.next_ts) }]));
}

const pct = (share: number | undefined): string =>
  share === undefined ? '-' : !Number.isFinite(share) ? '∞' : `${(share * 100).toFixed(share < 0.1 ? 2 : 1)}%`;
const calls = (n: number | undefined): string =>
  n === undefined ? '-' : Math.abs(n) >= 10 || n === 0 ? formatCount(Math.round(n)) : n.toFixed(2);

/**
 * The plan of a config as `universe plan` and `schedules apply` show it: the limits from
 * `--limits` or this environment, the reference tables, tracked series and checkpoints from the
 * database.
 */
export async function planOf(
  config: UniverseConfig,
  limitOptions: readonly string[],
  ctx: { readonly env: Env; db(): Promise<pg.Pool> },
): Promise<UniversePlan> {
  const p = new Problems();
  const limits = planLimits(planSources(config), limitOptions, ctx.env, p);
  p.throwIfAny();
  const db = await ctx.db();
  return buildPlan(config, {
    reader: new PgUniverseStore(db),
    tracked: await trackedBackfillState(db),
    limits,
    now: Math.floor(Date.now() / 1000),
  });
}

/** The `--limits` option of the commands that plan (commander's `option(...)` arguments). */
export const LIMITS_OPTION = [
  '--limits <source=windows>',
  "limits to plan against, e.g. data-api=second=50,minute=2000,hour=100000 (repeatable; default: this environment's <PREFIX>_RATE_LIMITS)",
  (v: string, prev: string[]) => [...prev, v],
  [] as string[],
] as const;

/** The windows a steady state can never catch up in: a day or a month it needs more of than allowed. */
const REFUSING_WINDOWS: ReadonlySet<string> = new Set(['day', 'month']);

/**
 * Why `schedules apply` refuses this plan (empty: it does not): per source, each day or month window
 * the steady state needs more calls of than its limit. A shorter window (second … hour) that does not
 * fit makes the syncs lag and share fairly, and catch up when the longer windows allow; a day or
 * month does not end soon enough for that.
 */
export function planRefusals(plan: UniversePlan): string[] {
  const out: string[] = [];
  for (const s of plan.sources)
    for (const w of s.windows)
      if (REFUSING_WINDOWS.has(w.window) && w.limit !== undefined && w.need > w.limit)
        out.push(
          `${s.source}: the steady state needs ${calls(w.need)} calls a ${w.window}, the limit is ${calls(w.limit)} (${pct(w.share)}; ${s.limitsFrom})`,
        );
  return out;
}

/** One line per source: the binding window and whether the steady state fits. */
export function planVerdicts(plan: UniversePlan): string[] {
  return plan.sources.map((s) =>
    s.binding === null
      ? `plan: ${s.source}: no limited window`
      : `plan: ${s.source}: binding window ${s.binding.window} (${pct(s.binding.share)} of its limit): ${s.fits ? 'fits' : 'does NOT fit, syncs will lag'}; ${formatCount(s.backfills.pending)} backfill(s) pending${s.backfills.pending > 0 ? `, complete ${s.backfills.completeAt ?? 'never at this plan'}` : ''}`,
  );
}

/** The plan for people. */
export function renderPlan(plan: UniversePlan): string[] {
  const lines = [`universe plan as of ${plan.asOf}: ${formatCount(plan.series)} series`];
  if (plan.unlisted.length > 0) lines.push(`not listed by their market (not planned): ${plan.unlisted.join(', ')}`);
  for (const s of plan.sources) {
    lines.push(
      '',
      `${s.source}: limits ${
        s.limits === 'off'
          ? 'off'
          : RATE_WINDOWS.filter((w) => s.limits !== 'off' && s.limits[w] !== undefined)
              .map((w) => `${w}=${(s.limits as RateLimits)[w]}`)
              .join(',')
      } (${s.limitsFrom})`,
    );
    lines.push('  steady state (calls):');
    for (const d of s.steadyState) lines.push(`    ${d.what}`);
    lines.push("    repair audit: none (it reads the database; repairing a hole costs that hole's backfill calls)");
    lines.push(
      ...table(
        [
          { header: '  WINDOW' },
          { header: 'NEED', align: 'right' },
          { header: 'LIMIT', align: 'right' },
          { header: 'SHARE', align: 'right' },
          { header: 'HEADROOM', align: 'right' },
        ],
        s.windows.map((w) => [`  ${w.window}`, calls(w.need), calls(w.limit), pct(w.share), calls(w.headroom)]),
      ),
    );
    lines.push(
      s.binding === null
        ? '  no limited window: the steady state fits'
        : `  binding window: ${s.binding.window} (${pct(s.binding.share)}): ${s.fits ? 'the steady state fits' : 'the steady state does NOT fit: syncs will lag (docs/universe.md, "When the plan does not fit")'}`,
    );
    const b = s.backfills;
    lines.push(
      b.pending === 0
        ? '  backfills: none pending'
        : `  backfills: ${formatCount(b.pending)} pending, ${formatCount(b.calls)} calls; ` +
            (b.completeAt === null
              ? `nothing left for them (${b.leftoverWindow ?? '-'} window): never complete at this plan`
              : `${b.leftoverCallsPerSecond === null ? 'no limit' : `${b.leftoverCallsPerSecond.toFixed(3)} calls/s left (${b.leftoverWindow})`}: all complete by ${b.completeAt}`),
    );
  }
  return lines;
}
