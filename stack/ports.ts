/** Port checks for the local stack: fail fast, naming the port and the component that wants it. */
import net from 'node:net';
import { StackError } from './processes';

/** Env vars the entrypoints read to move a component to another port (used in error messages). */
export const PORT_ENV_HINTS: Readonly<Record<string, string>> = {
  'Temporal frontend': 'TEMPORAL_PORT',
  'Temporal Web UI': 'TEMPORAL_UI_PORT',
  PostgreSQL: 'PG_PORT',
  'API simulator': 'SIM_PORT',
};

export class PortInUseError extends StackError {
  readonly port: number;
  readonly host: string;
  readonly component: string;

  constructor(port: number, host: string, component: string, envVar?: string) {
    const fix = envVar ? `stop the other process or set ${envVar}` : 'stop the other process or choose another port';
    super(`port ${port} (${component}) is already in use: ${fix}`);
    this.port = port;
    this.host = host;
    this.component = component;
  }
}

/**
 * Throws PortInUseError if `host:port` cannot be bound (something listens there, or on the
 * wildcard address). `what` names the component; `envVar` (default: from PORT_ENV_HINTS) is the
 * setting the message suggests.
 */
export async function assertPortFree(
  port: number,
  host = '127.0.0.1',
  what = 'component',
  envVar: string | undefined = PORT_ENV_HINTS[what],
): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') reject(new PortInUseError(port, host, what, envVar));
      else if (err.code === 'EACCES')
        reject(new StackError(`port ${port} (${what}) on ${host} needs privileges: choose a port above 1023`));
      else if (err.code === 'EADDRNOTAVAIL')
        reject(new StackError(`cannot bind ${host}:${port} (${what}): address not available on this machine`));
      else reject(new StackError(`cannot check port ${port} (${what}) on ${host}: ${err.message}`, { cause: err }));
    });
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve()));
  });
}

/** A TCP port that is free on `host` right now (the OS picks it). */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ port: 0, host, exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new StackError('could not get a free port'))));
    });
  });
}
