/**
 * Schema drift: fields an API started sending that our schemas do not know. They are accepted
 * (the row is stored without them) and recorded once per source, dataset and field, with a
 * sample value and the request that first carried them.
 */
import type pg from 'pg';
import { jsonForPg } from '../validation';

export async function recordDrift(
  client: pg.PoolClient,
  source: string,
  dataset: string,
  pages: ReadonlyArray<{
    readonly request: string;
    readonly unknownFields?: ReadonlyArray<{ readonly field: string; readonly sample: unknown }>;
  }>,
  runId: number,
): Promise<void> {
  const seen = new Map<string, { sample: unknown; request: string }>();
  for (const p of pages) {
    for (const u of p.unknownFields ?? [])
      if (!seen.has(u.field)) seen.set(u.field, { sample: u.sample, request: p.request });
  }
  if (seen.size === 0) return;
  await client.query(
    `INSERT INTO schema_drift (source, dataset, field, sample, request, ingest_run_id)
     SELECT $1, $2, x.field, x.sample, x.request, $3
     FROM jsonb_to_recordset($4::jsonb) AS x(field text, sample jsonb, request text)
     ON CONFLICT (source, dataset, field) DO NOTHING`,
    [
      source,
      dataset,
      runId,
      jsonForPg([...seen].map(([field, v]) => ({ field, sample: v.sample ?? null, request: v.request }))),
    ],
  );
}
