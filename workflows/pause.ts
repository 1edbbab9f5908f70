/**
 * Waiting out a source pause (rate limit, quota, ban): not a failure. The workflow sleeps on a
 * durable timer until the source reopens, with `IngestPausedUntil` set while it waits so
 * `IngestPausedUntil IS NOT NULL` lists every waiting workflow.
 */
import { sleep, upsertSearchAttributes } from '@temporalio/workflow';
import { SA } from './contracts/search-attributes';

/**
 * Wait until `until` (ISO; at least a second). `report(true)` runs as the wait starts and
 * `report(false)` as it ends: each workflow updates its own progress and details there.
 */
export async function waitOutPause(until: string, report: (paused: boolean) => void): Promise<void> {
  upsertSearchAttributes([{ key: SA.pausedUntil, value: new Date(until) }]);
  report(true);
  await sleep(Math.max(1_000, Date.parse(until) - Date.now()));
  upsertSearchAttributes([{ key: SA.pausedUntil, value: null }]);
  report(false);
}
