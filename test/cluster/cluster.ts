/**
 * `npm run test:cluster`: the native cluster profile end to end (part of `npm test`). Its own stack
 * (`.data/cluster-test`, free ports): the private PostgreSQL, a real Temporal server on it (schema by
 * Temporal's own SQL tool, `stack/temporal-cluster.ts`), the Temporal UI server, the simulator and two
 * workers. It runs three backfills while one worker is SIGKILLed mid-run and comes back, and one tick
 * of a real Temporal Schedule (`syncDataset`, triggered) over three tracked series; then every series
 * must equal the simulator's rows exactly (no duplicate, no hole), the UI must list the namespace, and
 * each worker's Prometheus endpoint must show both SDK and domain metrics. One JSON line; exit 0 only
 * on a pass; on a failure the data dir and its logs are kept.
 */
import { rmSync } from 'node:fs';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { Client, Connection, ScheduleOverlapPolicy } from '@temporalio/client';
import pg from 'pg';
import { startStack, type ManagedProcess } from '../../stack/index';
import { freePort } from '../../stack/ports';
import { REPO_ROOT } from '../../stack/processes';
import { SimulatorControl } from '../../simulator/control-client';
import { listInstruments, SIM_MARKETS } from '../../simulator/sources/data-api/catalog';
import type { BackfillSeriesInput, BackfillSeriesResult } from '../../workflows/contracts/backfill';
import { backfillWorkflowId } from '../../workflows/contracts/ids';
import type { SeriesKey } from '../../workflows/contracts/series';
import type { SyncDatasetProgress } from '../../workflows/contracts/sync';
import { DEFAULT_TASK_QUEUE } from '../../workflows/contracts/task-queues';
import { expectedSpotRows, storedSpotRows } from '../helpers/expected';
import { seedBackfilledSeries } from '../helpers/tracked';

const H = 3600;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const say = (line: string): void => {
  process.stderr.write(`[cluster ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
};

async function main(): Promise<number> {
  const started = Date.now();
  const dataDir = path.join(REPO_ROOT, '.data', 'cluster-test');
  rmSync(dataDir, { recursive: true, force: true });
  const verbose = process.env.CLUSTER_LOG === '1';
  const stack = await startStack({
    dataDir,
    temporal: { mode: 'cluster', port: 0, uiPort: 0 },
    postgres: { port: 0 },
    simulator: { port: 0 },
    log: (line) => {
      if (verbose) process.stderr.write(`${line}\n`);
    },
  });
  say(
    `stack up in ${((Date.now() - started) / 1000).toFixed(1)} s: Temporal ${stack.temporalAddress}, UI ${stack.uiUrl}`,
  );
  const connection = await Connection.connect({ address: stack.temporalAddress });
  const client = new Client({ connection, namespace: stack.namespace });
  const pool = new pg.Pool({ connectionString: stack.databaseUrl, max: 2 });
  const control = new SimulatorControl(stack.simulatorUrl!);
  const problems: string[] = [];
  let passed = false;
  const metricsPorts = [await freePort(), await freePort()];
  const workers: ManagedProcess[] = [];
  try {
    for (const [k, port] of metricsPorts.entries())
      workers.push(await stack.startWorker(`c${k + 1}`, { LOG_LEVEL: 'WARN', INGEST_METRICS_PORT: String(port) }));

    // the series: long-listed, still trading; three backfills and three synced series
    const from = Date.UTC(2022, 0, 1) / 1000;
    const candidates = SIM_MARKETS.flatMap((m) =>
      listInstruments(m)
        .filter((i) => i.listedAt < from - 86_400 && i.retiredAt === undefined)
        .map((i) => ({ market: m, instrument: i.mapped })),
    );
    const spot = (c: { market: string; instrument: string }): SeriesKey => ({
      source: 'data-api',
      dataset: 'spot-ohlcv',
      market: c.market,
      instrument: c.instrument,
      interval: '1h',
    });
    const backfills = [0, 7, 14].map((k) => spot(candidates[k]!));
    const synced = [3, 10, 17].map((k) => spot(candidates[k]!));

    // 1. backfills, paced so the SIGKILL lands mid-run
    const to = from + 5 * 2000 * H;
    for (const s of backfills)
      await control.addFault({
        kind: 'slow',
        source: 'data-api',
        params: { market: s.market, instrument: s.instrument },
        delayMs: 800,
      });
    const handles = [];
    for (const s of backfills) {
      const input: BackfillSeriesInput = {
        ...s,
        from: new Date(from * 1000).toISOString(),
        to: new Date(to * 1000).toISOString(),
        options: { pagesPerActivity: 1, heartbeatTimeout: '3s' },
      };
      handles.push(
        await client.workflow.start('backfillSeries', {
          taskQueue: DEFAULT_TASK_QUEUE,
          workflowId: backfillWorkflowId(s, from, to),
          args: [input],
        }),
      );
    }
    // Kill c1 while it runs an activity (a pending activity started by its identity, `<pid>@<host>`),
    // not at a guessed moment: a blind kill could land between two of its activities and prove nothing.
    const c1 = `${workers[0]!.pid}@`;
    let holding: string | undefined;
    for (let k = 0; k < 60 && !holding; k++) {
      for (const h of handles) {
        const pending = (await h.describe()).raw.pendingActivities ?? [];
        if (pending.some((a) => a.lastWorkerIdentity?.startsWith(c1) && a.lastStartedTime)) holding = h.workflowId;
      }
      if (!holding) await sleep(250);
    }
    if (!holding) throw new Error('worker c1 took no backfill activity within 15 s');
    process.kill(workers[0]!.pid, 'SIGKILL');
    say(`SIGKILL worker c1 (pid ${workers[0]!.pid}) mid-backfill, holding an activity of ${holding}`);
    await sleep(3_000);
    workers[0] = await stack.startWorker('c1', { LOG_LEVEL: 'WARN', INGEST_METRICS_PORT: String(metricsPorts[0]) });
    say('worker c1 back');

    // 2. a schedule tick: three tracked series, stored up to four hours ago, brought to the last closed hour
    const now = Math.floor(Date.now() / 1000);
    const hour = Math.floor(now / H) * H;
    const seeded = hour - 4 * H;
    await seedBackfilledSeries(pool, synced, 'cluster-test', seeded);
    const schedule = await client.schedule.create({
      scheduleId: 'cluster-test/sync/data-api/spot-ohlcv/1h',
      spec: { intervals: [{ every: '1h' }] },
      policies: { overlap: ScheduleOverlapPolicy.SKIP },
      action: {
        type: 'startWorkflow',
        workflowType: 'syncDataset',
        taskQueue: DEFAULT_TASK_QUEUE,
        workflowId: 'cluster-test/sync',
        args: [{ source: 'data-api', dataset: 'spot-ohlcv', interval: '1h' }],
      },
    });
    await schedule.trigger();
    let tickId: string | undefined;
    for (let k = 0; k < 60 && !tickId; k++) {
      const d = await schedule.describe();
      const action = d.info.recentActions[0]?.action;
      tickId = action?.type === 'startWorkflow' ? action.workflow.workflowId : undefined;
      if (!tickId) await sleep(500);
    }
    if (!tickId) throw new Error('the triggered schedule started no workflow within 30 s');
    const tick = (await client.workflow.getHandle(tickId).result()) as SyncDatasetProgress;
    say(`schedule tick ${tickId}: ${tick.synced} synced, ${tick.rowsInserted} rows, ${tick.failed} failed`);
    if (tick.status !== 'completed' || tick.synced !== synced.length || tick.failed !== 0)
      problems.push(`tick: ${JSON.stringify(tick)}`);
    await schedule.delete();

    // 3. every backfill completes exactly
    const results = await Promise.all(handles.map((h) => h.result() as Promise<BackfillSeriesResult>));
    let rows = 0;
    for (const [k, s] of backfills.entries()) {
      if (results[k]!.status !== 'completed') problems.push(`${handles[k]!.workflowId}: ${results[k]!.status}`);
      const stored = await storedSpotRows(pool, s, from, to);
      rows += stored.length;
      if (!isDeepStrictEqual(stored, expectedSpotRows(s, from, to)))
        problems.push(`${s.market}/${s.instrument}: ${stored.length} rows stored, or values differ`);
    }
    // the SIGKILL hit work in flight: some activity ran again (a heartbeat timeout, then another worker)
    let retried = 0;
    for (const h of handles) {
      const events = (await h.fetchHistory()).events ?? [];
      retried += events.filter((e) => (e.activityTaskStartedEventAttributes?.attempt ?? 1) > 1).length;
    }
    if (retried === 0) problems.push('the SIGKILLed worker held no activity: nothing was retried');
    const lastClosed = hour - H;
    for (const s of synced) {
      // the open hour is stored provisional: compare the closed ones
      const stored = await storedSpotRows(pool, s, seeded, lastClosed + H);
      rows += stored.length;
      if (!isDeepStrictEqual(stored, expectedSpotRows(s, seeded, lastClosed + H)))
        problems.push(
          `synced ${s.market}/${s.instrument}: ${stored.length} rows up to the last closed hour, or values differ`,
        );
    }

    // 4. the UI serves the namespace; each worker serves SDK and domain metrics
    const ui = await fetch(`${stack.uiUrl}/api/v1/namespaces`).then((r) => r.json() as Promise<unknown>);
    if (!JSON.stringify(ui).includes(`"${stack.namespace}"`)) problems.push(`UI: namespace not listed`);
    const metrics = await Promise.all(
      metricsPorts.map((p) => fetch(`http://127.0.0.1:${p}/metrics`).then((r) => r.text())),
    );
    const inserted = metrics
      .flatMap((m) => m.split('\n'))
      .filter((l) => l.startsWith('crypto_ingest_rows_total{') && l.includes('outcome="inserted"'))
      .reduce((n, l) => n + Number(l.split(' ').pop()), 0);
    if (!(inserted > 0)) problems.push('metrics: no crypto_ingest_rows_total inserted on either worker');
    if (!metrics.some((m) => /^temporal_activity_execution_latency_count\{/m.test(m)))
      problems.push('metrics: no Temporal SDK activity metric on either worker');

    const verdict = problems.length === 0 ? 'pass' : 'fail';
    console.log(
      JSON.stringify({
        verdict,
        seconds: Number(((Date.now() - started) / 1000).toFixed(1)),
        temporal: 'temporal-server on PostgreSQL',
        workers: workers.length,
        kills: 1,
        activitiesRetriedAfterKill: retried,
        backfills: backfills.length,
        scheduleTick: { synced: tick.synced, rowsInserted: tick.rowsInserted },
        rows,
        metricsRowsInserted: inserted,
        problems,
      }),
    );
    passed = verdict === 'pass';
    return passed ? 0 : 1;
  } finally {
    await Promise.allSettled(workers.map((w) => w.stop()));
    await pool.end().catch(() => undefined);
    await connection.close().catch(() => undefined);
    await stack.stop();
    if (passed) rmSync(dataDir, { recursive: true, force: true });
    else say(`data and logs kept in ${dataDir}`);
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`cluster test: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(2);
  },
);
