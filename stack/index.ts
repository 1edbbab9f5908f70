/**
 * The local stack: everything a developer, the demo and the integration tests need, started,
 * health-checked and stopped from one call — PostgreSQL (private cluster unless a DATABASE_URL is
 * given), the Temporal dev server (unless an address is given), the API simulator, then the
 * database migrations, then the workers.
 *
 * ```ts
 * const stack = await startStack({ temporal: { port: 0, uiPort: false, dbFile: null }, postgres: { port: 0 } });
 * try { … } finally { await stack.stop(); }
 * ```
 *
 * Errors meant for the operator are StackError subclasses (PortInUseError, ToolMissingError,
 * ComponentStartError): print `err.message`, no stack trace.
 */
import fs from 'node:fs';
import path from 'node:path';
import { assertPortFree, freePort } from './ports';
import {
  clusterPassword,
  ensureWorkerRole,
  ensureDashboardRole,
  startLocalPostgres,
  stopStalePostmaster,
  type LocalCredentials,
  type LocalPostgres,
} from './postgres-local';
import { startTemporalCluster } from './temporal-cluster';
import {
  REPO_ROOT,
  StackError,
  Supervisor,
  ToolMissingError,
  tsxImportArgs,
  within,
  type ManagedProcess,
} from './processes';
import { ensureSearchAttributesViaClient, loadSearchAttributeRegistrations, startTemporalDev } from './temporal-dev';
import { buildWorker, WORKER_BUILD, WORKER_MALLOC_ENV, WORKER_SOURCE } from '../workers/build-worker';

export { ComponentStartError, ManagedProcess, StackError, Supervisor, ToolMissingError } from './processes';
export { PortInUseError, PORT_ENV_HINTS, assertPortFree, freePort } from './ports';
export { findPgBinDir, startLocalPostgres } from './postgres-local';
export { resolveTemporalCli, startTemporalDev } from './temporal-dev';

export type MigrateFn = (databaseUrl: string, log?: (line: string) => void) => Promise<{ applied: string[] } | unknown>;

export interface StackOptions {
  /** Root for the Temporal db file, the PostgreSQL cluster, logs/ and run/. Default `<repo>/.data`. */
  dataDir?: string;
  temporal?: {
    /** Use an existing server (host:port): start nothing, only make sure the search attributes exist. */
    address?: string;
    /** Frontend port. Default 7233; 0 = a free port. */
    port?: number;
    /** Web UI port. Default 8233; 0 = a free port; false = headless. */
    uiPort?: number | false;
    /** SQLite file. Default `<dataDir>/temporal.db`; null = in-memory. */
    dbFile?: string | null;
    /** Default 'default'. */
    namespace?: string;
    /**
     * 'dev' (default): the Temporal CLI's dev server (SQLite). 'cluster': a real Temporal server on
     * the private PostgreSQL (schema by Temporal's own SQL tool) and the UI server, built from their
     * Go modules (`stack/temporal-cluster.ts`); needs the private PostgreSQL (no `databaseUrl`).
     */
    mode?: 'dev' | 'cluster';
  };
  postgres?: {
    /** Use this database: start nothing. */
    databaseUrl?: string;
    /** Port of the private cluster. Default 54329; 0 = a free port. */
    port?: number;
  };
  /** The API simulator; false = do not start it. */
  simulator?: false | { port?: number };
  /** Workers to start after the migrations (`node dist/ingest-worker.mjs`, built at start: workers/build-worker.ts). */
  workers?: Array<{ name: string; env: Record<string, string> }>;
  /** Log sink for every line of every component (`[name] line`). Default: stderr. */
  log?: (line: string) => void;
  /**
   * Who acts on SIGINT/SIGTERM/SIGHUP. 'stack' (default): the supervisor stops everything in
   * reverse start order, then re-raises the signal. 'caller-when-ready': the supervisor does so only
   * while `startStack` runs; once it has returned, the caller handles the signals and calls
   * `stop()` itself (the entrypoints, which close their own pg pool and Temporal connection first).
   * Either way the exit handler and the reaper stop every child if the process exits or is killed.
   */
  signals?: 'stack' | 'caller-when-ready';
  /**
   * Migration step. Default: `migrate` from `activities/db/migrate`. false = skip (the database
   * is migrated by someone else). Mainly for tests and tools.
   */
  migrate?: MigrateFn | false;
}

export interface Stack {
  temporalAddress: string;
  namespace: string;
  /** Temporal Web UI, when we started a dev server with a UI. */
  uiUrl?: string;
  /** The owner's URL: migrations, the CLI, status queries. */
  databaseUrl: string;
  /**
   * What the workers connect with: on the private cluster the non-superuser `crypto_ingest_worker`,
   * a member of `crypto_ingest_writer` (rows only, sql/0009); with an external DATABASE_URL, that URL.
   */
  workerDatabaseUrl: string;
  /**
   * What the dashboard reads with: on the private cluster `crypto_ingest_dashboard`, a member of
   * `crypto_ingest_reader` (the ledgers only, sql/0016); with an external DATABASE_URL, that URL.
   */
  dashboardDatabaseUrl: string;
  simulatorUrl?: string;
  dataDir: string;
  /** Start one more worker (`name` must be unique among running workers). */
  startWorker(name: string, env?: Record<string, string>): Promise<ManagedProcess>;
  /**
   * Stop one component we started and start it again on the same port and data (chaos testing).
   * PostgreSQL: immediate shutdown (SIGQUIT, crash recovery on start) unless `signal` says otherwise;
   * the Temporal dev server: SIGTERM (its db file, when there is one, keeps the workflows) unless
   * `signal` says otherwise. A component we did not start (external URL/address) is a StackError.
   * The restarted process counts as started last: `stop()` stops it first.
   */
  restart(component: 'temporal' | 'postgres', opts?: { signal?: NodeJS.Signals }): Promise<void>;
  /** Stop everything we started, in reverse order. Idempotent. */
  stop(): Promise<void>;
}

const DEFAULTS = {
  temporalPort: 7233,
  temporalUiPort: 8233,
  postgresPort: 54329,
  simulatorPort: 8299,
  namespace: 'default',
} as const;

const WORKER_ENTRY = WORKER_SOURCE;
const SIMULATOR_ENTRY = path.join(REPO_ROOT, 'simulator', 'main.ts');

const defaultLog = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

/** Resolve `0` to a free port, leave others as they are. */
async function pickPort(port: number): Promise<number> {
  return port === 0 ? freePort() : port;
}

export async function startStack(opts: StackOptions = {}): Promise<Stack> {
  const log = opts.log ?? defaultLog;
  const dataDir = path.resolve(opts.dataDir ?? path.join(REPO_ROOT, '.data'));
  fs.mkdirSync(dataDir, { recursive: true });
  const sup = new Supervisor({ dataDir, log });
  const started = Date.now();

  try {
    // 0. leftovers of an earlier crashed run hold ports and files: clear them first
    await sup.reapStale();
    const externalDb = opts.postgres?.databaseUrl;
    if (!externalDb) await stopStalePostmaster(path.join(dataDir, 'pg'), log);

    // 1. ports: check everything before starting anything
    const temporalExternal = opts.temporal?.address;
    const namespace = opts.temporal?.namespace ?? DEFAULTS.namespace;
    const temporalPort = temporalExternal ? 0 : await pickPort(opts.temporal?.port ?? DEFAULTS.temporalPort);
    const uiSetting = opts.temporal?.uiPort ?? DEFAULTS.temporalUiPort;
    const uiPort = temporalExternal || uiSetting === false ? false : await pickPort(uiSetting);
    const pgPort = externalDb ? 0 : await pickPort(opts.postgres?.port ?? DEFAULTS.postgresPort);
    const simPort = opts.simulator === false ? 0 : await pickPort(opts.simulator?.port ?? DEFAULTS.simulatorPort);
    const checks: Array<[number, string]> = [];
    if (!temporalExternal) checks.push([temporalPort, 'Temporal frontend']);
    if (uiPort !== false) checks.push([uiPort, 'Temporal Web UI']);
    if (!externalDb) checks.push([pgPort, 'PostgreSQL']);
    if (opts.simulator !== false) checks.push([simPort, 'API simulator']);
    const seen = new Map<number, string>();
    for (const [port, what] of checks) {
      const other = seen.get(port);
      if (other)
        throw new StackError(`port ${port} is configured for both ${other} and ${what}: give them different ports`);
      seen.set(port, what);
    }
    for (const [port, what] of checks) await assertPortFree(port, '127.0.0.1', what);
    if (opts.simulator !== false && !fs.existsSync(SIMULATOR_ENTRY))
      throw new ToolMissingError(
        `API simulator entrypoint ${SIMULATOR_ENTRY} not found: pass simulator: false or add it`,
      );
    if ((opts.workers?.length ?? 0) > 0 && !fs.existsSync(WORKER_ENTRY))
      throw new ToolMissingError(`worker entrypoint ${WORKER_ENTRY} not found`);
    // Workers run as the image runs them: the one-file build (workers/build-worker.ts), fresh.
    let workerBuilt: Promise<unknown> | undefined;

    // 2. PostgreSQL, Temporal and the simulator in parallel
    const dbFile =
      opts.temporal?.dbFile === undefined
        ? path.join(dataDir, 'temporal.db')
        : opts.temporal.dbFile && path.resolve(opts.temporal.dbFile);
    const cluster = opts.temporal?.mode === 'cluster';
    if (cluster && (externalDb || temporalExternal))
      throw new StackError(
        'the cluster profile runs Temporal on the private PostgreSQL: unset DATABASE_URL and the Temporal address',
      );
    const pgStart = externalDb
      ? Promise.resolve({ databaseUrl: externalDb })
      : startLocalPostgres({ supervisor: sup, port: pgPort, log });
    const [pgRes, temporalRes, simRes] = await Promise.allSettled([
      pgStart,
      temporalExternal
        ? loadSearchAttributeRegistrations()
            .then((attrs) => ensureSearchAttributesViaClient(temporalExternal, namespace, attrs, log))
            .then(() => ({ address: temporalExternal, uiUrl: undefined as string | undefined }))
        : cluster
          ? pgStart.then((local) => {
              const { pgDir, databaseUrl } = local as LocalPostgres;
              return startTemporalCluster({
                supervisor: sup,
                port: temporalPort,
                uiPort,
                postgres: { port: pgPort, ownerUrl: databaseUrl, temporalPassword: clusterPassword(pgDir, 'temporal') },
                namespace,
                log,
              });
            })
          : startTemporalDev({ supervisor: sup, port: temporalPort, uiPort, dbFile, namespace, log }),
      opts.simulator === false ? Promise.resolve(undefined) : startSimulator(sup, simPort),
    ]);
    const failures = [pgRes, temporalRes, simRes].filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failures.length > 0) {
      for (const f of failures.slice(1)) log(`[stack] also failed: ${firstLine(f.reason)}`);
      throw failures[0]!.reason;
    }
    const databaseUrl = (pgRes as PromiseFulfilledResult<{ databaseUrl: string }>).value.databaseUrl;
    const temporal = (temporalRes as PromiseFulfilledResult<{ address: string; uiUrl?: string }>).value;
    // the processes `restart` stops and starts again (only the ones we started)
    const owned: Partial<Record<'temporal' | 'postgres', ManagedProcess>> = {};
    const pgProc = (pgRes as PromiseFulfilledResult<{ process?: ManagedProcess }>).value.process;
    if (pgProc) owned.postgres = pgProc;
    const temporalProc = (temporalRes as PromiseFulfilledResult<{ process?: ManagedProcess }>).value.process;
    if (temporalProc) owned.temporal = temporalProc;
    const simulatorUrl = (simRes as PromiseFulfilledResult<string | undefined>).value;

    // 3. migrations
    if (opts.migrate !== false) {
      const migrate: MigrateFn = opts.migrate ?? (await import('../activities/db/migrate')).migrate;
      log('[stack] migrating the database');
      try {
        await migrate(databaseUrl, (line) => log(`[migrate] ${line}`));
      } catch (err) {
        throw new StackError(
          `database migration failed on ${redact(databaseUrl)}: ${err instanceof Error ? err.message : String(err)}`,
          { cause: err },
        );
      }
    }

    // 4. workers: least privilege on our own cluster (they write rows; only the migrator owns tables)
    const credentials = (pgRes as PromiseFulfilledResult<{ credentials?: LocalCredentials }>).value.credentials;
    const workerDatabaseUrl =
      !credentials || opts.migrate === false
        ? databaseUrl
        : await ensureWorkerRole(databaseUrl, credentials.worker, log);
    const localPgDir = (pgRes as PromiseFulfilledResult<{ pgDir?: string }>).value.pgDir;
    const dashboardDatabaseUrl =
      !credentials || !localPgDir || opts.migrate === false
        ? databaseUrl
        : await ensureDashboardRole(databaseUrl, clusterPassword(localPgDir, 'dashboard'), log);
    const simEnv = simulatorUrl ? (await import('./simulator-env')).simulatorWorkerEnv(simulatorUrl) : {};
    const workerEnv = (env: Record<string, string> = {}): NodeJS.ProcessEnv => ({
      ...process.env,
      DATABASE_URL: workerDatabaseUrl,
      ...(workerDatabaseUrl !== databaseUrl ? { INGEST_MIGRATE: 'false' } : {}),
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_NAMESPACE: namespace,
      ...simEnv,
      ...env,
    });
    const startWorker = async (name: string, env?: Record<string, string>): Promise<ManagedProcess> => {
      if (!fs.existsSync(WORKER_ENTRY)) throw new ToolMissingError(`worker entrypoint ${WORKER_ENTRY} not found`);
      workerBuilt ??= buildWorker();
      await workerBuilt;
      const proc = await sup.start({
        name: `worker-${name}`,
        label: `worker ${name}`,
        command: process.execPath,
        args: [WORKER_BUILD],
        env: { ...WORKER_MALLOC_ENV, ...workerEnv(env) },
        cwd: REPO_ROOT,
        stopSignal: 'SIGTERM',
        stopTimeoutMs: 30_000,
      });
      try {
        await proc.waitForLine((l) => l.includes('worker running'), 120_000, "'worker running'");
      } catch (err) {
        await proc.stop();
        throw err;
      }
      return proc;
    };
    await Promise.all((opts.workers ?? []).map((w) => startWorker(w.name, w.env)));

    let stopping: Promise<void> | undefined;
    const stack: Stack = {
      temporalAddress: temporal.address,
      namespace,
      ...(temporal.uiUrl ? { uiUrl: temporal.uiUrl } : {}),
      databaseUrl,
      workerDatabaseUrl,
      dashboardDatabaseUrl,
      ...(simulatorUrl ? { simulatorUrl } : {}),
      dataDir,
      startWorker,
      restart: async (component, restartOpts = {}) => {
        const proc = owned[component];
        if (!proc) throw new StackError(`cannot restart ${component}: this stack did not start it`);
        if (stopping) throw new StackError(`cannot restart ${component}: the stack is stopping`);
        const signal = restartOpts.signal ?? (component === 'postgres' ? 'SIGQUIT' : 'SIGTERM');
        log(`[stack] restarting ${proc.label} (${signal})`);
        proc.kill(signal);
        const exited = await within(
          proc.exited.then(() => true),
          proc.stopTimeoutMs,
          false,
        );
        if (!exited) log(`[stack] ${proc.label} did not exit after ${signal}: stopping it`);
        await proc.stop(); // SIGKILL if still running; leftovers of its process group
        if (component === 'postgres') {
          owned.postgres = (await startLocalPostgres({ supervisor: sup, port: pgPort, log })).process;
        } else {
          owned.temporal = (
            await startTemporalDev({ supervisor: sup, port: temporalPort, uiPort, dbFile, namespace, log })
          ).process;
        }
      },
      stop: () => {
        stopping ??= sup.stopAll().then(() => log('[stack] stopped'));
        return stopping;
      },
    };
    // a signal that arrived while starting: stop (below) rather than hand over a stopping stack
    if (sup.stopReason) throw new StackError(`stopping on ${sup.stopReason}`);
    if (opts.signals === 'caller-when-ready') sup.releaseSignals();
    log(
      `[stack] ready in ${((Date.now() - started) / 1000).toFixed(1)}s: temporal ${stack.temporalAddress} (namespace ${namespace})` +
        `${stack.uiUrl ? `, UI ${stack.uiUrl}` : ''}, postgres ${redact(databaseUrl)}` +
        `${simulatorUrl ? `, simulator ${simulatorUrl}` : ''}, logs in ${sup.logDir}`,
    );
    return stack;
  } catch (err) {
    await sup.stopAll();
    if (sup.stopReason) {
      throw new StackError(`stack start interrupted by ${sup.stopReason}: everything started so far was stopped`, {
        cause: err,
      });
    }
    throw err;
  }
}

async function startSimulator(sup: Supervisor, port: number): Promise<string> {
  const proc = await sup.start({
    name: 'simulator',
    label: `API simulator (port ${port})`,
    command: process.execPath,
    args: [...tsxImportArgs(), SIMULATOR_ENTRY],
    env: { ...process.env, SIM_PORT: String(port), SIM_HOST: '127.0.0.1' },
    cwd: REPO_ROOT,
    stopSignal: 'SIGTERM',
    stopTimeoutMs: 5_000,
  });
  const line = await proc.waitForLine(/simulator listening on \S+/, 60_000, "'simulator listening on <url>'");
  const url = (/simulator listening on (\S+)/.exec(line)?.[1] ?? '').replace(/\/+$/, '');
  await proc.waitUntilReady(
    async () => {
      const res = await fetch(`${url}/__sim/health`, { signal: AbortSignal.timeout(2_000) });
      await res.body?.cancel();
      if (res.status !== 200) throw new Error(`GET ${url}/__sim/health → ${res.status}`);
    },
    { timeoutMs: 30_000, intervalMs: 200 },
  );
  return url;
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '';
}

function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}
