/**
 * The local stack with real processes (no mocks): port errors, a private PostgreSQL, the reaper
 * (children die with a SIGKILLed / crashing / signalled parent), stale pid files, the Temporal dev
 * server with search attributes, `startStack` end to end, and `npm start` (stack/main.ts) stopped by
 * Ctrl-C / SIGTERM: its exit code, a short output, nothing left running, the Temporal db reused.
 *
 * The Temporal tests need a Temporal CLI that resolves without building (TEMPORAL_CLI_PATH, a
 * 1.5.1 `temporal` on PATH, or `.tools/bin/temporal` from `npm run setup`). Without one they fail
 * with that message; set STACK_TEST_NO_TEMPORAL=1 to skip them on purpose.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { Client, Connection } from '@temporalio/client';
import { afterAll, describe, expect, it } from 'vitest';
import { PortInUseError, assertPortFree, freePort } from './ports';
import { credentialsFile, startLocalPostgres, type LocalCredentials } from './postgres-local';
import { lowFreePort } from './temporal-cluster';
import {
  ComponentStartError,
  REPO_ROOT,
  StackError,
  Supervisor,
  groupAlive,
  isAlive,
  processCmdline,
  processStartTime,
  sleep,
  tsxImportArgs,
  within,
} from './processes';
import {
  ensureSearchAttributes,
  ensureSearchAttributesViaClient,
  loadSearchAttributeRegistrations,
  resolveTemporalCli,
  runCli,
  startTemporalDev,
} from './temporal-dev';
import { startStack } from './index';

const SKIP_TEMPORAL = process.env.STACK_TEST_NO_TEMPORAL === '1';
const tmpRoots: string[] = [];

function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `stack-test-${prefix}-`));
  tmpRoots.push(dir);
  return dir;
}

afterAll(() => {
  for (const dir of tmpRoots) fs.rmSync(dir, { recursive: true, force: true });
});

const lines: string[] = [];
const log = (line: string): void => {
  lines.push(line);
};

async function waitFor(cond: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (cond()) return true;
    await sleep(50);
  }
  return cond();
}

/** PIDs of live children of `ppid` (PostgreSQL backends run in their own sessions). */
function childrenOf(ppid: number): number[] {
  const found: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields[1] === String(ppid) && fields[0] !== 'Z') found.push(Number(entry));
    } catch {
      // gone
    }
  }
  return found;
}

/** PIDs of live processes whose command line mentions `needle`. */
function processesMentioning(needle: string): number[] {
  const found: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    const cmd = processCmdline(pid);
    if (cmd && cmd.join(' ').includes(needle) && isAlive(pid)) found.push(pid);
  }
  return found;
}

async function temporalCliOrFail(): Promise<string> {
  try {
    return await resolveTemporalCli({ build: false });
  } catch (err) {
    throw new Error(
      `${err instanceof Error ? err.message : String(err)} — the Temporal tests need it; set STACK_TEST_NO_TEMPORAL=1 to skip them on purpose`,
    );
  }
}

describe('ports', () => {
  it('names the port and the component when the port is taken', async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    try {
      const err = await assertPortFree(port, '127.0.0.1', 'Temporal frontend').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PortInUseError);
      expect(err).toBeInstanceOf(StackError);
      expect((err as Error).message).toBe(
        `port ${port} (Temporal frontend) is already in use: stop the other process or set TEMPORAL_PORT`,
      );
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    await expect(assertPortFree(port, '127.0.0.1', 'Temporal frontend')).resolves.toBeUndefined();
  });

  it('freePort returns a bindable port', async () => {
    const port = await freePort();
    expect(port).toBeGreaterThan(1023);
    await expect(assertPortFree(port, '127.0.0.1', 'PostgreSQL')).resolves.toBeUndefined();
  });

  it('startStack fails fast on a taken port and starts nothing', async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    const dataDir = tempDir('busy');
    try {
      const t0 = Date.now();
      const err = await startStack({
        dataDir,
        temporal: { port: 0, uiPort: false, dbFile: null },
        postgres: { port },
        simulator: false,
        log,
      }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PortInUseError);
      expect((err as Error).message).toBe(
        `port ${port} (PostgreSQL) is already in use: stop the other process or set PG_PORT`,
      );
      expect(Date.now() - t0).toBeLessThan(3_000);
      expect(fs.existsSync(path.join(dataDir, 'pg'))).toBe(false);
      expect(fs.readdirSync(path.join(dataDir, 'run'))).toEqual([]);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('local PostgreSQL', () => {
  it('initdb once, starts on a free port, accepts connections, stops without leftovers', async () => {
    const dataDir = tempDir('pg');
    const port = await freePort();
    const pgDir = path.join(dataDir, 'pg');
    for (const round of [1, 2]) {
      const sup = new Supervisor({ dataDir, log });
      const before = lines.length;
      let backends: number[] = [];
      try {
        const local = await startLocalPostgres({ supervisor: sup, port });
        // a password, made at initdb and kept in the cluster's dir, readable by root only
        const creds = JSON.parse(fs.readFileSync(credentialsFile(pgDir), 'utf8')) as LocalCredentials;
        expect(creds.owner).toMatch(/^[\w-]{20,}$/);
        expect(fs.statSync(credentialsFile(pgDir)).mode & 0o077).toBe(0);
        expect(local.databaseUrl).toBe(`postgres://crypto_ingest:${creds.owner}@127.0.0.1:${port}/crypto_ingest`);
        // and it is checked: no password, or a wrong one, is refused
        for (const bad of [
          `postgres://crypto_ingest@127.0.0.1:${port}/crypto_ingest`,
          `postgres://crypto_ingest:x@127.0.0.1:${port}/crypto_ingest`,
        ]) {
          const c = new pg.Client({ connectionString: bad });
          c.on('error', () => undefined);
          await expect(c.connect()).rejects.toThrow(/password/);
          await c.end().catch(() => undefined);
        }
        const initdbRan = lines.slice(before).some((l) => l.includes('initdb'));
        expect(initdbRan).toBe(round === 1);
        const client = new pg.Client({ connectionString: local.databaseUrl });
        await client.connect();
        const r = await client.query<{ db: string; user: string }>(
          'SELECT current_database() AS db, current_user AS user',
        );
        await client.end();
        expect(r.rows[0]).toEqual({ db: 'crypto_ingest', user: 'crypto_ingest' });
        backends = childrenOf(local.process.pid);
        expect(backends.length).toBeGreaterThan(0);
        expect(fs.readFileSync(path.join(dataDir, 'run', 'postgres.pid'), 'utf8').split('\n')[0]).toBe(
          String(local.process.pid),
        );
        expect(fs.readFileSync(path.join(dataDir, 'logs', 'postgres.log'), 'utf8')).toContain(
          'database system is ready to accept connections',
        );
      } finally {
        await sup.stopAll();
      }
      expect(processesMentioning(pgDir)).toEqual([]);
      expect(backends.filter(isAlive)).toEqual([]);
      expect(fs.existsSync(path.join(pgDir, 'postmaster.pid'))).toBe(false);
      expect(fs.existsSync(path.join(dataDir, 'run', 'postgres.pid'))).toBe(false);
    }
  }, 120_000);

  it('a cluster an older version made with trust auth gets passwords at its next start', async () => {
    const dataDir = tempDir('pg-trust');
    const port = await freePort();
    const pgDir = path.join(dataDir, 'pg');
    const first = new Supervisor({ dataDir, log });
    try {
      await startLocalPostgres({ supervisor: first, port });
    } finally {
      await first.stopAll();
    }
    // what an older version left: trust for every TCP connection, no credentials file
    fs.writeFileSync(path.join(pgDir, 'pg_hba.conf'), 'host all all 127.0.0.1/32 trust\n');
    fs.rmSync(credentialsFile(pgDir));
    const sup = new Supervisor({ dataDir, log });
    try {
      const local = await startLocalPostgres({ supervisor: sup, port });
      const creds = JSON.parse(fs.readFileSync(credentialsFile(pgDir), 'utf8')) as LocalCredentials;
      expect(local.credentials).toEqual(creds);
      const ok = new pg.Client({ connectionString: local.databaseUrl });
      await ok.connect();
      await ok.end();
      const trust = new pg.Client({ connectionString: `postgres://crypto_ingest@127.0.0.1:${port}/crypto_ingest` });
      trust.on('error', () => undefined);
      await expect(trust.connect()).rejects.toThrow(/password/);
      await trust.end().catch(() => undefined);
    } finally {
      await sup.stopAll();
    }
  }, 120_000);
});

// A tiny parent that uses the supervisor, then dies in various ways.
const PARENT_SCRIPT = `
import { Supervisor } from ${JSON.stringify(path.join(REPO_ROOT, 'stack', 'processes.ts'))};
const [dataDir, mode] = process.argv.slice(2);
const sup = new Supervisor({ dataDir, log: (l) => process.stdout.write(l + '\\n') });
const a = await sup.start({ name: 'sleeper', command: 'sleep', args: ['1000'] });
// a leader with a grandchild in its process group
const b = await sup.start({ name: 'shell', command: 'sh', args: ['-c', 'sleep 1001 & echo grandchild $!; wait'] });
const line = await b.waitForLine(/^grandchild \\d+/, 5000);
process.stdout.write('READY ' + a.pid + ' ' + b.pid + ' ' + line.split(' ')[1] + '\\n');
if (mode === 'throw') setTimeout(() => { throw new Error('boom'); }, 200);
setInterval(() => {}, 1000);
`;

interface ParentRun {
  child: ChildProcess;
  pids: number[];
  output: () => string;
}

async function startParent(mode: 'sigkill' | 'throw' | 'sigterm'): Promise<ParentRun> {
  const dir = tempDir(`parent-${mode}`);
  const script = path.join(dir, 'parent.mts');
  fs.writeFileSync(script, PARENT_SCRIPT);
  const child = spawn(process.execPath, [...tsxImportArgs(), script, path.join(dir, 'data'), mode], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const ok = await waitFor(() => /READY \d+ \d+ \d+/.test(out) || child.exitCode !== null, 20_000);
  const m = /READY (\d+) (\d+) (\d+)/.exec(out);
  if (!ok || !m) {
    child.kill('SIGKILL');
    throw new Error(`parent did not get ready:\n${out}`);
  }
  const pids = [Number(m[1]), Number(m[2]), Number(m[3])];
  for (const pid of pids) expect(isAlive(pid)).toBe(true);
  return { child, pids, output: () => out };
}

describe('no orphans', () => {
  it('the reaper kills the children (and grandchildren) when the parent is SIGKILLed', async () => {
    const run = await startParent('sigkill');
    run.child.kill('SIGKILL');
    const gone = await waitFor(() => run.pids.every((p) => !isAlive(p)), 8_000);
    expect(gone, `still alive: ${run.pids.filter(isAlive).join(', ')}\n${run.output()}`).toBe(true);
  }, 30_000);

  it('an uncaught exception in the parent kills the children', async () => {
    const run = await startParent('throw');
    const code = await new Promise<number | null>((resolve) => run.child.once('exit', resolve));
    expect(code).toBe(1);
    expect(run.output()).toContain('boom');
    const gone = await waitFor(() => run.pids.every((p) => !isAlive(p)), 8_000);
    expect(gone, `still alive: ${run.pids.filter(isAlive).join(', ')}\n${run.output()}`).toBe(true);
  }, 30_000);

  it('SIGTERM to the parent stops the children in reverse order, then the parent exits by the signal', async () => {
    const run = await startParent('sigterm');
    run.child.kill('SIGTERM');
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
      run.child.once('exit', (c, s) => resolve([c, s])),
    );
    expect(signal).toBe('SIGTERM');
    expect(code).toBeNull();
    const out = run.output();
    expect(out.indexOf('stopping shell')).toBeGreaterThan(0);
    expect(out.indexOf('stopping shell')).toBeLessThan(out.indexOf('stopping sleeper'));
    const gone = await waitFor(() => run.pids.every((p) => !isAlive(p)), 8_000);
    expect(gone, `still alive: ${run.pids.filter(isAlive).join(', ')}\n${out}`).toBe(true);
  }, 30_000);

  it('reapStale kills what a crashed run left, and never an unrelated process', async () => {
    const dataDir = tempDir('stale');
    const runDir = path.join(dataDir, 'run');
    fs.mkdirSync(runDir, { recursive: true });
    const leftover = spawn('sleep', ['1000'], { detached: true, stdio: 'ignore' });
    const unrelated = spawn('sleep', ['1001'], { detached: true, stdio: 'ignore' });
    try {
      const record = (pid: number, starttime: string | null, argv: string[]) =>
        `${pid}\n${JSON.stringify({ pid, starttime, argv, stopSignal: 'SIGTERM', stopTimeoutMs: 2000, owner: { pid: 999_999_999, starttime: '1' } })}\n`;
      // the leftover: same pid, start time and command as recorded, owner gone
      fs.writeFileSync(
        path.join(runDir, 'old.pid'),
        record(leftover.pid!, processStartTime(leftover.pid!), ['sleep', '1000']),
      );
      // pid reused by another program: start time differs
      fs.writeFileSync(path.join(runDir, 'reused.pid'), record(unrelated.pid!, '12345', ['sleep', '1001']));
      // same pid and start time but a different command: not ours either
      fs.writeFileSync(
        path.join(runDir, 'other.pid'),
        record(unrelated.pid!, processStartTime(unrelated.pid!), ['/usr/bin/postgres', '-D', 'x']),
      );
      const sup = new Supervisor({ dataDir, log, reaper: false, handleSignals: false });
      await sup.reapStale();
      await sup.stopAll();
      expect(await waitFor(() => !isAlive(leftover.pid!), 5_000)).toBe(true);
      expect(isAlive(unrelated.pid!)).toBe(true);
      expect(fs.readdirSync(runDir)).toEqual([]);
    } finally {
      leftover.kill('SIGKILL');
      unrelated.kill('SIGKILL');
    }
  }, 30_000);

  it('a child that exits before it is ready gives a ComponentStartError with its log', async () => {
    const dataDir = tempDir('fail');
    const sup = new Supervisor({ dataDir, log });
    try {
      const proc = await sup.start({
        name: 'broken',
        label: 'Broken thing',
        command: 'sh',
        args: ['-c', 'echo "FATAL: config file missing" >&2; exit 3'],
      });
      const err = await proc.waitUntilReady(async () => false, { timeoutMs: 5_000 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ComponentStartError);
      const msg = (err as Error).message;
      expect(msg.split('\n')[0]).toBe(
        `Broken thing exited (code 3) before it was ready (log: ${path.join(dataDir, 'logs', 'broken.log')})`,
      );
      expect(msg).toContain('FATAL: config file missing');
    } finally {
      await sup.stopAll();
    }
  }, 30_000);
});

describe('Temporal dev server', () => {
  it.skipIf(SKIP_TEMPORAL)(
    'starts headless in-memory on free ports, registers the search attributes, stops',
    async () => {
      const cli = await temporalCliOrFail();
      const dataDir = tempDir('temporal');
      const sup = new Supervisor({ dataDir, log });
      const port = await freePort();
      let pid = 0;
      try {
        const dev = await startTemporalDev({
          supervisor: sup,
          port,
          uiPort: false,
          dbFile: null,
          namespace: 'default',
        });
        pid = dev.process.pid;
        expect(dev.address).toBe(`127.0.0.1:${port}`);
        expect(dev.uiUrl).toBeUndefined();
        expect(dev.createdSearchAttributes).toEqual([]);

        const expected = await loadSearchAttributeRegistrations();
        expect(expected.length).toBeGreaterThan(0);
        const listed = await runCli(cli, [
          'operator',
          'search-attribute',
          'list',
          '--address',
          dev.address,
          '--namespace',
          'default',
          '--output',
          'json',
        ]);
        expect(listed.code).toBe(0);
        const custom = (JSON.parse(listed.stdout) as { customAttributes: Record<string, string> }).customAttributes;
        for (const a of expected) {
          expect(custom[a.name], a.name).toBe(
            `INDEXED_VALUE_TYPE_${a.type.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase()}`,
          );
        }

        // missing attributes are created, several of one type at once (CLI path and gRPC path)
        const extra = [
          { name: 'StackTestExtra', type: 'Keyword' },
          { name: 'StackTestExtra2', type: 'Keyword' },
        ];
        expect(await ensureSearchAttributes(cli, dev.address, 'default', [...expected, ...extra])).toEqual([
          'StackTestExtra',
          'StackTestExtra2',
        ]);
        expect(await ensureSearchAttributes(cli, dev.address, 'default', [...expected, ...extra])).toEqual([]);
        expect(
          await ensureSearchAttributesViaClient(dev.address, 'default', [{ name: 'StackTestViaClient', type: 'Int' }]),
        ).toEqual(['StackTestViaClient']);
        // a wrong type is refused
        await expect(
          ensureSearchAttributes(cli, dev.address, 'default', [{ name: 'StackTestExtra', type: 'Int' }]),
        ).rejects.toThrow(/StackTestExtra is registered as KEYWORD.*needs INT/);
        // out of Keyword slots (10): the message names the attributes the code no longer uses
        const tooMany = ['A', 'B', 'C', 'D'].map((x) => ({ name: `StackTestMore${x}`, type: 'Keyword' }));
        await expect(ensureSearchAttributes(cli, dev.address, 'default', [...expected, ...tooMany])).rejects.toThrow(
          /cannot register search attribute StackTestMore\w \(Keyword\).*StackTestExtra, StackTestExtra2.*search-attribute remove/,
        );
      } finally {
        await sup.stopAll();
      }
      expect(pid).toBeGreaterThan(0);
      expect(isAlive(pid)).toBe(false);
      expect(processesMentioning(`--port ${port}`)).toEqual([]);
    },
    60_000,
  );
});

describe('startStack', () => {
  it.skipIf(SKIP_TEMPORAL)(
    'starts PostgreSQL + Temporal, migrates, stops everything (idempotent)',
    async () => {
      await temporalCliOrFail();
      const dataDir = tempDir('stack');
      const stack = await startStack({
        dataDir,
        temporal: { port: 0, uiPort: 0, dbFile: path.join(dataDir, 'temporal.db') },
        postgres: { port: 0 },
        simulator: false,
        log,
      });
      const pids = fs
        .readdirSync(path.join(dataDir, 'run'))
        .map((f) => Number(fs.readFileSync(path.join(dataDir, 'run', f), 'utf8').split('\n')[0]));
      try {
        expect(pids.length).toBe(2);
        expect(stack.temporalAddress).toMatch(/^127\.0\.0\.1:\d+$/);
        expect(stack.uiUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
        expect(stack.namespace).toBe('default');
        expect(stack.simulatorUrl).toBeUndefined();
        const ui = await fetch(stack.uiUrl!);
        expect(ui.status).toBe(200);
        await ui.body?.cancel();
        const client = new pg.Client({ connectionString: stack.databaseUrl });
        await client.connect();
        const r = await client.query('SELECT count(*)::int AS n FROM schema_migrations');
        await client.end();
        expect(r.rows[0].n).toBeGreaterThan(0);
      } finally {
        await stack.stop();
        await stack.stop();
      }
      for (const pid of pids) expect(isAlive(pid)).toBe(false);
      expect(processesMentioning(dataDir)).toEqual([]);
      expect(fs.existsSync(path.join(dataDir, 'temporal.db'))).toBe(true);
    },
    180_000,
  );
});

// `npm start` itself (node --import tsx stack/main.ts, what the script runs) in its own process
// group, as a terminal runs it, on a private data dir and ports (STACK_DATA_DIR, TEMPORAL_PORT, …).
interface MainRun {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** stdout and stderr interleaved as they arrived. */
  output: () => string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function startMain(dataDir: string, temporalPort: number, extraEnv: Record<string, string> = {}): MainRun {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    STACK_DATA_DIR: dataDir,
    TEMPORAL_PORT: String(temporalPort),
    TEMPORAL_UI_PORT: '0',
    PG_PORT: '0',
    SIM_PORT: '0',
    DASHBOARD_PORT: '0',
    ...extraEnv,
  };
  delete env.DATABASE_URL;
  delete env.UNIVERSE_CONFIG;
  const child = spawn(process.execPath, [...tsxImportArgs(), path.join(REPO_ROOT, 'stack', 'main.ts')], {
    cwd: REPO_ROOT,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  let all = '';
  child.stdout!.on('data', (d: Buffer) => ((out += d.toString()), (all += d.toString())));
  child.stderr!.on('data', (d: Buffer) => ((err += d.toString()), (all += d.toString())));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, stdout: () => out, stderr: () => err, output: () => all, exit };
}

/** Waits for `crypto-ingest is running`; fails with the output if the entrypoint exits or times out. */
async function waitUntilRunning(run: MainRun, timeoutMs: number): Promise<void> {
  const ok = await waitFor(
    () => run.stdout().includes('crypto-ingest is running') || run.child.exitCode !== null,
    timeoutMs,
  );
  if (!ok || !run.stdout().includes('crypto-ingest is running')) {
    throw new Error(`npm start did not come up (exit ${run.child.exitCode}):\n${run.output().slice(-4000)}`);
  }
}

/** Every live descendant of `pid` (the stack's children run in their own sessions and groups). */
function descendantsOf(pid: number): number[] {
  const found: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    for (const c of childrenOf(queue.shift()!)) {
      found.push(c);
      queue.push(c);
    }
  }
  return found;
}

/** The last `=== … exited (…)` record the supervisor wrote in a component's log. */
function lastExit(dataDir: string, component: string): string {
  const text = fs.readFileSync(path.join(dataDir, 'logs', `${component}.log`), 'utf8');
  return [...text.matchAll(/^=== \S+ pid \d+ exited \((.+)\)$/gm)].pop()?.[1] ?? 'no exit recorded';
}

/**
 * Send `signal` to the entrypoint's whole process group, as a terminal's Ctrl-C does; expect the
 * exit code, a short clean output (the stop message, then only the stack's own lines), and no
 * process of the run left (its group, its descendants, anything naming its data dir).
 */
async function stopWith(run: MainRun, dataDir: string, signal: 'SIGINT' | 'SIGTERM', code: number): Promise<void> {
  const pid = run.child.pid!;
  const family = descendantsOf(pid);
  // the reaper, the simulator, Temporal, PostgreSQL (and its processes), the worker
  expect(family.length).toBeGreaterThanOrEqual(6);
  const mark = run.stdout().length;
  const markErr = run.stderr().length;
  process.kill(-pid, signal);
  const exit = await within(run.exit, 60_000, undefined);
  const after = run.stdout().slice(mark);
  expect(exit, `after ${signal}:\n${after}\nstderr:\n${run.stderr().slice(markErr)}`).toEqual({ code, signal: null });

  const lines = after.split('\n').filter((l) => l.trim() !== '');
  expect(run.stderr().slice(markErr)).toBe('');
  expect(after).not.toContain("Unhandled 'error' event");
  expect(after).not.toMatch(/^\s+at /m);
  // the message, then a few lines of the stack's own (lines before it were on their way already):
  // no object dump, no component noise
  const from = lines.indexOf(`${signal}: stopping the stack…`);
  expect(from, after).toBeGreaterThanOrEqual(0);
  expect(lines.length - from, after).toBeLessThan(10);
  for (const line of lines.slice(from + 1)) expect(line).toMatch(/^\[stack\] (stopping .+ \(pid \d+\)|stopped)$/);
  expect(lines.at(-1)).toBe('[stack] stopped');

  const gone = await waitFor(() => family.every((p) => !isAlive(p)) && !groupAlive(pid), 10_000);
  expect(gone, `still alive: ${family.filter(isAlive).join(', ')}`).toBe(true);
  expect(processesMentioning(dataDir)).toEqual([]);
  expect(fs.readdirSync(path.join(dataDir, 'run'))).toEqual([]);
  // Temporal and PostgreSQL stopped by their stop signal, in time (no SIGKILL)
  expect(lastExit(dataDir, 'temporal')).toBe('code 0');
  expect(lastExit(dataDir, 'postgres')).toBe('code 0');
  expect(fs.existsSync(path.join(dataDir, 'pg', 'postmaster.pid'))).toBe(false);
  // every client (the worker's pool, the entrypoint's own) had disconnected before PostgreSQL stopped
  const pgLog = fs.readFileSync(path.join(dataDir, 'logs', 'postgres.log'), 'utf8');
  const thisRun = pgLog.slice(pgLog.lastIndexOf(' started pid '));
  expect(thisRun).toContain('received fast shutdown request');
  expect(thisRun).not.toContain('terminating connection due to administrator command');
}

async function killIfRunning(run: MainRun | undefined): Promise<void> {
  if (!run || run.child.exitCode !== null || run.child.signalCode !== null) return;
  process.kill(-run.child.pid!, 'SIGKILL'); // the reaper stops the stack's children
  await within(run.exit, 10_000, undefined);
}

describe('npm start on a signal', () => {
  it('its data dir and port settings are checked before anything starts', async () => {
    const dataDir = tempDir('main-bad');
    const run = startMain(dataDir, 0, { TEMPORAL_PORT: 'x', PG_PORT: '70000' });
    expect(await run.exit).toEqual({ code: 1, signal: null });
    expect(run.stderr().trim().split('\n')).toEqual([
      'npm start: invalid configuration:',
      '  - TEMPORAL_PORT must be a port number (0-65535; 0 = any free port), got "x"',
      '  - PG_PORT must be a port number (0-65535; 0 = any free port), got "70000"',
    ]);
    expect(fs.existsSync(path.join(dataDir, 'run'))).toBe(false);
  }, 30_000);

  it.skipIf(SKIP_TEMPORAL)(
    'Ctrl-C: exit 130, a short message, nothing left; the next start reuses the Temporal db',
    async () => {
      await temporalCliOrFail();
      const dataDir = tempDir('main-int');
      const temporalPort = await freePort();
      const workflowId = `stack-test/survives-restart/${process.pid}-${Date.now()}`;
      let run: MainRun | undefined;
      try {
        run = startMain(dataDir, temporalPort);
        await waitUntilRunning(run, 150_000);
        expect(run.stdout()).toContain(`temporal 127.0.0.1:${temporalPort}`);
        // a workflow nobody polls for: it stays open, in the db file only
        const connection = await Connection.connect({ address: `127.0.0.1:${temporalPort}` });
        try {
          await new Client({ connection }).workflow.start('stackTestNobodyRunsThis', {
            taskQueue: 'stack-test-nobody',
            workflowId,
          });
        } finally {
          await connection.close();
        }
        await stopWith(run, dataDir, 'SIGINT', 130);
        expect(fs.statSync(path.join(dataDir, 'temporal.db')).size).toBeGreaterThan(0);

        // the same data dir again: comes up without leftovers to clear, Temporal has the workflow
        run = startMain(dataDir, temporalPort);
        await waitUntilRunning(run, 120_000);
        expect(run.stdout()).not.toContain('stale');
        const again = await Connection.connect({ address: `127.0.0.1:${temporalPort}` });
        try {
          const client = new Client({ connection: again });
          const described = await client.workflow.getHandle(workflowId).describe();
          expect(described.status.name).toBe('RUNNING');
          const listed: string[] = [];
          for await (const wf of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) {
            listed.push(wf.workflowId);
          }
          expect(listed).toEqual([workflowId]);
        } finally {
          await again.close();
        }
        await stopWith(run, dataDir, 'SIGINT', 130);
      } finally {
        await killIfRunning(run);
      }
    },
    300_000,
  );

  it.skipIf(SKIP_TEMPORAL)(
    'SIGTERM: exit 143, nothing left; the dashboard it served answered from the stack’s data',
    async () => {
      await temporalCliOrFail();
      const dataDir = tempDir('main-term');
      let run: MainRun | undefined;
      try {
        run = startMain(dataDir, await freePort());
        await waitUntilRunning(run, 150_000);
        const url = /Data-quality dashboard: (http:\S+)/.exec(run.stdout())?.[1];
        expect(url, run.stdout()).toBeDefined();
        for (const p of ['/api/freshness', '/api/workflows', '/api/budget']) {
          const res = await fetch(new URL(p, url));
          expect(res.status, `${p}: ${await res.clone().text()}`).toBe(200);
        }
        // As the ledgers-only reader, in read-only sessions.
        const config = (await (await fetch(new URL('/api/config', url))).json()) as { database: unknown };
        expect(config.database).toEqual({ user: 'crypto_ingest_dashboard', read_only: 'on' });
        await stopWith(run, dataDir, 'SIGTERM', 143);
      } finally {
        await killIfRunning(run);
      }
    },
    200_000,
  );

  it.skipIf(SKIP_TEMPORAL)(
    'a second Ctrl-C while stopping exits at once, and still nothing is left',
    async () => {
      await temporalCliOrFail();
      const dataDir = tempDir('main-int2');
      let run: MainRun | undefined;
      try {
        run = startMain(dataDir, await freePort());
        await waitUntilRunning(run, 150_000);
        const pid = run.child.pid!;
        const family = descendantsOf(pid);
        process.kill(-pid, 'SIGINT');
        expect(await waitFor(() => run!.stdout().includes('SIGINT: stopping the stack…'), 5_000)).toBe(true);
        process.kill(-pid, 'SIGINT');
        const exit = await within(run.exit, 5_000, undefined);
        expect(exit, run.output().slice(-2000)).toEqual({ code: 130, signal: null });
        expect(run.stdout()).toContain('SIGINT again: exiting now');
        expect(run.output()).not.toContain("Unhandled 'error' event");
        // the exit handler signalled the children, the reaper finishes their stop
        const gone = await waitFor(() => family.every((p) => !isAlive(p)) && !groupAlive(pid), 45_000);
        expect(gone, `still alive: ${family.filter(isAlive).join(', ')}`).toBe(true);
        expect(processesMentioning(dataDir)).toEqual([]);
      } finally {
        await killIfRunning(run);
      }
    },
    200_000,
  );
});

describe('the cluster profile', () => {
  it('picks membership ports at or below 32767 (SMALLINT in Temporal’s PostgreSQL schema) and never a taken one', async () => {
    const taken = new Set<number>();
    for (let k = 0; k < 8; k++) {
      const p = await lowFreePort(taken);
      expect(p).toBeGreaterThanOrEqual(20_000);
      expect(p).toBeLessThanOrEqual(32_767);
      expect(taken.has(p)).toBe(false);
      taken.add(p);
    }
  });
});
