/**
 * Files the code reads from the checkout at run time (the SQL migrations, the workflow sources),
 * found by walking up from the calling module: the same answer from `activities/db/migrate.ts` run
 * by tsx as from the worker's one-file build in `dist/` (where every module's `import.meta.url` is
 * the bundle's own).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The first `<ancestor>/<relative>` that exists, from the directory of `moduleUrl` upwards. */
export function findUp(moduleUrl: string, relative: string): string {
  let dir = path.dirname(fileURLToPath(moduleUrl));
  for (;;) {
    const candidate = path.join(dir, relative);
    if (existsSync(candidate)) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) {
      throw new Error(`${relative} not found above ${path.dirname(fileURLToPath(moduleUrl))}: an incomplete checkout?`);
    }
    dir = parent;
  }
}
