/**
 * A small supervisor for the local stack's child processes (PostgreSQL, the Temporal dev server,
 * the API simulator, workers).
 *
 * - Output of every child is split into lines, sent to a log sink prefixed with `[name]`, and
 *   appended to `<dataDir>/logs/<name>.log`.
 * - Readiness: `waitUntilReady(check)` polls a health check with a timeout and fails early (with the
 *   child's last log lines) when the child exits first.
 * - Stopping: per-process stop signal + timeout, then SIGKILL of the child's whole process group.
 * - No orphans:
 *   - SIGINT/SIGTERM/SIGHUP to the parent stop all children in reverse start order, then the
 *     signal is re-raised (a second Ctrl-C kills everything at once) — unless the caller took the
 *     signals over with `releaseSignals()` (the stack entrypoints do once the stack is up, so that
 *     they close their own database and Temporal clients before the children stop);
 *   - an uncaught exception (any `process.exit`) signals the children synchronously in
 *     `process.on('exit')`;
 *   - a SIGKILLed parent: a detached reaper process (`stack/reaper.ts`) holds an IPC channel to
 *     the parent; when it disconnects, the reaper stops every registered child and exits.
 * - PID files in `<dataDir>/run/<name>.pid`; `reapStale()` kills what an earlier crashed run left,
 *   but only when the recorded PID is alive *and* is still the same process (start time and
 *   command match), never an unrelated process that reused the PID.
 *
 * Children are spawned `detached` (own session and process group): a Ctrl-C in the terminal
 * reaches only the parent, which then stops the children in order.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import { groupAlive, isAlive, processCmdline, processStartTime } from './proc';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

// ---------------------------------------------------------------------------------------------
// Errors: named classes the entrypoints print as a message (no stack trace for user mistakes).
// ---------------------------------------------------------------------------------------------

/** Base class of every error the stack throws on purpose: print `err.message`, not the stack. */
export class StackError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A binary or tool the stack needs is missing (PostgreSQL, Go/Temporal CLI, a script). */
export class ToolMissingError extends StackError {}

/**
 * A component failed to start or to become ready. `message` is a one-line summary naming the
 * component and its log file, followed by the last lines of the child's output.
 */
export class ComponentStartError extends StackError {
  readonly component: string;
  readonly summary: string;
  readonly logFile: string | undefined;
  readonly logTail: string[];

  constructor(
    component: string,
    summary: string,
    details: { logFile?: string; logTail?: string[]; cause?: unknown } = {},
  ) {
    const tail = details.logTail ?? [];
    const head = details.logFile ? `${summary} (log: ${details.logFile})` : summary;
    const message =
      tail.length > 0 ? `${head}\n  last ${tail.length} log lines:\n${tail.map((l) => `    ${l}`).join('\n')}` : head;
    super(message, { cause: details.cause });
    this.component = component;
    this.summary = head;
    this.logFile = details.logFile;
    this.logTail = tail;
  }
}

// ---------------------------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------------------------

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** `--import <tsx loader>` as an absolute file URL, so children resolve tsx regardless of cwd. */
export function tsxImportArgs(): string[] {
  const require = createRequire(import.meta.url);
  return ['--import', pathToFileURL(require.resolve('tsx')).href];
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * `promise`, or `onTimeout` after `ms`. The timer is cleared when `promise` settles first, so a
 * long timeout never keeps the event loop (and the parent process) alive.
 */
export async function within<T, U>(promise: Promise<T>, ms: number, onTimeout: U): Promise<T | U> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<U>((resolve) => (timer = setTimeout(() => resolve(onTimeout), ms))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export { groupAlive, isAlive, processCmdline, processStartTime } from './proc';

function trySignal(pid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}

/** uid/gid of an OS user, or null if it does not exist. */
export function lookupUser(name: string): { uid: number; gid: number } | null {
  try {
    const line = fs
      .readFileSync('/etc/passwd', 'utf8')
      .split('\n')
      .find((l) => l.startsWith(`${name}:`));
    if (line) {
      const [, , uid, gid] = line.split(':');
      return { uid: Number(uid), gid: Number(gid) };
    }
  } catch {
    // fall through to `id`
  }
  try {
    const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8' }).trim());
    return Number.isInteger(uid) && Number.isInteger(gid) ? { uid, gid } : null;
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------
// ManagedProcess
// ---------------------------------------------------------------------------------------------

export interface ProcessSpec {
  /** Short id: log prefix, log file `<dataDir>/logs/<name>.log`, pid file `<dataDir>/run/<name>.pid`. */
  name: string;
  /** Human name for messages, e.g. 'PostgreSQL'. Default: `name`. */
  label?: string;
  command: string;
  args?: string[];
  /** Full environment of the child. Default: `process.env`. */
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Run as this OS user (requires root). */
  user?: { uid: number; gid: number };
  /** Signal for a graceful stop. Default SIGTERM. */
  stopSignal?: NodeJS.Signals;
  /** How long a graceful stop may take before SIGKILL. Default 10 s. */
  stopTimeoutMs?: number;
  /** Called for every output line (after it was logged). */
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
}

const TAIL_LINES = 200;

export class ManagedProcess {
  readonly name: string;
  readonly label: string;
  readonly pid: number;
  readonly command: string;
  readonly args: readonly string[];
  readonly logFile: string;
  readonly stopSignal: NodeJS.Signals;
  readonly stopTimeoutMs: number;
  /** Resolves with the exit code (null when killed by a signal) once the process has exited. */
  readonly exited: Promise<number | null>;

  private readonly child: ChildProcess;
  private readonly lines: string[] = [];
  private readonly lineWaiters = new Set<(line: string) => void>();
  private readonly closed: Promise<void>;
  private exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private stopping: Promise<void> | undefined;

  /** @internal use `Supervisor.start`. */
  constructor(
    spec: ProcessSpec,
    child: ChildProcess,
    logFile: string,
    private readonly sink: (line: string) => void,
  ) {
    if (child.pid === undefined) throw new Error('ManagedProcess needs a spawned child');
    this.name = spec.name;
    this.label = spec.label ?? spec.name;
    this.pid = child.pid;
    this.command = spec.command;
    this.args = spec.args ?? [];
    this.logFile = logFile;
    this.stopSignal = spec.stopSignal ?? 'SIGTERM';
    this.stopTimeoutMs = spec.stopTimeoutMs ?? 10_000;
    this.child = child;

    const logStream = fs.createWriteStream(logFile, { flags: 'a' });
    logStream.on('error', () => {
      /* a broken log file must not crash the parent */
    });
    logStream.write(
      `=== ${new Date().toISOString()} started pid ${this.pid}: ${[spec.command, ...(spec.args ?? [])].join(' ')}\n`,
    );

    const onLine = (line: string, stream: 'stdout' | 'stderr'): void => {
      this.lines.push(line);
      if (this.lines.length > TAIL_LINES) this.lines.shift();
      logStream.write(`${line}\n`);
      try {
        this.sink(`[${this.name}] ${line}`);
      } catch {
        // the sink is not ours to debug
      }
      for (const waiter of this.lineWaiters) waiter(line);
      spec.onLine?.(line, stream);
    };
    const streamsDone = [
      pipeLines(child.stdout, (l) => onLine(l, 'stdout')),
      pipeLines(child.stderr, (l) => onLine(l, 'stderr')),
    ];

    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        resolve(code);
      });
    });
    this.closed = Promise.all([this.exited, ...streamsDone]).then(
      () =>
        new Promise<void>((resolve) => {
          logStream.end(`=== ${new Date().toISOString()} pid ${this.pid} exited (${this.describeExit()})\n`, () =>
            resolve(),
          );
        }),
    );
  }

  get running(): boolean {
    return this.exitInfo === undefined;
  }

  get exitCode(): number | null | undefined {
    return this.exitInfo?.code;
  }

  /** "code 1", "signal SIGKILL" or "running". */
  describeExit(): string {
    if (!this.exitInfo) return 'running';
    return this.exitInfo.signal ? `signal ${this.exitInfo.signal}` : `code ${this.exitInfo.code}`;
  }

  /** Send a signal to the process (not its group). Returns false if it is gone. */
  kill(signal: NodeJS.Signals = this.stopSignal): boolean {
    if (!this.running) return false;
    return trySignal(this.pid, signal);
  }

  /** Last `n` output lines. */
  tail(n = 20): string[] {
    return this.lines.slice(-n);
  }

  /**
   * Graceful stop: stop signal, wait `stopTimeoutMs`, then SIGKILL the whole process group.
   * Idempotent; resolves once the process has exited and its log is flushed.
   */
  stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  private async doStop(): Promise<void> {
    if (this.running) {
      this.kill(this.stopSignal);
      const timedOut = await within(
        this.exited.then(() => false),
        this.stopTimeoutMs,
        true,
      );
      if (timedOut && this.running) {
        this.sink(
          `[${this.name}] did not stop within ${Math.round(this.stopTimeoutMs / 1000)}s after ${this.stopSignal}: SIGKILL`,
        );
        trySignal(-this.pid, 'SIGKILL');
        trySignal(this.pid, 'SIGKILL');
      }
      await this.exited;
    }
    // Leftovers in the child's process group (e.g. its own children): kill them too.
    if (groupAlive(this.pid)) {
      const deadline = Date.now() + 2_000;
      while (groupAlive(this.pid) && Date.now() < deadline) await sleep(50);
      if (groupAlive(this.pid)) trySignal(-this.pid, 'SIGKILL');
    }
    await within(this.closed, 2_000, undefined);
  }

  /** Synchronous last resort (used in `process.on('exit')`): signal the process or its group. */
  killSync(signal: NodeJS.Signals, group = false): void {
    if (group) trySignal(-this.pid, signal);
    if (this.running) trySignal(this.pid, signal);
  }

  /**
   * Resolves with the first output line (already seen or future) matching `pattern`; rejects
   * with a ComponentStartError if the process exits first or `timeoutMs` passes.
   */
  async waitForLine(pattern: RegExp | ((line: string) => boolean), timeoutMs: number, what?: string): Promise<string> {
    const matches = typeof pattern === 'function' ? pattern : (line: string) => pattern.test(line);
    const seen = this.lines.find(matches);
    if (seen !== undefined) return seen;
    let waiter: ((line: string) => void) | undefined;
    let timer: NodeJS.Timeout | undefined;
    try {
      return await new Promise<string>((resolve, reject) => {
        waiter = (line) => {
          if (matches(line)) resolve(line);
        };
        this.lineWaiters.add(waiter);
        timer = setTimeout(
          () => reject(this.startError(`did not print ${what ?? String(pattern)} within ${fmtSeconds(timeoutMs)}`)),
          timeoutMs,
        );
        void this.exited.then(async () => {
          await within(this.closed, 500, undefined);
          reject(this.startError(`exited (${this.describeExit()}) before it was ready`));
        });
      });
    } finally {
      if (waiter) this.lineWaiters.delete(waiter);
      if (timer) clearTimeout(timer);
    }
  }

  /**
   * Polls `check` (true / resolves = ready; false / throws = not yet) every `intervalMs` until
   * it succeeds; rejects with a ComponentStartError (naming the log file and with the last log
   * lines) when the process exits or `timeoutMs` passes.
   */
  async waitUntilReady(
    check: () => Promise<boolean | void>,
    opts: { timeoutMs?: number; intervalMs?: number } = {},
  ): Promise<void> {
    const timeoutMs = opts.timeoutMs ?? 30_000;
    const intervalMs = opts.intervalMs ?? 250;
    const deadline = Date.now() + timeoutMs;
    let lastProblem = '';
    for (;;) {
      if (!this.running) {
        await within(this.closed, 500, undefined);
        throw this.startError(`exited (${this.describeExit()}) before it was ready`);
      }
      try {
        const ok = await check();
        if (ok !== false) return;
        lastProblem = '';
      } catch (err) {
        lastProblem = err instanceof Error ? err.message : String(err);
      }
      if (Date.now() >= deadline) {
        throw this.startError(
          `did not become ready within ${fmtSeconds(timeoutMs)}${lastProblem ? ` (last check: ${oneLine(lastProblem)})` : ''}`,
        );
      }
      await Promise.race([sleep(intervalMs), this.exited]);
    }
  }

  /** A ComponentStartError for this process with its last 20 log lines. */
  startError(problem: string, cause?: unknown): ComponentStartError {
    return new ComponentStartError(this.name, `${this.label} ${problem}`, {
      logFile: this.logFile,
      logTail: this.tail(20),
      cause,
    });
  }
}

function fmtSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${(ms / 1000).toFixed(1)}s`;
}

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, ' ').slice(0, 300);
}

/** Split a stream into lines; resolves when the stream ends. */
function pipeLines(stream: NodeJS.ReadableStream | null, onLine: (line: string) => void): Promise<void> {
  if (!stream) return Promise.resolve();
  return new Promise((resolve) => {
    let buf = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      buf += chunk;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        onLine(buf.slice(0, nl).replace(/\r$/, ''));
        buf = buf.slice(nl + 1);
      }
    });
    const done = (): void => {
      if (buf.length > 0) onLine(buf.replace(/\r$/, ''));
      buf = '';
      resolve();
    };
    stream.on('end', done);
    stream.on('close', done);
    stream.on('error', done);
  });
}

// ---------------------------------------------------------------------------------------------
// Reaper client
// ---------------------------------------------------------------------------------------------

export type ReaperMessage =
  | { type: 'watch'; id: number; pid: number; pgid: number; signal: NodeJS.Signals; timeoutMs: number }
  | { type: 'unwatch'; pid: number };
export type ReaperReply = { type: 'ack'; id: number; ok: boolean; error?: string };

class ReaperClient {
  private readonly child: ChildProcess;
  private nextId = 1;
  private readonly pending = new Map<number, (reply: ReaperReply) => void>();
  private ready = true;

  constructor(
    logFile: string,
    private readonly log: (line: string) => void,
  ) {
    const out = fs.openSync(logFile, 'a');
    try {
      this.child = spawn(process.execPath, [...tsxImportArgs(), path.join(REPO_ROOT, 'stack', 'reaper.ts')], {
        detached: true,
        stdio: ['ignore', out, out, 'ipc'],
        cwd: REPO_ROOT,
        env: process.env,
      });
    } finally {
      fs.closeSync(out);
    }
    this.child.on('error', (err) => {
      this.ready = false;
      this.log(`[stack] reaper failed to start (${err.message}): children will not outlive a SIGKILL of this process`);
    });
    this.child.on('message', (msg: ReaperReply) => {
      if (msg?.type === 'ack') {
        this.pending.get(msg.id)?.(msg);
        this.pending.delete(msg.id);
        this.refresh();
      }
    });
    this.child.on('exit', (code, signal) => {
      if (this.ready) {
        this.ready = false;
        for (const resolve of this.pending.values()) resolve({ type: 'ack', id: 0, ok: false, error: 'reaper exited' });
        this.pending.clear();
        if (code !== 0 || signal) this.log(`[stack] reaper exited (${signal ?? `code ${code}`}); see ${logFile}`);
      }
    });
    this.child.unref();
    this.refresh();
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Keep the parent's event loop alive only while an ack is pending. */
  private refresh(): void {
    const channel = this.child.channel as { ref?: () => void; unref?: () => void } | undefined;
    if (this.pending.size > 0) channel?.ref?.();
    else channel?.unref?.();
  }

  /** Register a child; resolves once the reaper has recorded it (or after 10 s with a warning). */
  async watch(pid: number, signal: NodeJS.Signals, timeoutMs: number): Promise<void> {
    if (!this.ready || !this.child.connected) return;
    const id = this.nextId++;
    const acked = new Promise<ReaperReply>((resolve) => this.pending.set(id, resolve));
    this.refresh();
    this.child.send({ type: 'watch', id, pid, pgid: pid, signal, timeoutMs } satisfies ReaperMessage);
    const reply = await within(acked, 10_000, undefined);
    if (!reply) {
      this.pending.delete(id);
      this.refresh();
      this.log(`[stack] reaper did not acknowledge pid ${pid} within 10s: it may outlive a SIGKILL of this process`);
    } else if (!reply.ok) {
      this.log(`[stack] reaper could not watch pid ${pid}: ${reply.error ?? 'unknown error'}`);
    }
  }

  unwatch(pid: number): void {
    if (this.ready && this.child.connected) {
      try {
        this.child.send({ type: 'unwatch', pid } satisfies ReaperMessage);
      } catch {
        // channel closing
      }
    }
  }

  /** Close the channel: the reaper stops whatever is still registered, then exits. */
  close(): void {
    this.ready = false;
    if (this.child.connected) this.child.disconnect();
  }
}

// ---------------------------------------------------------------------------------------------
// Supervisor
// ---------------------------------------------------------------------------------------------

export interface SupervisorOptions {
  /** Root for `logs/` and `run/`. */
  dataDir: string;
  /** Log sink; receives `[name] line`. Default: stderr. */
  log?: (line: string) => void;
  /** Stop children on SIGINT/SIGTERM/SIGHUP (default true). */
  handleSignals?: boolean;
  /** Spawn the reaper so children die even if this process is SIGKILLed (default true). */
  reaper?: boolean;
}

interface PidFileRecord {
  pid: number;
  starttime: string | null;
  argv: string[];
  stopSignal: NodeJS.Signals;
  stopTimeoutMs: number;
  owner: { pid: number; starttime: string | null };
}

export class Supervisor {
  readonly dataDir: string;
  readonly logDir: string;
  readonly runDir: string;
  readonly log: (line: string) => void;
  private readonly procs: ManagedProcess[] = [];
  private readonly handleSignals: boolean;
  private readonly useReaper: boolean;
  private reaper: ReaperClient | undefined;
  private stopping: Promise<void> | undefined;

  constructor(opts: SupervisorOptions) {
    this.dataDir = path.resolve(opts.dataDir);
    this.logDir = path.join(this.dataDir, 'logs');
    this.runDir = path.join(this.dataDir, 'run');
    this.log = opts.log ?? ((line) => process.stderr.write(`${line}\n`));
    this.handleSignals = opts.handleSignals ?? true;
    this.useReaper = opts.reaper ?? true;
    fs.mkdirSync(this.logDir, { recursive: true });
    fs.mkdirSync(this.runDir, { recursive: true });
    registerSupervisor(this, this.handleSignals);
  }

  get closed(): boolean {
    return this.stopping !== undefined;
  }

  /** Processes started by this supervisor that are still running, in start order. */
  list(): ManagedProcess[] {
    return this.procs.filter((p) => p.running);
  }

  get(name: string): ManagedProcess | undefined {
    return this.procs.find((p) => p.name === name && p.running);
  }

  logFileFor(name: string): string {
    return path.join(this.logDir, `${name}.log`);
  }

  pidFileFor(name: string): string {
    return path.join(this.runDir, `${name}.pid`);
  }

  /**
   * Spawn a child. Kills a stale process recorded in its pid file first (see `reapStale`).
   * Throws ToolMissingError if the command cannot be executed.
   */
  async start(spec: ProcessSpec): Promise<ManagedProcess> {
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(spec.name)) throw new StackError(`invalid process name '${spec.name}'`);
    if (this.closed) throw new StackError(`cannot start ${spec.label ?? spec.name}: the stack is stopping`);
    if (this.get(spec.name))
      throw new StackError(`${spec.label ?? spec.name} is already running (name '${spec.name}')`);
    await this.reapStale(spec.name);

    if (this.useReaper && !this.reaper) this.reaper = new ReaperClient(path.join(this.logDir, 'reaper.log'), this.log);

    const logFile = this.logFileFor(spec.name);
    const child = spawn(spec.command, spec.args ?? [], {
      cwd: spec.cwd ?? REPO_ROOT,
      env: spec.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
      ...(spec.user ? { uid: spec.user.uid, gid: spec.user.gid } : {}),
    });
    if (child.pid === undefined) {
      const err = await new Promise<Error>((resolve) => child.once('error', resolve));
      const code = (err as NodeJS.ErrnoException).code;
      const label = spec.label ?? spec.name;
      throw code === 'ENOENT' || code === 'EACCES'
        ? new ToolMissingError(`${label}: cannot execute ${spec.command} (${code})`)
        : new ComponentStartError(spec.name, `${label}: failed to spawn ${spec.command}: ${err.message}`);
    }
    child.on('error', (err) => this.log(`[${spec.name}] process error: ${err.message}`));
    const proc = new ManagedProcess(spec, child, logFile, this.log);
    this.procs.push(proc);
    this.writePidFile(proc);
    void proc.exited.then(() => {
      this.reaper?.unwatch(proc.pid);
      this.removePidFile(proc);
    });
    await this.reaper?.watch(proc.pid, proc.stopSignal, proc.stopTimeoutMs);
    if (this.closed) {
      await proc.stop();
      throw new StackError(`${proc.label} was started while the stack was stopping; stopped it again`);
    }
    return proc;
  }

  private writePidFile(proc: ManagedProcess): void {
    const record: PidFileRecord = {
      pid: proc.pid,
      starttime: processStartTime(proc.pid),
      argv: [proc.command, ...proc.args],
      stopSignal: proc.stopSignal,
      stopTimeoutMs: proc.stopTimeoutMs,
      owner: { pid: process.pid, starttime: processStartTime(process.pid) },
    };
    fs.writeFileSync(this.pidFileFor(proc.name), `${proc.pid}\n${JSON.stringify(record)}\n`);
  }

  private removePidFile(proc: ManagedProcess): void {
    try {
      const file = this.pidFileFor(proc.name);
      if (fs.readFileSync(file, 'utf8').split('\n')[0] === String(proc.pid)) fs.rmSync(file, { force: true });
    } catch {
      // already gone
    }
  }

  /**
   * Kill processes recorded in `<dataDir>/run/*.pid` (or only `<name>.pid`) that an earlier run
   * left behind. A recorded process is only touched if it is alive, has the recorded start time,
   * and its command line still starts with the recorded command. If the recording supervisor is
   * itself still alive, this is another running stack on the same data dir: StackError.
   */
  async reapStale(name?: string): Promise<void> {
    let files: string[];
    try {
      files = fs.readdirSync(this.runDir).filter((f) => f.endsWith('.pid'));
    } catch {
      return;
    }
    if (name !== undefined) files = files.filter((f) => f === `${name}.pid`);
    for (const file of files) {
      const full = path.join(this.runDir, file);
      const procName = file.slice(0, -'.pid'.length);
      if (this.get(procName)) continue;
      let record: PidFileRecord;
      try {
        const [, json] = fs.readFileSync(full, 'utf8').split('\n');
        record = JSON.parse(json ?? '') as PidFileRecord;
      } catch {
        this.log(`[stack] ignoring unreadable pid file ${full}`);
        fs.rmSync(full, { force: true });
        continue;
      }
      if (!isSameProcess(record)) {
        fs.rmSync(full, { force: true });
        continue;
      }
      const owner = record.owner;
      if (owner.pid !== process.pid && owner.starttime !== null && processStartTime(owner.pid) === owner.starttime) {
        throw new StackError(
          `${procName} (pid ${record.pid}) belongs to another running stack (pid ${owner.pid}) using ${this.dataDir}: stop that stack first or use a different data dir`,
        );
      }
      this.log(
        `[stack] stopping stale ${procName} (pid ${record.pid}) left by an earlier run: ${record.argv.join(' ')}`,
      );
      await killRecorded(record);
      fs.rmSync(full, { force: true });
    }
  }

  /** Why the supervisor is stopping on its own, e.g. 'SIGINT' (undefined for a plain stopAll()). */
  stopReason: string | undefined;

  /**
   * Stop acting on SIGINT/SIGTERM/SIGHUP: from now on the caller handles them and calls `stopAll()`
   * itself, e.g. after closing its own clients of the children. The exit handler and the reaper
   * still stop every child when this process exits or is killed. Throws a StackError if a signal
   * has already started stopping the children.
   */
  releaseSignals(): void {
    if (this.stopReason !== undefined)
      throw new StackError(`interrupted by ${this.stopReason}: everything started so far is being stopped`);
    releaseSupervisorSignals(this);
  }

  /** Stop all children in reverse start order, then close the reaper. Idempotent. */
  stopAll(): Promise<void> {
    this.stopping ??= this.doStopAll();
    return this.stopping;
  }

  private async doStopAll(): Promise<void> {
    try {
      for (let i = this.procs.length - 1; i >= 0; i--) {
        const proc = this.procs[i]!;
        if (proc.running) this.log(`[stack] stopping ${proc.label} (pid ${proc.pid})`);
        await proc.stop();
      }
    } finally {
      this.reaper?.close();
      unregisterSupervisor(this);
    }
  }

  /** Synchronous: signal every running child (used in `process.on('exit')` and on a 2nd Ctrl-C). */
  killAllSync(signal?: NodeJS.Signals): void {
    for (let i = this.procs.length - 1; i >= 0; i--) {
      const proc = this.procs[i]!;
      if (signal === 'SIGKILL') {
        proc.killSync('SIGKILL', true);
        this.removePidFile(proc);
      } else if (proc.running) proc.killSync(signal ?? proc.stopSignal);
    }
  }
}

function isSameProcess(record: PidFileRecord): boolean {
  if (!Number.isInteger(record.pid) || record.pid <= 1 || !isAlive(record.pid)) return false;
  if (record.starttime !== null && processStartTime(record.pid) !== record.starttime) return false;
  const argv = processCmdline(record.pid);
  const want = record.argv[0];
  if (!argv || argv.length === 0 || want === undefined) return false;
  return argv[0] === want || path.basename(argv[0] ?? '') === path.basename(want);
}

async function killRecorded(record: PidFileRecord): Promise<void> {
  trySignal(record.pid, record.stopSignal);
  const deadline = Date.now() + (record.stopTimeoutMs ?? 10_000);
  while (isAlive(record.pid) && Date.now() < deadline) await sleep(100);
  if (isAlive(record.pid) && isSameProcess(record)) trySignal(-record.pid, 'SIGKILL');
  if (isAlive(record.pid) && isSameProcess(record)) trySignal(record.pid, 'SIGKILL');
  const killDeadline = Date.now() + 5_000;
  while (isAlive(record.pid) && Date.now() < killDeadline) await sleep(50);
  // The group is ours if its leader was ours: clean up its leftovers.
  if (groupAlive(record.pid) && !isAlive(record.pid)) trySignal(-record.pid, 'SIGKILL');
}

// ---------------------------------------------------------------------------------------------
// Process-wide handlers: signals and exit
// ---------------------------------------------------------------------------------------------

const supervisors = new Map<Supervisor, { handleSignals: boolean }>();
const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
let handlersInstalled = false;
let signalShutdown = false;

function onExit(): void {
  for (const sup of supervisors.keys()) sup.killAllSync();
}

function onSignal(signal: NodeJS.Signals): void {
  const targets = [...supervisors.entries()].filter(([, o]) => o.handleSignals).map(([s]) => s);
  if (signalShutdown) {
    for (const sup of targets) {
      sup.log(`[stack] ${signal} again: killing all children now`);
      sup.killAllSync('SIGKILL');
    }
    process.exit(signal === 'SIGINT' ? 130 : 143);
  }
  signalShutdown = true;
  for (const sup of targets) {
    sup.stopReason ??= signal;
    sup.log(`[stack] ${signal}: stopping ${sup.list().length} process(es) (send ${signal} again to kill them at once)`);
  }
  void Promise.allSettled(targets.map((s) => s.stopAll())).then(() => {
    uninstallHandlers();
    // Nobody else handles this signal: re-raise it for the default action (terminate).
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    else signalShutdown = false;
  });
}

const signalListeners = new Map<NodeJS.Signals, () => void>(SIGNALS.map((s) => [s, () => onSignal(s)]));

function registerSupervisor(sup: Supervisor, handleSignals: boolean): void {
  supervisors.set(sup, { handleSignals });
  if (!handlersInstalled) {
    process.on('exit', onExit);
    handlersInstalled = true;
  }
  if (handleSignals) {
    for (const [signal, listener] of signalListeners) {
      if (!process.listeners(signal).includes(listener)) process.on(signal, listener);
    }
  }
}

function releaseSupervisorSignals(sup: Supervisor): void {
  const entry = supervisors.get(sup);
  if (entry) entry.handleSignals = false;
  if (![...supervisors.values()].some((o) => o.handleSignals)) removeSignalListeners();
}

function unregisterSupervisor(sup: Supervisor): void {
  supervisors.delete(sup);
  if (supervisors.size === 0) uninstallHandlers();
  else if (![...supervisors.values()].some((o) => o.handleSignals)) removeSignalListeners();
}

function removeSignalListeners(): void {
  for (const [signal, listener] of signalListeners) process.removeListener(signal, listener);
}

function uninstallHandlers(): void {
  removeSignalListeners();
  if (supervisors.size === 0 && handlersInstalled) {
    process.removeListener('exit', onExit);
    handlersInstalled = false;
  }
}
