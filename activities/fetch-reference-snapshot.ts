/**
 * `fetchReferenceSnapshot`: fetch one reference snapshot (assets, a top list, markets and instruments)
 * page by page and write it atomically. Each page is staged in PostgreSQL as it arrives (keyed by
 * the workflow ID), so the worker holds one page at a time while fetching and a few while writing.
 * Like `ingestChunk`, a rate limit pauses the source fleet-wide and is returned to the workflow,
 * which waits and calls again: the call resumes after the staged pages (as does a retry after a
 * crashed worker) unless the API's day has turned since, which starts the snapshot over. A
 * snapshot is written whole or not at all, in one transaction that also deletes its staged pages.
 */
import { createHash } from 'node:crypto';
import { activityInfo, Context, heartbeat } from '@temporalio/activity';
import type { ReferencePage } from './sources/types';
import { requireStaging } from './db/reference-store';
import { InvalidInputError } from './errors';
import { lineageNow } from './fetch-range';
import { recordPage } from './metrics';
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
  /** On a pause: the token of the page the next call fetches first (absent: the first page). */
  readonly next?: string;
  /** On a pause: pages fetched and staged so far, kept for the next call. */
  readonly staged?: number;
  /** What the pages reported as odd and handled (at most 20), shown in the workflow's progress. */
  readonly warnings?: string[];
}

/** Most pages one refresh may fetch (a guard against a runaway `next` token). */
const MAX_PAGES = 2_000;

/** The UTC day (days since the epoch) of a Unix second. */
const utcDay = (seconds: number): number => Math.floor(seconds / 86_400);

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
    const staging = requireStaging(deps.references);
    const info = activityInfo();
    const jobId = info.workflowExecution?.workflowId ?? `reference/${input.source}/${input.dataset}`;
    // Pages staged for another input under the same job (a reused workflow ID) are not resumed.
    const inputSha256 = createHash('sha256')
      .update(JSON.stringify([input.source, input.dataset, parsed.data]))
      .digest('hex');
    const nowSeconds = () => Math.floor((deps.now?.() ?? Date.now()) / 1000);
    const startedAt = new Date();
    const signal = Context.current().cancellationSignal;

    // Resume after the pages an earlier call of this job staged (it paused, or its worker died).
    let staged = await staging.stagedPages(jobId);
    if (staged && (staged.inputSha256 !== inputSha256 || staged.lastPage !== staged.pages)) {
      await staging.discardStaged(jobId);
      staged = undefined;
    }
    let pages = staged?.pages ?? 0;
    let token = staged?.next;
    /** Set while the first page after a resume is outstanding: the day the staged pages are of. */
    let resumedFrom = staged && token !== undefined ? staged.since : undefined;
    let done = pages > 0 && (token === undefined || pages >= MAX_PAGES);
    while (!done) {
      heartbeat({ pages });
      let page: ReferencePage;
      try {
        page = await spec.fetchPage(
          { source: source.definition.id, config: source.config, signal, gate: source.gate },
          parsed.data,
          token,
        );
        recordPage(source.definition.id, spec.id);
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
            ...(token !== undefined ? { next: token } : {}),
            staged: pages,
          };
        }
        throw err;
      }
      if (resumedFrom !== undefined) {
        // The API's day turned while the job waited: the staged pages are another day's snapshot.
        if (utcDay(page.serverTime ?? nowSeconds()) > utcDay(resumedFrom)) {
          await staging.discardStaged(jobId);
          pages = 0;
          token = undefined;
          resumedFrom = undefined;
          continue;
        }
        resumedFrom = undefined;
      }
      pages += 1;
      await staging.stagePage({ jobId, inputSha256, page: pages, content: page });
      token = page.next;
      done = token === undefined || pages >= MAX_PAGES;
    }

    heartbeat({ pages });
    const written = await staging.writeStagedReference({
      jobId,
      source: input.source,
      dataset: input.dataset,
      pages,
      fallbackTime: nowSeconds(),
      lineage: lineageNow(startedAt),
      onProgress: (n) => heartbeat({ pages, written: n }),
    });
    return {
      ...(written.warnings.length > 0 ? { warnings: written.warnings } : {}),
      pages: written.pages,
      assets: written.assets,
      topList: written.topList,
      markets: written.markets,
      instruments: written.instruments,
      changed: written.changed,
      snapshotDate: written.snapshotDate,
      runId: written.runId,
    };
  };
}
