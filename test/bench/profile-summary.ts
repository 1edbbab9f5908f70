/**
 * `node --import tsx test/bench/profile-summary.ts <file.cpuprofile> [top]`: self time of a V8 CPU
 * profile (as written by `npm run bench -- --cpu-prof`, the worker under `--cpu-prof`) by area
 * (a package under node_modules, a folder of this repo, node internals, GC, idle) and by function.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../../stack/processes';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function area(url: string, fn: string): string {
  if (url === '') return fn.startsWith('(') ? fn : '(native)';
  const p = url.replace(/^file:\/\//, '');
  const nm = p.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = p.slice(nm + '/node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  if (p.startsWith('node:')) return 'node:internals';
  if (p.startsWith(REPO_ROOT)) return path.relative(REPO_ROOT, p).split('/').slice(0, 2).join('/');
  return p;
}

function main(): void {
  const [file, topArg] = process.argv.slice(2);
  if (!file) throw new Error('usage: profile-summary.ts <file.cpuprofile> [top]');
  const top = Number(topArg ?? 25);
  const prof = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const byArea = new Map<string, number>();
  const byFn = new Map<string, number>();
  let total = 0;
  prof.samples.forEach((id, i) => {
    const us = prof.timeDeltas[i] ?? 0;
    const n = byId.get(id);
    if (!n) return;
    total += us;
    const { functionName, url, lineNumber } = n.callFrame;
    const a = area(url, functionName);
    byArea.set(a, (byArea.get(a) ?? 0) + us);
    const fn = `${functionName || '(anonymous)'} ${url ? `${path.basename(url)}:${lineNumber + 1}` : ''} [${a}]`;
    byFn.set(fn, (byFn.get(fn) ?? 0) + us);
  });
  const busy = total - (byArea.get('(idle)') ?? 0);
  const show = (title: string, m: Map<string, number>): void => {
    console.log(`\n${title} (of ${(total / 1e6).toFixed(1)} s sampled, ${(busy / 1e6).toFixed(1)} s not idle)`);
    for (const [k, us] of [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, top))
      console.log(`${(us / 1e6).toFixed(2).padStart(8)} s ${((100 * us) / busy).toFixed(1).padStart(5)}%  ${k}`);
  };
  show('self time by area', byArea);
  show('self time by function', byFn);
}

main();
