/**
 * Live progress of one or more workflows: each second, `describe` (is it still running?) and the
 * `progress` query (how far?). On a terminal: one cli-progress bar per workflow; otherwise (a log,
 * a pipe, CI): a line whenever a workflow's progress changes, at most every few seconds. Ends when
 * every workflow has closed (then a summary of each), or on Ctrl-C (the workflows keep running).
 */
import cliProgress from 'cli-progress';
import {
  ActivityFailure,
  ApplicationFailure,
  ChildWorkflowFailure,
  WorkflowFailedError,
  WorkflowNotFoundError,
  type Client,
  type WorkflowHandle,
} from '@temporalio/client';
import type { BackfillProgress } from '../workflows/contracts/backfill';
import type { TemporalTarget } from './connect';
import type { Output } from './context';
import { InterruptedError, JobFailedError, NotFoundError } from './errors';
import { formatInstant } from './output';
import { backfillSummary, viewProgress, workflowLabel, type ProgressView } from './progress';

export interface Outcome {
  readonly workflowId: string;
  readonly type: string;
  /** `COMPLETED`, `FAILED`, `TERMINATED`, `CANCELLED`, `TIMED_OUT`. */
  readonly status: string;
  readonly result?: unknown;
  readonly failure?: { readonly type: string; readonly message: string };
  readonly closeTime?: Date;
}

/** The failure's type and message, through activity and child-workflow wrappers. */
export function failureOf(err: unknown): { type: string; message: string } {
  let c: unknown = err instanceof WorkflowFailedError ? (err.cause ?? err) : err;
  while ((c instanceof ActivityFailure || c instanceof ChildWorkflowFailure) && c.cause) c = c.cause;
  if (c instanceof ApplicationFailure) return { type: c.type ?? 'ApplicationFailure', message: c.message };
  if (c instanceof Error) return { type: c.name, message: c.message };
  return { type: 'Error', message: String(c) };
}

function quoteId(id: string): string {
  return `'${id.replace(/'/g, `'\\''`)}'`;
}

function targetFlags(t: TemporalTarget): string {
  return `--address ${t.address}${t.namespace !== 'default' ? ` --namespace ${t.namespace}` : ''}`;
}

/** The runbook's query command for a workflow. */
export function queryCommand(t: TemporalTarget, workflowId: string): string {
  return `temporal workflow query ${targetFlags(t)} -w ${quoteId(workflowId)} --type progress`;
}

/** The runbook's reset command (docs/runbook.md, "Fix the cause, then reset"). */
export function resetCommand(t: TemporalTarget, workflowId: string): string {
  return `temporal workflow reset ${targetFlags(t)} -w ${quoteId(workflowId)} --type FirstWorkflowTask --reason 'fixed: <what you fixed>'`;
}

/** What to print once a workflow closed. */
export function summarizeOutcome(o: Outcome, target: TemporalTarget): string[] {
  if (o.status === 'COMPLETED') {
    if (o.type === 'backfillSeries' && o.result && typeof o.result === 'object') {
      return [`completed ${o.workflowId}`, ...backfillSummary(o.result as BackfillProgress)];
    }
    const v = viewProgress(o.type, o.result);
    return [`completed ${o.workflowId}${o.result && typeof o.result === 'object' ? `: ${v.text}` : ''}`];
  }
  const lines = [
    `${o.status.replace('_', ' ')} ${o.workflowId}${o.failure ? `: ${o.failure.type}: ${o.failure.message}` : ''}`,
  ];
  if (o.status === 'FAILED' || o.status === 'TIMED_OUT') {
    lines.push(
      `  fix the cause (docs/runbook.md: "Read a failed history", docs/errors.md), then reset it:`,
      `    ${resetCommand(target, o.workflowId)}`,
    );
  }
  return lines;
}

interface Display {
  update(id: string, view: ProgressView): void;
  stop(): void;
}

/** One cli-progress bar per workflow (on a terminal). */
function barsDisplay(stream: NodeJS.WriteStream, ids: readonly string[], labels: Map<string, string>): Display {
  const width = Math.min(48, Math.max(...ids.map((id) => labels.get(id)!.length)));
  const fit = (s: string) => (s.length > width ? `…${s.slice(s.length - width + 1)}` : s.padEnd(width));
  const multi = new cliProgress.MultiBar(
    {
      stream,
      format: '{label} {bar} {text}',
      barsize: 20,
      hideCursor: true,
      clearOnComplete: false,
      stopOnComplete: false,
      fps: 4,
      linewrap: false,
      forceRedraw: true,
      autopadding: true,
    },
    cliProgress.Presets.shades_classic,
  );
  const bars = new Map(
    ids.map((id) => [id, multi.create(100, 0, { label: fit(labels.get(id)!), text: 'describing…' })]),
  );
  return {
    update(id, view) {
      bars.get(id)?.update(view.percent, { text: view.text });
    },
    stop() {
      multi.stop();
    },
  };
}

/** A line per change (logs, pipes, CI), at most every `everyMs` per workflow. */
function linesDisplay(out: Output, labels: Map<string, string>, everyMs: number): Display {
  const last = new Map<string, { text: string; at: number }>();
  return {
    update(id, view) {
      const prev = last.get(id);
      const now = Date.now();
      if (prev?.text === view.text) return;
      if (prev && !view.completed && now - prev.at < everyMs) return;
      last.set(id, { text: view.text, at: now });
      out.log(`${labels.get(id)}  ${view.text}`);
    },
    stop() {},
  };
}

export interface WatchOptions {
  readonly out: Output;
  readonly target: TemporalTarget;
  readonly intervalMs?: number;
  /** Non-terminal output: least time between two lines of one workflow. @default 5 s */
  readonly lineEveryMs?: number;
  /** Labels to show instead of the derived ones. */
  readonly labels?: ReadonlyMap<string, string>;
}

/** The `progress` query, given 2.5 s; undefined when it fails or does not answer in time. */
export async function queryProgress(client: Client, h: WorkflowHandle): Promise<unknown> {
  try {
    return await client.withDeadline(Date.now() + 2_500, () => h.query<unknown>('progress'));
  } catch {
    return undefined;
  }
}

async function closedOutcome(h: WorkflowHandle, type: string, status: string, closeTime?: Date): Promise<Outcome> {
  try {
    const result = await h.result();
    return { workflowId: h.workflowId, type, status: 'COMPLETED', result, ...(closeTime ? { closeTime } : {}) };
  } catch (err) {
    return {
      workflowId: h.workflowId,
      type,
      status: status === 'COMPLETED' ? 'FAILED' : status,
      failure: failureOf(err),
      ...(closeTime ? { closeTime } : {}),
    };
  }
}

/**
 * Watch workflows until every one has closed; returns their outcomes (in the order given).
 * Unknown IDs are a `NotFoundError` (all named); Ctrl-C is an `InterruptedError`.
 */
export async function watchWorkflows(client: Client, ids: readonly string[], o: WatchOptions): Promise<Outcome[]> {
  const unique = [...new Set(ids)];
  const handles = unique.map((id) => client.workflow.getHandle(id));
  const missing: string[] = [];
  await Promise.all(
    handles.map(async (h) => {
      try {
        await h.describe();
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) missing.push(h.workflowId);
        else throw err;
      }
    }),
  );
  if (missing.length > 0) {
    throw new NotFoundError(
      `no workflow ${missing.map((m) => `'${m}'`).join(', ')} in namespace '${o.target.namespace}' at ${o.target.address}`,
    );
  }
  const labels = new Map(unique.map((id) => [id, o.labels?.get(id) ?? workflowLabel(id)]));
  const display = o.out.tty
    ? barsDisplay(o.out.tty, unique, labels)
    : linesDisplay(o.out, labels, o.lineEveryMs ?? 5_000);

  let interrupted = false;
  let wake: (() => void) | undefined;
  const onSigint = () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    wake?.();
  };
  process.on('SIGINT', onSigint);

  const outcomes = new Map<string, Outcome>();
  try {
    while (!interrupted && outcomes.size < handles.length) {
      await Promise.all(
        handles
          .filter((h) => !outcomes.has(h.workflowId))
          .map(async (h) => {
            let d: Awaited<ReturnType<WorkflowHandle['describe']>>;
            try {
              d = await h.describe();
            } catch {
              return; // a transient server hiccup: keep the last view
            }
            if (d.status.name === 'RUNNING' || d.status.name === 'CONTINUED_AS_NEW') {
              display.update(h.workflowId, viewProgress(d.type, await queryProgress(client, h)));
              return;
            }
            const outcome = await closedOutcome(h, d.type, d.status.name, d.closeTime);
            outcomes.set(h.workflowId, outcome);
            display.update(
              h.workflowId,
              outcome.status === 'COMPLETED'
                ? { ...viewProgress(d.type, outcome.result ?? { status: 'completed' }), percent: 100, completed: true }
                : { percent: 0, text: `${outcome.status}: ${outcome.failure?.type ?? ''}`, completed: true },
            );
          }),
      );
      if (interrupted || outcomes.size === handles.length) break;
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, o.intervalMs ?? 1_000);
      });
    }
  } finally {
    process.off('SIGINT', onSigint);
    display.stop();
  }
  if (interrupted) {
    throw new InterruptedError(
      `stopped watching at ${formatInstant(new Date())}: the workflows keep running (crypto-ingest status shows them)`,
    );
  }
  return unique.map((id) => outcomes.get(id)!);
}

/** Watch, print each outcome, and fail (exit 3) when any did not complete. */
export async function watchAndSummarize(client: Client, ids: readonly string[], o: WatchOptions): Promise<Outcome[]> {
  const outcomes = await watchWorkflows(client, ids, o);
  for (const outcome of outcomes) for (const line of summarizeOutcome(outcome, o.target)) o.out.log(line);
  const bad = outcomes.filter((x) => x.status !== 'COMPLETED');
  if (bad.length > 0) {
    throw new JobFailedError(
      bad.length === 1
        ? `${bad[0]!.workflowId} did not complete (${bad[0]!.status.toLowerCase()})`
        : `${bad.length} of ${outcomes.length} workflows did not complete`,
    );
  }
  return outcomes;
}
