/**
 * The command tree, in-process: `--help` everywhere, commander's own errors, argument mistakes
 * reported before anything is dialled, and absent servers reported as one line naming the
 * address and what to start.
 */
import net from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CommanderError } from 'commander';
import { beforeAll, describe, expect, it } from 'vitest';
import { CliContext, type Output } from '../../cli/context';
import { temporalTarget } from '../../cli/connect';
import { describeError, NotFoundError, UnreachableError, UsageError } from '../../cli/errors';
import { buildProgram } from '../../cli/program';

let closedPort: number;

beforeAll(async () => {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closedPort = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function capture(): Output & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, log: (l) => out.push(l), error: (l) => err.push(l), tty: undefined };
}

async function run(args: string[], env: Record<string, string> = {}) {
  const output = capture();
  const ctx = new CliContext(
    {
      TEMPORAL_ADDRESS: `127.0.0.1:${closedPort}`,
      DATABASE_URL: `postgres://nobody@127.0.0.1:${closedPort}/nothing`,
      TEMPORAL_CONFIG_FILE: '/nonexistent/temporal.toml',
      ...env,
    },
    output,
  );
  let error: unknown;
  try {
    await buildProgram(ctx).parseAsync(['node', 'crypto-ingest', ...args]);
  } catch (err) {
    error = err;
  } finally {
    await ctx.close();
  }
  return { error, out: output.out.join('\n'), err: output.err.join('\n') };
}

const COMMANDS = [
  'backfill',
  'status',
  'gaps',
  'schedules apply',
  'schedules list',
  'schedules pause',
  'schedules resume',
  'schedules trigger',
  'source pause',
  'source resume',
  'source status',
  'universe refresh',
  'universe backfill',
  'repair',
];

describe('help', () => {
  it.each(COMMANDS)('%s --help', async (cmd) => {
    const { error, out } = await run([...cmd.split(' '), '--help']);
    expect(error).toBeInstanceOf(CommanderError);
    expect((error as CommanderError).exitCode).toBe(0);
    expect(out).toContain(`Usage: crypto-ingest ${cmd}`);
  });

  it('lists every group at the top', async () => {
    const { out } = await run(['--help']);
    for (const c of ['backfill', 'status', 'gaps', 'schedules', 'source', 'universe', 'repair'])
      expect(out).toContain(c);
  });
});

describe('mistakes', () => {
  it("an unknown option is commander's one-line error, exit 1", async () => {
    const { error, err } = await run(['gaps', '--bogus']);
    expect((error as CommanderError).exitCode).toBe(1);
    expect(err).toContain("error: unknown option '--bogus'");
  });

  it('bad backfill arguments: every problem, before dialling anything', async () => {
    const { error } = await run(['backfill', '--source', 'nope', '--interval', '2h', '--from', 'soon']);
    expect(error).toBeInstanceOf(UsageError);
    const { message, exitCode } = describeError(error);
    expect(exitCode).toBe(1);
    expect(message.split('\n')).toEqual([
      'invalid arguments:',
      '  - --dataset is required',
      '  - --market is required',
      '  - --instrument is required',
      "  - --source: unknown source 'nope' (sources: data-api, min-api)",
      "  - --interval: unknown interval '2h' (intervals: 1m, 1h, 1d)",
      "  - --from 'soon' is not a date (YYYY-MM-DD or an ISO-8601 instant with a zone, e.g. 2024-01-01T00:00:00Z)",
    ]);
  });

  it('schedules apply: a missing file, bad JSON, an invalid config (every problem)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cli-'));
    expect((await run(['schedules', 'apply'])).error).toEqual(
      new UsageError('--config is required (e.g. --config config/universe.json)'),
    );
    const missing = (await run(['schedules', 'apply', '--config', path.join(dir, 'none.json')])).error as UsageError;
    expect(missing.message).toMatch(
      /^--config: no file '.*none\.json' \(start from config\/universe\.example\.json\)$/,
    );
    writeFileSync(path.join(dir, 'bad.json'), '{ "version": 1,');
    expect(
      ((await run(['schedules', 'apply', '--config', path.join(dir, 'bad.json')])).error as Error).message,
    ).toMatch(/is not valid JSON/);
    writeFileSync(
      path.join(dir, 'invalid.json'),
      JSON.stringify({
        version: 1,
        track: [
          {
            name: 'a',
            source: 'nope',
            dataset: 'x',
            intervals: ['1h'],
            instruments: [{ market: 'm', instrument: 'i' }],
          },
          { name: 'b', source: 'data-api', dataset: 'spot-ohlcv', intervals: ['5m'] },
        ],
      }),
    );
    const invalid = (await run(['schedules', 'apply', '--config', path.join(dir, 'invalid.json')])).error as UsageError;
    expect(invalid).toBeInstanceOf(UsageError);
    expect(invalid.message).toMatch(/^invalid config '.*invalid\.json':/);
    expect(invalid.problems.join('\n')).toContain("unknown source 'nope'");
    expect(invalid.problems.join('\n')).toContain('track.1.intervals');
  });

  it('schedules pause/resume need --all or IDs, not both', async () => {
    expect((await run(['schedules', 'pause'])).error).toEqual(new UsageError('give schedule IDs, or --all'));
    expect((await run(['schedules', 'resume', '--all', 'repair'])).error).toEqual(
      new UsageError('give either --all or schedule IDs, not both'),
    );
  });

  it('source: an unknown source is named with the known ones', async () => {
    for (const cmd of [
      ['source', 'pause', 'coingecko', '--for', '1h'],
      ['source', 'resume', 'coingecko'],
    ]) {
      expect((await run(cmd)).error).toEqual(new UsageError("unknown source 'coingecko' (sources: data-api, min-api)"));
    }
  });
});

describe('servers that are not there', () => {
  it('Temporal: one line naming the address and npm start, exit 2, within seconds', async () => {
    const started = Date.now();
    const { error } = await run(['status']);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(error).toBeInstanceOf(UnreachableError);
    const { message, exitCode } = describeError(error);
    expect(exitCode).toBe(2);
    expect(message).toBe(
      `cannot reach Temporal at 127.0.0.1:${closedPort} (TEMPORAL_ADDRESS): ECONNREFUSED; start the local stack with \`npm start\`, or set TEMPORAL_ADDRESS`,
    );
  });

  it('PostgreSQL: the same, for gaps and source status', async () => {
    for (const cmd of [['gaps'], ['source', 'status']]) {
      const { error } = await run(cmd);
      expect(error).toBeInstanceOf(UnreachableError);
      expect((error as Error).message).toMatch(
        new RegExp(
          `^cannot reach PostgreSQL at 127\\.0\\.0\\.1:${closedPort}/nothing \\(DATABASE_URL\\): .*ECONNREFUSED.*npm start`,
        ),
      );
    }
  });

  it('--address overrides TEMPORAL_ADDRESS', async () => {
    const { error } = await run(['--address', `localhost:${closedPort}`, 'schedules', 'list']);
    expect((error as Error).message).toContain(`Temporal at localhost:${closedPort}`);
  });
});

describe('connection settings', () => {
  it('defaults to the local stack; TEMPORAL_* as envconfig reads them', () => {
    expect(temporalTarget({ TEMPORAL_CONFIG_FILE: '/nonexistent' })).toMatchObject({
      address: '127.0.0.1:7233',
      namespace: 'default',
    });
    expect(
      temporalTarget({
        TEMPORAL_ADDRESS: 'temporal.example:7233',
        TEMPORAL_NAMESPACE: 'prod',
        TEMPORAL_CONFIG_FILE: '/x',
      }),
    ).toMatchObject({ address: 'temporal.example:7233', namespace: 'prod' });
    expect(temporalTarget({ TEMPORAL_CONFIG_FILE: '/x' }, { address: 'a:1', namespace: 'n' })).toMatchObject({
      address: 'a:1',
      namespace: 'n',
    });
  });

  it('NotFoundError is a user mistake (exit 1)', () => {
    expect(describeError(new NotFoundError('no schedule x')).exitCode).toBe(1);
  });
});
