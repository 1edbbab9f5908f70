/**
 * `npm start`: the main job on the embedded default. Starts the local stack (Temporal dev server
 * with its UI on :8233 and a persistent db file, a private PostgreSQL unless DATABASE_URL is
 * set, the API simulator, one worker), starts backfills for a few instruments and prints their
 * progress, and runs the service by itself: the schedules of `config/universe.json` (universe,
 * one sync per dataset × interval, repair; `UNIVERSE_CONFIG` picks another file) are applied and
 * the universe is refreshed at once, so its series are tracked, backfilled and kept current.
 * Serves the data-quality dashboard on :8090 (`DASHBOARD_PORT`; docs/dashboard.md). Keeps serving until Ctrl-C (or SIGTERM, SIGHUP): then it closes its own pg pool and Temporal
 * connection, stops the stack (the worker first, then Temporal, PostgreSQL and the simulator in
 * reverse start order) and exits with 130 (143, 129); see `serveStack` in `./cli-support`. Data
 * dir and ports: `stackSettings`.
 */
import type { Client } from '@temporalio/client';
import type pg from 'pg';
import type { RateLimits } from '../activities/rate-limits';
import { setTimeout as delay } from 'node:timers/promises';
import type { SyncDatasetProgress } from '../workflows/contracts/sync';
import { DEFAULT_TASK_QUEUE } from '../workflows/contracts/task-queues';
import {
  consoleStackLog,
  openClients,
  runMain,
  serveStack,
  signalExitCode,
  watchSignals,
  type StackClients,
} from './cli-support';
import { startStack, type Stack } from './index';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './processes';
import { ConfigError } from '../activities/errors';
import { parseUniverseConfig } from '../activities/universe-config';
import { SCHEDULE_IDS } from '../workflows/contracts/ids';
import { desiredSchedules } from '../client/schedule-plan';
import { applySchedules, applySummary } from '../client/schedules';
import { readProgress, startBackfill, type StartedBackfill } from '../client/backfill';
import { refreshReferences } from '../client/reference';
import { createPool } from '../activities/db/pool';
import { DEFAULT_SLO } from '../dashboard/queries';
import { startDashboard, type Dashboard } from '../dashboard/server';
import { workerRateLimits } from '../workers/config';
import { simulatorWorkerEnv } from './simulator-env';
import {
  demoBackfills,
  demoReferences,
  describeTick,
  latestTickPerSchedule,
  describeProgress,
  describeReference,
  label,
} from './jobs';

async function main(): Promise<number> {
  const { log, shuttingDown } = consoleStackLog();
  watchSignals(shuttingDown);
  const settings = stackSettings(process.env, process.argv.slice(2));
  const stack = await startStack({
    ...(settings.dataDir ? { dataDir: settings.dataDir } : {}),
    temporal: {
      port: settings.temporalPort,
      uiPort: settings.uiPort,
      ...(settings.cluster ? { mode: 'cluster' as const } : {}),
    },
    postgres: process.env.DATABASE_URL ? { databaseUrl: process.env.DATABASE_URL } : { port: settings.pgPort },
    simulator: { port: settings.simPort },
    // the cluster profile: a real Temporal server and two workers sharing its task queues
    workers: settings.cluster
      ? [
          { name: '1', env: {} },
          { name: '2', env: {} },
        ]
      : [{ name: '1', env: {} }],
    log,
    signals: 'caller-when-ready',
  });
  const clients = openClients(stack);
  const outcome = await serveStack(stack, clients, {
    work: (abort) => serve(stack, clients, abort, settings.dashboardPort),
    shuttingDown,
  });
  return 'signal' in outcome ? signalExitCode(outcome.signal) : 0;
}

/**
 * Where `npm start` runs: `STACK_DATA_DIR` (default `.data`), `TEMPORAL_PORT` (7233),
 * `TEMPORAL_UI_PORT` (8233), `PG_PORT` (54329), `SIM_PORT` (8299), `DASHBOARD_PORT` (8090); a port of
 * 0 is any free port.
 * Unset or empty: the default. `--cluster` (`npm start -- --cluster`): the native cluster profile.
 * Every problem at once as a ConfigError.
 */
function stackSettings(
  env: NodeJS.ProcessEnv,
  args: readonly string[] = [],
): {
  cluster: boolean;
  dataDir?: string;
  temporalPort: number;
  uiPort: number;
  pgPort: number;
  simPort: number;
  dashboardPort: number;
} {
  const problems: string[] = [];
  const port = (name: string, fallback: number): number => {
    const raw = env[name]?.trim();
    if (!raw) return fallback;
    const n = Number(raw);
    if (/^\d+$/.test(raw) && n <= 65535) return n;
    problems.push(`${name} must be a port number (0-65535; 0 = any free port), got ${JSON.stringify(raw)}`);
    return fallback;
  };
  for (const a of args)
    if (a !== '--cluster') problems.push(`unknown argument ${JSON.stringify(a)} (npm start takes only --cluster)`);
  const settings = {
    cluster: args.includes('--cluster'),
    ...(env.STACK_DATA_DIR?.trim() ? { dataDir: path.resolve(env.STACK_DATA_DIR.trim()) } : {}),
    temporalPort: port('TEMPORAL_PORT', 7233),
    uiPort: port('TEMPORAL_UI_PORT', 8233),
    pgPort: port('PG_PORT', 54329),
    simPort: port('SIM_PORT', 8299),
    dashboardPort: port('DASHBOARD_PORT', 8090),
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return settings;
}

/**
 * The job itself: reference data, the demo backfills, the universe's schedules, then progress and
 * status lines until `abort` (a stop signal). Prints nothing once aborted.
 */
async function serve(stack: Stack, clients: StackClients, abort: AbortSignal, dashboardPort: number): Promise<void> {
  const out = (line: string): void => {
    if (!abort.aborted) console.log(line);
  };
  const dashboard = await serveDashboard(stack, clients.client, dashboardPort, out);
  try {
    await serveJobs(stack, clients, abort, out, dashboard?.url);
  } finally {
    await dashboard?.close();
  }
}

/**
 * The data-quality dashboard on the stack's own data, read-only; its workflow links go to the
 * stack's Temporal UI. A dashboard that cannot start (its port taken) is a line, not a stop.
 */
async function serveDashboard(
  stack: Stack,
  client: Client,
  port: number,
  out: (line: string) => void,
): Promise<{ url: string; close: () => Promise<void> } | undefined> {
  const db = createPool(stack.dashboardDatabaseUrl, {
    max: 3,
    readOnly: true,
    statementTimeoutMs: 15_000,
    applicationName: 'crypto-ingest-dashboard',
  });
  const env = { ...process.env, ...(stack.simulatorUrl ? simulatorWorkerEnv(stack.simulatorUrl) : {}) };
  const limits = new Map<string, { limits: RateLimits | 'off'; from: string }>();
  for (const [id, l] of workerRateLimits(env)) if (!('problem' in l)) limits.set(id, l);
  let dashboard: Dashboard;
  try {
    dashboard = await startDashboard({
      db,
      host: '127.0.0.1',
      port,
      slo: DEFAULT_SLO,
      limits,
      temporal: () => Promise.resolve({ client, namespace: stack.namespace }),
      temporalUiUrl: stack.uiUrl ?? null,
      log: (line) => out(line),
    });
  } catch (err) {
    await db.end().catch(() => undefined);
    const e = err as NodeJS.ErrnoException;
    out(
      e.code === 'EADDRINUSE'
        ? `dashboard not started: port ${port} is in use (set DASHBOARD_PORT)`
        : `dashboard not started: ${e.message}`,
    );
    return undefined;
  }
  return {
    url: dashboard.url,
    close: async () => {
      await dashboard.close();
      await db.end().catch(() => undefined);
    },
  };
}

async function serveJobs(
  stack: Stack,
  { client, pool }: StackClients,
  abort: AbortSignal,
  out: (line: string) => void,
  dashboardUrl: string | undefined,
): Promise<void> {
  out('\nReference data first (instruments give backfills their listing dates):');
  for (const r of await refreshReferences(client, DEFAULT_TASK_QUEUE, demoReferences())) {
    out(`  ${r.workflowId}: ${describeReference(r.result)}`);
  }
  const jobs: StartedBackfill[] = [];
  for (const r of demoBackfills()) jobs.push(await startBackfill(client, DEFAULT_TASK_QUEUE, r));
  await runUniverse(client, out);
  out(`\ncrypto-ingest is running. Temporal UI: ${stack.uiUrl ?? '(headless)'}  PostgreSQL: ${stack.databaseUrl}`);
  if (dashboardUrl) out(`Data-quality dashboard: ${dashboardUrl}`);
  for (const j of jobs) out(`  ${j.started ? 'started ' : 'attached'} ${j.workflowId}`);
  out('Progress below; Ctrl-C stops everything.\n');

  const last = new Map<string, string>();
  let backfillsDone = false;
  let lastStatus = '';
  const tickResults = new Map<string, SyncDatasetProgress>();
  while (!abort.aborted) {
    if (!backfillsDone) {
      const states = await Promise.all(jobs.map(readProgress));
      states.forEach((p, k) => {
        const line = `${label(jobs[k]!.request).padEnd(58)} ${describeProgress(p)}`;
        if (last.get(jobs[k]!.workflowId) !== line) out(line);
        last.set(jobs[k]!.workflowId, line);
      });
      if (states.every((p) => p?.status === 'completed')) {
        backfillsDone = true;
        out(
          `\nAll ${jobs.length} backfills completed. The service keeps running on its schedules ` +
            `(crypto-ingest status, crypto-ingest schedules list, the UI). Ctrl-C to stop.`,
        );
      }
    }
    const status = await serviceStatus(client, pool, tickResults).catch(() => undefined);
    if (status && status !== lastStatus) out(`[${new Date().toISOString().slice(11, 19)}] ${status}`);
    lastStatus = status ?? lastStatus;
    await delay(2_000, undefined, { signal: abort }).catch(() => undefined);
  }
}

/**
 * One line about the running service: tracked series, running workflows by kind, the last sync ticks.
 * `tickResults` caches the results of completed ticks across calls (a completed workflow's result never changes).
 */
async function serviceStatus(
  client: Client,
  pool: pg.Pool,
  tickResults: Map<string, SyncDatasetProgress>,
): Promise<string> {
  const t = (
    await pool.query<{ tracked: number; pending: number }>(
      `SELECT count(*) FILTER (WHERE active)::int AS tracked, count(*) FILTER (WHERE active AND backfilled_at IS NULL)::int AS pending
       FROM tracked_series`,
    )
  ).rows[0]!;
  const running: Record<string, number> = {};
  for await (const wf of client.workflow.list({ query: "ExecutionStatus = 'Running'" })) {
    running[wf.type] = (running[wf.type] ?? 0) + 1;
  }
  // The newest completed tick of each sync schedule (the list is newest first).
  const recent: string[] = [];
  for await (const wf of client.workflow.list({
    query: "WorkflowType = 'syncDataset' AND ExecutionStatus = 'Completed'",
  })) {
    recent.push(wf.workflowId);
    if (recent.length >= 200) break;
  }
  const latest = latestTickPerSchedule(recent);
  // Only the ticks shown now stay cached: a superseded tick is never shown again.
  const shown = new Set(latest.map((l) => l.workflowId));
  for (const id of tickResults.keys()) if (!shown.has(id)) tickResults.delete(id);
  const ticks: string[] = [];
  for (const { schedule, workflowId } of latest) {
    let r = tickResults.get(workflowId);
    if (!r) {
      r = (await client.workflow.getHandle(workflowId).result()) as SyncDatasetProgress;
      tickResults.set(workflowId, r);
    }
    ticks.push(describeTick(schedule, r));
  }
  const runningText = Object.entries(running)
    .map(([k, v]) => `${v} ${k}`)
    .join(', ');
  return (
    `tracked ${t.tracked} series (${t.pending} awaiting their backfill) · running: ${runningText || 'nothing'}` +
    (ticks.length ? ` · latest sync ticks: ${ticks.join('; ')}` : '')
  );
}

/** Apply the universe config's schedules (idempotent) and refresh the universe now. */
async function runUniverse(client: Client, out: (line: string) => void): Promise<void> {
  const file = path.resolve(process.env.UNIVERSE_CONFIG ?? path.join(REPO_ROOT, 'config', 'universe.json'));
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError([`UNIVERSE_CONFIG ${file}: ${err instanceof Error ? err.message : String(err)}`]);
  }
  const parsed = parseUniverseConfig(raw);
  if (!parsed.ok) throw new ConfigError(parsed.problems.map((p) => `${file}: ${p}`));
  const rows = await applySchedules(client, desiredSchedules(parsed.config, DEFAULT_TASK_QUEUE));
  out(`\nSchedules from ${path.relative(REPO_ROOT, file)} (crypto-ingest schedules list):`);
  for (const r of rows) out(`  ${r.action.padEnd(9)} ${r.id}`);
  out(`  ${applySummary(rows, false)}`);
  await client.schedule.getHandle(SCHEDULE_IDS.universe).trigger();
  out('  triggered the universe refresh: its series are tracked and backfilled by themselves');
}

runMain('npm start', main);
