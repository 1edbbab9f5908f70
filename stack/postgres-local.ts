/**
 * A private PostgreSQL cluster for development, the demo and the tests (when no DATABASE_URL is
 * given): data dir `<dataDir>/pg`, TCP on 127.0.0.1 only (no unix socket), password auth
 * (scram-sha-256) for every role, run in the foreground as a supervised child. Stop = SIGINT (fast
 * shutdown). The passwords are made at initdb, random, and kept in the cluster's own directory
 * (`<pgDir>/crypto-ingest-credentials.json`, readable by root only): the owner `crypto_ingest` (the
 * migrations) and the workers' `crypto_ingest_worker` (rows only). A cluster made by an older
 * version with trust auth is switched to passwords at its next start.
 *
 * PostgreSQL refuses to run as root: when we are root, initdb and postgres run as the `postgres`
 * OS user (spawned with its uid/gid, so the supervised pid is the postmaster itself and signals
 * reach it directly).
 */
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import {
  ComponentStartError,
  isAlive,
  lookupUser,
  processCmdline,
  sleep,
  StackError,
  ToolMissingError,
  type ManagedProcess,
  type Supervisor,
} from './processes';

export const LOCAL_PG_USER = 'crypto_ingest';
export const LOCAL_PG_DATABASE = 'crypto_ingest';

const INSTALL_HINT = 'install PostgreSQL (e.g. `apt-get install postgresql`), set PG_BIN_DIR, or set DATABASE_URL';

/**
 * Directory with `postgres` and `initdb`: PG_BIN_DIR, else `pg_config --bindir`, else the newest
 * `/usr/lib/postgresql/<major>/bin`. Throws ToolMissingError naming what was tried.
 */
export function findPgBinDir(): string {
  const has = (dir: string): boolean =>
    ['postgres', 'initdb'].every((b) => {
      try {
        fs.accessSync(path.join(dir, b), fs.constants.X_OK);
        return true;
      } catch {
        return false;
      }
    });
  const fromEnv = process.env.PG_BIN_DIR;
  if (fromEnv) {
    if (has(fromEnv)) return path.resolve(fromEnv);
    throw new ToolMissingError(
      `PG_BIN_DIR=${fromEnv} has no executable postgres and initdb: fix PG_BIN_DIR or unset it`,
    );
  }
  const tried: string[] = [];
  try {
    const dir = execFileSync('pg_config', ['--bindir'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    if (dir && has(dir)) return dir;
    tried.push(`pg_config --bindir (${dir || 'empty'})`);
  } catch {
    tried.push('pg_config (not found)');
  }
  const root = '/usr/lib/postgresql';
  let majors: string[] = [];
  try {
    majors = fs
      .readdirSync(root)
      .filter((d) => /^\d+(\.\d+)?$/.test(d))
      .sort((a, b) => Number(b) - Number(a));
  } catch {
    // none
  }
  for (const major of majors) {
    const dir = path.join(root, major, 'bin');
    if (has(dir)) return dir;
  }
  tried.push(`${root}/*/bin`);
  throw new ToolMissingError(`PostgreSQL binaries not found (tried PG_BIN_DIR, ${tried.join(', ')}): ${INSTALL_HINT}`);
}

function pgMajor(binDir: string): string {
  const out = execFileSync(path.join(binDir, 'postgres'), ['--version'], { encoding: 'utf8' });
  // "postgres (PostgreSQL) 15.14 (Debian 15.14-0+deb12u1)"
  const m = /\(PostgreSQL\)\s+(\d+)/.exec(out);
  if (!m?.[1]) throw new ToolMissingError(`cannot read the version of ${binDir}/postgres: ${out.trim()}`);
  return m[1];
}

/** uid/gid to run PostgreSQL as (the `postgres` user when we are root), or undefined. */
function pgUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const user = lookupUser('postgres');
  if (!user)
    throw new ToolMissingError(
      "PostgreSQL refuses to run as root and there is no 'postgres' OS user to run it as: `apt-get install postgresql` creates it (or run as a non-root user, or set DATABASE_URL)",
    );
  return user;
}

/**
 * Make every ancestor of `dir` traversable by `user`. Directories inside `ownedRoot` (ours) get
 * o+x added; others are only checked, and a StackError names the one that blocks.
 */
function ensureTraversable(
  dir: string,
  user: { uid: number; gid: number },
  ownedRoot: string,
  log: (l: string) => void,
): void {
  const parts = path.resolve(dir).split(path.sep).filter(Boolean);
  let current: string = path.sep;
  for (const part of ['', ...parts]) {
    current = part ? path.join(current, part) : current;
    const st = fs.statSync(current);
    const ok =
      st.uid === user.uid
        ? (st.mode & 0o100) !== 0
        : st.gid === user.gid
          ? (st.mode & 0o010) !== 0
          : (st.mode & 0o001) !== 0;
    if (ok) continue;
    const owned = current === ownedRoot || current.startsWith(ownedRoot + path.sep);
    if (owned) {
      fs.chmodSync(current, (st.mode & 0o7777) | 0o001);
      log(`[postgres] chmod o+x ${current} so the postgres user can reach its data dir`);
    } else {
      throw new StackError(
        `the postgres OS user cannot enter ${current} (mode ${(st.mode & 0o777).toString(8)}), so it cannot reach ${dir}: run \`chmod o+x ${current}\` or use a data dir elsewhere`,
      );
    }
  }
}

function runLogged(
  cmd: string,
  args: string[],
  opts: { user?: { uid: number; gid: number }; logFile: string; what: string; component: string },
): Promise<void> {
  return new Promise((resolve, reject) => {
    fs.appendFileSync(opts.logFile, `=== ${new Date().toISOString()} ${cmd} ${args.join(' ')}\n`);
    execFile(
      cmd,
      args,
      { cwd: '/', env: { ...process.env, LC_ALL: 'C' }, ...(opts.user ?? {}), maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const output = `${String(stdout)}${String(stderr)}`;
        fs.appendFileSync(opts.logFile, output);
        if (!err) return resolve();
        const tail = output.trim().split('\n').slice(-20);
        reject(
          new ComponentStartError(opts.component, `${opts.what} failed (${err.message.split('\n')[0]})`, {
            logFile: opts.logFile,
            logTail: tail,
            cause: err,
          }),
        );
      },
    );
  });
}

/**
 * If `<pgDir>/postmaster.pid` names a live postmaster for this data dir (an earlier run that was
 * not cleaned up), stop it: SIGINT (fast shutdown), then SIGQUIT, then SIGKILL. A lock file
 * whose pid is dead or belongs to another program is removed. Deterministic and logged.
 */
export async function stopStalePostmaster(pgDir: string, log: (line: string) => void): Promise<void> {
  const lockFile = path.join(pgDir, 'postmaster.pid');
  let lines: string[];
  try {
    lines = fs.readFileSync(lockFile, 'utf8').split('\n');
  } catch {
    return;
  }
  const pid = Number(lines[0]);
  const cmdline = Number.isInteger(pid) && pid > 1 && isAlive(pid) ? processCmdline(pid) : null;
  const isPostmaster =
    cmdline !== null &&
    path.basename(cmdline[0] ?? '').startsWith('postgres') &&
    (cmdline.includes(pgDir) || path.resolve(lines[1] ?? '') === path.resolve(pgDir));
  if (!isPostmaster) {
    log(`[postgres] removing stale ${lockFile} (pid ${lines[0]} is not a running postgres for this data dir)`);
    fs.rmSync(lockFile, { force: true });
    return;
  }
  log(`[postgres] a postgres from an earlier run (pid ${pid}) still runs on ${pgDir}: stopping it (fast shutdown)`);
  const steps: Array<[NodeJS.Signals, number]> = [
    ['SIGINT', 20_000],
    ['SIGQUIT', 5_000],
    ['SIGKILL', 5_000],
  ];
  for (const [signal, waitMs] of steps) {
    try {
      process.kill(pid, signal);
    } catch {
      break;
    }
    const deadline = Date.now() + waitMs;
    while (isAlive(pid) && Date.now() < deadline) await sleep(100);
    if (!isAlive(pid)) break;
  }
  if (isAlive(pid)) throw new StackError(`could not stop the old postgres (pid ${pid}) on ${pgDir}: kill it by hand`);
  // its backends notice the postmaster is gone and exit; give them a moment
  await sleep(200);
}

export interface LocalPostgresOptions {
  supervisor: Supervisor;
  /** Cluster directory. Default `<supervisor.dataDir>/pg`. */
  pgDir?: string;
  port: number;
  readyTimeoutMs?: number;
  log?: (line: string) => void;
}

export interface LocalPostgres {
  /** The owner's URL (migrations, tests' checks), with its password. */
  databaseUrl: string;
  port: number;
  pgDir: string;
  credentials: LocalCredentials;
  binDir: string;
  process: ManagedProcess;
}

/** The private cluster's passwords (`<pgDir>/crypto-ingest-credentials.json`). */
export interface LocalCredentials {
  readonly owner: string;
  readonly worker: string;
}

/** Where a private cluster keeps its passwords (inside its data dir: they live and die with it). */
export const credentialsFile = (pgDir: string): string => path.join(pgDir, CREDENTIALS_FILE);
const CREDENTIALS_FILE = 'crypto-ingest-credentials.json';

const newCredentials = (): LocalCredentials => ({
  owner: randomBytes(18).toString('base64url'),
  worker: randomBytes(18).toString('base64url'),
});

function readCredentials(pgDir: string): LocalCredentials | undefined {
  try {
    const c = JSON.parse(fs.readFileSync(credentialsFile(pgDir), 'utf8')) as Partial<LocalCredentials>;
    return typeof c.owner === 'string' && typeof c.worker === 'string'
      ? { owner: c.owner, worker: c.worker }
      : undefined;
  } catch {
    return undefined;
  }
}

function writeCredentials(dir: string, c: LocalCredentials): void {
  fs.writeFileSync(credentialsFile(dir), `${JSON.stringify(c)}\n`, { mode: 0o600 });
}

/**
 * A further role's password kept with the cluster's (e.g. Temporal's in the cluster profile): read
 * from the credentials file, or made and added to it once.
 */
export function clusterPassword(pgDir: string, name: string): string {
  const file = credentialsFile(pgDir);
  const all = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  const have = all[name];
  if (typeof have === 'string') return have;
  const made = randomBytes(18).toString('base64url');
  fs.writeFileSync(file, `${JSON.stringify({ ...all, [name]: made })}\n`, { mode: 0o600 });
  return made;
}

/** Password auth on 127.0.0.1 for every role; no unix socket is opened, so no `local` line. */
const PG_HBA = `# written by crypto-ingest's local stack: TCP on 127.0.0.1 only, a password for every role
host all all 127.0.0.1/32 scram-sha-256
`;

/** Connect once as crypto_ingest to `database` (throws while the server is not ready). */
async function withClient<T>(
  port: number,
  database: string,
  password: string | undefined,
  fn: (c: pg.Client) => Promise<T>,
): Promise<T> {
  const client = new pg.Client({
    host: '127.0.0.1',
    port,
    user: LOCAL_PG_USER,
    ...(password !== undefined ? { password } : {}),
    database,
    connectionTimeoutMillis: 2_000,
  });
  client.on('error', () => {});
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => {});
  }
}

/** initdb (once), start postgres as a supervised child, wait for it, create the database. */
export async function startLocalPostgres(opts: LocalPostgresOptions): Promise<LocalPostgres> {
  const sup = opts.supervisor;
  const log = opts.log ?? sup.log;
  const pgDir = path.resolve(opts.pgDir ?? path.join(sup.dataDir, 'pg'));
  const logFile = sup.logFileFor('postgres');
  const binDir = findPgBinDir();
  const major = pgMajor(binDir);
  const user = pgUser();
  const ownedRoot = path.dirname(pgDir);
  fs.mkdirSync(ownedRoot, { recursive: true });
  if (user) ensureTraversable(ownedRoot, user, path.resolve(sup.dataDir), log);

  await sup.reapStale('postgres');
  await stopStalePostmaster(pgDir, log);

  const versionFile = path.join(pgDir, 'PG_VERSION');
  let credentials = readCredentials(pgDir);
  /** A cluster of an older version (trust auth, no credentials file): switched to passwords below. */
  let trusted = false;
  if (fs.existsSync(versionFile)) {
    const have = fs.readFileSync(versionFile, 'utf8').trim();
    if (have !== major)
      throw new StackError(
        `${pgDir} was created by PostgreSQL ${have} but ${binDir} is PostgreSQL ${major}: delete ${pgDir} (local data is lost) or set PG_BIN_DIR to PostgreSQL ${have}`,
      );
  } else {
    if (fs.existsSync(pgDir) && fs.readdirSync(pgDir).length > 0)
      throw new StackError(
        `${pgDir} exists but is not a PostgreSQL data dir (no PG_VERSION): move it away or delete it`,
      );
    // initdb into a temp dir, then rename: an interrupted initdb never leaves a half-made cluster
    const tmpDir = `${pgDir}.initdb-tmp`;
    fs.rmSync(tmpDir, { recursive: true, force: true });
    fs.mkdirSync(tmpDir, { mode: 0o700 });
    if (user) fs.chownSync(tmpDir, user.uid, user.gid);
    log(`[postgres] initdb ${pgDir} (PostgreSQL ${major}, ${binDir})`);
    credentials = newCredentials();
    const pwFile = path.join(tmpDir, 'initdb.pw');
    fs.writeFileSync(pwFile, `${credentials.owner}\n`, { mode: 0o600 });
    const initdbDir = path.join(tmpDir, 'data');
    fs.mkdirSync(initdbDir, { mode: 0o700 });
    if (user) {
      fs.chownSync(pwFile, user.uid, user.gid);
      fs.chownSync(initdbDir, user.uid, user.gid);
    }
    try {
      await runLogged(
        path.join(binDir, 'initdb'),
        [
          '-D',
          initdbDir,
          '--auth=scram-sha-256',
          `--pwfile=${pwFile}`,
          '-U',
          LOCAL_PG_USER,
          '--encoding=UTF8',
          '--locale=C',
          '--no-instructions',
        ],
        { user, logFile, what: `initdb ${pgDir}`, component: 'postgres' },
      );
    } finally {
      fs.rmSync(pwFile, { force: true });
    }
    fs.writeFileSync(path.join(initdbDir, 'pg_hba.conf'), PG_HBA);
    writeCredentials(initdbDir, credentials);
    if (user) fs.chownSync(path.join(initdbDir, 'pg_hba.conf'), user.uid, user.gid);
    fs.rmSync(pgDir, { recursive: true, force: true });
    fs.renameSync(initdbDir, pgDir);
    fs.rmSync(tmpDir, { recursive: true, force: true });
  }
  if (credentials === undefined) {
    // made by an older version: trust auth until it has passwords (set once it is up)
    trusted = true;
    credentials = newCredentials();
  }
  if (user) {
    // a dir made by an earlier non-root run, or restored by hand: postgres must own it
    const st = fs.statSync(pgDir);
    if (st.uid !== user.uid) execFileSync('chown', ['-R', `${user.uid}:${user.gid}`, pgDir]);
  }

  const proc = await sup.start({
    name: 'postgres',
    label: `PostgreSQL (port ${opts.port})`,
    command: path.join(binDir, 'postgres'),
    args: [
      '-D',
      pgDir,
      '-p',
      String(opts.port),
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'unix_socket_directories=',
      '-c',
      'fsync=on',
      '-c',
      'logging_collector=off',
      '-c',
      'log_destination=stderr',
    ],
    cwd: '/',
    env: { ...process.env, LC_ALL: 'C' },
    ...(user ? { user } : {}),
    stopSignal: 'SIGINT',
    stopTimeoutMs: 30_000,
  });
  const ownerPassword = trusted ? undefined : credentials.owner;
  await proc.waitUntilReady(() => withClient(opts.port, 'postgres', ownerPassword, async () => true), {
    timeoutMs: opts.readyTimeoutMs ?? 60_000,
    intervalMs: 200,
  });
  try {
    await withClient(opts.port, 'postgres', ownerPassword, async (c) => {
      if (trusted) {
        // an older cluster: the owner gets its password, then passwords are required from now on
        await c.query(`ALTER ROLE ${LOCAL_PG_USER} PASSWORD '${credentials.owner}'`);
        writeCredentials(pgDir, credentials!);
        const hba = path.join(pgDir, 'pg_hba.conf');
        fs.writeFileSync(hba, PG_HBA);
        if (user) fs.chownSync(hba, user.uid, user.gid);
        await c.query('SELECT pg_reload_conf()');
        log(`[postgres] ${pgDir}: trust auth replaced by passwords (${credentialsFile(pgDir)})`);
      }
      const r = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [LOCAL_PG_DATABASE]);
      if (r.rowCount === 0) {
        log(`[postgres] CREATE DATABASE ${LOCAL_PG_DATABASE}`);
        await c.query(`CREATE DATABASE ${LOCAL_PG_DATABASE}`);
      }
    });
  } catch (err) {
    throw proc.startError(
      `started but CREATE DATABASE ${LOCAL_PG_DATABASE} failed: ${err instanceof Error ? err.message : String(err)}`,
      err,
    );
  }
  return {
    databaseUrl: `postgres://${LOCAL_PG_USER}:${credentials.owner}@127.0.0.1:${opts.port}/${LOCAL_PG_DATABASE}`,
    port: opts.port,
    pgDir,
    credentials,
    binDir,
    process: proc,
  };
}

/** The workers' login role on the private cluster: no superuser, a member of the writer role only. */
export const WORKER_ROLE = 'crypto_ingest_worker';

/**
 * Create the workers' login role on our private cluster (once), as a member of
 * `crypto_ingest_writer` (created and granted by sql/0009), give it its password (every time: the
 * credentials file is the truth), and return the workers' URL.
 */
export async function ensureWorkerRole(
  ownerUrl: string,
  password: string,
  log: (line: string) => void,
): Promise<string> {
  return ensureLoginRole(ownerUrl, WORKER_ROLE, 'crypto_ingest_writer', password, (role) =>
    log(`[postgres] created the workers' role ${role} (rows only, no DDL)`),
  );
}

/** The dashboard's login on the private cluster: only a member of `crypto_ingest_reader` (sql/0016). */
export const DASHBOARD_ROLE = 'crypto_ingest_dashboard';

/** As `ensureWorkerRole`, for the dashboard: reads the ledgers, nothing else. */
export async function ensureDashboardRole(
  ownerUrl: string,
  password: string,
  log: (line: string) => void,
): Promise<string> {
  return ensureLoginRole(ownerUrl, DASHBOARD_ROLE, 'crypto_ingest_reader', password, (role) =>
    log(`[postgres] created the dashboard's role ${role} (reads the ledgers only)`),
  );
}

/** A login role that is only a member of `group`, with this password; its URL on the owner's database. */
async function ensureLoginRole(
  ownerUrl: string,
  role: string,
  group: string,
  password: string,
  created: (role: string) => void,
): Promise<string> {
  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  try {
    const exists = await client.query(`SELECT 1 FROM pg_roles WHERE rolname = $1`, [role]);
    if (exists.rowCount === 0) {
      await client.query(`CREATE ROLE ${role} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE IN ROLE ${group}`);
      created(role);
    }
    await client.query(`ALTER ROLE ${role} PASSWORD '${password}'`);
  } finally {
    await client.end();
  }
  const u = new URL(ownerUrl);
  u.username = role;
  u.password = password;
  return u.toString();
}
