/**
 * Where the CLI connects: Temporal as Temporal's own tools do (`@temporalio/envconfig`:
 * `TEMPORAL_ADDRESS`, `TEMPORAL_NAMESPACE`, `TEMPORAL_API_KEY`, `TEMPORAL_TLS_*`, profiles), and
 * PostgreSQL through `DATABASE_URL`; both default to the local stack (`npm start`). A server that is
 * not there is one `UnreachableError` line naming the address and what to start, never a hang.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection, type ConnectionOptions } from '@temporalio/client';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import pg from 'pg';
import { NotFoundError, UnreachableError, UsageError } from './errors';

export type Env = Readonly<Record<string, string | undefined>>;

export const DEFAULT_TEMPORAL_ADDRESS = '127.0.0.1:7233';
export const DEFAULT_NAMESPACE = 'default';
export const DEFAULT_DATABASE_URL = 'postgres://crypto_ingest@127.0.0.1:54329/crypto_ingest';

export interface TemporalTarget {
  readonly address: string;
  readonly namespace: string;
  readonly options: ConnectionOptions;
}

function definedEnv(env: Env): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined && e[1] !== ''),
  );
}

/** The Temporal address and namespace from the environment (and `--address`/`--namespace`). */
export function temporalTarget(env: Env, flags: { address?: string; namespace?: string } = {}): TemporalTarget {
  let loaded: ReturnType<typeof loadClientConnectConfig>;
  try {
    loaded = loadClientConnectConfig({ overrideEnvVars: definedEnv(env) });
  } catch (err) {
    throw new UsageError(`TEMPORAL_*: ${err instanceof Error ? err.message : String(err)}`);
  }
  const c = loaded.connectionOptions;
  const address = flags.address ?? c.address ?? DEFAULT_TEMPORAL_ADDRESS;
  const namespace = flags.namespace ?? loaded.namespace ?? DEFAULT_NAMESPACE;
  const options: ConnectionOptions = { address, connectTimeout: '10s' };
  if (c.tls !== undefined && c.tls !== null) options.tls = c.tls;
  if (c.apiKey) options.apiKey = c.apiKey;
  if (c.metadata) options.metadata = c.metadata;
  return { address, namespace, options };
}

/**
 * `--database-url`, else `DATABASE_URL`, else the local stack's cluster, with the owner's password
 * the stack keeps in its data dir (`STACK_DATA_DIR`, default `.data`, then
 * `pg/crypto-ingest-credentials.json`) when that file is there.
 */
export function databaseUrl(env: Env, flag?: string): string {
  if (flag) return flag;
  if (env.DATABASE_URL) return env.DATABASE_URL;
  const dataDir = env.STACK_DATA_DIR?.trim() ? path.resolve(env.STACK_DATA_DIR.trim()) : path.join(REPO_ROOT, '.data');
  try {
    const c = JSON.parse(fs.readFileSync(path.join(dataDir, 'pg', 'crypto-ingest-credentials.json'), 'utf8')) as {
      owner?: unknown;
    };
    if (typeof c.owner === 'string') {
      const u = new URL(DEFAULT_DATABASE_URL);
      u.password = c.owner;
      return u.toString();
    }
  } catch {
    // no local stack here (or not readable): the default URL, and PostgreSQL says what it needs
  }
  return DEFAULT_DATABASE_URL;
}

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** `host:port/db` of a PostgreSQL URL (no user, no password). */
export function describeDatabaseUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || '5432'}${u.pathname}`;
  } catch {
    return '(unparseable DATABASE_URL)';
  }
}

const START_HINT = 'start the local stack with `npm start`';

/** `host`, `port` of `host:port` / `[v6]:port`, or undefined. */
export function splitAddress(address: string): { host: string; port: number } | undefined {
  const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(address.trim());
  return m ? { host: m[1]!, port: Number(m[2]) } : undefined;
}

/** A quick TCP probe, so a server that is not there fails in milliseconds instead of a gRPC deadline. */
function probe(host: string, port: number, timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (problem: string | undefined) => {
      socket.destroy();
      resolve(problem);
    };
    socket.setTimeout(timeoutMs, () => done(`no answer within ${timeoutMs / 1000} s`));
    socket.once('connect', () => done(undefined));
    socket.once('error', (err: NodeJS.ErrnoException) => done(err.code ?? err.message));
  });
}

export interface TemporalSession {
  readonly client: Client;
  readonly target: TemporalTarget;
  close(): Promise<void>;
}

export async function connectTemporal(target: TemporalTarget): Promise<TemporalSession> {
  const where = `Temporal at ${target.address} (TEMPORAL_ADDRESS)`;
  const hp = splitAddress(target.address);
  if (hp) {
    const problem = await probe(hp.host, hp.port, 3_000);
    if (problem)
      throw new UnreachableError(`cannot reach ${where}: ${problem}; ${START_HINT}, or set TEMPORAL_ADDRESS`);
  }
  let connection: Connection;
  try {
    connection = await Connection.connect(target.options);
  } catch (err) {
    throw new UnreachableError(
      `cannot connect to ${where}: ${err instanceof Error ? err.message : String(err)}; ${START_HINT}, or check TEMPORAL_ADDRESS / TEMPORAL_TLS_* / TEMPORAL_API_KEY`,
    );
  }
  try {
    await connection.workflowService.describeNamespace({ namespace: target.namespace });
  } catch (err) {
    // Only a namespace that is certainly absent stops here; anything else (e.g. an API key allowed
    // to use the namespace but not to describe it) is left to the command's own calls.
    if ((err as { code?: number }).code === 5 /* NOT_FOUND */) {
      await connection.close();
      throw new NotFoundError(
        `Temporal at ${target.address} has no namespace '${target.namespace}' (TEMPORAL_NAMESPACE or --namespace)`,
      );
    }
  }
  return {
    client: new Client({ connection, namespace: target.namespace }),
    target,
    close: () => connection.close(),
  };
}

const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'EAI_AGAIN',
]);

/** A small pool, checked with `SELECT 1` so an absent server is reported before any work. */
export async function openDatabase(url: string): Promise<pg.Pool> {
  const where = `PostgreSQL at ${describeDatabaseUrl(url)} (DATABASE_URL)`;
  let pool: pg.Pool;
  try {
    pool = new pg.Pool({
      connectionString: url,
      max: 2,
      application_name: 'crypto-ingest-cli',
      connectionTimeoutMillis: 5_000,
    });
  } catch (err) {
    throw new UsageError(`DATABASE_URL: ${err instanceof Error ? err.message : String(err)}`);
  }
  pool.on('error', () => undefined);
  try {
    await pool.query('SELECT 1');
  } catch (err) {
    await pool.end().catch(() => undefined);
    const e = err as NodeJS.ErrnoException;
    const message = e.message || e.code || String(err);
    if (e.code && UNREACHABLE_CODES.has(e.code)) {
      throw new UnreachableError(`cannot reach ${where}: ${message}; ${START_HINT}, or set DATABASE_URL`);
    }
    if (/timeout/i.test(message)) {
      throw new UnreachableError(`cannot reach ${where}: ${message}; ${START_HINT}, or set DATABASE_URL`);
    }
    throw new UnreachableError(`cannot use ${where}: ${message}; check DATABASE_URL`);
  }
  return pool;
}
