/**
 * The request pipeline every Data API historical route shares (`/spot/v1/historical/*`,
 * `/futures/v1/historical/*`, `…/open-interest/*`, `…/funding-rate/*`): parameter validation in a
 * fixed order, market/instrument lookup, the `limit`/`to_ts` window, the listing floor ("was not
 * trading"), the trading-end ceiling (retired and expired instruments), `fill`, `groups` and the
 * row faults. Each dataset plugs in its lookup and its row generator.
 */
import type { SimRequest, SimResponse } from '../../types';
import { applyRowFault, type RowFaultProfile } from './faults';
import {
  groupBits,
  invalidParameter,
  missingParameter,
  notTradingYet,
  okResponse,
  parseBoolParam,
  parseGroups,
  parseIntParam,
} from './http';
import { INTERVAL_SECONDS, type SimInterval } from './series';

export type WireUnit = 'MINUTE' | 'HOUR' | 'DAY';

export const UNIT_OF: Readonly<Record<SimInterval, WireUnit>> = { '1m': 'MINUTE', '1h': 'HOUR', '1d': 'DAY' };
export const ROUTE_INTERVAL: Readonly<Record<string, SimInterval>> = { minutes: '1m', hours: '1h', days: '1d' };

/** `limit` maxima per interval (every historical route). */
export const HISTORICAL_MAX_LIMIT: Readonly<Record<SimInterval, number>> = { '1d': 5_000, '1h': 2_000, '1m': 2_000 };
export const HISTORICAL_DEFAULT_LIMIT = 30;

/** Where an instrument's series starts and ends at one interval. */
export interface SeriesBounds {
  /** Start of the first period served (the period containing the first trade/update). */
  readonly firstStart: number;
  /** Instant after the last trade/update (exclusive); undefined while the instrument trades. */
  readonly end: number | undefined;
}

export interface HistoricalDatasetRoute<I> {
  /** Valid `groups` names; group i is bit `1 << i`. */
  readonly groups: readonly string[];
  readonly faults: RowFaultProfile;
  /** The 404 (or other) response for a market the dataset does not know; undefined when known. */
  readonly checkMarket: (market: string) => SimResponse | undefined;
  /** The instrument, or the error response (404) when it is unknown or has no data of this kind. */
  readonly lookup: (market: string, instrument: string, applyMapping: boolean) => I | SimResponse;
  readonly mappedId: (inst: I) => string;
  readonly bounds: (inst: I, interval: SimInterval) => SeriesBounds;
  /**
   * Rows for every period start in [from, to] (aligned, inclusive, within the bounds), ascending.
   * `nowSeconds` makes the period containing it provisional (already capped at the trading end).
   */
  readonly rows: (
    inst: I,
    interval: SimInterval,
    from: number,
    to: number,
    nowSeconds: number | undefined,
    groups: number,
    fill: boolean,
  ) => object[];
}

function isResponse(value: unknown): value is SimResponse {
  return typeof value === 'object' && value !== null && 'status' in value && 'body' in value;
}

/** The "now" a series is computed at: capped at its last trade/update instant. */
function cappedNow(bounds: SeriesBounds, nowSeconds: number | undefined): number | undefined {
  if (bounds.end === undefined) return nowSeconds;
  return nowSeconds === undefined ? bounds.end - 1 : Math.min(nowSeconds, bounds.end - 1);
}

/** Start of the last period a series serves (the one containing its last instant), or +Infinity. */
export function lastPeriodStart(bounds: SeriesBounds, periodSeconds: number): number {
  return bounds.end === undefined
    ? Number.POSITIVE_INFINITY
    : Math.floor((bounds.end - 1) / periodSeconds) * periodSeconds;
}

/**
 * The inclusive range of aligned period starts for closed periods with `fromTs <= TIMESTAMP <
 * toTsExclusive` inside an instrument's bounds (for the expected-rows generators), or undefined.
 */
function expectedRange(
  bounds: SeriesBounds,
  interval: SimInterval,
  fromTs: number,
  toTsExclusive: number,
): { from: number; to: number } | undefined {
  const L = INTERVAL_SECONDS[interval];
  const from = Math.max(bounds.firstStart, Math.ceil(fromTs / L) * L);
  const to = Math.min(Math.ceil(toTsExclusive / L) * L - L, lastPeriodStart(bounds, L));
  return to < from ? undefined : { from, to };
}

/** Wire rows of a series' periods: each mapped by `toWire`, fillers dropped unless `fill`. */
export function wireRows<P extends { readonly filler: boolean }, R>(
  periods: readonly P[],
  fill: boolean,
  toWire: (period: P) => R,
): R[] {
  const rows: R[] = [];
  for (const p of periods) if (fill || !p.filler) rows.push(toWire(p));
  return rows;
}

export interface ExpectedRowsOptions<G extends string> {
  /** Include filler rows (as `fill=true`, the default). */
  readonly fill?: boolean;
  /** Groups to emit (default: all). */
  readonly groups?: readonly G[];
}

/**
 * The exact wire rows a route serves for every closed period with `fromTs <= TIMESTAMP <
 * toTsExclusive` within the instrument's bounds (never provisional values), ascending, all groups
 * unless told otherwise.
 */
export function expectedRows<I, G extends string, R>(
  route: HistoricalDatasetRoute<I>,
  inst: I,
  interval: SimInterval,
  fromTs: number,
  toTsExclusive: number,
  options: ExpectedRowsOptions<G>,
): R[] {
  const bounds = route.bounds(inst, interval);
  const range = expectedRange(bounds, interval, fromTs, toTsExclusive);
  if (!range) return [];
  return route.rows(
    inst,
    interval,
    range.from,
    range.to,
    cappedNow(bounds, undefined),
    groupBits(route.groups, options.groups),
    options.fill ?? true,
  ) as R[];
}

/**
 * Serves one historical request. Validation order (each failure answers immediately): market and
 * instrument present → limit → to_ts → aggregate → fill → apply_mapping → groups → response_format
 * → market known → instrument known → to_ts not before the first period.
 */
export function serveHistorical<I>(req: SimRequest, interval: SimInterval, route: HistoricalDatasetRoute<I>) {
  const q = req.query;
  const marketParam = q.get('market')?.trim();
  if (!marketParam) return missingParameter('market');
  const instrumentParam = q.get('instrument')?.trim();
  if (!instrumentParam) return missingParameter('instrument');

  const limitP = parseIntParam(q, 'limit', HISTORICAL_DEFAULT_LIMIT);
  if (!limitP.ok) return limitP.response;
  const limit = limitP.value ?? HISTORICAL_DEFAULT_LIMIT;
  const cap = HISTORICAL_MAX_LIMIT[interval];
  if (limit < 1) return invalidParameter('limit', String(limit), 'is below the minimum of 1');
  if (limit > cap) return invalidParameter('limit', String(limit), `is above the maximum of ${cap}`);

  const toTsP = parseIntParam(q, 'to_ts', undefined);
  if (!toTsP.ok) return toTsP.response;

  const aggregateP = parseIntParam(q, 'aggregate', 1);
  if (!aggregateP.ok) return aggregateP.response;
  const aggregate = aggregateP.value ?? 1;
  if (aggregate < 1 || aggregate > 30)
    return invalidParameter('aggregate', String(aggregate), 'must be between 1 and 30');
  // [inferred limitation] The simulator serves base periods only.
  if (aggregate !== 1)
    return invalidParameter('aggregate', String(aggregate), 'is not supported by the simulator (only 1)');

  const fillP = parseBoolParam(q, 'fill', true);
  if (!fillP.ok) return fillP.response;
  const mappingP = parseBoolParam(q, 'apply_mapping', true);
  if (!mappingP.ok) return mappingP.response;
  const groupsP = parseGroups(q, route.groups);
  if (!groupsP.ok) return groupsP.response;
  const format = (q.get('response_format') ?? 'JSON').trim().toUpperCase();
  if (format !== 'JSON' && format !== '') {
    return invalidParameter(
      'response_format',
      q.get('response_format') ?? '',
      format === 'CSV' ? 'is not supported by the simulator (JSON only)' : 'is not valid (JSON or CSV)',
    );
  }

  // The real API lowercases the market it is sent.
  const market = marketParam.toLowerCase();
  const marketError = route.checkMarket(market);
  if (marketError) return marketError;
  const found = route.lookup(market, instrumentParam, mappingP.value);
  if (isResponse(found)) return found;
  const inst = found;

  const bounds = route.bounds(inst, interval);
  const L = INTERVAL_SECONDS[interval];
  const now = req.nowSeconds;
  const nowStart = Math.floor(now / L) * L;
  const toTs = toTsP.value ?? now;
  // Inclusive: the page ends at the period containing to_ts, never after "now"'s period, and
  // [inferred] never after the period of the last trade of a retired/expired instrument (a to_ts
  // after it pages back from there, as a to_ts in the future pages back from now).
  const end = Math.min(Math.floor(toTs / L) * L, nowStart, lastPeriodStart(bounds, L));
  if (end < bounds.firstStart) return notTradingYet(market, route.mappedId(inst), toTs, bounds.firstStart);
  // [inferred] A window that straddles the listing is cut at the first period with trades, so it
  // holds fewer than `limit` rows (the real API errors only once to_ts itself is before the listing).
  // [inferred] fill=false drops filler rows from the `limit`-period window (fewer rows), rather than
  // reaching further back to make up `limit` traded rows.
  const start = Math.max(bounds.firstStart, end - (limit - 1) * L);
  const rows = route.rows(inst, interval, start, end, cappedNow(bounds, now), groupsP.value, fillP.value);
  applyRowFault(rows, req.fault, route.faults);
  return okResponse(rows);
}
