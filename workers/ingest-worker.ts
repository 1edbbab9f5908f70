/**
 * Worker entrypoint: `npm run worker`. Loads config (every problem at once), applies migrations,
 * then polls the workflow task queue and one activity task queue per enabled source until
 * SIGINT/SIGTERM, when it drains in-flight tasks and closes the pool. With `INGEST_METRICS_PORT` it
 * serves Prometheus metrics (`workers/metrics-server.ts`) until it stops.
 */
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { fileURLToPath } from 'node:url';
import { createActivities } from '../activities/index';
import { PgIngestStore } from '../activities/db/store';
import { PgReferenceStore } from '../activities/db/reference-store';
import { PgUniverseStore } from '../activities/db/universe-store';
import { PgCoverageStore } from '../activities/db/coverage-store';
import { PgSyncDemandStore } from '../activities/db/sync-demand-store';
import { PgExportStore } from '../activities/db/export-store';
import { PgReconcileStore } from '../activities/db/reconcile-store';
import { createPool } from '../activities/db/pool';
import { migrate } from '../activities/db/migrate';
import { activityInterceptors } from '../activities/interceptors';
import { findUp } from '../activities/repo-path';
import { OPEN_GATE, PgRateGate } from '../activities/rate-gate';
import { ConfigError } from '../activities/errors';
import type { SourceRuntime } from '../activities/runtime';
import { sourceTaskQueue } from '../workflows/contracts/task-queues';
import { describeConfig, loadConfig, type WorkerConfig } from './config';
import { freePort, startMetricsServer, type MetricsServer } from './metrics-server';

export const WORKFLOWS_PATH = findUp(import.meta.url, 'workflows/index.ts');

/** Create (but do not run) the workers this config asks for. */
export async function createWorkers(
  config: WorkerConfig,
  connection: NativeConnection,
  pool: import('pg').Pool,
): Promise<Worker[]> {
  const syncDemand = new PgSyncDemandStore(pool);
  const sources = new Map<string, SourceRuntime>(
    config.sources.map((s) => {
      const budget = s.definition.budget(s.config);
      if (budget.limits === 'off')
        return [s.definition.id, { definition: s.definition, config: s.config, gate: OPEN_GATE }];
      const gate = new PgRateGate(pool, budget.key, budget.limits, {
        maxInlineWaitMs: config.maxInlineWaitMs,
        boundaryGuardMs: config.rateGuardMs,
        maxPauseSeconds: config.maxPauseSeconds,
      });
      const backgroundGate = gate.background(() => syncDemand.demand(s.definition.id));
      return [s.definition.id, { definition: s.definition, config: s.config, gate, backgroundGate }];
    }),
  );
  const activities = createActivities({
    store: new PgIngestStore(pool),
    references: new PgReferenceStore(pool),
    universe: new PgUniverseStore(pool),
    coverage: new PgCoverageStore(pool),
    syncDemand,
    exports: new PgExportStore(pool),
    reconcile: new PgReconcileStore(pool),
    sources,
    pipeline: config.pipeline,
  });
  const workers: Worker[] = [];
  if (config.runWorkflows) {
    workers.push(
      await Worker.create({
        connection,
        namespace: config.temporal.namespace,
        taskQueue: config.taskQueue,
        ...(config.workflowBundlePath
          ? { workflowBundle: { codePath: config.workflowBundlePath } }
          : { workflowsPath: WORKFLOWS_PATH }),
        // The always-on workflows' database-only activities (universe, listings, gap audit) run
        // here, on the workflow task queue; everything that calls an API runs on its source's queue.
        activities,
        interceptors: { activity: [activityInterceptors] },
      }),
    );
  }
  if (config.runActivities) {
    for (const id of sources.keys()) {
      workers.push(
        await Worker.create({
          connection,
          namespace: config.temporal.namespace,
          taskQueue: sourceTaskQueue(config.taskQueue, id),
          activities,
          interceptors: { activity: [activityInterceptors] },
          maxConcurrentActivityTaskExecutions: config.maxConcurrentActivities,
        }),
      );
    }
  }
  return workers;
}

async function run(): Promise<void> {
  let config: WorkerConfig;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`crypto-ingest worker: ${err.message}`);
      process.exit(1);
    }
    throw err;
  }
  // The SDK's own metrics: Core serves them on a private port; our /metrics appends them.
  const sdkMetricsPort = config.metrics ? (config.metrics.sdkPort ?? (await freePort('127.0.0.1'))) : undefined;
  Runtime.install({
    logger: new DefaultLogger(config.logLevel),
    ...(sdkMetricsPort !== undefined
      ? { telemetryOptions: { metrics: { prometheus: { bindAddress: `127.0.0.1:${sdkMetricsPort}` } } } }
      : {}),
  });
  console.log(`crypto-ingest worker: config ${describeConfig(config)}`);

  const pool = createPool(config.databaseUrl, {
    max: config.dbPoolMax,
    applicationName: 'crypto-ingest-worker',
    ...config.dbTimeouts,
  });
  if (config.migrate) await migrate(config.databaseUrl, (l) => console.log(`crypto-ingest worker: ${l}`));

  let connection: NativeConnection;
  try {
    connection = await NativeConnection.connect(config.temporal.connection);
  } catch (err) {
    console.error(
      `crypto-ingest worker: cannot reach Temporal at ${config.temporal.connection.address}: ${err instanceof Error ? err.message : String(err)}`,
    );
    await pool.end();
    process.exit(1);
  }
  const workers = await createWorkers(config, connection, pool);
  let metrics: MetricsServer | undefined;
  if (config.metrics) {
    try {
      metrics = await startMetricsServer({
        host: config.metrics.host,
        port: config.metrics.port,
        databaseUrl: config.databaseUrl,
        sdkMetricsUrl: `http://127.0.0.1:${sdkMetricsPort}/metrics`,
        budgets: config.sources.map((s) => s.definition.budget(s.config)),
        served: config.sources.map((s) => ({ source: s.definition.id, datasets: Object.keys(s.definition.datasets) })),
      });
    } catch (err) {
      console.error(
        `crypto-ingest worker: cannot serve metrics on ${config.metrics.host}:${config.metrics.port}: ${err instanceof Error ? err.message : String(err)}`,
      );
      await connection.close();
      await pool.end();
      process.exit(1);
    }
    console.log(`crypto-ingest worker: metrics on http://${config.metrics.host}:${metrics.port}/metrics`);
  }
  const queues = workers.map((w) => w.options.taskQueue).join(', ');
  console.log(`crypto-ingest worker: worker running (pid ${process.pid}) on task queues ${queues}`);
  try {
    await Promise.all(workers.map((w) => w.run()));
  } finally {
    await metrics?.close();
    await connection.close();
    await pool.end();
    console.log('crypto-ingest worker: stopped');
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  run().catch((err: unknown) => {
    console.error(`crypto-ingest worker: fatal: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  });
}
