/**
 * The simulator's command line (`npm run simulator`): its URL, the registered twins, a taken port, an IPC parent going away.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const children: ChildProcess[] = [];

function startCli(env: Record<string, string>, ipc = false): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'simulator/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ipc ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  return child;
}

function collect(stream: NodeJS.ReadableStream | null): { text: () => string } {
  let text = '';
  stream?.setEncoding('utf8');
  stream?.on('data', (chunk: string) => (text += chunk));
  return { text: () => text };
}

function waitForLine(child: ChildProcess, pattern: RegExp): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let buffer = '';
    const onData = (chunk: Buffer): void => {
      buffer += chunk.toString('utf8');
      const m = pattern.exec(buffer);
      if (m) {
        child.stdout?.off('data', onData);
        resolve(m);
      }
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`simulator exited (${code}) before printing ${pattern}: ${buffer}`)));
  });
}

function exitCode(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.pid !== undefined) child.kill('SIGKILL');
});

describe('simulator CLI', () => {
  it('prints its URL, serves the registered sources, and stops cleanly on SIGTERM', async () => {
    const child = startCli({ SIM_PORT: '0' });
    const [, url] = await waitForLine(child, /simulator listening on (http:\/\/127\.0\.0\.1:\d+)\n/);
    const health = (await (await fetch(`${url}/__sim/health`)).json()) as { sources: string[] };
    expect(health.sources).toContain('data-api');
    const res = await fetch(`${url}/data-api/spot/v1/historical/days?market=kraken&instrument=BTC-USD&limit=2`);
    expect(res.status).toBe(200);
    child.kill('SIGTERM');
    expect(await exitCode(child)).toBe(0);
  });

  it('exits 1 with a one-line message when the port is taken', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as { port: number }).port;
    try {
      const child = startCli({ SIM_PORT: String(port) });
      const stderr = collect(child.stderr);
      expect(await exitCode(child)).toBe(1);
      expect(stderr.text()).toBe(`simulator: port ${port} is already in use (API simulator)\n`);
    } finally {
      await new Promise<void>((r) => blocker.close(() => r()));
    }
  });

  it('exits when its IPC parent disconnects', async () => {
    const child = startCli({ SIM_PORT: '0' }, true);
    await waitForLine(child, /simulator listening on/);
    child.disconnect();
    expect(await exitCode(child)).toBe(0);
  });
});
