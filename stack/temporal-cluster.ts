/**
 * The native cluster profile's Temporal: a real Temporal server (`temporal-server` 1.30.4, built from
 * `go.temporal.io/server/cmd/server` by `scripts/install-temporal-server.sh`) on the stack's private
 * PostgreSQL, its schema created and updated by Temporal's own `temporal-sql-tool`, and the Temporal
 * UI server (`github.com/temporalio/ui-server/v2`, its assets embedded). The same topology as
 * `docker-compose.yml`, on this machine.
 *
 * Facts this code relies on (docs/deployment.md, "Native cluster profile"):
 * - the server renders `stack/temporal-cluster/server-config.template.yaml` itself (`# enable-template`),
 *   every setting from a `TEMPORAL_CLUSTER_*` variable, so the child's environment is built here;
 * - its ringpop membership ports are stored as SMALLINT: they must be ≤ 32767 (below the OS's
 *   ephemeral range, so they are picked here, not by the OS);
 * - peers are found through `cluster_membership`: rows of an earlier run on other ports stall the
 *   first minute, so they are deleted before each start (no server runs on the database then);
 * - the server does not create the `default` namespace: it is registered here, then the project's
 *   search attributes (PostgreSQL visibility has room for them: 10 Keyword, 3 Int, 3 Datetime).
 */
import { execFile, spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import pg from 'pg';
import { msToTs } from '@temporalio/common/lib/time';
import { freePort } from './ports';
import { REPO_ROOT, sleep, StackError, ToolMissingError, type ManagedProcess, type Supervisor } from './processes';
import {
  ensureSearchAttributesViaClient,
  loadSearchAttributeRegistrations,
  type SearchAttributeRegistration,
} from './temporal-dev';

const INSTALL_SCRIPT = path.join(REPO_ROOT, 'scripts', 'install-temporal-server.sh');
const CONFIG_TEMPLATE = path.join(REPO_ROOT, 'stack', 'temporal-cluster', 'server-config.template.yaml');
const DYNAMIC_CONFIG = path.join(REPO_ROOT, 'stack', 'temporal-cluster', 'dynamicconfig.yaml');
const UI_ROOT = path.join(REPO_ROOT, 'stack', 'temporal-cluster', 'ui');

/** Temporal's databases on the private cluster, and the role that owns them. */
export const TEMPORAL_DB = 'temporal';
export const TEMPORAL_VISIBILITY_DB = 'temporal_visibility';
export const TEMPORAL_ROLE = 'temporal';

export interface TemporalBinaries {
  server: string;
  sqlTool: string;
  ui?: string;
}

/**
 * The three binaries: `scripts/install-temporal-server.sh` (its overrides, the cached build in
 * `.tools/bin`, or a build: minutes the first time) prints `temporal-server=…` lines.
 */
export function resolveTemporalServer(opts: { ui: boolean; log: (line: string) => void }): Promise<TemporalBinaries> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [INSTALL_SCRIPT, ...(opts.ui ? [] : ['--no-ui'])], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: process.env,
    });
    let stdout = '';
    const tail: string[] = [];
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      for (const line of d.split('\n').filter(Boolean)) {
        tail.push(line);
        if (tail.length > 20) tail.shift();
        opts.log(`[temporal-server] ${line}`);
      }
    });
    child.on('error', (err) => reject(new ToolMissingError(`cannot run ${INSTALL_SCRIPT}: ${err.message}`)));
    child.on('close', (code) => {
      const kv = new Map(
        stdout
          .split('\n')
          .map((l) => l.trim().split('='))
          .filter((p) => p.length === 2)
          .map(([k, v]) => [k!, v!] as const),
      );
      const server = kv.get('temporal-server');
      const sqlTool = kv.get('temporal-sql-tool');
      const ui = kv.get('temporal-ui-server');
      if (code === 0 && server && sqlTool && (!opts.ui || ui))
        return resolve({ server, sqlTool, ...(ui ? { ui } : {}) });
      const why = tail.filter((l) => /error/i.test(l)).pop() ?? `exit code ${code}`;
      reject(
        new ToolMissingError(
          `Temporal server binaries unavailable: ${why} (script: scripts/install-temporal-server.sh; set TEMPORAL_SERVER_PATH, TEMPORAL_SQL_TOOL_PATH, TEMPORAL_UI_SERVER_PATH to use existing ones)`,
        ),
      );
    });
  });
}

/** A free port ≤ 32767 (membership ports are SMALLINT in Temporal's PostgreSQL schema). */
export async function lowFreePort(taken: ReadonlySet<number>, host = '127.0.0.1'): Promise<number> {
  for (let k = 0; k < 200; k++) {
    const port = 20_000 + Math.floor(Math.random() * 12_767);
    if (taken.has(port)) continue;
    const ok = await new Promise<boolean>((resolve) => {
      const srv = net.createServer();
      srv.once('error', () => resolve(false));
      srv.listen(port, host, () => srv.close(() => resolve(true)));
    });
    if (ok) return port;
  }
  throw new StackError('no free port between 20000 and 32767 for the Temporal cluster membership');
}

/** The ports one server process listens on (frontend gRPC is the clients' address). */
export interface ClusterPorts {
  frontendGrpc: number;
  frontendHttp: number;
  historyGrpc: number;
  matchingGrpc: number;
  workerGrpc: number;
  frontendMembership: number;
  historyMembership: number;
  matchingMembership: number;
  workerMembership: number;
}

async function pickPorts(frontendGrpc: number): Promise<ClusterPorts> {
  const taken = new Set<number>([frontendGrpc]);
  const any = async () => {
    let p: number;
    do p = await freePort();
    while (taken.has(p));
    taken.add(p);
    return p;
  };
  const low = async () => {
    const p = await lowFreePort(taken);
    taken.add(p);
    return p;
  };
  return {
    frontendGrpc,
    frontendHttp: await any(),
    historyGrpc: await any(),
    matchingGrpc: await any(),
    workerGrpc: await any(),
    frontendMembership: await low(),
    historyMembership: await low(),
    matchingMembership: await low(),
    workerMembership: await low(),
  };
}

export interface TemporalClusterOptions {
  supervisor: Supervisor;
  /** Frontend gRPC port (a real port). */
  port: number;
  /** UI port, or false for none. */
  uiPort: number | false;
  /** The private cluster: its port and the owner's URL (creates Temporal's role and databases). */
  postgres: { port: number; ownerUrl: string; temporalPassword: string };
  namespace: string;
  searchAttributes?: ReadonlyArray<SearchAttributeRegistration>;
  readyTimeoutMs?: number;
  log?: (line: string) => void;
}

export interface TemporalCluster {
  address: string;
  namespace: string;
  uiUrl?: string;
  process: ManagedProcess;
  uiProcess?: ManagedProcess;
  ports: ClusterPorts;
  createdSearchAttributes: string[];
}

/** Temporal's role and databases on the private cluster (idempotent; the password set every time). */
async function ensureTemporalRole(ownerUrl: string, password: string): Promise<void> {
  const c = new pg.Client({ connectionString: ownerUrl });
  await c.connect();
  try {
    const r = await c.query(`SELECT 1 FROM pg_roles WHERE rolname = $1`, [TEMPORAL_ROLE]);
    if (r.rowCount === 0) await c.query(`CREATE ROLE ${TEMPORAL_ROLE} LOGIN CREATEDB`);
    await c.query(`ALTER ROLE ${TEMPORAL_ROLE} PASSWORD '${password.replace(/'/g, "''")}'`);
  } finally {
    await c.end();
  }
}

function runTool(command: string, args: string[], env: NodeJS.ProcessEnv, log: (l: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { env, timeout: 120_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      for (const line of `${stdout}${stderr}`.split('\n').filter(Boolean)) log(`[temporal-sql-tool] ${line}`);
      if (err)
        reject(
          new StackError(
            `temporal-sql-tool ${args.slice(-3).join(' ')} failed: ${stderr.trim().split('\n').pop() ?? err.message}`,
          ),
        );
      else resolve();
    });
  });
}

/**
 * Create (once) and update Temporal's two databases with its own SQL tool: `create-database`,
 * `setup-schema -v 0.0` on a new one, then `update-schema` to the schema the binary embeds. Every
 * step is safe to repeat.
 */
async function setupSchema(sqlTool: string, pgPort: number, password: string, log: (l: string) => void): Promise<void> {
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
  const base = ['--ep', '127.0.0.1', '-p', String(pgPort), '-u', TEMPORAL_ROLE, '--pw', password, '--pl', 'postgres12'];
  for (const [db, schema] of [
    [TEMPORAL_DB, 'postgresql/v12/temporal'],
    [TEMPORAL_VISIBILITY_DB, 'postgresql/v12/visibility'],
  ] as const) {
    await runTool(sqlTool, [...base, '--db', db, 'create-database'], env, log).catch((err: unknown) => {
      // an existing database is fine
      if (!/already exists/i.test(String(err))) throw err;
    });
    await runTool(sqlTool, [...base, '--db', db, 'setup-schema', '-v', '0.0'], env, log);
    await runTool(sqlTool, [...base, '--db', db, 'update-schema', '--schema-name', schema], env, log);
  }
}

/** Members of an earlier run (other ports) would stall the ring for a minute: none runs now. */
async function clearMembership(pgPort: number, password: string): Promise<void> {
  const c = new pg.Client({ host: '127.0.0.1', port: pgPort, user: TEMPORAL_ROLE, password, database: TEMPORAL_DB });
  await c.connect();
  try {
    await c.query('DELETE FROM cluster_membership');
  } finally {
    await c.end();
  }
}

/** Until the frontend answers, the namespace exists and lists workflows (all of Temporal is up). */
async function waitForNamespace(address: string, namespace: string, deadline: number): Promise<void> {
  const { Connection } = await import('@temporalio/client');
  let last: unknown;
  while (Date.now() < deadline) {
    let connection;
    try {
      connection = await Connection.connect({ address, connectTimeout: 2_000 });
      const svc = connection.workflowService;
      try {
        await svc.describeNamespace({ namespace });
      } catch (err) {
        if ((err as { code?: number }).code !== 5) throw err; // 5 = NOT_FOUND
        await svc.registerNamespace({
          namespace,
          workflowExecutionRetentionPeriod: msToTs('3 days'),
          description: 'crypto-ingest (native cluster profile)',
        });
      }
      await svc.listWorkflowExecutions({ namespace, pageSize: 1 });
      return;
    } catch (err) {
      last = err;
      await sleep(300);
    } finally {
      await connection?.close().catch(() => undefined);
    }
  }
  throw new StackError(
    `the Temporal server at ${address} did not serve namespace ${namespace} in time: ${last instanceof Error ? last.message : String(last)}`,
  );
}

export async function startTemporalCluster(opts: TemporalClusterOptions): Promise<TemporalCluster> {
  const log = opts.log ?? opts.supervisor.log;
  const [bins, attrs] = await Promise.all([
    resolveTemporalServer({ ui: opts.uiPort !== false, log }),
    opts.searchAttributes ? Promise.resolve(opts.searchAttributes) : loadSearchAttributeRegistrations(),
  ]);
  const { port: pgPort, ownerUrl, temporalPassword } = opts.postgres;
  await ensureTemporalRole(ownerUrl, temporalPassword);
  const s0 = Date.now();
  await setupSchema(bins.sqlTool, pgPort, temporalPassword, log);
  log(`[temporal] schema of ${TEMPORAL_DB} and ${TEMPORAL_VISIBILITY_DB} up to date (${Date.now() - s0} ms)`);
  await clearMembership(pgPort, temporalPassword);

  const ports = await pickPorts(opts.port);
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    TEMPORAL_CLUSTER_PG_HOST: '127.0.0.1',
    TEMPORAL_CLUSTER_PG_PORT: String(pgPort),
    TEMPORAL_CLUSTER_PG_USER: TEMPORAL_ROLE,
    TEMPORAL_CLUSTER_PG_PASSWORD: temporalPassword,
    TEMPORAL_CLUSTER_PG_DB: TEMPORAL_DB,
    TEMPORAL_CLUSTER_PG_VISIBILITY_DB: TEMPORAL_VISIBILITY_DB,
    TEMPORAL_CLUSTER_NUM_HISTORY_SHARDS: '4',
    TEMPORAL_CLUSTER_BIND_IP: '127.0.0.1',
    TEMPORAL_CLUSTER_FRONTEND_GRPC_PORT: String(ports.frontendGrpc),
    TEMPORAL_CLUSTER_FRONTEND_HTTP_PORT: String(ports.frontendHttp),
    TEMPORAL_CLUSTER_HISTORY_GRPC_PORT: String(ports.historyGrpc),
    TEMPORAL_CLUSTER_MATCHING_GRPC_PORT: String(ports.matchingGrpc),
    TEMPORAL_CLUSTER_WORKER_GRPC_PORT: String(ports.workerGrpc),
    TEMPORAL_CLUSTER_FRONTEND_MEMBERSHIP_PORT: String(ports.frontendMembership),
    TEMPORAL_CLUSTER_HISTORY_MEMBERSHIP_PORT: String(ports.historyMembership),
    TEMPORAL_CLUSTER_MATCHING_MEMBERSHIP_PORT: String(ports.matchingMembership),
    TEMPORAL_CLUSTER_WORKER_MEMBERSHIP_PORT: String(ports.workerMembership),
    TEMPORAL_CLUSTER_LOG_LEVEL: 'warn',
    TEMPORAL_CLUSTER_DYNAMIC_CONFIG_FILE: DYNAMIC_CONFIG,
  };
  const address = `127.0.0.1:${ports.frontendGrpc}`;
  const proc = await opts.supervisor.start({
    name: 'temporal',
    label: `Temporal server (port ${ports.frontendGrpc}, PostgreSQL persistence)`,
    command: bins.server,
    args: ['--config-file', CONFIG_TEMPLATE, '--allow-no-auth', 'start'],
    env,
    cwd: REPO_ROOT,
    stopSignal: 'SIGTERM',
    stopTimeoutMs: 15_000,
  });
  const deadline = Date.now() + (opts.readyTimeoutMs ?? 90_000);
  try {
    await waitForNamespace(address, opts.namespace, deadline);
  } catch (err) {
    throw proc.startError(err instanceof Error ? err.message : String(err), err);
  }
  let created: string[];
  try {
    created = await ensureSearchAttributesViaClient(address, opts.namespace, attrs, log);
  } catch (err) {
    throw proc.startError(
      `started but search attributes could not be registered: ${err instanceof Error ? err.message : String(err)}`,
      err,
    );
  }

  let uiProcess: ManagedProcess | undefined;
  if (opts.uiPort !== false && bins.ui) {
    uiProcess = await opts.supervisor.start({
      name: 'temporal-ui',
      label: `Temporal UI server (port ${opts.uiPort})`,
      command: bins.ui,
      args: ['--root', UI_ROOT, '--config', '.', '--env', 'cluster', 'start'],
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        TEMPORAL_CLUSTER_BIND_IP: '127.0.0.1',
        TEMPORAL_CLUSTER_FRONTEND_GRPC_PORT: String(ports.frontendGrpc),
        TEMPORAL_CLUSTER_UI_IP: '127.0.0.1',
        TEMPORAL_CLUSTER_UI_PORT: String(opts.uiPort),
        TEMPORAL_CLUSTER_UI_NAMESPACE: opts.namespace,
      },
      cwd: REPO_ROOT,
      stopSignal: 'SIGTERM',
      stopTimeoutMs: 10_000,
    });
    const uiPort = opts.uiPort;
    await uiProcess.waitUntilReady(async () => (await fetch(`http://127.0.0.1:${uiPort}/api/v1/namespaces`)).ok, {
      timeoutMs: 30_000,
      intervalMs: 250,
    });
  }
  return {
    address,
    namespace: opts.namespace,
    ...(uiProcess ? { uiUrl: `http://127.0.0.1:${opts.uiPort}`, uiProcess } : {}),
    process: proc,
    ports,
    createdSearchAttributes: created,
  };
}
