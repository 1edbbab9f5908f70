/**
 * Process measurements read from /proc (Linux only): a process's resident memory, and the CPU time
 * of a process tree (the root, its live descendants, and what its reaped children used).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

let clkTck: number | undefined;

/** Clock ticks per second of /proc/<pid>/stat's times (`getconf CLK_TCK`, 100 almost everywhere). */
export function clockTicks(): number {
  if (clkTck === undefined) {
    try {
      clkTck = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clkTck = 100;
    }
  }
  return clkTck;
}

interface Stat {
  pid: number;
  ppid: number;
  /** utime + stime, in ticks. */
  own: number;
  /** cutime + cstime (reaped children), in ticks. */
  children: number;
}

function readStat(pid: number): Stat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // the command name is in parentheses and may contain spaces: split after the last ')'
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // rest[0] = state (field 3); utime = field 14, stime 15, cutime 16, cstime 17
  const f = (n: number): number => Number(rest[n - 3]);
  return { pid, ppid: f(4), own: f(14) + f(15), children: f(16) + f(17) };
}

/** CPU seconds used so far by `root` and every descendant (live ones, and reaped ones via cutime). */
export function treeCpuSeconds(root: number): number | undefined {
  const all: Stat[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const s = readStat(Number(name));
    if (s) all.push(s);
  }
  const byParent = new Map<number, Stat[]>();
  for (const s of all) {
    const list = byParent.get(s.ppid) ?? [];
    list.push(s);
    byParent.set(s.ppid, list);
  }
  const rootStat = all.find((s) => s.pid === root);
  if (!rootStat) return undefined;
  let ticks = rootStat.own + rootStat.children;
  const stack = [...(byParent.get(root) ?? [])];
  while (stack.length > 0) {
    const s = stack.pop()!;
    ticks += s.own;
    stack.push(...(byParent.get(s.pid) ?? []));
  }
  return ticks / clockTicks();
}

/** VmRSS and VmHWM (peak) of a process, in MiB. */
export function memoryMiB(pid: number): { rss: number; hwm: number } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const kb = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN);
  return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 };
}
