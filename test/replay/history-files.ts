/**
 * The stored workflow histories the replay test runs (`test/replay/histories/`): how they are named,
 * written (by `capture.ts`, through `npm run capture:histories`) and read back (by `replay.test.ts`).
 *
 * A file is exactly what `historyToJSON(await handle.fetchHistory())` or `temporal workflow show
 * --output json` gives (prettier-formatted, so `npm run format` leaves it alone), named
 * `<workflowType>--<scenario>.json`. Like the API fixtures, a history is never edited: a new
 * version of a workflow gets new files beside the old ones.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { History } from '@temporalio/common/lib/proto-utils';

export type { History };

// `historyToJSON` / `historyFromJSON` of `@temporalio/common/lib/proto-utils` (1.24.0) throw
// "type must be a Type" in this install: npm keeps two copies of protobufjs 8 (one under
// @temporalio/common, one under @temporalio/proto, because grpc pins protobufjs 7 at the top), and
// protojson's `instanceof Type` fails across copies. The same for `Worker.runReplayHistory` given
// raw JSON. So the conversion is done here with the protobufjs copy that built the proto root, the
// same calls the SDK makes (proto3 JSON, as `temporal workflow show --output json` prints), and the
// replay test hands the worker decoded History objects.
interface ProtoType {
  fromObject(o: unknown): unknown;
}
const requireHere = createRequire(import.meta.url);
const protoRoot = requireHere('@temporalio/proto') as { lookupType(name: string): ProtoType };
const protojson = createRequire(requireHere.resolve('@temporalio/proto'))('protobufjs/ext/protojson') as {
  toJson(type: ProtoType, message: unknown): unknown;
  fromJson(type: ProtoType, json: unknown, options: { ignoreUnknownFields: boolean }): unknown;
};
const historyType = protoRoot.lookupType('temporal.api.history.v1.History');

/** A History object as `handle.fetchHistory()` returns it → proto3 JSON text. */
export function historyToJSON(history: History): string {
  return JSON.stringify(protojson.toJson(historyType, historyType.fromObject(history)), null, 2);
}

/** Proto3 JSON (parsed) → a History object the replay worker takes as is. */
export function historyFromJSON(json: unknown): History {
  const history = protojson.fromJson(historyType, json, { ignoreUnknownFields: true }) as History | null;
  if (!history?.events?.length) throw new TypeError('not a workflow history (no events)');
  return history;
}

export const HISTORIES_DIR = fileURLToPath(new URL('./histories/', import.meta.url));

/** `backfillSeries--continue-as-new-run-1.json`: the workflow type, then the scenario. */
const FILE_NAME = /^([A-Za-z][A-Za-z0-9]*)--([a-z0-9][a-z0-9.-]*)\.json$/;

export interface StoredHistory {
  /** File name inside `HISTORIES_DIR`. */
  readonly file: string;
  /** The workflow type recorded in the history's first event. */
  readonly workflowType: string;
  /** The workflow type and scenario the file name states. */
  readonly named: { readonly workflowType: string; readonly scenario: string };
  /** The workflow ID recorded in the history's first event (replay needs it: child IDs derive from it). */
  readonly workflowId: string;
  readonly history: History;
}

/** The file name a capture writes: `<workflowType>--<scenario>.json`. */
export function historyFileName(workflowType: string, scenario: string): string {
  const file = `${workflowType}--${scenario}.json`;
  if (!FILE_NAME.test(file)) throw new Error(`not a valid history file name: ${file}`);
  return file;
}

/** The `WorkflowExecutionStarted` attributes (the first event of every history). */
export function startedAttributes(history: History) {
  const attrs = history.events?.[0]?.workflowExecutionStartedEventAttributes;
  if (!attrs) throw new Error('the history does not begin with WorkflowExecutionStarted');
  return attrs;
}

/** Every `histories/*.json`, parsed, with the type and ID its first event records. */
export function loadHistories(dir = HISTORIES_DIR): StoredHistory[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => {
      const m = FILE_NAME.exec(file);
      if (!m) throw new Error(`${file}: history files are named <workflowType>--<scenario>.json`);
      const history = historyFromJSON(JSON.parse(readFileSync(path.join(dir, file), 'utf8')));
      const started = startedAttributes(history);
      const workflowType = started.workflowType?.name;
      if (!workflowType) throw new Error(`${file}: no workflow type in WorkflowExecutionStarted`);
      // Servers ≥ 1.21 record the workflow ID in the first event (both fetchHistory and `temporal
      // workflow show` keep it), so a history file needs no side file.
      if (!started.workflowId) throw new Error(`${file}: no workflow ID in WorkflowExecutionStarted`);
      return {
        file,
        workflowType,
        named: { workflowType: m[1]!, scenario: m[2]! },
        workflowId: started.workflowId,
        history,
      };
    });
}

/**
 * Write one history as `<dir>/<file>`, prettier-formatted. An existing file is kept (a history is
 * never replaced: it may stand for runs still open) unless `overwrite` is set.
 */
export async function writeHistory(
  file: string,
  history: History,
  { dir = HISTORIES_DIR, overwrite = false }: { dir?: string; overwrite?: boolean } = {},
): Promise<'written' | 'kept'> {
  const target = path.join(dir, file);
  if (existsSync(target) && !overwrite) return 'kept';
  mkdirSync(dir, { recursive: true });
  const prettier = await import('prettier'); // only the capture writes: the replay test never loads it
  const options = (await prettier.resolveConfig(target)) ?? {};
  const text = await prettier.format(historyToJSON(history), { ...options, filepath: target });
  writeFileSync(target, text);
  return 'written';
}
