/**
 * vitest config of `npm run capture:histories` (test/replay/capture.ts): the integration suite's
 * global setup (one real stack: Temporal dev server, private PostgreSQL, simulator), in a data dir
 * of its own (`.data/capture-histories`, unless INTEGRATION_DATA_DIR says otherwise) so it never
 * touches a running integration suite's stack. Not a project of vitest.config.ts: `npm test` never
 * runs it.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

process.env.INTEGRATION_DATA_DIR ??= '.data/capture-histories';

export default defineConfig({
  root: fileURLToPath(new URL('../..', import.meta.url)),
  test: {
    pool: 'forks',
    include: ['test/replay/capture.ts'],
    globalSetup: ['test/integration/global-setup.ts'],
    testTimeout: 180_000,
    hookTimeout: 300_000,
    fileParallelism: false,
  },
});
