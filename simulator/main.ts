/**
 * CLI entry of the API simulator: `npm run simulator` (or `node --import tsx simulator/main.ts`).
 *
 * Env: `SIM_PORT` (default 8299; 0 = any free port), `SIM_HOST` (default 127.0.0.1).
 * Prints `simulator listening on <url>` once ready. SIGINT/SIGTERM close it cleanly; so does the
 * parent going away when started with an IPC channel. A taken port prints one line and exits 1.
 */
import { startSimulator, type RunningSimulator } from './server';
import { SIMULATED_SOURCES } from './sources/index';

const DEFAULT_PORT = 8299;
const DEFAULT_HOST = '127.0.0.1';

function parsePort(raw: string | undefined): number {
  if (raw === undefined || raw.trim() === '') return DEFAULT_PORT;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new Error(`SIM_PORT must be an integer between 0 and 65535, got ${JSON.stringify(raw)}`);
  }
  return port;
}

async function run(): Promise<void> {
  const port = parsePort(process.env.SIM_PORT);
  const host = process.env.SIM_HOST?.trim() || DEFAULT_HOST;
  const sim: RunningSimulator = await startSimulator({ port, host, sources: SIMULATED_SOURCES });
  console.log(`simulator listening on ${sim.url}`);

  let stopping = false;
  const stop = (why: string): void => {
    if (stopping) return;
    stopping = true;
    const timer = setTimeout(() => process.exit(0), 5_000);
    timer.unref();
    sim.close().then(
      () => {
        if (why !== 'disconnect') console.log(`simulator stopped (${why})`);
        process.exit(0);
      },
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  if (process.send !== undefined) process.on('disconnect', () => stop('disconnect'));
}

run().catch((err: unknown) => {
  console.error(`simulator: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
