/**
 * `desiredSchedules`: which schedules a universe config asks for (ids, workflow types, args),
 * their timings (defaults, overrides), and a hash that is stable and changes with any edit.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseUniverseConfig } from '../../activities/universe-config';
import { ConfigError } from '../../activities/errors';
import {
  canonicalDuration,
  canonicalJson,
  desiredSchedules,
  recordedHash,
  toScheduleOptions,
  type DesiredSchedule,
} from '../../client/schedule-plan';
import { formatApply } from '../../cli/schedules';
import { SCHEDULE_IDS } from '../../workflows/contracts/ids';
import type { UniverseConfig } from '../../workflows/contracts/universe';

function config(raw: unknown): UniverseConfig {
  const parsed = parseUniverseConfig(raw);
  if (!parsed.ok) throw new Error(parsed.problems.join('\n'));
  return parsed.config;
}

const base = () => ({
  version: 1,
  track: [
    {
      name: 'majors',
      source: 'data-api',
      dataset: 'spot-ohlcv',
      intervals: ['1h', '1d'],
      instruments: [{ market: 'kraken', instrument: 'BTC-USD' }],
    },
    {
      name: 'majors-minutes',
      source: 'data-api',
      dataset: 'spot-ohlcv',
      intervals: ['1m', '1h'],
      instruments: [{ market: 'binance', instrument: 'BTC-USDT' }],
    },
    {
      name: 'cccagg',
      source: 'min-api',
      dataset: 'histo-ohlcv',
      intervals: ['1d'],
      instruments: [{ market: 'CCCAGG', instrument: 'BTC-USD' }],
    },
  ],
});

const byId = (list: DesiredSchedule[]) => new Map(list.map((d) => [d.id, d]));

describe('desiredSchedules', () => {
  it('one universe refresh, one sync per distinct source × dataset × interval, one repair', () => {
    const list = desiredSchedules(config(base()), 'crypto-ingest');
    expect(list.map((d) => [d.id, d.workflowType])).toEqual([
      ['crypto-ingest/universe', 'refreshUniverse'],
      ['crypto-ingest/sync/data-api/spot-ohlcv/1d', 'syncDataset'],
      ['crypto-ingest/sync/data-api/spot-ohlcv/1h', 'syncDataset'],
      ['crypto-ingest/sync/data-api/spot-ohlcv/1m', 'syncDataset'],
      ['crypto-ingest/sync/min-api/histo-ohlcv/1d', 'syncDataset'],
      ['crypto-ingest/repair', 'repairCoverage'],
    ]);
    expect(list[0]!.id).toBe(SCHEDULE_IDS.universe);
    expect(list.at(-1)!.id).toBe(SCHEDULE_IDS.repair);
    for (const d of list) expect(d.taskQueue).toBe('crypto-ingest');
  });

  it('passes the args the workflows take', () => {
    const c = config({ ...base(), sync: { lookbackPeriods: { '1h': 6 }, batchSize: 50, concurrency: 2 } });
    const m = byId(desiredSchedules(c, 'q'));
    const { schedules: _s, sync: _y, ...withoutTimings } = c;
    expect(m.get('crypto-ingest/universe')!.args).toEqual([{ config: withoutTimings }]);
    expect(m.get('crypto-ingest/sync/data-api/spot-ohlcv/1h')!.args).toEqual([
      {
        source: 'data-api',
        dataset: 'spot-ohlcv',
        interval: '1h',
        lookbackPeriods: 6,
        batchSize: 50,
        concurrency: 2,
        tickEvery: '1h',
      },
    ]);
    // No lookback configured for 1d: the key is absent (the workflow's default applies).
    expect(m.get('crypto-ingest/sync/min-api/histo-ohlcv/1d')!.args).toEqual([
      { source: 'min-api', dataset: 'histo-ohlcv', interval: '1d', batchSize: 50, concurrency: 2, tickEvery: '1d' },
    ]);
    expect(m.get('crypto-ingest/repair')!.args).toEqual([{}]);
  });

  it('adds the daily reconciliation when the config asks for it, with its input and timing', () => {
    expect(byId(desiredSchedules(config(base()), 'q')).has(SCHEDULE_IDS.reconcile)).toBe(false);
    const m = byId(desiredSchedules(config({ ...base(), reconcile: { days: 2, tolerance: { close: 0.002 } } }), 'q'));
    const r = m.get(SCHEDULE_IDS.reconcile)!;
    expect(r).toMatchObject({ workflowType: 'reconcileSources', everyMs: 86_400_000, offsetMs: 45 * 60_000 });
    expect(r.args).toEqual([{ days: 2, tolerance: { close: 0.002 } }]);
    const every = byId(desiredSchedules(config({ ...base(), reconcile: { every: '12h' } }), 'q')).get(
      SCHEDULE_IDS.reconcile,
    )!;
    expect([every.everyMs, every.args]).toEqual([43_200_000, [{}]]);
    // The universe refresh does not carry it: adding it changes no other schedule.
    const before = desiredSchedules(config(base()), 'q').map((d) => d.hash);
    const after = desiredSchedules(config({ ...base(), reconcile: {} }), 'q')
      .filter((d) => d.id !== SCHEDULE_IDS.reconcile)
      .map((d) => d.hash);
    expect(after).toEqual(before);
  });

  it('uses the default timings', () => {
    const m = byId(desiredSchedules(config(base()), 'q'));
    const t = (id: string) => {
      const d = m.get(id)!;
      return [d.everyMs, d.offsetMs, d.catchupWindowMs];
    };
    const s = 1_000;
    const min = 60 * s;
    const h = 60 * min;
    const day = 24 * h;
    expect(t('crypto-ingest/universe')).toEqual([h, 2 * min, 2 * h]);
    expect(t('crypto-ingest/sync/data-api/spot-ohlcv/1m')).toEqual([min, 5 * s, 10 * min]);
    expect(t('crypto-ingest/sync/data-api/spot-ohlcv/1h')).toEqual([h, min, 2 * h]);
    expect(t('crypto-ingest/sync/data-api/spot-ohlcv/1d')).toEqual([day, 10 * min, 2 * day]);
    expect(t('crypto-ingest/repair')).toEqual([day, 30 * min, day]);
  });

  it('applies overrides from config.schedules (an override without offset keeps the default offset when it fits)', () => {
    const c = config({
      ...base(),
      schedules: {
        universe: { every: '6h', offset: '7m' },
        sync: { '1h': { every: '2h' }, '1m': { every: '5m', offset: '20s' } },
        repair: { every: '12h' },
      },
    });
    const m = byId(desiredSchedules(c, 'q'));
    expect(m.get('crypto-ingest/universe')!.timing).toEqual({ every: '6h', offset: '7m', catchupWindow: '2h' });
    expect(m.get('crypto-ingest/sync/data-api/spot-ohlcv/1h')!.timing).toEqual({
      every: '2h',
      offset: '1m',
      catchupWindow: '2h',
    });
    expect(m.get('crypto-ingest/sync/data-api/spot-ohlcv/1m')!.offsetMs).toBe(20_000);
    expect(m.get('crypto-ingest/sync/data-api/spot-ohlcv/1d')!.timing.every).toBe('1d'); // not overridden
    expect(m.get('crypto-ingest/repair')!.everyMs).toBe(12 * 3_600_000);
    // An `every` shorter than the default offset drops the offset instead of failing.
    const short = byId(desiredSchedules(config({ ...base(), schedules: { repair: { every: '10m' } } }), 'q'));
    expect(short.get('crypto-ingest/repair')!.timing).toEqual({ every: '10m', offset: '0s', catchupWindow: '1d' });
  });

  it('rejects an offset that is not shorter than every, naming each schedule', () => {
    const c = config({
      ...base(),
      schedules: { universe: { every: '1h', offset: '1h' }, sync: { '1d': { every: '1h', offset: '2h' } } },
    });
    try {
      desiredSchedules(c, 'q');
      throw new Error('expected a ConfigError');
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).message).toMatch(/^invalid schedule timings:\n {2}- schedules\.universe/);
      expect((err as ConfigError).problems).toEqual([
        'schedules.universe: offset 1h must be shorter than every 1h',
        'schedules.sync.1d: offset 2h must be shorter than every 1h',
        'schedules.sync.1d: offset 2h must be shorter than every 1h',
      ]);
    }
  });

  it('has a stable hash that changes with any edit of spec, action or policies', () => {
    const a = desiredSchedules(config(base()), 'q');
    const b = desiredSchedules(config(JSON.parse(JSON.stringify(base()))), 'q');
    expect(a.map((d) => d.hash)).toEqual(b.map((d) => d.hash));
    expect(new Set(a.map((d) => d.hash)).size).toBe(a.length);
    for (const d of a) expect(d.hash).toMatch(/^[0-9a-f]{16}$/);

    const hashes = (c: unknown, q = 'q') =>
      Object.fromEntries(desiredSchedules(config(c), q).map((d) => [d.id, d.hash]));
    const before = hashes(base());
    const changed = (after: Record<string, string>) => Object.keys(after).filter((id) => after[id] !== before[id]);

    // A timing edit changes that schedule only (the universe refresh does not carry the timings).
    expect(changed(hashes({ ...base(), schedules: { sync: { '1h': { every: '2h' } } } }))).toEqual([
      'crypto-ingest/sync/data-api/spot-ohlcv/1h',
    ]);
    // The same timing written differently is the same schedule.
    expect(changed(hashes({ ...base(), schedules: { sync: { '1h': { every: '60m', offset: '60s' } } } }))).toEqual([]);
    // Sync tuning changes the syncs of that interval.
    expect(changed(hashes({ ...base(), sync: { lookbackPeriods: { '1d': 5 } } }))).toEqual([
      'crypto-ingest/sync/data-api/spot-ohlcv/1d',
      'crypto-ingest/sync/min-api/histo-ohlcv/1d',
    ]);
    // A new instrument changes what the universe refresh resolves, not the syncs.
    const more = base();
    more.track[0]!.instruments.push({ market: 'kraken', instrument: 'ETH-USD' });
    expect(changed(hashes(more))).toEqual(['crypto-ingest/universe']);
    // Another task queue changes every action.
    expect(changed(hashes(base(), 'other')).length).toBe(a.length);
  });

  it("gives each sync its schedule's period in one canonical form", () => {
    const every = (c: unknown) =>
      desiredSchedules(config(c), 'q')
        .filter((d) => d.kind === 'sync')
        .map((d) => (d.args[0] as { tickEvery?: string }).tickEvery);
    expect(every(base())).toEqual(['1d', '1h', '1m', '1d']);
    expect(every({ ...base(), schedules: { sync: { '1h': { every: '90m' }, '1d': { every: '24h' } } } })).toEqual([
      '1d',
      '90m',
      '1m',
      '1d',
    ]);
    expect(canonicalDuration(1_500)).toBe('1500ms');
    expect(canonicalDuration(120_000)).toBe('2m');
  });

  it('orders object keys canonically for the hash', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: undefined } })).toBe(
      '{"a":{"d":[1,{"y":2,"z":1}]},"b":1}',
    );
  });
});

describe('toScheduleOptions', () => {
  it('skip overlap, action workflow id = schedule id, search attributes and memo', () => {
    const list = desiredSchedules(config(base()), 'crypto-ingest');
    const sync = toScheduleOptions(byId(list).get('crypto-ingest/sync/data-api/spot-ohlcv/1h')!);
    expect(sync.spec).toEqual({ intervals: [{ every: 3_600_000, offset: 60_000 }] });
    expect(sync.policies).toEqual({ overlap: 'SKIP', catchupWindow: 7_200_000 });
    expect(sync.action).toMatchObject({
      type: 'startWorkflow',
      workflowType: 'syncDataset',
      workflowId: 'crypto-ingest/sync/data-api/spot-ohlcv/1h',
      taskQueue: 'crypto-ingest',
    });
    const sa = (sync.action.typedSearchAttributes as Array<{ key: { name: string }; value: unknown }>).map((p) => [
      p.key.name,
      p.value,
    ]);
    expect(sa).toEqual([
      ['IngestKind', 'sync'],
      ['IngestSource', 'data-api'],
      ['IngestDataset', 'spot-ohlcv'],
      ['IngestInterval', '1h'],
    ]);
    const hash = byId(list).get('crypto-ingest/sync/data-api/spot-ohlcv/1h')!.hash;
    expect(sync.memo).toEqual({ managedBy: 'crypto-ingest', hash });
    expect(recordedHash({ memo: sync.memo, action: sync.action as never })).toBe(hash);
    // After an update only the action memo is current (Temporal cannot change a schedule's memo).
    expect(recordedHash({ memo: { hash: 'old' }, action: { memo: { scheduleHash: 'new' } } as never })).toBe('new');
    expect(recordedHash({ memo: undefined, action: {} as never })).toBeUndefined();

    const universe = toScheduleOptions(list[0]!);
    expect(
      (universe.action.typedSearchAttributes as Array<{ key: { name: string }; value: unknown }>).map(
        (p) => p.key.name,
      ),
    ).toEqual(['IngestKind']);
  });
});

describe('the example config', () => {
  it('is valid and asks for the universe, five syncs and the repair', () => {
    const raw: unknown = JSON.parse(readFileSync('config/universe.example.json', 'utf8'));
    const list = desiredSchedules(config(raw), 'crypto-ingest');
    expect(list.map((d) => d.id)).toEqual([
      'crypto-ingest/universe',
      'crypto-ingest/sync/data-api/futures-funding-rate/1h',
      'crypto-ingest/sync/data-api/spot-ohlcv/1d',
      'crypto-ingest/sync/data-api/spot-ohlcv/1h',
      'crypto-ingest/sync/data-api/spot-ohlcv/1m',
      'crypto-ingest/sync/min-api/histo-ohlcv/1d',
      'crypto-ingest/repair',
    ]);
  });
});

describe('formatApply', () => {
  it('prints id, action and next run, then counts', () => {
    const next = new Date('2026-01-01T01:01:00Z');
    expect(
      formatApply(
        [
          { id: 'crypto-ingest/universe', action: 'created', next },
          { id: 'crypto-ingest/repair', action: 'unchanged', next: 'paused' },
          { id: 'crypto-ingest/sync/x/y/1m', action: 'deleted' },
        ],
        false,
      ),
    ).toEqual([
      'SCHEDULE                   ACTION     NEXT RUN',
      'crypto-ingest/universe     created    2026-01-01T01:01:00Z',
      'crypto-ingest/repair       unchanged  paused',
      'crypto-ingest/sync/x/y/1m  deleted    -',
      '1 created, 0 updated, 1 unchanged, 1 deleted',
    ]);
    expect(formatApply([{ id: 'crypto-ingest/repair', action: 'updated' }], true)).toEqual([
      'SCHEDULE              ACTION        NEXT RUN',
      'crypto-ingest/repair  would update  -',
      'dry run, nothing changed: 0 to create, 1 to update, 0 unchanged, 0 to delete',
    ]);
  });
});
