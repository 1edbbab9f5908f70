/**
 * The operator CLI end to end: `node bin/crypto-ingest.mjs …` as a child process against the real
 * stack. Backfill with --wait (this file's workers run it), named errors without stack traces,
 * schedules apply (create, idempotent, update, delete) / pause / resume in a namespace of this
 * file's own (the schedule IDs are fixed, so nothing here can collide with another file), source
 * pauses and gaps in this file's own database.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, ScheduleNotFoundError } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { z } from 'zod';
import type { SourceDefinition } from '../../activities/sources/types';
import { PgPauseStore } from '../../activities/db/pause-store';
import { budgetKeys, pauseBudgetKeys } from '../../cli/source';
import { ensureSearchAttributesViaClient, loadSearchAttributeRegistrations } from '../../stack/temporal-dev';
import { SCHEDULE_IDS } from '../../workflows/contracts/ids';
import type { UniverseConfig } from '../../workflows/contracts/universe';
import {
  openTestEnv,
  runCli,
  startWorkers,
  waitFor,
  type CliRun,
  type RunningWorkers,
  type TestEnv,
} from '../helpers/env';

let env: TestEnv;
let workers: RunningWorkers | undefined;

beforeAll(async () => {
  env = await openTestEnv('cli', { ownDatabase: true });
  workers = await startWorkers(env, { DATA_API_KEY: `cli-${randomUUID()}` });
});

afterAll(async () => {
  await workers?.stop();
  await env?.close();
});

/** The operator CLI with this file's database (`runCli`). */
const cli = (args: string[], extraEnv: Record<string, string> = {}): Promise<CliRun> => runCli(env, args, extraEnv);

const STACK_FRAME = /^\s+at /m;

describe('backfill', () => {
  // bitstamp XLM-EUR (listed 2014 in the simulator's catalogue): a series no other file uses.
  const ID = 'backfill/data-api/spot-ohlcv/bitstamp/XLM-EUR/1d/2024-01-01T00:00:00Z/2024-03-01T00:00:00Z';

  it('--wait: starts the business-key workflow, prints how to query it, waits, summarizes', async () => {
    const r = await cli([
      'backfill',
      '--source',
      'data-api',
      '--dataset',
      'spot-ohlcv',
      '--market',
      'bitstamp',
      '--instrument',
      'XLM-EUR',
      '--interval',
      '1d',
      '--from',
      '2024-01-01',
      '--to',
      '2024-03-01',
      '--task-queue',
      env.taskQueue,
      '--wait',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines.slice(0, 4)).toEqual([
      `started ${ID}`,
      `  task queue: ${env.taskQueue}`,
      `  progress:   temporal workflow query --address ${inject('temporalAddress')} -w '${ID}' --type progress`,
      `  watch:      crypto-ingest status '${ID}'`,
    ]);
    expect(lines.slice(-3)).toEqual([
      `completed ${ID}`,
      '  rows 60 received: 60 new, 0 updated, 0 unchanged, 0 quarantined',
      '  1 page in 1 chunk, 1 run; range 2024-01-01T00:00:00Z → 2024-03-01T00:00:00Z',
    ]);
    const stored = await env.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM spot_ohlcv WHERE market = 'bitstamp' AND instrument = 'XLM-EUR' AND interval = '1d'
         AND ts >= '2024-01-01' AND ts < '2024-03-01'`,
    );
    expect(stored.rows[0]!.n).toBe(60);

    // status <id>: the same summary for a workflow that already closed.
    const s = await cli(['status', ID]);
    expect(s.code).toBe(0);
    expect(s.stdout).toContain(`completed ${ID}\n  rows 60 received`);
  });

  it('--wait on a failing backfill: the failure type, message and the reset command, exit 3', async () => {
    const id = 'backfill/data-api/spot-ohlcv/bitstamp/NOPE-CLI/1d/2024-01-01T00:00:00Z/2024-02-01T00:00:00Z';
    const r = await cli([
      'backfill',
      '--source=data-api',
      '--dataset=spot-ohlcv',
      '--market=bitstamp',
      '--instrument=NOPE-CLI',
      '--interval=1d',
      '--from=2024-01-01',
      '--to=2024-02-01',
      `--task-queue=${env.taskQueue}`,
      '--wait',
    ]);
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(new RegExp(`\\nFAILED ${id.replace(/[/.]/g, '\\$&')}: SourceRequestError: .*NOPE-CLI`));
    expect(r.stdout).toContain(
      `    temporal workflow reset --address ${inject('temporalAddress')} -w '${id}' --type FirstWorkflowTask --reason 'fixed: <what you fixed>'\n`,
    );
    expect(r.stderr).toBe(`crypto-ingest: ${id} did not complete (failed)\n`);
  });

  it('a bad invocation: exit 1, every problem named, no stack trace', async () => {
    const r = await cli([
      'backfill',
      '--source',
      'coingecko',
      '--dataset',
      'spot-ohlcv',
      '--market',
      'kraken',
      '--interval',
      '5m',
      '--from',
      '2024-13-01',
    ]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      [
        'crypto-ingest: invalid arguments:',
        '  - --instrument is required',
        "  - --source: unknown source 'coingecko' (sources: data-api, min-api)",
        "  - --interval: unknown interval '5m' (intervals: 1m, 1h, 1d)",
        "  - --from '2024-13-01' is not a date (YYYY-MM-DD or an ISO-8601 instant with a zone, e.g. 2024-01-01T00:00:00Z)",
        '',
      ].join('\n'),
    );
    expect(r.stderr).not.toMatch(STACK_FRAME);

    const unknownSource = await cli(['source', 'pause', 'coingecko', '--for', '1h']);
    expect(unknownSource.code).toBe(1);
    expect(unknownSource.stderr).toBe("crypto-ingest: unknown source 'coingecko' (sources: data-api, min-api)\n");
  });

  it('an unreachable Temporal: one line naming the address and npm start, exit 2; an unknown namespace: exit 1', async () => {
    const r = await cli(['status'], { TEMPORAL_ADDRESS: '127.0.0.1:1' });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'crypto-ingest: cannot reach Temporal at 127.0.0.1:1 (TEMPORAL_ADDRESS): ECONNREFUSED; start the local stack with `npm start`, or set TEMPORAL_ADDRESS\n',
    );
    const ns = await cli(['status', '--namespace', 'no-such-namespace']);
    expect(ns.code).toBe(1);
    expect(ns.stderr).toBe(
      `crypto-ingest: Temporal at ${inject('temporalAddress')} has no namespace 'no-such-namespace' (TEMPORAL_NAMESPACE or --namespace)\n`,
    );
  });
});

describe('schedules', () => {
  // A namespace of this file's own: schedule IDs are fixed (crypto-ingest/…), and apply deletes
  // every crypto-ingest/ schedule the config does not ask for.
  const NS = `cli-${randomUUID().slice(0, 8)}`;
  // Nobody polls this queue: a scheduled run that fires during the test just waits, harmlessly.
  const QUEUE = `test-cli-schedules-${randomUUID().slice(0, 8)}`;
  let client: Client;
  let dir: string;

  beforeAll(async () => {
    await env.client.connection.workflowService.registerNamespace({
      namespace: NS,
      workflowExecutionRetentionPeriod: msToTs('1 day'),
    });
    const attrs = await loadSearchAttributeRegistrations();
    await waitFor(
      () =>
        ensureSearchAttributesViaClient(inject('temporalAddress'), NS, attrs).then(
          () => true,
          () => false,
        ),
      60_000,
      `namespace ${NS} with the search attributes`,
    );
    client = new Client({ connection: env.client.connection, namespace: NS });
    dir = mkdtempSync(path.join(tmpdir(), 'cli-schedules-'));
  });

  afterAll(async () => {
    if (!client) return;
    const ids = new Set(IDS);
    for await (const s of client.schedule.list()) ids.add(s.scheduleId);
    for (const id of ids) {
      await client.schedule
        .getHandle(id)
        .delete()
        .catch(() => undefined);
    }
    for await (const w of client.workflow.list({ query: `TaskQueue = '${QUEUE}' AND ExecutionStatus = 'Running'` })) {
      await client.workflow
        .getHandle(w.workflowId)
        .terminate('cli test cleanup')
        .catch(() => undefined);
    }
    await env.client.connection.operatorService.deleteNamespace({ namespace: NS }).catch(() => undefined);
  });

  const config = (edit: (c: UniverseConfig) => void = () => {}): string => {
    const c: UniverseConfig = {
      version: 1,
      references: [],
      track: [
        {
          name: 'majors',
          source: 'data-api',
          dataset: 'spot-ohlcv',
          intervals: ['1h', '1d'],
          instruments: [{ market: 'kraken', instrument: 'BTC-USD' }],
        },
        {
          name: 'cccagg',
          source: 'min-api',
          dataset: 'histo-ohlcv',
          intervals: ['1d'],
          instruments: [{ market: 'CCCAGG', instrument: 'BTC-USD' }],
        },
      ],
    };
    edit(c);
    const file = path.join(dir, `${randomUUID()}.json`);
    writeFileSync(file, JSON.stringify(c));
    return file;
  };

  const apply = async (file: string, ...extra: string[]) => {
    const r = await cli(['--namespace', NS, 'schedules', 'apply', '--config', file, '--task-queue', QUEUE, ...extra]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    // The plan's verdict lines, then the table (header … summary); a dry run adds the full plan after it.
    const lines = r.stdout.trimEnd().split('\n');
    const head = lines.findIndex((l) => l.startsWith('SCHEDULE'));
    const end = lines.findIndex((l, i) => i > head && /^(dry run, nothing changed: )?\d+ (to create|created),/.test(l));
    const actions = new Map<string, string>();
    for (const line of lines.slice(head + 1, end)) {
      const [id, action] = line.split(/\s{2,}/);
      actions.set(id!, action!);
    }
    return { actions, summary: lines[end]!, lines };
  };

  const IDS = [
    SCHEDULE_IDS.universe,
    SCHEDULE_IDS.sync('data-api', 'spot-ohlcv', '1d'),
    SCHEDULE_IDS.sync('data-api', 'spot-ohlcv', '1h'),
    SCHEDULE_IDS.sync('min-api', 'histo-ohlcv', '1d'),
    SCHEDULE_IDS.repair,
  ];

  const listed = async () => {
    const ids: string[] = [];
    for await (const s of client.schedule.list()) ids.push(s.scheduleId);
    return ids.sort();
  };

  it('apply creates, is idempotent, updates an edited timing, deletes a removed rule', async () => {
    const dry = await apply(config(), '--dry-run');
    expect([...dry.actions.values()]).toEqual(IDS.map(() => 'would create'));
    expect(await listed()).toEqual([]);

    const first = await apply(config());
    expect(first.actions).toEqual(new Map(IDS.map((id) => [id, 'created'])));
    expect(first.summary).toBe('5 created, 0 updated, 0 unchanged, 0 deleted');
    const sync1h = await client.schedule.getHandle(SCHEDULE_IDS.sync('data-api', 'spot-ohlcv', '1h')).describe();
    expect(sync1h.action).toMatchObject({
      workflowType: 'syncDataset',
      workflowId: SCHEDULE_IDS.sync('data-api', 'spot-ohlcv', '1h'),
      taskQueue: QUEUE,
      args: [{ source: 'data-api', dataset: 'spot-ohlcv', interval: '1h' }],
    });
    expect(sync1h.spec.intervals).toEqual([{ every: 3_600_000, offset: 60_000 }]);
    expect(sync1h.policies).toMatchObject({ overlap: 'SKIP', catchupWindow: 7_200_000 });
    expect(sync1h.memo).toMatchObject({ managedBy: 'crypto-ingest' });
    const universe = await client.schedule.getHandle(SCHEDULE_IDS.universe).describe();
    expect(universe.action).toMatchObject({ workflowType: 'refreshUniverse' });
    expect((await client.schedule.getHandle(SCHEDULE_IDS.repair).describe()).action).toMatchObject({
      workflowType: 'repairCoverage',
      args: [{}],
    });

    const second = await apply(config());
    expect(second.actions).toEqual(new Map(IDS.map((id) => [id, 'unchanged'])));
    expect(second.summary).toBe('0 created, 0 updated, 5 unchanged, 0 deleted');

    const edited = config((c) => (c.schedules = { sync: { '1h': { every: '2h', offset: '5m' } } }));
    const third = await apply(edited);
    expect(third.actions).toEqual(
      new Map(
        IDS.map((id) => [id, id === SCHEDULE_IDS.sync('data-api', 'spot-ohlcv', '1h') ? 'updated' : 'unchanged']),
      ),
    );
    expect(
      (await client.schedule.getHandle(SCHEDULE_IDS.sync('data-api', 'spot-ohlcv', '1h')).describe()).spec.intervals,
    ).toEqual([{ every: 7_200_000, offset: 300_000 }]);
    // Updated stays updated: the next apply of the same file changes nothing.
    expect((await apply(edited)).summary).toBe('0 created, 0 updated, 5 unchanged, 0 deleted');

    // The list the deletion works from is eventually consistent: wait until it shows every schedule.
    await waitFor(async () => (await listed()).length === IDS.length, 30_000, 'the schedules in the list');
    const removed = await apply(
      config((c) => {
        c.schedules = { sync: { '1h': { every: '2h', offset: '5m' } } };
        c.track = c.track.filter((t) => t.name !== 'cccagg');
      }),
    );
    expect(removed.actions.get(SCHEDULE_IDS.sync('min-api', 'histo-ohlcv', '1d'))).toBe('deleted');
    expect(removed.actions.get(SCHEDULE_IDS.universe)).toBe('updated'); // its config lost a rule
    expect(removed.summary).toBe('0 created, 1 updated, 3 unchanged, 1 deleted');
    await expect(
      client.schedule.getHandle(SCHEDULE_IDS.sync('min-api', 'histo-ohlcv', '1d')).describe(),
    ).rejects.toBeInstanceOf(ScheduleNotFoundError);
  });

  it('pause --all / resume --all, list, trigger', async () => {
    const remaining = IDS.filter((id) => id !== SCHEDULE_IDS.sync('min-api', 'histo-ohlcv', '1d'));
    await waitFor(
      async () => JSON.stringify(await listed()) === JSON.stringify([...remaining].sort()),
      30_000,
      'the list without the deleted schedule',
    );
    const paused = await cli(['--namespace', NS, 'schedules', 'pause', '--all', '--note', 'cli test']);
    expect(paused.code).toBe(0);
    expect(paused.stdout.trimEnd().split('\n').sort()).toEqual(remaining.map((id) => `paused ${id}`).sort());
    for (const id of remaining) {
      const d = await client.schedule.getHandle(id).describe();
      expect(d.state.paused).toBe(true);
      expect(d.state.note).toBe('cli test');
    }

    // An update keeps the pause.
    const reapplied = await cli(['--namespace', NS, 'schedules', 'apply', '--config', config(), '--task-queue', QUEUE]);
    expect(reapplied.code).toBe(0);
    expect(
      (await client.schedule.getHandle(SCHEDULE_IDS.sync('data-api', 'spot-ohlcv', '1h')).describe()).state.paused,
    ).toBe(true);

    const list = await cli(['--namespace', NS, 'schedules', 'list']);
    expect(list.code).toBe(0);
    const header = list.stdout.split('\n')[0]!;
    expect(header.split(/\s{2,}/)).toEqual(['SCHEDULE', 'WORKFLOW', 'EVERY', 'STATE', 'NEXT RUN', 'LAST RUN', 'NOTE']);
    expect(list.stdout).toMatch(/crypto-ingest\/repair\s+repairCoverage\s+1d \+30m\s+paused\s+-\s+-\s+cli test/);

    const resumed = await cli(['--namespace', NS, 'schedules', 'resume', '--all']);
    expect(resumed.code).toBe(0);
    for (const id of remaining) expect((await client.schedule.getHandle(id).describe()).state.paused).toBe(false);

    const triggered = await cli(['--namespace', NS, 'schedules', 'trigger', 'repair']);
    expect(triggered.code).toBe(0);
    expect(triggered.stdout).toContain(`triggered ${SCHEDULE_IDS.repair}`);
    await waitFor(
      async () => (await client.schedule.getHandle(SCHEDULE_IDS.repair).describe()).info.recentActions.length > 0,
      30_000,
      'the triggered run',
    );

    const unknown = await cli(['--namespace', NS, 'schedules', 'pause', 'nope']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^crypto-ingest: no schedule 'crypto-ingest\/nope' \(schedules: crypto-ingest\//);
  });

  it('apply plans first: the dry run shows the plan; a config that cannot fit its month is refused unless --accept-lag', async () => {
    const sync1h = SCHEDULE_IDS.sync('data-api', 'spot-ohlcv', '1h');
    const before = await client.schedule.getHandle(sync1h).describe();
    const edited = config((c) => (c.schedules = { sync: { '1h': { every: '30m' } } }));
    const base = ['--namespace', NS, 'schedules', 'apply', '--config', edited, '--task-queue', QUEUE];
    // One series synced hourly and daily: 720 + 30 calls a month at least; a month limit of 100 cannot carry it.
    const limits = ['--limits', 'data-api=month=100'];

    const dry = await cli([...base, '--dry-run', ...limits]);
    expect(dry.code).toBe(1);
    expect(dry.stdout).toContain(`${sync1h}  would update`);
    expect(dry.stdout).toMatch(/^\s+sync spot-ohlcv 1h: 1 series × 1 call every 30m$/m);
    expect(dry.stdout).toMatch(/binding window: month \(\d+(\.\d)?%\): the steady state does NOT fit/);
    expect(dry.stderr).toMatch(
      /^crypto-ingest: apply would refuse: the steady state of this config \(its syncs and reference refreshes\) can never keep up:\n/,
    );
    expect(dry.stderr).toMatch(
      /data-api: the steady state needs [\d,]+ calls a month, the limit is 100 \(\d+(\.\d)?%; --limits\)/,
    );

    const refused = await cli([...base, ...limits]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      /^crypto-ingest: refused, nothing changed: the steady state of this config \(its syncs and reference refreshes\) can never keep up:/,
    );
    expect(refused.stderr).toContain('--accept-lag applies it anyway');
    expect(refused.stdout).toMatch(/^plan: data-api: binding window month \(\d+(\.\d)?% of its limit\): does NOT fit/m);
    expect((await client.schedule.getHandle(sync1h).describe()).spec).toEqual(before.spec);

    const accepted = await cli([...base, ...limits, '--accept-lag']);
    expect(accepted.stderr).toBe('');
    expect(accepted.code).toBe(0);
    expect(accepted.stdout).toMatch(/^accepted lag \(--accept-lag\): data-api: the steady state needs/m);
    expect(accepted.stdout).toMatch(new RegExp(`${sync1h}\\s+updated`));
    expect((await client.schedule.getHandle(sync1h).describe()).spec.intervals).toEqual([
      { every: 1_800_000, offset: 60_000 },
    ]);
    // The default limits (the free tier: 11,000 a month) carry it: applied without a word of lag.
    const fits = await apply(edited);
    expect(fits.lines.filter((l) => l.startsWith('plan: data-api'))).toEqual([
      expect.stringMatching(/^plan: data-api: binding window \w+ \(\d+(\.\d+)?% of its limit\): fits;/),
    ]);
  });
});

describe('source pauses', () => {
  it('budget keys: the id, every <id>#… key PostgreSQL knows, and this environment’s own key', async () => {
    const pauses = new PgPauseStore(env.pool);
    const id = `test-cli-${randomUUID().slice(0, 8)}`;
    const fake = {
      id,
      configSchema: z.object({ FAKE_KEY: z.string() }),
      budget: (c: { FAKE_KEY: string }) => ({ key: `${id}#${c.FAKE_KEY}`, limits: 'off' }),
    } as unknown as SourceDefinition<unknown>;
    await env.pool.query(
      `INSERT INTO source_pauses (source, paused_until, reason, set_by) VALUES ($1, now() - interval '1 hour', 'old', 'worker')`,
      [`${id}#aaaa`],
    );
    await env.pool.query(`INSERT INTO rate_budget_windows (source, window_seconds) VALUES ($1, 60)`, [`${id}#bbbb`]);
    await env.pool.query(`INSERT INTO rate_budget_windows (source, window_seconds) VALUES ($1, 60)`, [`${id}x#cccc`]);
    expect(await budgetKeys(pauses, fake)).toEqual([id, `${id}#aaaa`, `${id}#bbbb`]);
    const keys = await budgetKeys(pauses, fake, { FAKE_KEY: 'env' });
    expect(keys).toEqual([id, `${id}#aaaa`, `${id}#bbbb`, `${id}#env`]);

    const rows = await pauseBudgetKeys(pauses, keys, 3_600, 'cli test');
    expect(rows.map((r) => [r.source, r.setBy, r.reason])).toEqual(keys.map((k) => [k, 'operator', 'cli test']));
    for (const r of rows) expect(r.remainingMs).toBeGreaterThan(3_590_000);
    // GREATEST: a shorter pause keeps the longer one (and its reason).
    const again = await pauseBudgetKeys(pauses, [id], 60, 'shorter');
    expect(again[0]!.reason).toBe('cli test');
    expect(again[0]!.pausedUntil).toEqual(rows[0]!.pausedUntil);
    const longer = await pauseBudgetKeys(pauses, [id], 7_200, 'longer');
    expect(longer[0]!.reason).toBe('longer');

    expect((await pauses.list({ keys })).length).toBe(4);
    expect(await pauses.lift(keys)).toEqual(keys);
    expect(await pauses.list({ keys, all: true })).toEqual([]);
    expect(await pauses.lift(keys)).toEqual([]);
  });

  it('source pause / status / resume through the CLI (this file’s own database)', async () => {
    const paused = await cli(['source', 'pause', 'data-api', '--for', '1h', '--reason', 'cli test']);
    expect(paused.stderr).toBe('');
    expect(paused.code).toBe(0);
    expect(paused.stdout).toMatch(/^paused data-api for 1h \(\d+ budget keys?; a longer existing pause is kept\):/);

    const status = await cli(['source', 'status']);
    expect(status.code).toBe(0);
    const lines = status.stdout.trimEnd().split('\n');
    expect(lines[0]!.split(/\s{2,}/)).toEqual(['SOURCE', 'PAUSED UNTIL', 'REMAINING', 'SET BY', 'REASON']);
    expect(lines).toContainEqual(
      expect.stringMatching(/^data-api\s+\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\s+(59m \d+s|1h)\s+operator\s+cli test$/),
    );

    const resumed = await cli(['source', 'resume', 'data-api']);
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toMatch(/^resumed data-api: lifted data-api/);
    expect((await cli(['source', 'status'])).stdout).toBe('no source is paused\n');
    expect((await cli(['source', 'resume', 'data-api'])).stdout).toBe('data-api was not paused\n');
  });
});

describe('gaps', () => {
  // A tracked series of a market no simulator has: its coverage is exactly what this test writes.
  const market = `test-cli-${randomUUID().slice(0, 8)}`;
  const day = (daysAgo: number) => new Date(Date.now() - daysAgo * 86_400_000).toISOString().slice(0, 10);

  beforeAll(async () => {
    await env.pool.query(
      `INSERT INTO tracked_series (source, dataset, market, instrument, interval, origin, backfill_from)
       VALUES ('data-api', 'spot-ohlcv', $1, 'GAP-USD', '1d', 'test', ($2 || 'T00:00:00Z')::timestamptz)`,
      [market, day(10)],
    );
    // Days 10…1 ago: present, except 8 and 2 ago (no row at all) and 5 ago (certified empty: no gap).
    for (let d = 10; d >= 1; d--) {
      if (d === 8 || d === 2) continue;
      await env.pool.query(
        `INSERT INTO coverage_daily (source, dataset, market, instrument, interval, day, present, filler, provisional, certified_empty)
         VALUES ('data-api', 'spot-ohlcv', $1, 'GAP-USD', '1d', $2::date, $3, 0, 0, $4)`,
        [market, day(d), d === 5 ? 0 : 1, d === 5 ? 1 : 0],
      );
    }
  });

  it('prints exactly the missing days, as a table and as JSON', async () => {
    const r = await cli(['gaps', '--market', market]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const series = `data-api/spot-ohlcv/${market}/GAP-USD/1d`;
    expect(r.stdout.trimEnd().split('\n')).toEqual([
      `${'SERIES'.padEnd(series.length)}  DAY         EXPECTED  PRESENT  CERTIFIED EMPTY  MISSING`,
      `${series}  ${day(8)}         1        0                0        1`,
      `${series}  ${day(2)}         1        0                0        1`,
      'total: 2 missing periods on 2 days in 1 series',
    ]);

    const json = await cli(['gaps', '--market', market, '--json']);
    expect(json.code).toBe(0);
    const gap = (d: string) => ({
      source: 'data-api',
      dataset: 'spot-ohlcv',
      market,
      instrument: 'GAP-USD',
      interval: '1d',
      day: d,
      expected: 1,
      present: 0,
      certifiedEmpty: 0,
      missing: 1,
    });
    expect(JSON.parse(json.stdout)).toEqual({
      gaps: [gap(day(8)), gap(day(2))],
      totals: { series: 1, days: 2, missing: 2 },
    });

    expect((await cli(['gaps', '--market', market, '--since', day(7)])).stdout).toContain(
      'total: 1 missing period on 1 day in 1 series',
    );
    expect((await cli(['gaps', '--market', `${market}-none`])).stdout).toBe('no gaps\n');
  });
});

describe('universe plan', () => {
  // Markets no simulator or test has: nothing of them is tracked or referenced in this database.
  const m1 = `plan-a-${randomUUID().slice(0, 8)}`;
  const m2 = `plan-b-${randomUUID().slice(0, 8)}`;
  const FREE = 'second=20,minute=300,hour=3000,day=7500,month=11000';

  const writeConfig = (): string => {
    const config: UniverseConfig = {
      version: 1,
      references: [{ source: 'data-api', dataset: 'assets-top-list', params: { maxPages: 2 } }],
      track: [
        {
          name: 'plan',
          source: 'data-api',
          dataset: 'spot-ohlcv',
          intervals: ['1m', '1h'],
          instruments: [
            { market: m1, instrument: 'BTC-USD' },
            { market: m2, instrument: 'ETH-USD' },
          ],
          horizon: 'P2D',
        },
      ],
    };
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'plan-')), 'universe.json');
    writeFileSync(file, JSON.stringify(config));
    return file;
  };

  it('counts the steady state per window against the limits, names the binding window, and dates the backfills', async () => {
    const file = writeConfig();
    const r = await cli(['universe', 'plan', '--config', file, '--json'], { DATA_API_RATE_LIMITS: FREE });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const plan = JSON.parse(r.stdout) as {
      asOf: string;
      series: number;
      sources: Array<{
        source: string;
        windows: Array<{ window: string; need: number; limit: number }>;
        binding: { window: string };
        fits: boolean;
        backfills: { pending: number; calls: number; series: Array<{ series: string; from: string; calls: number }> };
      }>;
    };
    expect(plan.series).toBe(4);
    const d = plan.sources.find((s) => s.source === 'data-api')!;
    const need = Object.fromEntries(d.windows.map((w) => [w.window, w.need]));
    // two 1m series, one call each a minute; two 1h series, one call each an hour; 2 top-list pages an hour
    expect(need.minute).toBeCloseTo(2 + 2 / 60 + 2 / 60, 9);
    expect(need.month).toBeCloseTo(2 * 43_200 + 2 * 720 + 2 * 720, 6);
    expect(d.windows.find((w) => w.window === 'month')!.limit).toBe(11_000);
    expect(d.binding.window).toBe('month');
    expect(d.fits).toBe(false);
    // nothing tracked yet: four backfills from the start of the day two days ago, 2,000 periods a call
    expect(d.backfills.pending).toBe(4);
    const now = Date.parse(plan.asOf) / 1000; // the plan's own "now"
    for (const b of d.backfills.series) {
      const from = Date.parse(b.from) / 1000;
      expect(from).toBe(Math.floor(now / 86_400 - 2) * 86_400);
      const step = b.series.endsWith('/1m') ? 60 : 3_600;
      expect(b.calls).toBe(Math.ceil(Math.ceil((Math.floor(now) - from) / step) / 2_000));
    }
    expect(d.backfills.calls).toBe(d.backfills.series.reduce((n, b) => n + b.calls, 0));

    // A paid key's limits, given on the command line: the hour binds and it fits.
    const paid = await cli([
      'universe',
      'plan',
      '--config',
      file,
      '--limits',
      'data-api=second=50,minute=2000,hour=100000',
    ]);
    expect(paid.code).toBe(0);
    expect(paid.stdout).toContain('binding window: hour');
    expect(paid.stdout).toContain('the steady state fits');
    expect(paid.stdout).toMatch(/backfills: 4 pending, \d+ calls; [\d.]+ calls\/s left \(hour\): all complete by /);
    const free = await cli(['universe', 'plan', '--config', file], { DATA_API_RATE_LIMITS: FREE });
    expect(free.stdout).toContain('binding window: month');
    expect(free.stdout).toContain('the steady state does NOT fit');
  });

  it('bad limits: exit 1, the problem named, no stack trace', async () => {
    const r = await cli([
      'universe',
      'plan',
      '--config',
      writeConfig(),
      '--limits',
      'nope=minute=1',
      '--limits',
      'data-api=minute=x',
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("--limits 'nope=minute=1': expected <source>=<windows>");
    expect(r.stderr).toContain("--limits 'data-api=minute=x'");
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
