/**
 * Worker environment that points every registered source at the local simulator: its base URL
 * (`<PREFIX>_BASE_URL=<simulator>/<source id>`) and a budget equal to the limits the simulator
 * enforces (`<PREFIX>_RATE_LIMITS`), so the embedded default and the tests use the same code path
 * as production without naming any source.
 */
import { formatRateLimits } from '../rate-limits';
import { SOURCES } from './index';

export async function simulatorWorkerEnv(simulatorUrl: string): Promise<Record<string, string>> {
  const env: Record<string, string> = {};
  for (const source of SOURCES) {
    const sim = await source.loadSimulator();
    env[`${source.envPrefix}_BASE_URL`] = `${simulatorUrl.replace(/\/+$/, '')}/${source.id}`;
    env[`${source.envPrefix}_RATE_LIMITS`] = formatRateLimits(sim.defaultLimits);
  }
  return env;
}
