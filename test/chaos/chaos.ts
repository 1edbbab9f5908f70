/**
 * `npm run chaos [-- --seed N --minutes M --keep --dry-run]`: a seeded, bounded chaos run on the real stack (its own
 * data dir `.data/chaos-<seed>`, free ports, a persistent Temporal db file, a private PostgreSQL).
 *
 * Backfills are started in waves, and sync ticks of tracked series (`syncDataset`, one at a time like
 * a Schedule with overlap SKIP, each `asOf` a step further) run, while a schedule drawn from the seed SIGKILLs workers, restarts
 * the Temporal dev server and PostgreSQL (immediate shutdown), and injects simulator faults scoped
 * to one running job's series (rate-limit, server-error, malformed, ban, hard-block, reset,
 * drift-new-field; every plain job also runs under a `slow` fault that paces it), a day-quota exhaustion of the min-api (twin clock shortly before UTC midnight,
 * as `test/integration/quota.test.ts` does) and bad rows (one single-page job per bad-row kind).
 * Mid-window, a hole is punched into a synced series and `repairCoverage` repairs it under the same
 * chaos. After the window: transient faults removed, workers back, every workflow awaited; then every
 * series (backfilled or synced) is compared with the simulator's own generator, and quarantine must
 * hold exactly the injected bad rows. Prints one JSON line (seed, faults, kills, restarts, verdict);
 * exit 0 only on a pass. The seed fixes the schedule (jobs, series, ticks, event order and timing,
 * fault kinds); what a fault hits still depends on timing.
 */
import { rmSync } from 'node:fs';
import path from 'node:path';
import { isDeepStrictEqual, parseArgs } from 'node:util';
import { Client, Connection, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import pg from 'pg';
import { startStack, type ManagedProcess } from '../../stack/index';
import { REPO_ROOT } from '../../stack/processes';
import { SimulatorControl } from '../../simulator/control-client';
import { uniformAt } from '../../simulator/random';
import { listInstruments, SIM_MARKETS } from '../../simulator/sources/data-api/catalog';
import { expectedHisto } from '../../simulator/sources/min-api';
import { BAD_ROW_KINDS, type BadRowKind, type FaultKind, type FaultSpec } from '../../simulator/types';
import type { BackfillSeriesInput, BackfillSeriesResult } from '../../workflows/contracts/backfill';
import type { RepairCoverageProgress } from '../../workflows/contracts/repair';
import type { SyncDatasetProgress } from '../../workflows/contracts/sync';
import { backfillWorkflowId } from '../../workflows/contracts/ids';
import type { SeriesKey } from '../../workflows/contracts/series';
import { DEFAULT_TASK_QUEUE } from '../../workflows/contracts/task-queues';
import { expectedSpotRows, storedSpotRows } from '../helpers/expected';
import { expectedTableRows, storedTableRows, tableColumns } from '../helpers/tables';
import { seedBackfilledSeries } from '../helpers/tracked';

const H = 3600;
const PAGE = 2000; // rows per Data API / min-api page
const PACE_MS = 1_500; // the `slow` fault on every plain job's pages

// ---------------------------------------------------------------------------------------------
// Seeded randomness: a counter over the simulator's stateless hash, so a seed replays exactly.
// ---------------------------------------------------------------------------------------------

class Rng {
  private n = 0;
  constructor(private readonly seed: number) {}
  next(): number {
    return uniformAt(this.seed, this.n++, 0x0c4a05);
  }
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.next() * xs.length)]!;
  }
  shuffle<T>(xs: readonly T[]): T[] {
    const out = [...xs];
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  }
}

// ---------------------------------------------------------------------------------------------
// The plan
// ---------------------------------------------------------------------------------------------

interface Job {
  kind: 'plain' | 'bad' | 'quota';
  series: SeriesKey;
  from: number;
  to: number;
  badRow?: BadRowKind;
  /** Seconds after the start of the chaos window. */
  startAt: number;
  workflowId: string;
  started: boolean;
}

/** A sync tick over the synced series: started at `at` (window seconds) if the previous one is done. */
interface SyncTick {
  at: number;
  /** Sync up to the period containing this instant (Unix seconds). */
  asOf: number;
  workflowId: string;
  /** Its time came (run, or skipped while another ran). */
  started: boolean;
  ran: boolean;
}

/** The hole punched into the first synced series mid-window, then repaired by `repairCoverage`. */
interface RepairPlan {
  at: number;
  /** Hours after the synced series' start where the hole begins, and its length in hours. */
  offsetHours: number;
  hours: number;
  workflowId: string;
}

type EventKind = 'kill-worker' | 'restart-temporal' | 'restart-postgres' | 'fault';
interface ChaosEvent {
  at: number;
  kind: EventKind;
  fault?: FaultKind;
  /** Index into the running jobs when the event fires. */
  target: number;
  count: number;
  seconds: number;
}

// `slow` is not among them: every plain job runs under a `slow` fault that paces its pages so that
// kills and faults land mid-run (the registry applies the first matching `slow` only).
const TRANSIENT_FAULTS: FaultKind[] = [
  'rate-limit',
  'server-error',
  'malformed',
  'ban',
  'hard-block',
  'reset',
  'drift-new-field',
];

/** Where the synced series' stored history starts (their watermark before the first tick). */
const SYNC_FROM = Date.UTC(2023, 0, 1) / 1000;
const SYNC_TICK_EVERY = 20; // seconds of the window between tick starts (a tick still running: skipped)

interface Plan {
  jobs: Job[];
  events: ChaosEvent[];
  windowSec: number;
  syncSeries: SeriesKey[];
  ticks: SyncTick[];
  repair: RepairPlan;
}

function plan(seed: number, minutes: number): Plan {
  const rng = new Rng(seed);
  const windowSec = Math.max(30, Math.round(minutes * 60 * 0.5)); // the rest: start, drain, checks
  const from = Date.UTC(2022, 0, 1) / 1000;
  const candidates = SIM_MARKETS.flatMap((m) =>
    listInstruments(m)
      .filter((i) => i.listedAt < from - 86_400 && i.retiredAt === undefined)
      .map((i) => ({ market: m, instrument: i.mapped })),
  );
  const pool = rng.shuffle(candidates);
  const jobs: Job[] = [];
  const nPlain = Math.max(2, Math.round(minutes * 2));
  const badKinds = rng
    .shuffle(BAD_ROW_KINDS)
    .slice(0, Math.max(1, Math.min(BAD_ROW_KINDS.length, Math.round(minutes))));
  const spot = (market: string, instrument: string): SeriesKey => ({
    source: 'data-api',
    dataset: 'spot-ohlcv',
    market,
    instrument,
    interval: '1h',
  });
  const mk = (
    kind: Job['kind'],
    series: SeriesKey,
    f: number,
    t: number,
    startAt: number,
    badRow?: BadRowKind,
  ): Job => ({
    kind,
    series,
    from: f,
    to: t,
    startAt,
    workflowId: backfillWorkflowId(series, f, t),
    started: false,
    ...(badRow ? { badRow } : {}),
  });
  // the quota job first: 5 pages of min-api; the day window allows 3 calls
  jobs.push(
    mk(
      'quota',
      { source: 'min-api', dataset: 'histo-ohlcv', market: 'CCCAGG', instrument: 'BTC-USD', interval: '1h' },
      Date.UTC(2024, 0, 1) / 1000,
      Date.UTC(2024, 0, 1) / 1000 + 5 * PAGE * H,
      0,
    ),
  );
  for (let i = 0; i < nPlain; i++) {
    const c = pool.pop()!;
    const pages = rng.int(5, 10);
    jobs.push(
      mk(
        'plain',
        spot(c.market, c.instrument),
        from,
        from + pages * PAGE * H,
        Math.round((i * windowSec * 0.7) / nPlain),
      ),
    );
  }
  for (const [i, kind] of badKinds.entries()) {
    const c = pool.pop()!;
    const f = from + rng.int(0, 600) * 86_400;
    jobs.push(
      mk(
        'bad',
        spot(c.market, c.instrument),
        f,
        f + 240 * H,
        Math.round(((i + 0.5) * windowSec * 0.6) / badKinds.length),
        kind,
      ),
    );
  }
  // sync: 2-3 tracked series, one tick every SYNC_TICK_EVERY s, each 1-2 pages further
  const syncSeries = Array.from({ length: minutes >= 5 ? 3 : 2 }, () => {
    const c = pool.pop()!;
    return spot(c.market, c.instrument);
  });
  const ticks: SyncTick[] = [];
  let asOf = SYNC_FROM;
  for (let at = 2; at < windowSec; at += SYNC_TICK_EVERY) {
    // never closer than 30 days to now: every period a tick reads is long closed
    asOf = Math.min(asOf + rng.int(20, 2_000) * H + rng.int(0, H - 1), Math.floor(Date.now() / 1000) - 30 * 86_400);
    ticks.push({ at, asOf, workflowId: `chaos/${seed}/sync/${ticks.length}`, started: false, ran: false });
  }
  const repair: RepairPlan = {
    at: Math.round(windowSec * 0.5),
    offsetHours: rng.int(3, 40),
    hours: rng.int(5, 60),
    workflowId: `chaos/${seed}/repair`,
  };
  const events: ChaosEvent[] = [];
  const faultOrder = rng.shuffle(TRANSIENT_FAULTS);
  let nextFault = 0;
  const event = (at: number, kind: EventKind): ChaosEvent => ({
    at,
    kind,
    ...(kind === 'fault' ? { fault: faultOrder[nextFault++ % faultOrder.length]! } : {}),
    target: rng.int(0, 1000),
    count: rng.int(1, 3),
    seconds: rng.int(2, 5),
  });
  // one restart of each at a seeded moment, more in longer runs, never two within 25 s
  const infra: Array<[number, EventKind]> = [];
  const slots = Math.max(1, Math.floor(windowSec / 60));
  for (let k = 0; k < slots; k++) {
    const base = (k * windowSec) / slots;
    const span = windowSec / slots;
    infra.push([Math.round(base + span * (0.2 + 0.1 * rng.next())), 'restart-temporal']);
    infra.push([Math.round(base + span * (0.6 + 0.1 * rng.next())), 'restart-postgres']);
  }
  if (rng.next() < 0.5)
    for (const i of infra) i[1] = i[1] === 'restart-temporal' ? 'restart-postgres' : 'restart-temporal';
  for (const [at, kind] of infra) events.push(event(at, kind));
  let at = 6;
  while (at < windowSec) {
    if (!infra.some(([t]) => Math.abs(t - at) < 4)) events.push(event(at, rng.next() < 0.4 ? 'kill-worker' : 'fault'));
    at += rng.int(3, 7);
  }
  events.sort((a, b) => a.at - b.at);
  return { jobs, events, windowSec, syncSeries, ticks, repair };
}

// ---------------------------------------------------------------------------------------------
// The run
// ---------------------------------------------------------------------------------------------

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const say = (line: string): void => {
  process.stderr.write(`[chaos ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
};

/** Retry `fn` through restarts of Temporal / PostgreSQL. */
async function retry<T>(what: string, fn: () => Promise<T>, timeoutMs = 180_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`${what}: ${err instanceof Error ? err.message : String(err)}`);
      await sleep(1_000);
    }
  }
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      seed: { type: 'string' },
      minutes: { type: 'string' },
      keep: { type: 'boolean' },
      'dry-run': { type: 'boolean' },
    },
  });
  const seed = values.seed !== undefined ? Number(values.seed) : Math.floor(Math.random() * 1_000_000);
  const minutes = values.minutes !== undefined ? Number(values.minutes) : 5;
  if (!Number.isInteger(seed) || seed < 0) throw new Error(`--seed must be a non-negative integer, got ${values.seed}`);
  if (!(minutes > 0 && minutes <= 30)) throw new Error(`--minutes must be in (0, 30], got ${values.minutes}`);
  const started = Date.now();
  const budgetMs = minutes * 60_000;
  const { jobs, events, windowSec, syncSeries, ticks, repair } = plan(seed, minutes);
  say(
    `seed ${seed}, ${minutes} min: ${jobs.length} backfills, ${ticks.length} sync ticks over ${syncSeries.length} series, a repair, ${events.length} events in a ${windowSec}s window`,
  );
  if (values['dry-run']) {
    // the schedule only: no stack
    console.log(JSON.stringify({ seed, minutes, windowSec, jobs, syncSeries, ticks, repair, events }));
    return 0;
  }

  const dataDir = path.join(REPO_ROOT, '.data', `chaos-${seed}`);
  rmSync(dataDir, { recursive: true, force: true });
  const verbose = process.env.CHAOS_LOG === '1';
  const stack = await startStack({
    dataDir,
    temporal: { port: 0, uiPort: false, dbFile: path.join(dataDir, 'temporal.db') },
    postgres: { port: 0 },
    simulator: { port: 0 },
    log: (line) => {
      if (verbose) process.stderr.write(`${line}\n`);
    },
  });
  const connection = Connection.lazy({ address: stack.temporalAddress });
  const client = new Client({ connection, namespace: stack.namespace });
  const pool = new pg.Pool({ connectionString: stack.databaseUrl, max: 2 });
  pool.on('error', () => undefined);
  const control = new SimulatorControl(stack.simulatorUrl!);
  const counts = {
    kills: 0,
    workerRestarts: 0,
    temporalRestarts: 0,
    postgresRestarts: 0,
    faults: {} as Record<string, number>,
    skipped: 0,
  };
  const problems: string[] = [];
  const workers = new Map<string, { proc?: ManagedProcess; downUntil: number }>([
    ['c1', { downUntil: 0 }],
    ['c2', { downUntil: 0 }],
  ]);
  let infraBusy = false;
  let stopMonitor = false;
  let passed = false;

  try {
    for (const name of workers.keys()) workers.get(name)!.proc = await stack.startWorker(name, { LOG_LEVEL: 'WARN' });

    // Workers that died (SIGKILL, or on their own while Temporal / PostgreSQL were down) come back.
    const monitor = (async () => {
      while (!stopMonitor) {
        for (const [name, w] of workers) {
          if (stopMonitor || infraBusy || w.proc?.running || Date.now() < w.downUntil) continue;
          try {
            w.proc = await stack.startWorker(name, { LOG_LEVEL: 'WARN' });
            counts.workerRestarts++;
          } catch (err) {
            say(
              `worker ${name} did not start (${(err instanceof Error ? err.message : String(err)).split('\n')[0]}), retrying`,
            );
          }
        }
        await sleep(1_000);
      }
    })();

    const inject = async (spec: FaultSpec): Promise<string> => {
      const f = await control.addFault(spec);
      const key = spec.kind === 'bad-row' ? `bad-row:${spec.badRow}` : spec.kind;
      counts.faults[key] = (counts.faults[key] ?? 0) + 1;
      return f.id;
    };
    const transient: string[] = [];
    const pacing: string[] = [];

    const startJob = async (job: Job): Promise<void> => {
      if (job.kind === 'plain')
        pacing.push(
          await inject({
            kind: 'slow',
            source: 'data-api',
            params: { market: job.series.market, instrument: job.series.instrument },
            delayMs: PACE_MS,
          }),
        );
      if (job.kind === 'bad')
        await inject({
          kind: 'bad-row',
          badRow: job.badRow!,
          source: 'data-api',
          params: { market: job.series.market, instrument: job.series.instrument },
        });
      const input: BackfillSeriesInput = {
        ...job.series,
        from: new Date(job.from * 1000).toISOString(),
        to: new Date(job.to * 1000).toISOString(),
        options: { pagesPerActivity: 1, heartbeatTimeout: '3s' },
      };
      await retry(`start ${job.workflowId}`, async () => {
        try {
          await client.workflow.start('backfillSeries', {
            taskQueue: DEFAULT_TASK_QUEUE,
            workflowId: job.workflowId,
            args: [input],
          });
        } catch (err) {
          if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
        }
      });
      job.started = true;
      say(`started ${job.kind} ${job.workflowId}${job.badRow ? ` (bad row: ${job.badRow})` : ''}`);
    };

    // 0. the synced series: tracked, initial backfill done, stored up to SYNC_FROM (as after a backfill)
    await seedBackfilledSeries(pool, syncSeries, 'chaos', SYNC_FROM);
    const status = async (workflowId: string): Promise<string | undefined> =>
      (
        await client.workflow
          .getHandle(workflowId)
          .describe()
          .catch(() => undefined)
      )?.status.name;
    let lastTick: SyncTick | undefined;
    let lastDoneAsOf: number | undefined;
    let skippedTicks = 0;
    let punched = 0;
    let repairStarted = false;
    const startWorkflow = async (type: string, workflowId: string, args: unknown[]): Promise<void> =>
      retry(`start ${workflowId}`, async () => {
        try {
          await client.workflow.start(type, { taskQueue: DEFAULT_TASK_QUEUE, workflowId, args });
        } catch (err) {
          if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
        }
      });
    const startTick = async (tick: SyncTick): Promise<void> => {
      await startWorkflow('syncDataset', tick.workflowId, [
        {
          source: 'data-api',
          dataset: 'spot-ohlcv',
          interval: '1h',
          asOf: new Date(tick.asOf * 1000).toISOString(),
          maxPagesPerSeries: 3,
        },
      ]);
      tick.started = true;
      tick.ran = true;
      lastTick = tick;
      say(`sync tick ${tick.workflowId} up to ${new Date(tick.asOf * 1000).toISOString()}`);
    };
    /** Punch the hole into the first synced series (below what a finished tick stored), then repair. */
    const startRepair = async (asOf: number): Promise<void> => {
      const k = syncSeries[0]!;
      const from = SYNC_FROM + repair.offsetHours * H;
      const to = Math.min(from + repair.hours * H, Math.floor(asOf / H) * H - 5 * H);
      if (to <= from) return;
      const r = await retry('punch the hole', () =>
        pool.query(
          `DELETE FROM spot_ohlcv WHERE market = $1 AND instrument = $2 AND interval = $3
             AND ts >= to_timestamp($4) AND ts < to_timestamp($5)`,
          [k.market, k.instrument, k.interval, from, to],
        ),
      );
      punched = r.rowCount ?? 0;
      await startWorkflow('repairCoverage', repair.workflowId, [
        {
          source: 'data-api',
          dataset: 'spot-ohlcv',
          interval: '1h',
          since: new Date(SYNC_FROM * 1000).toISOString(),
          asOf: new Date(asOf * 1000).toISOString(),
        },
      ]);
      repairStarted = true;
      say(`punched ${punched} hours into ${k.market}/${k.instrument}; repair ${repair.workflowId} started`);
    };

    // 1. quota: the twin's day ends 40 s from now; 3 calls a day; the 4th is refused
    const twinMidnight = Math.floor(Date.now() / 86_400_000) * 86_400 + 2 * 86_400;
    await control.setClock({ offsetSeconds: twinMidnight - 40 - Date.now() / 1000 });
    await control.setLimits('min-api', { day: 3 });
    counts.faults['quota-day'] = 1;
    const quotaJob = jobs.find((j) => j.kind === 'quota')!;
    await startJob(quotaJob);
    let quotaPause = false;
    try {
      await retry(
        'the min-api quota pause',
        async () => {
          const r = await pool.query(`SELECT reason FROM source_pauses WHERE source = 'min-api'`);
          if (!r.rows.some((x: { reason: string }) => x.reason.includes('day window'))) throw new Error('no pause yet');
        },
        60_000,
      );
      quotaPause = true;
      say('min-api paused on its spent day window');
    } catch (err) {
      problems.push(`quota: ${err instanceof Error ? err.message : String(err)}`);
    }
    // a refetch after a kill must not find the next day spent too: back to the default limits
    await control.setLimits('min-api', null);

    // 2. the chaos window
    const t0 = Date.now();
    const pending = [...events];
    while (Date.now() - t0 < windowSec * 1000) {
      const now = (Date.now() - t0) / 1000;
      for (const job of jobs) if (!job.started && job.startAt <= now) await startJob(job);
      const due = ticks.filter((t) => !t.started && t.at <= now);
      if (due.length > 0) {
        const running = lastTick ? await status(lastTick.workflowId) : 'COMPLETED';
        if (running === 'COMPLETED') {
          lastDoneAsOf = lastTick?.asOf ?? lastDoneAsOf;
          // overlap SKIP: the ticks that came due while one ran are skipped; the latest one runs
          for (const t of due.slice(0, -1)) {
            t.started = true;
            skippedTicks++;
          }
          await startTick(due.at(-1)!);
        } else if (running !== 'RUNNING' && running !== undefined) {
          problems.push(`${lastTick!.workflowId}: ${running}`);
          for (const t of due) t.started = true;
        }
      }
      if (!repairStarted && now >= repair.at && lastDoneAsOf !== undefined) await startRepair(lastDoneAsOf);
      while (pending.length > 0 && pending[0]!.at <= now) {
        const e = pending.shift()!;
        // fault targets: running plain backfills, and the synced series while a tick or the repair runs
        const targets: Array<{ series: SeriesKey; workflowId: string }> = [
          ...jobs.filter((j) => j.started && j.kind === 'plain'),
          ...(lastTick ? syncSeries.map((series) => ({ series, workflowId: lastTick!.workflowId })) : []),
          ...(repairStarted ? [{ series: syncSeries[0]!, workflowId: repair.workflowId }] : []),
        ];
        let target: { series: SeriesKey } | undefined;
        if (e.kind === 'fault') {
          for (let k = 0; k < targets.length && !target; k++) {
            const j = targets[(e.target + k) % targets.length]!;
            if ((await status(j.workflowId)) === 'RUNNING') target = j;
          }
          if (!target) counts.skipped++;
        }
        try {
          if (e.kind === 'kill-worker') {
            const alive = [...workers.entries()].filter(([, w]) => w.proc?.running);
            if (alive.length === 0) continue;
            const [name, w] = alive[e.target % alive.length]!;
            w.downUntil = Date.now() + e.seconds * 1000;
            process.kill(w.proc!.pid, 'SIGKILL');
            counts.kills++;
            say(`SIGKILL worker ${name} (pid ${w.proc!.pid}), back in ${e.seconds}s`);
          } else if (e.kind === 'restart-temporal' || e.kind === 'restart-postgres') {
            const what = e.kind === 'restart-temporal' ? 'temporal' : 'postgres';
            infraBusy = true;
            const s0 = Date.now();
            try {
              await stack.restart(what);
            } finally {
              infraBusy = false;
            }
            if (what === 'temporal') counts.temporalRestarts++;
            else counts.postgresRestarts++;
            say(`restarted ${what} in ${((Date.now() - s0) / 1000).toFixed(1)}s`);
          } else if (target) {
            const kind = e.fault!;
            const spec: FaultSpec = {
              kind,
              source: 'data-api',
              params: { market: target.series.market, instrument: target.series.instrument },
              count: kind === 'malformed' ? 1 : e.count,
              // a 429 names the first window that resets after `retryAfterSeconds` (simulator
              // `exhaustedUsage`); without it, the second window: a short pause, not a spent month
              ...(kind === 'ban' || kind === 'hard-block' ? { retryAfterSeconds: e.seconds } : {}),
            };
            transient.push(await inject(spec));
            say(`fault ${kind} ×${spec.count} on ${target.series.market}/${target.series.instrument}`);
          }
        } catch (err) {
          problems.push(`event ${e.kind} at ${e.at}s: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
      await sleep(250);
    }
    for (const job of jobs) if (!job.started) await startJob(job);
    if (!repairStarted) {
      // a short run: the repair waits for the first tick, then starts after the window
      await retry('the first sync tick', async () => {
        if ((await status(lastTick!.workflowId)) !== 'COMPLETED') throw new Error('still running');
      });
      lastDoneAsOf = lastTick!.asOf;
      await startRepair(lastDoneAsOf);
    }
    // their time is past (a tick ran long, e.g. through a pause): skipped, as a schedule with overlap SKIP would
    for (const t of ticks.filter((x) => !x.started)) {
      t.started = true;
      skippedTicks++;
    }

    // 3. drain: transient faults and the pacing off (bad rows stay: a refetch must see the same bad row), workers back
    const hits: Record<string, number> = {};
    for (const f of await control.listFaults()) {
      const key = f.kind === 'bad-row' ? `bad-row:${f.badRow}` : f.kind;
      hits[key] = (hits[key] ?? 0) + f.hits;
    }
    for (const id of [...transient, ...pacing]) await control.removeFault(id);
    for (const w of workers.values()) w.downUntil = 0;
    say('chaos window over: waiting for every workflow');

    const outcome = new Map<string, string>();
    const results = new Map<string, unknown>();
    const tickIds = ticks.filter((t) => t.ran).map((t) => t.workflowId);
    const awaited = [...jobs.map((j) => j.workflowId), ...tickIds, ...(repairStarted ? [repair.workflowId] : [])];
    // the budget, but at least a minute to drain after the window (short runs)
    const deadline = Math.max(started + budgetMs - 15_000, Date.now() + 60_000);
    while (outcome.size < awaited.length && Date.now() < deadline) {
      for (const id of awaited) {
        if (outcome.has(id)) continue;
        try {
          const d = await client.workflow.getHandle(id).describe();
          if (d.status.name !== 'RUNNING') {
            outcome.set(id, d.status.name);
            if (d.status.name === 'COMPLETED') results.set(id, await client.workflow.getHandle(id).result());
          }
        } catch {
          // Temporal still coming back
        }
      }
      await sleep(2_000);
    }
    stopMonitor = true;
    await monitor;

    // 4. verify
    let rows = 0;
    for (const job of jobs) {
      const status = outcome.get(job.workflowId) ?? 'RUNNING (timed out)';
      const result = results.get(job.workflowId) as BackfillSeriesResult | undefined;
      if (status !== 'COMPLETED' || result?.status !== 'completed') {
        problems.push(`${job.workflowId}: ${status}${result ? ` (${result.status})` : ''}`);
        continue;
      }
      if (job.kind === 'quota') {
        const columns = await tableColumns(pool, 'minapi_ohlcv');
        const key = { exchange: 'CCCAGG', fsym: 'BTC', tsym: 'USD', interval: '1h' };
        const expected = expectedTableRows(
          columns,
          Object.keys(key),
          expectedHisto('CCCAGG', 'BTC', 'USD', '1h', job.from, job.to) as unknown as Array<Record<string, unknown>>,
          (r) => r.volumefrom === 0 && r.volumeto === 0,
        );
        const stored = await storedTableRows(pool, 'minapi_ohlcv', columns, key, job.from, job.to);
        rows += stored.length;
        if (!isDeepStrictEqual(stored, expected))
          problems.push(
            `${job.workflowId}: ${stored.length} rows stored, ${expected.length} expected, or values differ`,
          );
        continue;
      }
      const q = await pool.query<{ ts: number; reason: string; raw: Record<string, unknown> }>(
        `SELECT extract(epoch FROM ts)::float8 AS ts, reason, raw FROM quarantine
         WHERE source = 'data-api' AND dataset = 'spot-ohlcv' AND market = $1 AND instrument = $2`,
        [job.series.market, job.series.instrument],
      );
      let expected = expectedSpotRows(job.series, job.from, job.to);
      if (job.kind === 'bad') {
        if (q.rows.length !== 1) {
          problems.push(`${job.workflowId}: ${q.rows.length} quarantined rows, 1 expected (${job.badRow})`);
          continue;
        }
        const t = q.rows[0]!.raw.TIMESTAMP as number;
        const badTs = Math.floor((t > 1e11 ? t / 1000 : t) / H) * H;
        expected = expected.filter((r) => r.ts !== badTs);
        if (expected.length !== 239)
          problems.push(`${job.workflowId}: the bad row's period ${badTs} is not in the series`);
      } else if (q.rows.length > 0) {
        problems.push(`${job.workflowId}: ${q.rows.length} quarantined rows, none injected`);
      }
      const stored = await storedSpotRows(pool, job.series, job.from, job.to);
      rows += stored.length;
      if (!isDeepStrictEqual(stored, expected)) {
        const want = new Set(expected.map((r) => r.ts));
        const have = new Set(stored.map((r) => r.ts));
        const holes = [...want].filter((ts) => !have.has(ts)).length;
        const extra = [...have].filter((ts) => !want.has(ts)).length;
        problems.push(
          `${job.workflowId}: ${stored.length} rows stored, ${expected.length} expected (${holes} holes, ${extra} extra, or values differ)`,
        );
      }
    }
    // sync: every tick completed with no failed series; every synced series exact up to the last tick
    let syncRows = 0;
    for (const id of tickIds) {
      const r = results.get(id) as SyncDatasetProgress | undefined;
      if (outcome.get(id) !== 'COMPLETED' || r?.status !== 'completed' || r.failed > 0)
        problems.push(
          `${id}: ${outcome.get(id) ?? 'RUNNING (timed out)'}${r ? ` (${r.status}, ${r.failed} failed: ${JSON.stringify(r.failures.slice(0, 2))})` : ''}`,
        );
    }
    const lastAsOf = ticks.filter((t) => t.ran).at(-1)!.asOf;
    const syncEnd = Math.floor(lastAsOf / H) * H + H; // the period containing asOf is stored too
    for (const k of syncSeries) {
      const stored = await storedSpotRows(pool, k, SYNC_FROM, syncEnd);
      const expected = expectedSpotRows(k, SYNC_FROM, syncEnd);
      syncRows += stored.length;
      if (!isDeepStrictEqual(stored, expected))
        problems.push(
          `sync ${k.market}/${k.instrument}: ${stored.length} rows stored, ${expected.length} expected up to the last tick, or values differ`,
        );
    }
    // repair: completed, the punched hole found and filled, nothing certified (the API holds it)
    const repaired = results.get(repair.workflowId) as RepairCoverageProgress | undefined;
    if (
      outcome.get(repair.workflowId) !== 'COMPLETED' ||
      repaired?.status !== 'completed' ||
      repaired.remaining !== 0 ||
      repaired.certified !== 0 ||
      repaired.filled < punched
    )
      problems.push(
        `${repair.workflowId}: ${outcome.get(repair.workflowId) ?? 'not run or RUNNING'} ${JSON.stringify(repaired ?? null)} (${punched} punched)`,
      );

    const totalQ = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM quarantine`);
    const badJobs = jobs.filter((j) => j.kind === 'bad').length;
    if (totalQ.rows[0]!.n !== badJobs)
      problems.push(`quarantine holds ${totalQ.rows[0]!.n} rows, ${badJobs} bad rows were injected`);

    const verdict = problems.length === 0 ? 'pass' : 'fail';
    console.log(
      JSON.stringify({
        seed,
        minutes,
        verdict,
        seconds: Number(((Date.now() - started) / 1000).toFixed(1)),
        workflows: {
          total: awaited.length,
          completed: [...outcome.values()].filter((s) => s === 'COMPLETED').length,
        },
        backfills: jobs.length,
        syncTicks: { ran: tickIds.length, skipped: skippedTicks, series: syncSeries.length },
        repair: repaired ? { punched, missing: repaired.missing, filled: repaired.filled } : null,
        rows: rows + syncRows,
        quarantined: totalQ.rows[0]!.n,
        quotaPause,
        faults: counts.faults,
        faultHits: hits,
        faultsSkipped: counts.skipped,
        kills: counts.kills,
        workerRestarts: counts.workerRestarts,
        restarts: { temporal: counts.temporalRestarts, postgres: counts.postgresRestarts },
        problems: problems.slice(0, 10),
      }),
    );
    passed = verdict === 'pass';
    return passed ? 0 : 1;
  } finally {
    stopMonitor = true;
    await Promise.allSettled([...workers.values()].map((w) => w.proc?.stop()));
    await pool.end().catch(() => undefined);
    await connection.close().catch(() => undefined);
    await stack.stop();
    if (passed && !values.keep) rmSync(dataDir, { recursive: true, force: true });
    else say(`data and logs kept in ${dataDir}`);
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`npm run chaos: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(2);
  },
);
