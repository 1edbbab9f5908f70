/**
 * Reading Linux's /proc: process state, start time, command line, process-group liveness.
 * Dependency-free (node:fs only) because the reaper imports it and must start fast.
 */
import fs from 'node:fs';

/** The fields of /proc/<pid>/stat after the command name, or null if the process is gone. */
function statFields(pid: number): string[] | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/** Field 22 of /proc/<pid>/stat (start time in clock ticks since boot), or null if gone. */
export function processStartTime(pid: number): string | null {
  return statFields(pid)?.[19] ?? null;
}

/** The state letter of /proc/<pid>/stat (`R`, `S`, `Z`, …), or null if gone. */
export function processState(pid: number): string | null {
  return statFields(pid)?.[0] ?? null;
}

/** True if the process exists and is not a zombie. */
export function isAlive(pid: number): boolean {
  const state = processState(pid);
  if (state !== null) return state !== 'Z';
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** argv of a running process from /proc/<pid>/cmdline, or null. */
export function processCmdline(pid: number): string[] | null {
  try {
    const raw = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return raw.split('\0').filter((s, i, all) => s !== '' || i < all.length - 1);
  } catch {
    return null;
  }
}

/** True if a live (non-zombie) process is still in process group `pgid`. */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  // the group exists; does it have members that are not zombies (waiting to be reaped)?
  try {
    for (const entry of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      const fields = statFields(Number(entry));
      if (fields && fields[2] === String(pgid) && fields[0] !== 'Z') return true;
    }
    return false;
  } catch {
    return true; // no /proc: trust kill(0)
  }
}
