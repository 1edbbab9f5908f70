/**
 * The worker as one JavaScript file, `dist/ingest-worker.mjs` (esbuild: our TypeScript bundled,
 * packages left to node_modules), and the process environment it runs with. This is how the Docker
 * image, `npm run worker` and the local stack run the worker: no TypeScript runtime in the process
 * (tsx's loader and its transformed-source cache cost ~40 MB of RSS per worker) and a faster start.
 *
 * `node --import tsx workers/build-worker.ts` writes the file (and its source map, for
 * `node --enable-source-maps` when a stack trace must name the .ts lines).
 */
import { build } from 'esbuild';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const WORKER_SOURCE = fileURLToPath(new URL('./ingest-worker.ts', import.meta.url));
export const WORKER_BUILD = fileURLToPath(new URL('../dist/ingest-worker.mjs', import.meta.url));

/**
 * glibc malloc settings for the worker process (set before it starts: the allocator reads them
 * once). Measured with `npm run bench` (one series, 1M rows): the worker's peak RSS fell from ~365
 * to ~303 MiB with these two. Node's threads (V8's GC and compiler helpers, libuv's pool, the
 * workflow thread, Temporal Core's runtime) each get a malloc arena of their own by default, which
 * fragments: two arenas suffice. And glibc raises its mmap threshold after the first large buffer
 * is freed, after which each page's ~1.5 MB response buffers come from (and fragment) the heap
 * instead of being mapped and returned to the system on free: a fixed 128 KiB threshold keeps them
 * mapped. An environment that sets either keeps its own value.
 */
export const WORKER_MALLOC_ENV: Readonly<Record<string, string>> = {
  MALLOC_ARENA_MAX: '2',
  MALLOC_MMAP_THRESHOLD_: '131072',
};

/** Bundle the worker into `outFile` (written whole, then renamed: a concurrent start never reads half a file). */
export async function buildWorker(outFile: string = WORKER_BUILD): Promise<{ bytes: number }> {
  const result = await build({
    entryPoints: [WORKER_SOURCE],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    sourcemap: 'linked',
    keepNames: true, // error and class names as in the code (failure types are matched by name)
    write: false,
    outfile: outFile,
    // A bundled CommonJS helper may still call `require`: give the ES module one.
    banner: {
      js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
    },
    logLevel: 'warning',
  });
  await mkdir(path.dirname(outFile), { recursive: true });
  let bytes = 0;
  for (const file of result.outputFiles) {
    const tmp = `${file.path}.${process.pid}.tmp`;
    await writeFile(tmp, file.contents);
    await rename(tmp, file.path);
    if (file.path === outFile) bytes = file.contents.length;
  }
  return { bytes };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const started = Date.now();
  buildWorker().then(
    ({ bytes }) => console.log(`wrote ${WORKER_BUILD} (${Math.round(bytes / 1024)} KiB) in ${Date.now() - started} ms`),
    (err: unknown) => {
      console.error(`worker build failed: ${err instanceof Error ? err.message : String(err)}`);
      process.exit(1);
    },
  );
}
