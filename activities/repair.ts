/**
 * Activities of `repairCoverage`: audit the coverage ledger of a page of tracked series and list
 * their holes, then re-fetch one hole range at a time. Periods the API answers without are
 * certified empty, with the response's hash as evidence.
 */
import { activityInfo, heartbeat } from '@temporalio/activity';
import type { GapFindResult, RepairRangeResult } from '../workflows/contracts/repair';
import { canonicalTime } from '../workflows/contracts/ids';
import { alignDown, INTERVAL_SECONDS, type SeriesCursor, type SeriesKey } from '../workflows/contracts/series';
import { cursorOf, type SeriesFilter } from './db/universe-store';
import { fetchRange, toSeconds } from './fetch-range';
import { asBackground, resolveDataset, type ActivityDeps } from './runtime';
import { writeRange } from './write-range';

/** Pages a repair fetches, writes and certifies at a time (what it holds in memory). */
export const REPAIR_PAGES_PER_WRITE = 5;

export function createRepairActivities(deps: ActivityDeps) {
  return {
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
     * Re-fetch one range of missing periods, a few pages at a time (at most `REPAIR_PAGES_PER_WRITE`
     * held in memory), each batch written and certified before the next. Periods the API answers
     * without (no row, not even a filler; or "not trading yet") are certified empty with the
     * response's hash as evidence. On a pause it returns where to resume (`next`): the workflow
     * waits and calls it again from there, not from the range's start.
     */
    async repairRange(input: { series: SeriesKey; from: string; to: string }): Promise<RepairRangeResult> {
      const s = input.series;
      const { source, dataset } = resolveDataset(deps, s.source, s.dataset);
      const step = INTERVAL_SECONDS[s.interval];
      const end = toSeconds(input.to, 'to') + step;
      // A retried attempt goes on from the batch the previous attempt was at (its heartbeat), not
      // from the range's start: what it wrote is stored.
      const beat = activityInfo().heartbeatDetails as { cursor?: string } | undefined;
      let cursor = Math.max(toSeconds(input.from, 'from'), beat?.cursor ? toSeconds(beat.cursor, 'cursor') : 0);
      let filled = 0;
      let certified = 0;
      let quarantined = 0;
      while (cursor < end) {
        heartbeat({ cursor: canonicalTime(cursor) });
        const startedAt = new Date();
        // Repairs yield to the syncs, as backfills do: the background gate.
        const fetched = await fetchRange(asBackground(source), dataset, s, cursor, end, REPAIR_PAGES_PER_WRITE);
        if (fetched.pages.length > 0) {
          const written = await writeRange(deps, 'repair', s, dataset, fetched, cursor, end, startedAt);
          filled += written.inserted;
          quarantined += written.quarantined;
          for (const { page, from: pFrom, to: pTo } of fetched.pages) {
            const answered = new Set<number>();
            const ts = page.batch.getChild('ts');
            for (let i = 0; i < (ts?.length ?? 0); i++) answered.add(ts!.get(i) as number);
            for (const q of page.quarantined) if (q.ts !== null) answered.add(q.ts);
            const empty: number[] = [];
            for (let t = pFrom; t <= pTo && t + step <= written.finalBefore; t += step)
              if (!answered.has(t)) empty.push(t);
            certified += await deps.coverage.certifyEmpty(s, empty, page.responseSha256, written.runId);
          }
        }
        // Nothing to recount: each write moved the ledger with the rows, and each certificate with itself.
        cursor = fetched.cursor;
        if (fetched.paused)
          return { filled, certified, quarantined, paused: fetched.paused, next: canonicalTime(cursor) };
        if (fetched.pages.length === 0) break;
      }
      return { filled, certified, quarantined };
    },
  };
}

function keyOf(s: SeriesKey): SeriesKey {
  return { source: s.source, dataset: s.dataset, market: s.market, instrument: s.instrument, interval: s.interval };
}
