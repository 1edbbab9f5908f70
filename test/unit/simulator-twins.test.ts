/**
 * Every real source has its simulator twin, and the local stack points each source at it: base URL
 * under `/<source id>`, and a budget equal to what the twin enforces.
 */
import { describe, expect, it } from 'vitest';
import { rateLimitsSchema } from '../../activities/rate-limits';
import { SOURCES } from '../../activities/sources/index';
import { findSimulator, SIMULATED_SOURCES } from '../../simulator/sources/index';
import { simulatorWorkerEnv } from '../../stack/simulator-env';

describe('simulator twins', () => {
  it('one twin per source, with the same id, and no twin without a source', () => {
    expect(SOURCES.map((s) => findSimulator(s.id)?.id)).toEqual(SOURCES.map((s) => s.id));
    expect(SIMULATED_SOURCES.map((s) => s.id).sort()).toEqual(SOURCES.map((s) => s.id).sort());
  });

  it("the stack's worker env points every source at its twin, with the twin's limits as the budget", () => {
    const env = simulatorWorkerEnv('http://127.0.0.1:8299/');
    for (const source of SOURCES) {
      expect(env[`${source.envPrefix}_BASE_URL`]).toBe(`http://127.0.0.1:8299/${source.id}`);
      expect(rateLimitsSchema.parse(env[`${source.envPrefix}_RATE_LIMITS`]!)).toEqual(
        findSimulator(source.id)!.defaultLimits,
      );
    }
  });
});
