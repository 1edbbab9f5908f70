/**
 * Bundle the workflow code exactly as the worker does (webpack, sandbox rules). `--check` only
 * bundles (CI: catches a transitive Node import that `tsc` cannot see); otherwise writes
 * `dist/workflow-bundle.js` for `WORKFLOW_BUNDLE_PATH`.
 */
import { bundleWorkflowCode } from '@temporalio/worker';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const WORKFLOWS_ENTRY = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));
export const BUNDLE_PATH = fileURLToPath(new URL('../dist/workflow-bundle.js', import.meta.url));

export async function buildWorkflowBundle(): Promise<string> {
  const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_ENTRY, logger: undefined });
  return code;
}

async function run(): Promise<void> {
  const started = Date.now();
  const code = await buildWorkflowBundle();
  const kb = Math.round(code.length / 1024);
  if (process.argv.includes('--check')) {
    console.log(`workflow bundle ok: ${kb} KiB in ${Date.now() - started} ms`);
    return;
  }
  await mkdir(dirname(BUNDLE_PATH), { recursive: true });
  await writeFile(BUNDLE_PATH, code);
  console.log(`wrote ${BUNDLE_PATH} (${kb} KiB)`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  run().catch((err: unknown) => {
    console.error(`workflow bundle failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}
