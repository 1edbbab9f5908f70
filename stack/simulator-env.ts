/**
 * Worker environment that points every registered source at the local simulator: its base URL
 * (`<PREFIX>_BASE_URL=<simulator>/<source id>`) and a budget equal to the limits the simulator
 * enforces (`<PREFIX>_RATE_LIMITS`), so the embedded default and the tests use the same code path
 * as production without naming any source. A source without a simulator twin is an error: the
 * local stack would otherwise send it to the real API.
 */
import { formatRateLimits } from '../activities/rate-limits';
import { SOURCES } from '../activities/sources/index';
import { findSimulator } from '../simulator/sources/index';

export function simulatorWorkerEnv(simulatorUrl: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const source of SOURCES) {
    const sim = findSimulator(source.id);
    if (!sim) throw new Error(`source ${source.id} has no simulator twin (simulator/sources/${source.id}/)`);
    env[`${source.envPrefix}_BASE_URL`] = `${simulatorUrl.replace(/\/+$/, '')}/${source.id}`;
    env[`${source.envPrefix}_RATE_LIMITS`] = formatRateLimits(sim.defaultLimits);
  }
  return env;
}
