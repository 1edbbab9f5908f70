/**
 * The fair order of a sync tick, on real PostgreSQL (`PgUniverseStore`): batches planned up front
 * never read the same series, even when a batch runs again after finishing (its completion was
 * lost) or series are tracked after the plan; cursors mean the same under any session DateStyle.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgUniverseStore, type SyncScope, type SyncTick } from '../../activities/db/universe-store';
import { openTestEnv, type TestEnv } from '../helpers/env';

let env: TestEnv;
const scope: SyncScope = { source: 'data-api', dataset: 'spot-ohlcv', interval: '1h' };

beforeAll(async () => {
  env = await openTestEnv('fair-sync-order', { ownDatabase: true });
});
afterAll(async () => {
  await env?.close();
});

const track = (instruments: string[]) =>
  env.pool.query(
    `INSERT INTO tracked_series (source, dataset, market, instrument, interval, origin, backfill_from, backfilled_at)
     SELECT 'data-api', 'spot-ohlcv', 'kraken', x, '1h', 'test:fair', now() - interval '1 day', now() FROM unnest($1::text[]) x`,
    [instruments],
  );

describe('the fair order of a sync tick', () => {
  it('gives every series to exactly one batch: a batch run twice reads nothing new, later-tracked series stay in range', async () => {
    await track(Array.from({ length: 10 }, (_, i) => `I${i}-USD`));
    const store = new PgUniverseStore(env.pool);
    const tick: SyncTick = { asOf: '2026-01-01T00:00:00Z', runId: 'run-1' };
    const plan = await store.syncBoundaries(scope, tick, 4);
    expect(plan.total).toBe(10);
    expect(plan.starts).toHaveLength(3);
    const batch = (i: number) => ({ start: plan.starts[i]!, end: plan.starts[i + 1] });
    const read = async (i: number) =>
      (await store.syncPage(scope, tick, batch(i).start, 4, batch(i).end)).map((s) => s.instrument);

    const first = await read(0);
    expect(first).toEqual(['I0-USD', 'I1-USD', 'I2-USD', 'I3-USD']);
    await store.markSyncTick(
      scope,
      tick,
      first.map((instrument) => ({ market: 'kraken', instrument })),
    );
    // The same batch again (its completion was lost, the activity retried): nothing of batch 1's.
    expect(await read(0)).toEqual([]);
    // Series tracked after the plan (never taken: first in the order) do not push batch 1 into batch 2.
    await track(['A0-USD', 'A1-USD']);
    const second = await read(1);
    expect(second).toEqual(['I4-USD', 'I5-USD', 'I6-USD', 'I7-USD']);
    expect(await read(2)).toEqual(['I8-USD', 'I9-USD']);

    // The next tick takes the never-taken first, then the rest (all taken at the same tick) by name.
    await store.markSyncTick(
      scope,
      tick,
      [...second, 'I8-USD', 'I9-USD'].map((instrument) => ({ market: 'kraken', instrument })),
    );
    const next: SyncTick = { asOf: '2026-01-01T01:00:00Z', runId: 'run-2' };
    const order = (await store.syncPage(scope, next, null, 100)).map((s) => s.instrument);
    expect(order).toEqual(['A0-USD', 'A1-USD', ...Array.from({ length: 10 }, (_, i) => `I${i}-USD`)]);
  });

  it('reads its cursors the same under another DateStyle and time zone', async () => {
    const url = env.workerEnv.DATABASE_URL!;
    const odd = new pg.Pool({
      connectionString: url,
      options: '-c DateStyle=SQL,DMY -c TimeZone=Asia/Kolkata',
      max: 2,
    });
    try {
      const tick: SyncTick = { asOf: '2026-01-01T02:00:00Z', runId: 'run-3' };
      const iso = new PgUniverseStore(env.pool);
      const other = new PgUniverseStore(odd);
      // Series taken on a day the DMY style would misread (4 March as 3 April), then the plan in that style.
      await iso.markSyncTick(
        scope,
        { asOf: '2026-03-04T01:30:00Z', runId: 'run-x' },
        ['I5-USD', 'I6-USD', 'I7-USD', 'I8-USD', 'I9-USD'].map((instrument) => ({ market: 'kraken', instrument })),
      );
      const plan = await other.syncBoundaries(scope, tick, 3);
      const batches: string[][] = [];
      for (let i = 0; i < plan.starts.length; i++)
        batches.push(
          (await iso.syncPage(scope, tick, plan.starts[i]!, 3, plan.starts[i + 1])).map((s) => s.instrument),
        );
      expect(batches.map((b) => b.length)).toEqual([3, 3, 3, 3]); // exactly as planned
      const all = batches.flat();
      expect(all).toHaveLength(plan.total);
      expect(new Set(all).size).toBe(plan.total);
    } finally {
      await odd.end();
    }
  });
});
