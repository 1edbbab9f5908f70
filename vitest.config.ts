// Two test projects: unit (no server: parsers, twins, CLI, lint rules) and integration (one real
// stack started by the global setup: Temporal dev server, PostgreSQL, the simulator).
// `pool: 'forks'`: the Temporal worker loads a native module; worker threads are known to break it
// (sdk-typescript#876).
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    pool: 'forks',
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: [
            'test/unit/**/*.test.ts',
            'activities/**/*.test.ts',
            'simulator/**/*.test.ts',
            'stack/**/*.test.ts',
            'test/replay/**/*.test.ts',
          ],
          testTimeout: 20_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/integration/global-setup.ts'],
          testTimeout: 180_000,
          hookTimeout: 300_000,
          maxWorkers: 2,
          fileParallelism: true,
        },
      },
    ],
  },
});
