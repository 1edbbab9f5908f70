/**
 * Integration suite setup: ONE real stack for all integration files: a Temporal dev server
 * (built from source by scripts/install-temporal-cli.sh when needed), a private PostgreSQL
 * cluster (or DATABASE_URL when set), the API simulator, migrations. Also bundles the workflow
 * code once so each test worker starts in milliseconds instead of re-bundling.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import pg from 'pg';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { resolveTemporalCli, startStack, type Stack } from '../../stack/index';
import { buildWorkflowBundle } from '../../workers/build-workflow-bundle';
import { simulatorWorkerEnv } from '../../stack/simulator-env';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    namespace: string;
    /** The owner's URL (migrations, the tests' own queries). */
    databaseUrl: string;
    /** What workers connect with: the rows-only worker role on the private cluster. */
    workerDatabaseUrl: string;
    /** What the dashboard reads with: the stack's ledgers-only reader login on the private cluster. */
    dashboardDatabaseUrl: string;
    simulatorUrl: string;
    workflowBundlePath: string;
    /** Worker env pointing every source at the simulator (base URLs, budgets). */
    simulatorEnv: Record<string, string>;
    dataDir: string;
    temporalCliPath: string;
  }
}

let stack: Stack | undefined;
let dropDatabase: (() => Promise<void>) | undefined;

/**
 * With an external DATABASE_URL, run in a throwaway database on that server (created here,
 * dropped at teardown), so a run never sees a previous run's rows or checkpoints.
 */
async function throwawayDatabase(url: string): Promise<string> {
  const name = `crypto_ingest_test_${process.pid}_${Date.now()}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  dropDatabase = async () => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await c.end();
  };
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

export async function setup(project: TestProject): Promise<void> {
  // INTEGRATION_DATA_DIR lets two suites run side by side (each stack owns its data dir).
  const dataDir = path.resolve(process.env.INTEGRATION_DATA_DIR ?? '.data/test');
  // A fresh private cluster every run: no rows or checkpoints survive from an earlier run.
  // (Only the cluster: run/ keeps the pid files the stack uses to clean up after a crashed run.)
  rmSync(path.join(dataDir, 'pg'), { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  const external = process.env.DATABASE_URL ? await throwawayDatabase(process.env.DATABASE_URL) : undefined;
  const lines: string[] = [];
  const [s, code] = await Promise.all([
    startStack({
      dataDir,
      temporal: { port: 0, uiPort: false, dbFile: null },
      postgres: external ? { databaseUrl: external } : { port: 0 },
      simulator: { port: 0 },
      log: (l) => {
        lines.push(l);
        if (process.env.STACK_LOG === '1') process.stderr.write(`${l}\n`);
      },
    }).catch((err: unknown) => {
      process.stderr.write(`${lines.slice(-40).join('\n')}\n`);
      throw err;
    }),
    buildWorkflowBundle(),
  ]);
  stack = s;
  const workflowBundlePath = path.join(dataDir, 'workflow-bundle.js');
  writeFileSync(workflowBundlePath, code);
  project.provide('temporalAddress', s.temporalAddress);
  project.provide('namespace', s.namespace);
  project.provide('databaseUrl', s.databaseUrl);
  project.provide('workerDatabaseUrl', s.workerDatabaseUrl);
  project.provide('dashboardDatabaseUrl', s.dashboardDatabaseUrl);
  project.provide('simulatorUrl', s.simulatorUrl!);
  project.provide('workflowBundlePath', workflowBundlePath);
  project.provide('dataDir', dataDir);
  project.provide('simulatorEnv', simulatorWorkerEnv(s.simulatorUrl!));
  project.provide('temporalCliPath', await resolveTemporalCli({ build: false }));
}

export async function teardown(): Promise<void> {
  await stack?.stop();
  await dropDatabase?.();
}
