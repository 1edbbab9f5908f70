/**
 * Preload for `npm run bench -- --cpu-prof`: Node refuses `--cpu-prof` in NODE_OPTIONS, so the
 * worker gets `NODE_OPTIONS=--import <this file>` instead. It starts V8's sampling profiler through
 * the inspector and writes the profile (a `.cpuprofile`, as `--cpu-prof` would) to
 * `BENCH_CPU_PROFILE` when the process exits (a same-thread inspector session answers synchronously).
 */
import { Session } from 'node:inspector';
import { writeFileSync } from 'node:fs';

const out = process.env.BENCH_CPU_PROFILE;
if (out) {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: 1000 });
  session.post('Profiler.start');
  process.on('exit', () => {
    session.post('Profiler.stop', (err, res) => {
      if (!err) writeFileSync(out, JSON.stringify(res.profile));
    });
  });
}
