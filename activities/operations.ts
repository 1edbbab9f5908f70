/**
 * Activities of the always-on workflows: resolve the tracked universe, sync batches of tracked
 * series from their watermarks, audit coverage and repair holes. Each returns keys and counts.
 */
import { heartbeat } from '@temporalio/activity';
import type {
  RefreshUniverseInput,
  SyncCounts,
  SyncDatasetInput,
  TrackRule,
  SeriesFailure,
} from '../workflows/contracts/operations';
import { emptySyncCounts } from '../workflows/contracts/operations';
import { canonicalTime, seriesPath } from '../workflows/contracts/ids';
import { alignDown, INTERVAL_SECONDS, type Interval, type SeriesKey } from '../workflows/contracts/series';
import { cursorOf, type DesiredSeries, type SeriesCursor, type SeriesFilter } from './db/universe-store';
import { IngestError, InvalidInputError } from './errors';
import { fetchRange, finalBeforeOf, lineageNow, toSeconds, withHeartbeats, type FetchedRange } from './ingest-chunk';
import type { DatasetSpec } from './sources/types';
import { resolveDataset, type ActivityDeps } from './runtime';
import { parseUniverseConfig } from './universe-config';

export interface ResolveUniverseResult {
  readonly tracked: number;
  readonly added: number;
  readonly removed: number;
  /** Tracked series whose initial backfill is not done. */
  readonly pendingBackfill: number;
  /**
   * Explicitly configured instruments (`source/dataset/market/instrument`) that the instruments
   * reference of their market does not list: not tracked (a typo, or not listed yet; a later
   * refresh tracks it once the reference lists it).
   */
  readonly unlisted: string[];
}

export interface SeriesPage {
  readonly series: Array<SeriesKey & { backfillFrom: string }>;
  /** Cursor for the next page, or null when this was the last. */
  readonly next: SeriesCursor;
}

export interface SyncBatchInput extends Required<Pick<SyncDatasetInput, 'source' | 'dataset' | 'interval'>> {
  readonly asOf: string;
  /** Keyset start of the batch (exclusive), or null for the first. */
  readonly start: SeriesCursor;
  readonly limit: number;
  readonly lookbackPeriods: number;
  readonly maxPagesPerSeries: number;
}

export interface SyncBatchResult extends SyncCounts {
  readonly failures: SeriesFailure[];
  /** When paused: where to resume (the batch's series after this cursor). */
  readonly paused?: {
    readonly until: string;
    readonly reason: string;
    readonly resumeAfter: SeriesCursor;
    readonly remaining: number;
  };
}

export interface GapFindResult {
  readonly series: number;
  readonly missing: number;
  readonly ranges: Array<{ series: SeriesKey; from: string; to: string; periods: number }>;
  readonly next: SeriesCursor;
}

export interface RepairRangeResult {
  readonly filled: number;
  readonly certified: number;
  readonly quarantined: number;
  readonly paused?: { readonly until: string; readonly reason: string };
}

/**
 * Where a newly tracked series' coverage starts: the horizon (from the start of that UTC day, so the
 * coverage ledger, counted per day, has no partial first day), never before the listing.
 */
export function backfillStart(
  rule: Pick<TrackRule, 'horizon'>,
  asOf: number,
  firstTrade: number | null,
  interval: Interval,
): number {
  const listing = firstTrade ?? Date.UTC(2010, 0, 1) / 1000;
  const horizon = rule.horizon ?? 'P30D';
  const days = /^P(\d+)D$/.exec(horizon);
  const start = days ? Math.max(listing, alignDown(asOf - Number(days[1]) * 86_400, '1d')) : listing;
  return alignDown(start, interval);
}

/**
 * Write what a sync or repair fetched for one series: rows, lineage, watermark and ledger in one
 * transaction, with no checkpoint (these ranges are not resumable jobs; the watermark is their state).
 */
async function writeRange(
  deps: ActivityDeps,
  kind: 'sync' | 'repair',
  s: SeriesKey,
  dataset: DatasetSpec<unknown>,
  fetched: FetchedRange,
  from: number,
  end: number,
  startedAt: Date,
) {
  const finalBefore = finalBeforeOf(fetched.pages, deps.now?.() ?? Date.now());
  const written = await deps.store.writeChunk({
    job: { jobId: `${kind}/${seriesPath(s)}`, series: s, from, to: end },
    dataset,
    pages: fetched.pages.map((p) => p.page),
    windowFrom: from,
    nextCursor: fetched.cursor,
    finalBefore,
    lineage: lineageNow(startedAt),
    checkpoint: false,
  });
  return { ...written, finalBefore };
}

export function createOperationsActivities(deps: ActivityDeps) {
  return {
    /** Resolve the config's rules against the reference tables and make `tracked_series` match. */
    async resolveUniverse(input: RefreshUniverseInput & { asOf: string }): Promise<ResolveUniverseResult> {
      const parsed = parseUniverseConfig(input.config);
      if (!parsed.ok) {
        throw new InvalidInputError(`invalid universe config: ${parsed.problems.join('; ')}`, {
          details: { problems: parsed.problems },
        });
      }
      const asOf = toSeconds(input.asOf, 'asOf');
      const desired = new Map<string, DesiredSeries>();
      const unlisted = new Set<string>();
      for (const rule of parsed.config.track) {
        const { dataset } = resolveDataset(deps, rule.source, rule.dataset);
        const kind = dataset.instrumentKind ?? 'spot';
        const candidates = rule.instruments
          ? await (async () => {
              const firsts = await deps.universe.firstTrades(rule.source, kind, rule.instruments!);
              // A market whose instruments reference is not refreshed (or has none) is trusted as written.
              const referenced = dataset.instrumentKind
                ? await deps.universe.referencedMarkets(
                    rule.source,
                    kind,
                    rule.instruments!.map((i) => i.market),
                  )
                : new Set<string>();
              return rule.instruments!.flatMap((i) => {
                const key = `${i.market}|${i.instrument}`;
                if (!firsts.has(key) && referenced.has(i.market)) {
                  unlisted.add(`${rule.source}/${rule.dataset}/${i.market}/${i.instrument}`);
                  return [];
                }
                return [{ ...i, firstTradeTs: firsts.get(key) ?? null }];
              });
            })()
          : await deps.universe.selectInstruments({
              source: rule.source,
              kind,
              markets: rule.select!.markets,
              quotes: rule.select!.quotes,
              bases: rule.select!.bases,
              statuses: rule.select!.statuses ?? ['ACTIVE'],
              topAssets: rule.select!.topAssets && {
                n: rule.select!.topAssets.n,
                source: rule.select!.topAssets.source ?? rule.source,
                list: rule.select!.topAssets.list,
                quote: rule.select!.topAssets.quote ?? 'USD',
                asOf: new Date(asOf * 1000).toISOString().slice(0, 10),
              },
            });
        for (const c of candidates) {
          for (const interval of rule.intervals) {
            const s: DesiredSeries = {
              source: rule.source,
              dataset: rule.dataset,
              market: c.market,
              instrument: c.instrument,
              interval,
              origin: `config:${rule.name}`,
              backfillFrom: backfillStart(rule, asOf, c.firstTradeTs, interval),
            };
            // The first rule that names a series wins.
            const key = `${s.source}|${s.dataset}|${s.market}|${s.instrument}|${s.interval}`;
            if (!desired.has(key)) desired.set(key, s);
          }
        }
      }
      const applied = await deps.universe.apply([...desired.values()]);
      return { ...applied, pendingBackfill: await deps.universe.countPending(), unlisted: [...unlisted] };
    },

    /** A page of tracked series (optionally only those whose initial backfill is not done). */
    async listTrackedSeries(input: {
      filter: SeriesFilter;
      after: SeriesCursor;
      limit: number;
      onlyPending: boolean;
    }): Promise<SeriesPage> {
      const rows = await deps.universe.page(input.filter, input.after, input.limit, input.onlyPending);
      const last = rows.at(-1);
      return {
        series: rows.map((r) => ({
          source: r.source,
          dataset: r.dataset,
          market: r.market,
          instrument: r.instrument,
          interval: r.interval,
          backfillFrom: canonicalTime(r.backfillFrom),
        })),
        next: rows.length < input.limit || !last ? null : cursorOf(last),
      };
    },

    async markBackfilled(series: SeriesKey): Promise<void> {
      await deps.universe.markBackfilled(series);
    },

    /** Split a dataset's tracked series into batches (keyset starts): the sync's plan. */
    async planSync(input: { source: string; dataset: string; interval: Interval; batchSize: number }) {
      resolveDataset(deps, input.source, input.dataset);
      return deps.universe.boundaries(
        { source: input.source, dataset: input.dataset, interval: input.interval },
        input.batchSize,
      );
    },

    /**
     * Bring a batch of tracked series up to the period containing `asOf`: each from its watermark
     * minus the lookback (re-reading recent periods finalizes provisional candles and catches
     * revisions), at most `maxPagesPerSeries` pages (a longer gap continues next tick), one
     * transaction per series.
     */
    async syncBatch(input: SyncBatchInput): Promise<SyncBatchResult> {
      const { source, dataset } = resolveDataset(deps, input.source, input.dataset);
      const step = INTERVAL_SECONDS[input.interval];
      const asOf = toSeconds(input.asOf, 'asOf');
      const end = alignDown(asOf, input.interval) + step; // includes the open period, as provisional
      const lastClosed = alignDown(asOf, input.interval) - step;
      const series = await deps.universe.page(
        { source: input.source, dataset: input.dataset, interval: input.interval },
        input.start,
        input.limit,
      );
      const counts = emptySyncCounts();
      const failures: SeriesFailure[] = [];
      for (const [k, s] of series.entries()) {
        heartbeat({ done: k, of: series.length });
        counts.series++;
        if (!s.backfilled) {
          counts.pendingBackfill++;
          continue;
        }
        let fetched: Awaited<ReturnType<typeof fetchRange>>;
        try {
          const anchor = s.lastFinalTs ?? s.lastTs;
          const from = Math.max(
            s.backfillFrom,
            anchor === null ? s.backfillFrom : anchor + step - input.lookbackPeriods * step,
          );
          const startedAt = new Date();
          fetched = await fetchRange(source, dataset, s, from, end, input.maxPagesPerSeries);
          if (fetched.pages.length > 0) {
            const written = await withHeartbeats(
              () => ({ done: k, of: series.length, writing: true }),
              () => writeRange(deps, 'sync', s, dataset, fetched, from, end, startedAt),
            );
            counts.pages += fetched.pages.length;
            counts.rowsInserted += written.inserted;
            counts.rowsUpdated += written.updated;
            counts.rowsUnchanged += written.unchanged;
            counts.rowsQuarantined += written.quarantined;
          }
          if (fetched.paused) {
            return {
              ...counts,
              failures,
              series: counts.series - 1,
              paused: {
                ...fetched.paused,
                // The series before this one is the last one finished.
                resumeAfter: k === 0 ? input.start : cursorOf(series[k - 1]!),
                remaining: series.length - k,
              },
            };
          }
        } catch (err) {
          // One bad series must not stop the tick: a non-retryable failure is reported and the
          // others go on; anything retryable (the API or the database is down) retries the batch.
          if (!(err instanceof IngestError) || err.retryable) throw err;
          counts.failed++;
          failures.push({ series: seriesPath(s), type: err.name, message: err.message });
          continue;
        }
        counts.synced++;
        if (fetched.cursor > lastClosed) counts.upToDate++;
      }
      return { ...counts, failures };
    },

    /**
     * Audit a page of tracked series (recount the ledger from the fact tables over [since, asOf))
     * and list their missing periods as ranges (at most `maxRanges`).
     */
    async findGaps(input: {
      filter: SeriesFilter;
      since: string;
      asOf: string;
      after: SeriesCursor;
      limit: number;
      maxRanges: number;
    }): Promise<GapFindResult> {
      const rows = await deps.universe.page(input.filter, input.after, input.limit);
      const since = toSeconds(input.since, 'since');
      const asOf = toSeconds(input.asOf, 'asOf');
      const ranges: GapFindResult['ranges'] = [];
      let missing = 0;
      for (const [k, s] of rows.entries()) {
        heartbeat({ done: k, of: rows.length });
        const { dataset } = resolveDataset(deps, s.source, s.dataset);
        const from = Math.max(since, s.backfillFrom);
        const to = alignDown(asOf, s.interval); // closed periods only
        if (to <= from) continue;
        const audit = await deps.coverage.audit(dataset, s, from, to);
        missing += audit.missing;
        if (audit.missing === 0 || ranges.length >= input.maxRanges) continue;
        for (const g of await deps.coverage.gaps(dataset, s, from, to, input.maxRanges - ranges.length)) {
          ranges.push({ series: keyOf(s), from: canonicalTime(g.from), to: canonicalTime(g.to), periods: g.periods });
        }
      }
      const last = rows.at(-1);
      return { series: rows.length, missing, ranges, next: rows.length < input.limit || !last ? null : cursorOf(last) };
    },

    /**
     * Re-fetch one range of missing periods. Periods the API answers without (no row, not even a
     * filler; or "not trading yet") are certified empty with the response's hash as evidence.
     */
    async repairRange(input: { series: SeriesKey; from: string; to: string }): Promise<RepairRangeResult> {
      const s = input.series;
      const { source, dataset } = resolveDataset(deps, s.source, s.dataset);
      const step = INTERVAL_SECONDS[s.interval];
      const from = toSeconds(input.from, 'from');
      const end = toSeconds(input.to, 'to') + step;
      const cap = dataset.maxPeriodsPerRequest(s.interval);
      const startedAt = new Date();
      const fetched = await fetchRange(source, dataset, s, from, end, Math.ceil((end - from) / step / cap) + 1);
      const pause = fetched.paused;
      if (fetched.pages.length === 0)
        return { filled: 0, certified: 0, quarantined: 0, ...(pause ? { paused: pause } : {}) };
      const written = await writeRange(deps, 'repair', s, dataset, fetched, from, end, startedAt);
      const finalBefore = written.finalBefore;
      let certified = 0;
      for (const { page, from: pFrom, to: pTo } of fetched.pages) {
        const answered = new Set<number>();
        const ts = page.batch.getChild('ts');
        for (let i = 0; i < (ts?.length ?? 0); i++) answered.add(ts!.get(i) as number);
        for (const q of page.quarantined) if (q.ts !== null) answered.add(q.ts);
        const empty: number[] = [];
        for (let t = pFrom; t <= pTo && t + step <= finalBefore; t += step) if (!answered.has(t)) empty.push(t);
        certified += await deps.coverage.certifyEmpty(s, empty, page.responseSha256, written.runId);
      }
      // Nothing to recount: the write moved the ledger with the rows, and each certificate with itself.
      return {
        filled: written.inserted,
        certified,
        quarantined: written.quarantined,
        ...(pause ? { paused: pause } : {}),
      };
    },
  };
}

function keyOf(s: SeriesKey): SeriesKey {
  return { source: s.source, dataset: s.dataset, market: s.market, instrument: s.instrument, interval: s.interval };
}
