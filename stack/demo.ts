/**
 * `npm run demo`: the main job, bounded. A fresh private stack (its own data dir and free ports,
 * so it can run beside `npm start`), the demo backfills, progress lines, then the rows counted in
 * PostgreSQL. Exits 0 when every backfill completed; the last line of output is one JSON object.
 * Ctrl-C (SIGTERM) stops it as it stops `npm start` (`serveStack` in `./cli-support`): exit 130 (143).
 */
import { rmSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
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
import { REPO_ROOT } from './processes';
import { readProgress, startBackfill } from '../client/backfill';
import { refreshReferences } from '../client/reference';
import { countStoredRows, demoBackfills, demoReferences, describeReference, label, shortProgress } from './jobs';

async function main(): Promise<number> {
  const started = Date.now();
  const dataDir = path.join(REPO_ROOT, '.data', 'demo');
  const externalDb = process.env.DATABASE_URL;
  const stackLog = consoleStackLog();
  watchSignals(stackLog.shuttingDown);
  if (!externalDb) rmSync(path.join(dataDir, 'pg'), { recursive: true, force: true }); // a fresh database every run
  const stack = await startStack({
    dataDir,
    temporal: { port: 0, uiPort: false, dbFile: null },
    postgres: externalDb ? { databaseUrl: externalDb } : { port: 0 },
    simulator: { port: 0 },
    workers: [{ name: 'demo', env: {} }],
    log: stackLog.log,
    signals: 'caller-when-ready',
  });
  const clients = openClients(stack);
  const outcome = await serveStack(stack, clients, {
    work: (abort) => runDemo(clients, stack, started, abort),
    shuttingDown: stackLog.shuttingDown,
  });
  if ('signal' in outcome) return signalExitCode(outcome.signal);
  console.log(JSON.stringify(outcome.done.summary));
  return outcome.done.allCompleted ? 0 : 1;
}

/** The demo's jobs with progress lines (none once `abort` fired); the summary to print after the stop. */
async function runDemo(
  { client, pool }: StackClients,
  stack: Stack,
  started: number,
  abort: AbortSignal,
): Promise<{ summary: Record<string, unknown>; allCompleted: boolean }> {
  const out = (line: string): void => {
    if (!abort.aborted) console.log(line);
  };
  const refs = await refreshReferences(client, DEFAULT_TASK_QUEUE, demoReferences());
  for (const r of refs) out(`[reference] ${r.workflowId}: ${describeReference(r.result)}`);
  const requests = demoBackfills();
  const jobs = await Promise.all(requests.map((r) => startBackfill(client, DEFAULT_TASK_QUEUE, r)));
  const backfillStarted = Date.now();
  const results = Promise.all(jobs.map((j) => j.handle.result()));
  let done = false;
  void results.finally(() => (done = true)).catch(() => undefined);
  while (!done && !abort.aborted) {
    await delay(1_000, undefined, { signal: abort }).catch(() => undefined);
    const states = await Promise.all(jobs.map(readProgress));
    const secs = ((Date.now() - started) / 1000).toFixed(1);
    out(`[${secs}s] ${states.map((p, k) => `${label(jobs[k]!.request)}: ${shortProgress(p)}`).join(' | ')}`);
  }
  const finished = await results;
  const backfillSeconds = (Date.now() - backfillStarted) / 1000;
  let rows = 0;
  for (const r of requests) rows += await countStoredRows(pool, r);
  const summary = {
    series: requests.length,
    rows,
    seconds: Number(((Date.now() - started) / 1000).toFixed(1)),
    backfillSeconds: Number(backfillSeconds.toFixed(1)),
    rowsPerSecond: Math.round(rows / backfillSeconds),
    pages: finished.reduce((n, p) => n + p.pages, 0),
    rowsInserted: finished.reduce((n, p) => n + p.rowsInserted, 0),
    references: refs.map((r) => r.workflowId),
    workflows: jobs.map((j) => j.workflowId),
    database: stack.databaseUrl,
  };
  return { summary, allCompleted: finished.every((p) => p.status === 'completed') };
}

runMain('npm run demo', main);
