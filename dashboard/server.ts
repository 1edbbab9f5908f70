/**
 * The data-quality dashboard's HTTP server (`crypto-ingest dashboard`): one page
 * (dashboard/public/), the charting library from node_modules, and one read-only JSON endpoint per
 * panel. Answers are cached for a few seconds, so a wall screen and a dozen browsers cost the
 * database one query per panel per interval. Anything but GET/HEAD is refused.
 */
import fs from 'node:fs/promises';
import http from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Client } from '@temporalio/client';
import type { RateLimits } from '../activities/rate-limits';
import { INTERVALS, isInterval } from '../workflows/contracts/series';
import {
  budget,
  coverage,
  drift,
  freshness,
  quarantine,
  reconcile,
  repairCommand,
  throughput,
  type FreshnessSlo,
  type Queryable,
} from './queries';
import { workflows } from './workflows';

const PUBLIC = path.join(path.dirname(fileURLToPath(import.meta.url)), 'public');
const ECHARTS = createRequire(import.meta.url).resolve('echarts/dist/echarts.min.js');

const STATIC: Record<string, { file: string; type: string }> = {
  '/': { file: path.join(PUBLIC, 'index.html'), type: 'text/html; charset=utf-8' },
  '/assets/dashboard.js': { file: path.join(PUBLIC, 'dashboard.js'), type: 'text/javascript; charset=utf-8' },
  '/assets/dashboard.css': { file: path.join(PUBLIC, 'dashboard.css'), type: 'text/css; charset=utf-8' },
  '/assets/echarts.min.js': { file: ECHARTS, type: 'text/javascript; charset=utf-8' },
};

export interface TemporalAccess {
  readonly client: Client;
  readonly namespace: string;
}

export interface DashboardOptions {
  /** A read-only pool (the CLI opens it with default_transaction_read_only). */
  readonly db: Queryable;
  readonly host: string;
  /** 0: a free port. */
  readonly port: number;
  readonly slo: FreshnessSlo;
  /** Each source's limits and where they came from (to show use against). */
  readonly limits: ReadonlyMap<string, { limits: RateLimits | 'off'; from: string }>;
  /** Temporal, connected on first use (the panel shows why when it cannot be). */
  readonly temporal: () => Promise<TemporalAccess>;
  /** The Temporal UI's base URL, for links (null: no links). */
  readonly temporalUiUrl: string | null;
  /** How long an answer is reused. @default 5000 */
  readonly cacheMs?: number;
  readonly log?: (line: string) => void;
}

export interface Dashboard {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Distinct URLs whose answers are kept at once. */
const MAX_CACHED = 100;

/** A query parameter that is not what the endpoint accepts: 400 with this message. */
class BadRequest extends Error {}

function intParam(q: URLSearchParams, name: string, dflt: number, min: number, max: number): number {
  const v = q.get(name);
  if (v === null || v === '') return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new BadRequest(`${name}=${v}: expected a whole number from ${min} to ${max}`);
  return n;
}

type Handler = (q: URLSearchParams) => Promise<unknown>;

export function handlers(o: DashboardOptions): Record<string, Handler> {
  return {
    '/api/config': async () => ({
      slo: o.slo,
      intervals: INTERVALS,
      temporalUiUrl: o.temporalUiUrl,
      limitsFrom: Object.fromEntries([...o.limits].map(([s, l]) => [s, l.from])),
      // Who the page reads as, and whether its sessions are read-only: shown in its header.
      database: (
        await o.db.query<{ user: string; read_only: string }>(
          `SELECT current_user AS user, current_setting('default_transaction_read_only') AS read_only`,
        )
      ).rows[0],
    }),
    // async: a bad parameter (thrown by intParam) becomes a rejected promise, answered 400.
    '/api/freshness': async (q) => freshness(o.db, o.slo, intParam(q, 'limit', 500, 1, 10_000)),
    '/api/coverage': async (q) => {
      const scope = q.get('scope') ?? '';
      const [source, dataset, interval] = scope ? scope.split('/') : [];
      if (scope && (!source || !dataset || !interval || !isInterval(interval)))
        throw new BadRequest(`scope=${scope}: expected <source>/<dataset>/<interval>, e.g. data-api/spot-ohlcv/1h`);
      const panel = await coverage(o.db, {
        days: intParam(q, 'days', 30, 1, 120),
        limit: intParam(q, 'limit', 200, 1, 500),
        ...(source ? { source } : {}),
        ...(dataset ? { dataset } : {}),
        ...(interval ? { interval } : {}),
      });
      // The repair command of every day with holes (`repair`: the first's), so the page copies
      // exactly what the CLI takes and never builds one itself.
      return {
        ...panel,
        series: panel.series.map((s) => {
          const repairs: Record<string, string> = {};
          s.states.forEach((state, i) => {
            if (state === 'holes') repairs[panel.days[i]!] = repairCommand(s, panel.days[i]!);
          });
          const first = s.states.indexOf('holes');
          return { ...s, repairs, repair: first < 0 ? null : repairs[panel.days[first]!]! };
        }),
      };
    },
    '/api/quarantine': async (q) => quarantine(o.db, intParam(q, 'hours', 168, 1, 24 * 90)),
    '/api/drift': () => drift(o.db),
    '/api/budget': () => budget(o.db, o.limits),
    '/api/throughput': async (q) => throughput(o.db, intParam(q, 'minutes', 360, 5, 24 * 60 * 7)),
    '/api/reconcile': () => reconcile(o.db),
    '/api/workflows': async (q) => {
      const t = await o.temporal();
      return workflows(t.client, {
        namespace: t.namespace,
        uiUrl: o.temporalUiUrl,
        failedSinceHours: intParam(q, 'hours', 24, 1, 24 * 30),
        limit: intParam(q, 'limit', 100, 1, 1_000),
      });
    },
  };
}

export async function startDashboard(o: DashboardOptions): Promise<Dashboard> {
  const routes = handlers(o);
  const cacheMs = o.cacheMs ?? 5_000;
  const cache = new Map<string, { at: number; body: Promise<string> }>();
  const log = o.log ?? (() => undefined);

  async function answer(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('read-only: GET only\n');
      return;
    }
    const url = new URL(req.url ?? '/', 'http://dashboard');
    if (url.pathname === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
      return;
    }
    const file = STATIC[url.pathname];
    if (file) {
      const body = await fs.readFile(file.file);
      res.writeHead(200, { 'content-type': file.type, 'cache-control': 'no-cache' }).end(body);
      return;
    }
    const handler = routes[url.pathname];
    if (!handler) {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'not found' }));
      return;
    }
    url.searchParams.sort();
    const key = `${url.pathname}?${url.searchParams.toString()}`;
    const now = Date.now();
    let hit = cache.get(key);
    if (!hit || now - hit.at > cacheMs) {
      const fresh = { at: now, body: handler(url.searchParams).then((v) => JSON.stringify(v)) };
      hit = fresh;
      // Old answers go; so do the oldest when many distinct URLs were asked for (a bounded cache).
      for (const [k, v] of cache) if (now - v.at > cacheMs * 4 || cache.size >= MAX_CACHED) cache.delete(k);
      cache.set(key, fresh);
      // A failed answer is not reused (unless a newer one took its place meanwhile).
      fresh.body.catch(() => {
        if (cache.get(key) === fresh) cache.delete(key);
      });
    }
    try {
      const body = await hit.body;
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(body);
    } catch (err) {
      const bad = err instanceof BadRequest;
      const message = err instanceof Error ? err.message : String(err);
      if (!bad) log(`dashboard: ${url.pathname}: ${message}`);
      res
        .writeHead(bad ? 400 : 503, { 'content-type': 'application/json', 'cache-control': 'no-store' })
        .end(JSON.stringify({ error: message }));
    }
  }

  const server = http.createServer((req, res) => {
    answer(req, res).catch((err: unknown) => {
      log(`dashboard: ${req.url ?? ''}: ${err instanceof Error ? err.message : String(err)}`);
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('internal error\n');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as { port: number }).port;
  const host = o.host === '0.0.0.0' || o.host === '::' ? '127.0.0.1' : o.host;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}/`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
