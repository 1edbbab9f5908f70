/**
 * Activities of `backfillUniverse`: page through the tracked series (those still awaiting their
 * initial backfill, or all), and mark a series backfilled once its child completed.
 */
import type { SeriesPage } from '../workflows/contracts/universe-backfill';
import { canonicalTime } from '../workflows/contracts/ids';
import type { SeriesCursor, SeriesKey } from '../workflows/contracts/series';
import { cursorOf, type SeriesFilter } from './db/universe-store';
import type { ActivityDeps } from './runtime';

export function createUniverseBackfillActivities(deps: ActivityDeps) {
  return {
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
  };
}
