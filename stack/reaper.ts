/**
 * Reaper: makes sure the stack's children die even when the parent is SIGKILLed.
 *
 * Spawned by `stack/processes.ts` as a detached process (own session, so a terminal Ctrl-C does
 * not reach it) with an IPC channel. The parent sends `watch` for every child it spawns (pid,
 * process group, stop signal, stop timeout) and `unwatch` when a child exited. When the channel
 * disconnects — the parent exited or was killed — the reaper sends each still-running child its
 * stop signal, waits up to its timeout, SIGKILLs the child's process group, and exits.
 *
 * A watched pid is only signalled if it is still the same process (same start time in
 * /proc/<pid>/stat), so a recycled pid is never hit. It imports nothing but the dependency-free
 * ./proc: it must start fast and must not fail on someone else's module.
 */
import { groupAlive, processStartTime, processState } from './proc';

interface Watched {
  pid: number;
  pgid: number;
  signal: NodeJS.Signals;
  timeoutMs: number;
  starttime: string;
}

type Message =
  | { type: 'watch'; id: number; pid: number; pgid: number; signal: NodeJS.Signals; timeoutMs: number }
  | { type: 'unwatch'; pid: number };

const watched = new Map<number, Watched>();

const log = (msg: string): void => {
  process.stderr.write(`${new Date().toISOString()} reaper[${process.pid}] ${msg}\n`);
};

/** Still the process we were asked to watch (alive, not a zombie, same start time)? */
function isOurs(w: Watched): boolean {
  const state = processState(w.pid);
  return state !== null && state !== 'Z' && processStartTime(w.pid) === w.starttime;
}

function signal(target: number, sig: NodeJS.Signals): void {
  try {
    process.kill(target, sig);
  } catch {
    // gone already
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

process.on('message', (msg: Message) => {
  if (msg?.type === 'watch') {
    const starttime = processStartTime(msg.pid);
    if (starttime === null) {
      process.send?.({ type: 'ack', id: msg.id, ok: false, error: `pid ${msg.pid} is not running` });
      return;
    }
    watched.set(msg.pid, { pid: msg.pid, pgid: msg.pgid, signal: msg.signal, timeoutMs: msg.timeoutMs, starttime });
    process.send?.({ type: 'ack', id: msg.id, ok: true });
  } else if (msg?.type === 'unwatch') {
    watched.delete(msg.pid);
  }
});

let reaping = false;
async function reapAll(reason: string): Promise<void> {
  if (reaping) return;
  reaping = true;
  const all = [...watched.values()];
  // a leader may already be gone (the parent's exit handler signalled it) while its own
  // children still run in its process group: those are cleaned up at the end
  const targets = all.filter(isOurs);
  if (all.length > 0) log(`${reason}: stopping ${targets.map((w) => w.pid).join(', ') || 'no running leaders'}`);
  for (const w of targets) signal(w.pid, w.signal);
  const started = Date.now();
  for (;;) {
    const left = targets.filter(isOurs);
    if (left.length === 0) break;
    for (const w of left) {
      if (Date.now() - started >= w.timeoutMs) {
        log(`pid ${w.pid} still running ${w.timeoutMs}ms after ${w.signal}: SIGKILL`);
        signal(-w.pgid, 'SIGKILL');
        signal(w.pid, 'SIGKILL');
      }
    }
    await sleep(100);
  }
  // Leftovers in the children's process groups (their own children).
  for (const w of all) {
    if (!groupAlive(w.pgid)) continue;
    await sleep(200); // let a group drain on its own after its leader exited
    if (groupAlive(w.pgid)) {
      log(`process group ${w.pgid} still has members after its leader exited: SIGKILL`);
      signal(-w.pgid, 'SIGKILL');
    }
  }
  process.exit(0);
}

process.on('disconnect', () => void reapAll('parent disconnected'));
// Detached, so these only come from someone targeting the reaper itself: clean up, then exit.
process.on('SIGTERM', () => void reapAll('SIGTERM'));
process.on('SIGINT', () => void reapAll('SIGINT'));
process.on('SIGHUP', () => {});

if (!process.send || !process.connected) {
  log('started without an IPC channel: nothing to do');
  process.exit(0);
}
