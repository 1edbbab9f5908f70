/**
 * Activities of `refreshUniverse`: resolve the universe config's track rules against the reference
 * tables and make `tracked_series` match. Returns counts.
 */
import type {
  ResolveUniverseResult,
  RefreshUniverseInput,
  TrackRule,
  UniverseConfig,
} from '../workflows/contracts/universe';
import { alignDown, type Interval } from '../workflows/contracts/series';
import type { DesiredSeries, UniverseStore } from './db/universe-store';
import type { DatasetSpec } from './sources/types';
import { InvalidInputError } from './errors';
import { toSeconds } from './fetch-range';
import { resolveDataset, type ActivityDeps } from './runtime';
import { parseUniverseConfig } from './universe-config';

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

/** What `resolveUniverse` reads of the reference tables. */
export type UniverseReader = Pick<UniverseStore, 'firstTrades' | 'referencedMarkets' | 'selectInstruments'>;

/**
 * The series a config's track rules name as of `asOf`, resolved against the reference tables (the
 * first rule that names a series wins), and the explicitly named instruments a refreshed market does
 * not list. Shared by `resolveUniverse` and the plan (`crypto-ingest universe plan`).
 */
export async function desiredUniverse(
  reader: UniverseReader,
  config: UniverseConfig,
  asOf: number,
  datasetOf: (source: string, dataset: string) => DatasetSpec<unknown>,
): Promise<{ desired: DesiredSeries[]; unlisted: string[] }> {
  const desired = new Map<string, DesiredSeries>();
  const unlisted = new Set<string>();
  for (const rule of config.track) {
    const dataset = datasetOf(rule.source, rule.dataset);
    const kind = dataset.instrumentKind ?? 'spot';
    const candidates = rule.instruments
      ? await (async () => {
          const firsts = await reader.firstTrades(rule.source, kind, rule.instruments!);
          // A market whose instruments reference is not refreshed (or has none) is trusted as written.
          const referenced = dataset.instrumentKind
            ? await reader.referencedMarkets(
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
      : await reader.selectInstruments({
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
  return { desired: [...desired.values()], unlisted: [...unlisted] };
}

export function createUniverseActivities(deps: ActivityDeps) {
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
      const { desired, unlisted } = await desiredUniverse(
        deps.universe,
        parsed.config,
        asOf,
        (source, dataset) => resolveDataset(deps, source, dataset).dataset,
      );
      const applied = await deps.universe.apply(desired);
      return { ...applied, pendingBackfill: await deps.universe.countPending(), unlisted };
    },
  };
}
