/**
 * Replay: every stored history (`test/replay/histories/*.json`, recorded on the real dev server by
 * `npm run capture:histories`) is replayed against the current workflow code, bundled exactly as
 * the worker bundles it, with the workflow ID it ran under. A change to a workflow's command
 * sequence that would break runs already open fails here, before it is deployed. No server needed.
 *
 * Also: at least one history per exported workflow type (a new type without one fails); the
 * histories keep covering the paths that matter (pause timer, continue-as-new, children, failure);
 * a negative control (an unguarded extra command fails with `DeterminismViolationError`) and the
 * same change behind `patched()` (replays).
 */
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker, type ReplayWorkerOptions } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { WORKFLOWS_ENTRY } from '../../workers/build-workflow-bundle';
import * as workflows from '../../workflows/index';
import { loadHistories, startedAttributes, type History, type StoredHistory } from './history-files';

const histories = loadHistories();
const workflowTypes = Object.entries(workflows)
  .filter(([, v]) => typeof v === 'function')
  .map(([name]) => name)
  .sort();

// Quiet: a replay worker logs its start and stop at INFO, and core logs every nondeterminism the
// negative control provokes at WARN. The assertions carry the messages that matter.
try {
  Runtime.install({
    logger: new DefaultLogger('WARN'),
    telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' }, console: {} } },
  });
} catch {
  // Already installed in this process: keep it.
}

let current: ReplayWorkerOptions;
let changed: ReplayWorkerOptions;
let guarded: ReplayWorkerOptions;

/** Bundle a workflows entry as the worker does (`workers/build-workflow-bundle.ts`), once. */
async function bundle(workflowsPath: string, replayName: string): Promise<ReplayWorkerOptions> {
  const { code } = await bundleWorkflowCode({ workflowsPath, logger: new DefaultLogger('WARN') });
  return { workflowBundle: { code }, replayName };
}

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));

beforeAll(async () => {
  [current, changed, guarded] = await Promise.all([
    bundle(WORKFLOWS_ENTRY, 'replay-current'),
    bundle(here('./changed-workflows.ts'), 'replay-changed'),
    bundle(here('./patched-workflows.ts'), 'replay-patched'),
  ]);
}, 120_000);

/** Replay `list` with one replay worker; the error (or 'ok') per file. */
async function replay(options: ReplayWorkerOptions, list: StoredHistory[]): Promise<Array<[string, unknown]>> {
  const results: Array<[string, unknown]> = [];
  const input = list.map((h) => ({ workflowId: h.workflowId, history: h.history }));
  let i = 0;
  for await (const r of Worker.runReplayHistories(options, input)) results.push([list[i++]!.file, r.error ?? 'ok']);
  return results;
}

function has(h: History, kind: keyof NonNullable<History['events']>[number]): boolean {
  return (h.events ?? []).some((e) => e[kind] != null);
}

describe('stored histories', () => {
  it('the workflow types are read from workflows/index.ts (the six of today, and any new one)', () => {
    // Guards the check below: if the import changed shape, "every type has a history" would pass vacuously.
    expect(workflowTypes).toEqual(
      expect.arrayContaining([
        'backfillSeries',
        'backfillUniverse',
        'refreshReference',
        'refreshUniverse',
        'repairCoverage',
        'syncDataset',
      ]),
    );
  });

  it('every exported workflow type has at least one history, and every history is of an exported type', () => {
    const recorded = new Set(histories.map((h) => h.workflowType));
    expect(workflowTypes.filter((t) => !recorded.has(t))).toEqual([]);
    expect(histories.filter((h) => !workflowTypes.includes(h.workflowType)).map((h) => h.file)).toEqual([]);
  });

  it('each file is named after the workflow type it records, and is a complete (closed) run', () => {
    for (const h of histories) {
      expect(h.named.workflowType, h.file).toBe(h.workflowType);
      const last = h.history.events!.at(-1)!;
      const closed =
        last.workflowExecutionCompletedEventAttributes ??
        last.workflowExecutionFailedEventAttributes ??
        last.workflowExecutionContinuedAsNewEventAttributes;
      expect(closed, `${h.file} ends with a close event`).toBeTruthy();
    }
  });

  it('cover a pause (durable timer), continue-as-new (both runs), children, a child already running, a failed run, a schedule tick', () => {
    const covered = (p: (h: StoredHistory) => boolean) => histories.filter(p).map((h) => h.file);
    const paths = {
      pauseTimer: covered((h) => has(h.history, 'timerStartedEventAttributes')),
      continuedAsNew: covered((h) => has(h.history, 'workflowExecutionContinuedAsNewEventAttributes')),
      startedByContinueAsNew: covered((h) => Boolean(startedAttributes(h.history).continuedExecutionRunId)),
      startsChildren: covered((h) => has(h.history, 'childWorkflowExecutionStartedEventAttributes')),
      isChild: covered((h) => Boolean(startedAttributes(h.history).parentWorkflowExecution)),
      childAlreadyRunning: covered((h) => has(h.history, 'startChildWorkflowExecutionFailedEventAttributes')),
      failed: covered((h) => has(h.history, 'workflowExecutionFailedEventAttributes')),
      scheduled: covered((h) =>
        Boolean(startedAttributes(h.history).searchAttributes?.indexedFields?.TemporalScheduledById),
      ),
    };
    for (const [path, files] of Object.entries(paths))
      expect(files.length, `a history with ${path}`).toBeGreaterThan(0);
    // Every workflow with a pause path has a history that took it.
    const paused = new Set(
      histories.filter((h) => has(h.history, 'timerStartedEventAttributes')).map((h) => h.workflowType),
    );
    expect([...paused]).toEqual(
      expect.arrayContaining(['backfillSeries', 'refreshReference', 'repairCoverage', 'syncDataset']),
    );
  });
});

describe('replay against the current workflow code', () => {
  it('every stored history replays without a determinism error', async () => {
    const results = await replay(current, histories);
    expect(results.map(([file, r]) => [file, r instanceof Error ? `${r.name}: ${r.message}` : r])).toEqual(
      histories.map((h) => [h.file, 'ok']),
    );
  });

  it('negative control: backfillSeries with an unguarded new first command fails every backfillSeries history', async () => {
    const backfills = histories.filter((h) => h.workflowType === 'backfillSeries');
    expect(backfills.length).toBeGreaterThanOrEqual(3);
    const results = await replay(changed, backfills);
    for (const [file, error] of results) {
      expect(error, file).toBeInstanceOf(DeterminismViolationError);
      expect((error as Error).message, file).toMatch(/nondeterminism/i);
    }
    expect(results).toHaveLength(backfills.length);
    // Single-history API: throws the same error.
    await expect(Worker.runReplayHistory(changed, backfills[0]!.history, backfills[0]!.workflowId)).rejects.toThrow(
      DeterminismViolationError,
    );
  });

  it('the same change behind patched() replays every stored backfillSeries history', async () => {
    const backfills = histories.filter((h) => h.workflowType === 'backfillSeries');
    const results = await replay(guarded, backfills);
    expect(results).toEqual(backfills.map((h) => [h.file, 'ok']));
  });
});
