/**
 * `fetchReferenceSnapshot`: fetch one reference snapshot (assets, a top list, markets and instruments)
 * page by page and write it atomically. Like `ingestChunk`, a rate limit pauses the source
 * fleet-wide and is returned to the workflow, which waits and tries again; a snapshot is written
 * whole or not at all.
 */
import { activityInfo, Context, heartbeat } from '@temporalio/activity';
import type { ReferencePage } from './sources/types';
import { InvalidInputError } from './errors';
import { lineageNow } from './fetch-range';
import { pauseFor, type SourcePause } from './rate-gate';
import { resolveSource, type ActivityDeps } from './runtime';
import type { RefreshReferenceInput } from '../workflows/contracts/reference';

export interface RefreshReferenceResult {
  readonly pages: number;
  readonly assets: number;
  readonly topList: number;
  readonly markets: number;
  readonly instruments: number;
  /** Rows new or changed across the reference tables. */
  readonly changed: number;
  /** UTC date the snapshot is of (the API's clock). */
  readonly snapshotDate: string | null;
  readonly runId: number | null;
  readonly paused?: SourcePause;
  /** What the pages reported as odd and handled (at most 20), shown in the workflow's progress. */
  readonly warnings?: string[];
}

/** Most pages one refresh may fetch (a guard against a runaway `next` token). */
const MAX_PAGES = 2_000;

export function createFetchReferenceSnapshot(deps: ActivityDeps) {
  return async function fetchReferenceSnapshot(input: RefreshReferenceInput): Promise<RefreshReferenceResult> {
    const source = resolveSource(deps, input.source);
    const spec = source.definition.references[input.dataset];
    if (!spec) {
      throw new InvalidInputError(
        `source '${input.source}' has no reference dataset '${input.dataset}' (has: ${Object.keys(source.definition.references).join(', ') || 'none'})`,
      );
    }
    const parsed = spec.paramsSchema.safeParse(input.params ?? {});
    if (!parsed.success) {
      const problems = parsed.error.issues.map(
        (i) => `params.${i.path.map(String).join('.') || '(root)'}: ${i.message}`,
      );
      throw new InvalidInputError(`invalid reference refresh parameters: ${problems.join('; ')}`, {
        details: { problems },
      });
    }
    const info = activityInfo();
    const startedAt = new Date();
    const signal = Context.current().cancellationSignal;
    const pages: ReferencePage[] = [];
    let token: string | undefined;
    do {
      heartbeat({ pages: pages.length });
      let page: ReferencePage;
      try {
        page = await spec.fetchPage({ config: source.config, signal, gate: source.gate }, parsed.data, token);
      } catch (err) {
        const paused = await pauseFor(err, source.gate, input.source);
        if (paused) {
          return {
            pages: 0,
            assets: 0,
            topList: 0,
            markets: 0,
            instruments: 0,
            changed: 0,
            snapshotDate: null,
            runId: null,
            paused,
          };
        }
        throw err;
      }
      pages.push(page);
      token = page.next;
    } while (token !== undefined && pages.length < MAX_PAGES);

    // The snapshot is of the API's day (its Date header), so a frozen test clock dates it too.
    const serverTimes = pages.map((p) => p.serverTime).filter((t): t is number => t !== undefined);
    const at = serverTimes.length > 0 ? Math.min(...serverTimes) : Math.floor((deps.now?.() ?? Date.now()) / 1000);
    const snapshotDate = new Date(at * 1000).toISOString().slice(0, 10);
    const written = await deps.references.writeReference({
      jobId: info.workflowExecution?.workflowId ?? `reference/${input.source}/${input.dataset}`,
      source: input.source,
      dataset: input.dataset,
      pages,
      snapshotDate,
      lineage: lineageNow(startedAt),
    });
    const warnings = [...new Set(pages.flatMap((p) => p.warnings ?? []))].slice(0, 20);
    return {
      ...(warnings.length > 0 ? { warnings } : {}),
      pages: pages.length,
      assets: written.assets,
      topList: written.topList,
      markets: written.markets,
      instruments: written.instruments,
      changed: written.changed,
      snapshotDate,
      runId: written.runId,
    };
  };
}
