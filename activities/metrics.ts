/**
 * The domain's Prometheus counters, recorded where the facts are known (a committed write, an HTTP
 * answer, a page, a pause, an activity failure), and the registry `workers/metrics-server.ts`
 * serves together with the database gauges and the Temporal SDK's own metrics. Names and labels are
 * a contract with the dashboards and alert rules (docs/metrics.md): change them only together.
 *
 * Recording is process-local and never fails an activity; without a metrics server the counters
 * are simply never read.
 */
import { Counter, Registry } from 'prom-client';

/** Every metric of this process (domain counters here; gauges and process metrics in workers/). */
export const registry = new Registry();

export const rowsTotal = new Counter({
  name: 'crypto_ingest_rows_total',
  help: 'Rows written by committed chunks (backfill, sync, repair), by outcome: inserted, updated, unchanged, quarantined.',
  labelNames: ['source', 'dataset', 'outcome'] as const,
  registers: [registry],
});

export const requestsTotal = new Counter({
  name: 'crypto_ingest_requests_total',
  help: 'HTTP requests made to a source API, by outcome: ok, rate_limited (429, quota, ban), error (anything else).',
  labelNames: ['source', 'outcome'] as const,
  registers: [registry],
});

export const pagesTotal = new Counter({
  name: 'crypto_ingest_pages_total',
  help: 'Pages fetched from a source (series datasets and reference snapshots).',
  labelNames: ['source', 'dataset'] as const,
  registers: [registry],
});

export const ratePausesTotal = new Counter({
  name: 'crypto_ingest_rate_limit_pauses_total',
  help: "Fleet-wide source pauses set by this worker, by cause (the pause's set_by: api, api-headers).",
  labelNames: ['source', 'cause'] as const,
  registers: [registry],
});

export const activityFailuresTotal = new Counter({
  name: 'crypto_ingest_activity_failures_total',
  help: 'Activity attempts that failed, by activity type and failure type (the error class of activities/errors.ts).',
  labelNames: ['activity', 'type'] as const,
  registers: [registry],
});

/** A budget key (`data-api`, or `data-api#<fingerprint of the API key>`) as the source id it belongs to. */
export function sourceOfBudgetKey(key: string): string {
  const hash = key.indexOf('#');
  return hash < 0 ? key : key.slice(0, hash);
}

/** What one committed write stored (`IngestStore.writeChunk`'s counts). */
export function recordWrite(
  source: string,
  dataset: string,
  w: { readonly inserted: number; readonly updated: number; readonly unchanged: number; readonly quarantined: number },
): void {
  rowsTotal.inc({ source, dataset, outcome: 'inserted' }, w.inserted);
  rowsTotal.inc({ source, dataset, outcome: 'updated' }, w.updated);
  rowsTotal.inc({ source, dataset, outcome: 'unchanged' }, w.unchanged);
  rowsTotal.inc({ source, dataset, outcome: 'quarantined' }, w.quarantined);
}

export function recordRequest(source: string | undefined, outcome: 'ok' | 'rate_limited' | 'error'): void {
  requestsTotal.inc({ source: source ?? 'unknown', outcome });
}

export function recordPage(source: string, dataset: string): void {
  pagesTotal.inc({ source, dataset });
}

export function recordPause(budgetKey: string, cause: string): void {
  ratePausesTotal.inc({ source: sourceOfBudgetKey(budgetKey), cause });
}

export function recordActivityFailure(activity: string, type: string): void {
  activityFailuresTotal.inc({ activity, type });
}
