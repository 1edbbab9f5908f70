/**
 * The fleet-wide budget on real PostgreSQL: several gates (as several workers, each with its own
 * connection pool) never exceed a window together; pauses stop every gate; long waits surface as
 * SourcePausedError instead of blocking.
 */
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createPool } from '../../activities/db/pool';
import { PgRateGate, SourcePausedError } from '../../activities/rate-gate';

const pools: pg.Pool[] = [];
beforeAll(() => {
  for (let i = 0; i < 3; i++) pools.push(createPool(inject('databaseUrl'), { max: 4 }));
});
afterAll(async () => {
  await Promise.all(pools.map((p) => p.end()));
});

const never = new AbortController().signal;

describe('PgRateGate', () => {
  it('three workers together never exceed 5 calls per second, and use the whole budget', async () => {
    const key = `gate-test-${randomUUID().slice(0, 8)}`;
    const gates = pools.map((p) => new PgRateGate(p, key, { second: 5 }, { maxInlineWaitMs: 10_000 }));
    const grants: number[] = [];
    const until = Date.now() + 3_500;
    // Four concurrent callers per worker, as with maxConcurrentActivities = 4.
    await Promise.all(
      gates.flatMap((g) =>
        Array.from({ length: 4 }, async () => {
          while (Date.now() < until) {
            await g.acquire(never);
            grants.push(Date.now());
          }
        }),
      ),
    );
    const perSecond = new Map<number, number>();
    for (const t of grants) perSecond.set(Math.floor(t / 1000), (perSecond.get(Math.floor(t / 1000)) ?? 0) + 1);
    const counts = [...perSecond.values()];
    expect(Math.max(...counts)).toBeLessThanOrEqual(5);
    // Every full second inside the run got its 5 calls (no starvation, no lost budget).
    const seconds = [...perSecond.keys()].sort();
    const full = seconds.slice(1, -1).map((s) => perSecond.get(s));
    expect(full.length).toBeGreaterThanOrEqual(2);
    expect(full.every((n) => n === 5)).toBe(true);
  });

  it('grants nothing in the last 200 ms of a window (the boundary guard, here set to 200 ms)', async () => {
    const key = `guard-test-${randomUUID().slice(0, 8)}`;
    const gate = new PgRateGate(pools[0]!, key, { second: 1_000 }, { maxInlineWaitMs: 5_000, boundaryGuardMs: 200 });
    const fractions: number[] = [];
    const until = Date.now() + 2_000;
    while (Date.now() < until) {
      await gate.acquire(never);
      const now = (
        await pools[0]!.query<{ f: number }>('SELECT mod(extract(epoch FROM clock_timestamp()), 1)::float8 AS f')
      ).rows[0]!.f;
      fractions.push(now);
    }
    expect(fractions.length).toBeGreaterThan(50);
    // Measured just after the grant (a query later), so allow that query's few milliseconds.
    expect(Math.max(...fractions)).toBeLessThan(0.85);
  });

  it('a grant that waited for the lock across a window boundary is counted in the new window; no count is lost', async () => {
    // A caller reads the clock, then waits for the window rows' lock while another transaction
    // holds it across a second boundary and takes a call in the new second. The waiting caller must
    // count itself in the new second as well (used = 2), never move the window back and restart
    // the count (which let a fleet exceed the API's window under load).
    const key = `lock-test-${randomUUID().slice(0, 8)}`;
    const dbFraction = async () =>
      (await pools[0]!.query<{ f: number }>('SELECT mod(extract(epoch FROM clock_timestamp()), 1)::float8 AS f'))
        .rows[0]!.f;
    await pools[0]!.query(`INSERT INTO rate_budget_windows (source, window_seconds) VALUES ($1, 1)`, [key]);
    // Start early in a second, so the waiting caller's first clock reading is well before the guard band.
    for (let f = await dbFraction(); f > 0.3; f = await dbFraction()) await new Promise((r) => setTimeout(r, 20));
    const holder = await pools[0]!.connect();
    try {
      await holder.query('BEGIN');
      await holder.query(`SELECT 1 FROM rate_budget_windows WHERE source = $1 FOR UPDATE`, [key]);
      const waiting = pools[1]!.query<{ granted: boolean }>(
        'SELECT granted FROM rate_budget_acquire($1, ARRAY[1], ARRAY[10])',
        [key],
      );
      // Hold the lock into the next second, then take a call there.
      const f = await dbFraction();
      await new Promise((r) => setTimeout(r, (1 - f) * 1000 + 150));
      const held = await holder.query<{ granted: boolean }>(
        'SELECT granted FROM rate_budget_acquire($1, ARRAY[1], ARRAY[10])',
        [key],
      );
      expect(held.rows[0]!.granted).toBe(true);
      await holder.query('COMMIT');
      expect((await waiting).rows[0]!.granted).toBe(true);
    } finally {
      holder.release();
    }
    const row = (
      await pools[0]!.query<{ window_start: string; used: number; now_s: number }>(
        `SELECT window_start, used, floor(extract(epoch FROM clock_timestamp()))::float8 AS now_s
         FROM rate_budget_windows WHERE source = $1`,
        [key],
      )
    ).rows[0]!;
    expect(row.used).toBe(2);
    expect(Number(row.window_start)).toBeGreaterThanOrEqual(row.now_s - 1);
  });

  it('a grant that comes back too late to be sent inside its window is not used: the gate asks again', async () => {
    const key = `stale-test-${randomUUID().slice(0, 8)}`;
    // The first answer is held past the end of its one-second window (a stalled worker).
    let calls = 0;
    const slow = {
      query: async (...args: Parameters<pg.Pool['query']>) => {
        const res = await (pools[0]!.query as (...a: unknown[]) => Promise<unknown>)(...args);
        if (++calls === 1) await new Promise((r) => setTimeout(r, 1_150));
        return res;
      },
    } as unknown as pg.Pool;
    const gate = new PgRateGate(slow, key, { second: 1_000 }, { maxInlineWaitMs: 5_000 });
    await gate.acquire(never);
    expect(gate.staleGrants).toBe(1);
    expect(calls).toBe(2);
    const fresh = new PgRateGate(pools[0]!, key, { second: 1_000 }, { maxInlineWaitMs: 5_000 });
    await fresh.acquire(never);
    expect(fresh.staleGrants).toBe(0);
  });

  it("a quota answer's spent window is spent in the fleet budget: no gate grants a call until it ends", async () => {
    const key = `spend-test-${randomUUID().slice(0, 8)}`;
    const a = new PgRateGate(pools[0]!, key, { second: 100, day: 1_000 }, { maxInlineWaitMs: 300 });
    const b = new PgRateGate(pools[1]!, key, { second: 100, day: 1_000 }, { maxInlineWaitMs: 300 });
    await a.acquire(never);
    const dayEnd = Math.floor(Date.now() / 86_400_000) * 86_400 + 86_400;
    // An API whose clock is a day ahead is not this budget's window: nothing is marked.
    await a.spend('day', dayEnd + 86_400 - Date.now() / 1000);
    await b.acquire(never);
    await a.spend('day', dayEnd - Date.now() / 1000);
    const err = await b.acquire(never).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SourcePausedError);
    expect((err as SourcePausedError).reason).toBe('budget: 1000 calls per 86400 s used');
    expect(Math.abs((err as SourcePausedError).untilSeconds - dayEnd)).toBeLessThan(5);
    // A window the budget does not keep is left to the pause (nothing to mark).
    const c = new PgRateGate(pools[2]!, `${key}-x`, { second: 100 }, { maxInlineWaitMs: 300 });
    await c.spend('day', dayEnd - Date.now() / 1000);
    await c.acquire(never);
  });

  it('a pause is capped: a bogus wait is clamped, logged, and stored as the cap', async () => {
    const key = `cap-test-${randomUUID().slice(0, 8)}`;
    const warnings: string[] = [];
    const gate = new PgRateGate(
      pools[0]!,
      key,
      { second: 100 },
      { maxPauseSeconds: 120, warn: (m) => warnings.push(m) },
    );
    expect(await gate.pause(9e12, 'Cooldown: 9e12', 'api')).toBe(120);
    expect(warnings).toEqual([
      `${key}: a pause of 9000000000000 s was clamped to 120 s (INGEST_MAX_PAUSE_SECONDS): Cooldown: 9e12`,
    ]);
    const row = await pools[0]!.query<{ s: number }>(
      `SELECT extract(epoch FROM paused_until - clock_timestamp())::float8 AS s FROM source_pauses WHERE source = $1`,
      [key],
    );
    expect(row.rows[0]!.s).toBeGreaterThan(110);
    expect(row.rows[0]!.s).toBeLessThanOrEqual(120);
    expect(await gate.pause(30, 'short', 'api')).toBe(30);
    expect(warnings).toHaveLength(1);
  });

  it('a pause stops every gate of the budget; a long wait is SourcePausedError, not a blocked worker', async () => {
    const key = `pause-test-${randomUUID().slice(0, 8)}`;
    const a = new PgRateGate(pools[0]!, key, { second: 100 }, { maxInlineWaitMs: 300 });
    const b = new PgRateGate(pools[1]!, key, { second: 100 }, { maxInlineWaitMs: 300 });
    await a.acquire(never);
    await a.pause(5, 'test: banned for 5 s', 'test');
    const started = Date.now();
    const err = await b.acquire(never).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(err).toBeInstanceOf(SourcePausedError);
    expect((err as SourcePausedError).reason).toContain('test: banned for 5 s');
    expect((err as SourcePausedError).untilSeconds).toBeGreaterThan(Date.now() / 1000 + 3);
    // A shorter pause never shortens a longer one.
    await b.pause(1, 'shorter', 'test');
    const row = await pools[0]!.query('SELECT reason FROM source_pauses WHERE source = $1', [key]);
    expect(row.rows[0].reason).toBe('test: banned for 5 s');
  });

  it('waits inline for a short wait (the next second), then grants', async () => {
    const key = `inline-test-${randomUUID().slice(0, 8)}`;
    const gate = new PgRateGate(pools[0]!, key, { second: 1 }, { maxInlineWaitMs: 5_000 });
    await gate.acquire(never);
    const t = Date.now();
    await gate.acquire(never);
    expect(Date.now() - t).toBeGreaterThan(0);
    expect(Date.now() - t).toBeLessThan(2_500);
  });
});
