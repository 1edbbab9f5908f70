/**
 * Integration-test helpers over the real stack started by the global setup: a Temporal client,
 * a PostgreSQL pool, the simulator's control client, and workers (in-process or as a child
 * process that a test may SIGKILL). Each test file uses its own task queue, so workers of one
 * file never pick up another file's tasks.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import pg from 'pg';
import { inject } from 'vitest';
import { createPool } from '../../activities/db/pool';
import { migrate } from '../../activities/db/migrate';
import { SimulatorControl } from '../../simulator/control-client';
import { startSimulator, type RunningSimulator } from '../../simulator/server';
import { dataApiSimulator } from '../../simulator/sources/data-api';
import type { FaultSpec } from '../../simulator/types';
import { loadConfig } from '../../workers/config';
import { createWorkers } from '../../workers/ingest-worker';
import { buildWorker, WORKER_BUILD, WORKER_MALLOC_ENV } from '../../workers/build-worker';

export interface TestEnv {
  readonly name: string;
  /**
   * Add a simulator fault owned by this test env; `clearFaults()` removes exactly those (the
   * simulator is shared with other test files running at the same time).
   */
  addFault(spec: FaultSpec): Promise<void>;
  clearFaults(): Promise<void>;
  readonly client: Client;
  readonly pool: pg.Pool;
  readonly sim: SimulatorControl;
  readonly taskQueue: string;
  /** Env vars a worker of this test file needs. */
  readonly workerEnv: Record<string, string>;
  close(): Promise<void>;
}

export interface TestEnvOptions {
  /**
   * A database of the test file's own (created, migrated, dropped at close): for tests that
   * resolve the tracked universe, which is one table by design.
   */
  readonly ownDatabase?: boolean;
}

async function createOwnDatabase(name: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const base = inject('databaseUrl');
  const db = `test_${name.replace(/[^a-z0-9]/gi, '_')}_${process.pid}`.toLowerCase();
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${db}`);
  await admin.end();
  const u = new URL(base);
  u.pathname = `/${db}`;
  await migrate(u.toString());
  return {
    url: u.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: base });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
      await c.end();
    },
  };
}

/** The workers' URL for a database of the test cluster: the stack's worker role, on that database. */
function workerUrlFor(databaseUrl: string): string {
  const worker = new URL(inject('workerDatabaseUrl'));
  const u = new URL(databaseUrl);
  u.username = worker.username;
  u.password = worker.password;
  return u.toString();
}

export async function openTestEnv(name: string, options: TestEnvOptions = {}): Promise<TestEnv> {
  const temporalAddress = inject('temporalAddress');
  const connection = await Connection.connect({ address: temporalAddress });
  const client = new Client({ connection, namespace: inject('namespace') });
  const own = options.ownDatabase ? await createOwnDatabase(name) : undefined;
  const databaseUrl = own?.url ?? inject('databaseUrl');
  const pool = createPool(databaseUrl, { max: 4 });
  const taskQueue = `test-${name}-${randomUUID().slice(0, 8)}`;
  // Workers connect as the stack does them: the rows-only worker role (same database), no migrations.
  const workerEnv = {
    DATABASE_URL: workerUrlFor(databaseUrl),
    TEMPORAL_ADDRESS: temporalAddress,
    TEMPORAL_NAMESPACE: inject('namespace'),
    INGEST_TASK_QUEUE: taskQueue,
    ...inject('simulatorEnv'),
    WORKFLOW_BUNDLE_PATH: inject('workflowBundlePath'),
    INGEST_MIGRATE: 'false',
    LOG_LEVEL: 'WARN',
  };
  const sim = new SimulatorControl(inject('simulatorUrl'));
  const faults: string[] = [];
  return {
    name,
    async addFault(spec) {
      faults.push((await sim.addFault(spec)).id);
    },
    async clearFaults() {
      for (const id of faults.splice(0)) await sim.removeFault(id);
    },
    client,
    pool,
    sim,
    taskQueue,
    workerEnv,
    async close() {
      // A failed test must not leave its worker processes behind.
      for (const child of spawned.get(name) ?? [])
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      spawned.delete(name);
      await connection.close();
      await pool.end();
      await own?.drop();
    },
  };
}

export interface RunningWorkers {
  stop(): Promise<void>;
}

/** Start this file's workers in-process (workflow + activity workers). */
export async function startWorkers(env: TestEnv, extraEnv: Record<string, string> = {}): Promise<RunningWorkers> {
  const config = loadConfig({ ...env.workerEnv, ...extraEnv });
  const connection = await NativeConnection.connect(config.temporal.connection);
  const pool = createPool(config.databaseUrl, { max: 4 });
  const workers: Worker[] = await createWorkers(config, connection, pool);
  const running = Promise.all(workers.map((w) => w.run()));
  return {
    async stop() {
      for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
      await running;
      await connection.close();
      await pool.end();
    },
  };
}

/** Child worker processes per test env, killed by `close()` whatever happened in the test. */
const spawned = new Map<string, ChildProcess[]>();

export interface WorkerProcess {
  readonly child: ChildProcess;
  readonly output: string[];
  /** Resolves with the exit code (or signal name). */
  readonly exited: Promise<number | string | null>;
}

let workerBuilt: Promise<unknown> | undefined;

/**
 * Start a worker as a child process as the image runs it (the one-file build, `node
 * dist/ingest-worker.mjs`, built once per test process), ready when it says so.
 */
export async function startWorkerProcess(env: TestEnv, extraEnv: Record<string, string> = {}): Promise<WorkerProcess> {
  workerBuilt ??= buildWorker();
  await workerBuilt;
  const child = spawn(process.execPath, [WORKER_BUILD], {
    env: { ...WORKER_MALLOC_ENV, ...process.env, ...env.workerEnv, ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  spawned.set(env.name, [...(spawned.get(env.name) ?? []), child]);
  const output: string[] = [];
  const exited = new Promise<number | string | null>((resolve) =>
    child.on('exit', (code, signal) => resolve(code ?? signal)),
  );
  await new Promise<void>((resolve, reject) => {
    const onData = (buf: Buffer) => {
      for (const line of buf.toString().split('\n')) {
        if (line) output.push(line);
        if (line.includes('worker running')) resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then((code) =>
      reject(new Error(`worker exited (${String(code)}) before it was ready:\n${output.join('\n')}`)),
    );
    setTimeout(() => reject(new Error(`worker not ready after 60 s:\n${output.join('\n')}`)), 60_000).unref();
  });
  return { child, output, exited };
}

export interface TwinEnv {
  readonly env: TestEnv;
  readonly sim: RunningSimulator;
  readonly control: SimulatorControl;
  readonly worker: WorkerProcess;
  close(): Promise<void>;
}

/**
 * A test env with its own database, its own Data API twin (its stats count one file's calls only)
 * and a worker process pointed at that twin. What was opened is closed if a later step fails.
 */
export async function openDataApiTwinEnv(name: string): Promise<TwinEnv> {
  const env = await openTestEnv(name, { ownDatabase: true });
  let sim: RunningSimulator | undefined;
  let worker: WorkerProcess | undefined;
  const close = async (): Promise<void> => {
    worker?.child.kill('SIGTERM');
    await worker?.exited;
    await sim?.close();
    await env.close();
  };
  try {
    sim = await startSimulator({ port: 0, sources: [dataApiSimulator] });
    worker = await startWorkerProcess(env, { DATA_API_BASE_URL: `${sim.url}/data-api` });
  } catch (err) {
    await close();
    throw err;
  }
  return { env, sim, control: new SimulatorControl(sim.url), worker, close };
}

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * `node bin/crypto-ingest.mjs …` as a child process with only the connection settings of the test
 * stack (this env's database) plus `extraEnv`: what an operator's shell would give it.
 */
export function runCli(env: TestEnv, args: string[], extraEnv: Record<string, string> = {}): Promise<CliRun> {
  const childEnv: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? tmpdir(),
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    TEMPORAL_NAMESPACE: inject('namespace'),
    DATABASE_URL: env.workerEnv.DATABASE_URL!,
    ...extraEnv,
  };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.resolve('bin/crypto-ingest.mjs'), ...args], {
      env: childEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 150_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Run the real `temporal` CLI against the test server; resolves with stdout, rejects with stderr. */
export async function temporalCli(args: string[]): Promise<string> {
  const { execFile } = await import('node:child_process');
  const full = [...args, '--address', inject('temporalAddress'), '--namespace', inject('namespace')];
  return new Promise((resolve, reject) =>
    execFile(inject('temporalCliPath'), full, { timeout: 60_000 }, (err, stdout, stderr) =>
      err ? reject(new Error(`temporal ${args.join(' ')}: ${stderr || err.message}`)) : resolve(stdout),
    ),
  );
}

/** Poll until `fn` returns a truthy value (or fail after `timeoutMs`). */
export async function waitFor<T>(
  fn: () => Promise<T | undefined | null | false>,
  timeoutMs = 60_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
