/**
 * `npm run demo`: the main job, bounded. A fresh private stack (its own data dir and free ports,
 * so it can run beside `npm start`), the demo backfills, progress lines, then the rows counted in
 * PostgreSQL. Exits 0 when every backfill completed; the last line of output is one JSON object.
 */
import { rmSync } from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import pg from 'pg';
import { DEFAULT_TASK_QUEUE } from '../workflows/contracts/task-queues';
import { consoleStackLog, runMain } from './cli-support';
import { startStack } from './index';
import { REPO_ROOT, sleep } from './processes';
import { readProgress, startBackfill } from '../client/backfill';
import { refreshReferences } from '../client/reference';
import { countStoredRows, demoBackfills, demoReferences, describeReference, label, shortProgress } from './jobs';

async function main(): Promise<number> {
  const started = Date.now();
  const dataDir = path.join(REPO_ROOT, '.data', 'demo');
  const externalDb = process.env.DATABASE_URL;
  if (!externalDb) rmSync(path.join(dataDir, 'pg'), { recursive: true, force: true }); // a fresh database every run
  const stackLog = consoleStackLog();
  const stack = await startStack({
    dataDir,
    temporal: { port: 0, uiPort: false, dbFile: null },
    postgres: externalDb ? { databaseUrl: externalDb } : { port: 0 },
    simulator: { port: 0 },
    workers: [{ name: 'demo', env: {} }],
    log: stackLog.log,
  });
  const connection = await Connection.connect({ address: stack.temporalAddress });
  const pool = new pg.Pool({ connectionString: stack.databaseUrl, max: 2 });
  try {
    const client = new Client({ connection, namespace: stack.namespace });
    const refs = await refreshReferences(client, DEFAULT_TASK_QUEUE, demoReferences());
    for (const r of refs) console.log(`[reference] ${r.workflowId}: ${describeReference(r.result)}`);
    const requests = demoBackfills();
    const jobs = await Promise.all(requests.map((r) => startBackfill(client, DEFAULT_TASK_QUEUE, r)));
    const backfillStarted = Date.now();
    const results = Promise.all(jobs.map((j) => j.handle.result()));
    let done = false;
    void results.finally(() => (done = true));
    while (!done) {
      await sleep(1_000);
      const states = await Promise.all(jobs.map(readProgress));
      const secs = ((Date.now() - started) / 1000).toFixed(1);
      console.log(`[${secs}s] ${states.map((p, k) => `${label(jobs[k]!.request)}: ${shortProgress(p)}`).join(' | ')}`);
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
    await pool.end();
    await connection.close();
    stackLog.shuttingDown();
    await stack.stop();
    console.log(JSON.stringify(summary));
    return finished.every((p) => p.status === 'completed') ? 0 : 1;
  } catch (err) {
    await pool.end().catch(() => undefined);
    await connection.close().catch(() => undefined);
    stackLog.shuttingDown();
    await stack.stop();
    throw err;
  }
}

runMain('npm run demo', main);
