/**
 * The generic API simulator core: one `node:http` server that mounts every source simulator under
 * `/<source.id>`, applies the clock, the fault switches and the rate-limit windows, counts what it
 * served, and exposes a JSON control API under `/__sim/`. It knows nothing about any API's wire
 * format; each source module renders its own bodies and headers.
 *
 * Control API (JSON; errors are `{ "error": message }` with 400/404/405):
 *   GET    /__sim/health                      → { ok, sources, clock }
 *   POST   /__sim/faults          FaultSpec   → 201 ActiveFault (with its id)
 *   GET    /__sim/faults                      → { faults: ActiveFault[] } (spent faults included)
 *   DELETE /__sim/faults[/<id>]               → { removed }
 *   GET|PUT /__sim/limits/<source> RateLimits → { source, limits } (null/absent window = default)
 *   GET    /__sim/stats/<source>              → SourceStats
 *   POST   /__sim/stats/<source>/reset        → counters and rate-limit window counts cleared
 *   GET|PUT /__sim/clock  { now?: number|null, offsetSeconds?: number } → ClockState
 *   POST   /__sim/reset                       → faults, limits, counters, clock, source state
 *   *      /__sim/<source>/...                → the source's own `control` routes
 *
 * Request pipeline for `/<source>/...`: count the call in the rate limiter (rejected calls count
 * too) → over quota: `renderRateLimited` → else take the matching faults (one `slow` plus one other)
 * → `reset` / `rate-limit` / `server-error` / `ban` / `hard-block` answered by the core, anything
 * else reaches `source.handle` (with `drift-*` / `bad-row` in `req.fault`; `malformed` truncates
 * its body afterwards). `rateLimitHeaders` is merged into every response.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { z } from 'zod';
import { SimClock } from './clock';
import { DEFAULT_SLOW_DELAY_MS, FaultRegistry, FaultSpecSchema, SOURCE_FAULT_KINDS } from './faults';
import { KEYLESS, RateLimiter, UNLIMITED, exhaustedUsage, resolveLimits } from './rate-limiter';
import { StatsCollector } from './stats';
import {
  RATE_WINDOWS,
  type ActiveFault,
  type FaultSpec,
  type RateLimits,
  type RateUsage,
  type RateWindow,
  type SimRequest,
  type SimResponse,
  type SourceSimulator,
} from './types';

export interface StartSimulatorOptions {
  /** TCP port; 0 picks a free one. @default 0 */
  readonly port?: number;
  /** Interface to bind. @default '127.0.0.1' */
  readonly host?: string;
  /** Source simulators, each mounted under `/<id>`. */
  readonly sources: readonly SourceSimulator[];
  /** Where to write log lines (route errors). @default a line on stderr */
  readonly log?: (line: string) => void;
}

export interface RunningSimulator {
  /** Base URL, e.g. `http://127.0.0.1:8299` (a source lives at `${url}/${source.id}`). */
  readonly url: string;
  readonly port: number;
  /** The in-process core (control without HTTP; mostly for tests and tools in the same process). */
  readonly core: SimulatorCore;
  /** Stops listening and drops open connections (pending `slow` responses are abandoned). */
  close(): Promise<void>;
}

const JSON_CONTENT_TYPE = 'application/json; charset=UTF-8';
const MAX_CONTROL_BODY_BYTES = 1 << 20;

/** An error in a control call, answered with `status` and `{ "error": message }`. */
class ControlError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ControlError';
  }
}

const LimitValue = z.number().int().nonnegative().nullable().optional();
const RateLimitsBodySchema = z.strictObject({
  second: LimitValue,
  minute: LimitValue,
  hour: LimitValue,
  day: LimitValue,
  month: LimitValue,
});

const ClockBodySchema = z.strictObject({
  now: z.number().nonnegative().nullable().optional(),
  offsetSeconds: z.number().optional(),
});

function issuesMessage(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.length ? i.path.join('.') : 'body'}: ${i.message}`).join('; ');
}

function parseWith<T>(schema: z.ZodType<T>, body: unknown, what: string): T {
  const result = schema.safeParse(body);
  if (!result.success) throw new ControlError(400, `invalid ${what}: ${issuesMessage(result.error)}`);
  return result.data;
}

/** The API key a request carries, from the places both real APIs accept it. */
export function extractApiKey(headers: IncomingMessage['headers'], query: URLSearchParams): string | undefined {
  const auth = headers.authorization;
  if (typeof auth === 'string' && auth.trim() !== '') {
    const m = /^\s*(?:apikey|bearer)\s+(.+?)\s*$/i.exec(auth);
    return m?.[1] ?? auth.trim();
  }
  const xApiKey = headers['x-api-key'];
  if (typeof xApiKey === 'string' && xApiKey.trim() !== '') return xApiKey.trim();
  const fromQuery = query.get('api_key') ?? query.get('apiKey');
  return fromQuery !== null && fromQuery !== '' ? fromQuery : undefined;
}

/** Merges header maps case-insensitively; later maps win. */
function mergeHeaders(...parts: Array<Readonly<Record<string, string>> | undefined>): Record<string, string> {
  const byLower = new Map<string, [string, string]>();
  for (const part of parts) {
    if (!part) continue;
    for (const [name, value] of Object.entries(part)) byLower.set(name.toLowerCase(), [name, value]);
  }
  return Object.fromEntries(byLower.values());
}

/** A proper prefix of the body that is guaranteed not to parse as JSON. */
export function truncateBody(body: string): string {
  const cut = body.slice(0, Math.max(1, Math.floor(body.length / 2)));
  try {
    JSON.parse(cut);
    return `${cut}{`; // e.g. a bare number prefix; make it invalid
  } catch {
    return cut === '' ? '{' : cut;
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? (err.stack ?? err.message) : String(err);
}

/**
 * Clock, faults, limits, counters and routing. One instance per running server; usable in-process
 * (`running.core`) as well as through `/__sim/`.
 */
export class SimulatorCore {
  readonly clock = new SimClock();
  readonly faults = new FaultRegistry();
  readonly #limiter = new RateLimiter();
  readonly #sources = new Map<string, SourceSimulator>();
  readonly #limitOverrides = new Map<string, RateLimits>();
  readonly #stats = new Map<string, StatsCollector>();
  readonly #log: (line: string) => void;
  readonly #pendingDelays = new Set<() => void>();
  #closing = false;

  constructor(sources: readonly SourceSimulator[], log: (line: string) => void) {
    for (const source of sources) {
      if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(source.id) || source.id === '__sim') {
        throw new Error(`invalid source id ${JSON.stringify(source.id)} (must be a single URL path segment)`);
      }
      if (this.#sources.has(source.id)) throw new Error(`two sources share the id ${source.id}`);
      this.#sources.set(source.id, source);
    }
    this.#log = log;
  }

  get sourceIds(): string[] {
    return [...this.#sources.keys()];
  }

  /** Limits in force for a source (unlimited windows as null). */
  limitsFor(sourceId: string): Record<RateWindow, number | null> {
    const effective = this.#effectiveLimits(this.#source(sourceId));
    const out = {} as Record<RateWindow, number | null>;
    for (const w of RATE_WINDOWS) out[w] = effective[w] === UNLIMITED ? null : effective[w];
    return out;
  }

  /** Overrides a source's limits; a null or absent window (or `null` for all) falls back to the default. */
  setLimits(
    sourceId: string,
    limits: Partial<Record<RateWindow, number | null>> | null,
  ): Record<RateWindow, number | null> {
    this.#source(sourceId);
    const overrides: Partial<Record<RateWindow, number>> = {};
    for (const w of RATE_WINDOWS) {
      const v = limits?.[w];
      if (v !== undefined && v !== null) overrides[w] = v;
    }
    this.#limitOverrides.set(sourceId, overrides);
    return this.limitsFor(sourceId);
  }

  stats(sourceId: string) {
    this.#source(sourceId);
    return this.#statsFor(sourceId).snapshot(this.limitsFor(sourceId));
  }

  /** Clears a source's counters and its rate-limit window counts. */
  resetStats(sourceId: string): void {
    this.#source(sourceId);
    this.#stats.delete(sourceId);
    this.#limiter.resetSource(sourceId);
  }

  /** Faults, limits, counters, clock and every source's runtime state back to defaults. */
  reset(): void {
    this.faults.clear();
    this.#limitOverrides.clear();
    this.#stats.clear();
    this.#limiter.reset();
    this.clock.reset();
    for (const source of this.#sources.values()) source.reset?.();
  }

  /** Abandons pending `slow` delays (used by close). */
  shutdown(): void {
    this.#closing = true;
    for (const cancel of [...this.#pendingDelays]) cancel();
  }

  /** The `node:http` request listener. Never throws. */
  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const url = new URL(req.url ?? '/', 'http://simulator.local');
      const pathname = url.pathname;
      if (pathname === '/__sim' || pathname.startsWith('/__sim/')) {
        await this.#handleControl(req, res, pathname.slice('/__sim'.length));
        return;
      }
      req.resume(); // source routes ignore request bodies
      const first = pathname.split('/')[1] ?? '';
      const source = this.#sources.get(first);
      if (!source) {
        this.#writeJson(res, 404, {
          error: `no simulated API at ${pathname}; mounted: ${this.sourceIds.map((id) => `/${id}`).join(', ')}; control: /__sim/`,
        });
        return;
      }
      const path = pathname.slice(first.length + 1) || '/';
      await this.#serveSource(source, req, res, path, url.searchParams);
    } catch (err) {
      this.#log(`simulator: unexpected error for ${req.method ?? '?'} ${req.url ?? '?'}: ${errorText(err)}`);
      if (!res.headersSent && !res.destroyed) this.#writeJson(res, 500, { error: 'internal simulator error' });
      else res.destroy();
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Source routes

  async #serveSource(
    source: SourceSimulator,
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    query: URLSearchParams,
  ): Promise<void> {
    const stats = this.#statsFor(source.id);
    stats.totalRequests += 1;
    const nowSeconds = this.clock.nowSeconds();
    const apiKey = extractApiKey(req.headers, query);
    const identity = apiKey === undefined ? KEYLESS : `key:${apiKey}`;
    const simReq: SimRequest = {
      method: (req.method ?? 'GET').toUpperCase(),
      path,
      query,
      headers: req.headers,
      apiKey,
      nowSeconds,
      fault: undefined,
    };

    const decision = this.#limiter.hit(source.id, identity, nowSeconds, this.#effectiveLimits(source));
    if (!decision.allowed) {
      stats.rateLimitRejections += 1;
      const response = this.#render(source, simReq, () => source.renderRateLimited(decision.usage, simReq));
      this.#respond(source, res, response, decision.usage, simReq, stats);
      return;
    }

    const { slow, fault } = this.faults.take(source.id, path, query);
    if (slow) {
      stats.recordFault('slow');
      await this.#delay(slow.delayMs ?? DEFAULT_SLOW_DELAY_MS);
      if (this.#closing || res.destroyed) return;
    }
    if (fault) stats.recordFault(fault.kind);

    switch (fault?.kind) {
      case 'reset':
        stats.recordServed(identity, nowSeconds);
        stats.recordStatus('reset');
        req.socket.destroy();
        return;
      case 'rate-limit': {
        stats.injectedRateLimits += 1;
        const usage = exhaustedUsage(decision.usage, fault.retryAfterSeconds);
        const response = this.#render(source, simReq, () => source.renderRateLimited(usage, simReq));
        const retryAfter =
          fault.retryAfterSeconds !== undefined ? { 'Retry-After': String(fault.retryAfterSeconds) } : undefined;
        this.#respond(
          source,
          res,
          { ...response, headers: mergeHeaders(response.headers, retryAfter) },
          usage,
          simReq,
          stats,
        );
        return;
      }
      case 'ban':
      case 'hard-block': {
        const kind = fault.kind;
        const response = this.#render(source, simReq, () => source.renderFault(kind, fault, simReq));
        this.#respond(source, res, response, decision.usage, simReq, stats);
        return;
      }
      case 'server-error': {
        stats.recordServed(identity, nowSeconds);
        const response = this.#render(source, simReq, () => source.renderFault('server-error', fault, simReq));
        this.#respond(source, res, response, decision.usage, simReq, stats);
        return;
      }
      default:
        break;
    }

    stats.recordServed(identity, nowSeconds);
    const routeFault: ActiveFault | undefined = fault && SOURCE_FAULT_KINDS.includes(fault.kind) ? fault : undefined;
    const routedReq: SimRequest = { ...simReq, fault: routeFault, usage: decision.usage };
    let response: SimResponse | undefined;
    try {
      response = await source.handle(routedReq);
    } catch (err) {
      this.#log(`simulator: ${source.id} route ${simReq.method} ${path} threw: ${errorText(err)}`);
      response = this.#internalError(source, routedReq);
    }
    if (response === undefined) {
      response = {
        status: 404,
        body: JSON.stringify({ error: `the ${source.id} simulator has no route ${simReq.method} ${path}` }),
      };
    }
    if (fault?.kind === 'malformed') response = { ...response, status: 200, body: truncateBody(response.body) };
    this.#respond(source, res, response, decision.usage, routedReq, stats);
  }

  /** Calls a source renderer; a throwing renderer becomes a generic 500 (logged). */
  #render(source: SourceSimulator, req: SimRequest, render: () => SimResponse): SimResponse {
    try {
      return render();
    } catch (err) {
      this.#log(`simulator: ${source.id} renderer threw: ${errorText(err)}`);
      return { status: 500, body: JSON.stringify({ error: 'internal simulator error' }) };
    }
  }

  /** The source's own 500 body for an unexpected route error. */
  #internalError(source: SourceSimulator, req: SimRequest): SimResponse {
    const synthetic: ActiveFault = { id: 'internal', kind: 'server-error', hits: 1 };
    return this.#render(source, req, () => source.renderFault('server-error', synthetic, req));
  }

  #respond(
    source: SourceSimulator,
    res: ServerResponse,
    response: SimResponse,
    usage: RateUsage,
    req: SimRequest,
    stats: StatsCollector,
  ): void {
    let rateHeaders: Record<string, string> = {};
    try {
      rateHeaders = source.rateLimitHeaders(usage, req);
    } catch (err) {
      this.#log(`simulator: ${source.id} rateLimitHeaders threw: ${errorText(err)}`);
    }
    stats.recordStatus(response.status);
    // A real server's Date is its clock: send ours, so a frozen or offset clock is visible to
    // clients (they decide which periods are closed from it).
    const date = { Date: new Date(req.nowSeconds * 1000).toUTCString() };
    this.#write(
      res,
      response.status,
      mergeHeaders({ 'Content-Type': JSON_CONTENT_TYPE }, date, rateHeaders, response.headers),
      response.body,
    );
  }

  #delay(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.#pendingDelays.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#pendingDelays.add(done);
    });
  }

  // ---------------------------------------------------------------------------------------------
  // Control API

  async #handleControl(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase();
    try {
      const body = await readJsonBody(req);
      const response = this.#control(method, path, body);
      this.#write(
        res,
        response.status,
        mergeHeaders({ 'Content-Type': JSON_CONTENT_TYPE }, response.headers),
        response.body,
      );
    } catch (err) {
      if (err instanceof ControlError) {
        this.#writeJson(res, err.status, { error: err.message });
        return;
      }
      this.#log(`simulator: control ${method} /__sim${path} failed: ${errorText(err)}`);
      this.#writeJson(res, 500, { error: `control call failed: ${err instanceof Error ? err.message : String(err)}` });
    }
  }

  #control(method: string, path: string, body: unknown): SimResponse {
    const segments = path
      .split('/')
      .filter((s) => s !== '')
      .map((s) => decodeURIComponent(s));
    const [head, second, third] = segments;
    const ok = (value: unknown, status = 200): SimResponse => ({ status, body: JSON.stringify(value) });
    const allow = (...methods: string[]): void => {
      if (!methods.includes(method)) {
        throw new ControlError(405, `${method} is not allowed on /__sim${path} (use ${methods.join(' or ')})`);
      }
    };

    switch (head) {
      case 'health':
        allow('GET');
        return ok({ ok: true, sources: this.sourceIds, clock: this.clock.state() });

      case 'faults':
        if (segments.length === 1) {
          allow('GET', 'POST', 'DELETE');
          if (method === 'GET') return ok({ faults: this.faults.list() });
          if (method === 'DELETE') return ok({ removed: this.faults.clear() });
          const spec = parseWith(FaultSpecSchema, body, 'fault spec') as FaultSpec;
          if (spec.source !== undefined && !this.#sources.has(spec.source)) {
            throw new ControlError(
              400,
              `invalid fault spec: unknown source ${spec.source} (known: ${this.sourceIds.join(', ')})`,
            );
          }
          return ok(this.faults.add(spec), 201);
        }
        if (segments.length === 2 && second !== undefined) {
          allow('DELETE');
          if (!this.faults.remove(second)) throw new ControlError(404, `no fault with id ${second}`);
          return ok({ removed: 1 });
        }
        break;

      case 'limits':
        if (segments.length === 2 && second !== undefined) {
          allow('GET', 'PUT');
          this.#requireSource(second);
          if (method === 'GET') return ok({ source: second, limits: this.limitsFor(second) });
          const limits = body === undefined || body === null ? {} : parseWith(RateLimitsBodySchema, body, 'limits');
          return ok({ source: second, limits: this.setLimits(second, limits) });
        }
        break;

      case 'stats':
        if (segments.length === 2 && second !== undefined) {
          allow('GET');
          this.#requireSource(second);
          return ok(this.stats(second));
        }
        if (segments.length === 3 && second !== undefined && third === 'reset') {
          allow('POST');
          this.#requireSource(second);
          this.resetStats(second);
          return ok({ ok: true });
        }
        break;

      case 'clock':
        if (segments.length === 1) {
          allow('GET', 'PUT');
          if (method === 'GET') return ok(this.clock.state());
          const update = parseWith(ClockBodySchema, body ?? {}, 'clock update');
          return ok(this.clock.update(update));
        }
        break;

      case 'reset':
        if (segments.length === 1) {
          allow('POST');
          this.reset();
          return ok({ ok: true });
        }
        break;

      default: {
        const source = head === undefined ? undefined : this.#sources.get(head);
        if (source) {
          const raw = path.replace(/^\/+/, '');
          const slash = raw.indexOf('/');
          const rest = slash < 0 ? '/' : raw.slice(slash);
          const response = source.control?.(rest, body, { method, nowSeconds: this.clock.nowSeconds() });
          if (response) return response;
          throw new ControlError(404, `the ${source.id} simulator has no control route ${method} ${rest}`);
        }
      }
    }
    throw new ControlError(
      404,
      `unknown control route ${method} /__sim${path}; see health, faults, limits/<source>, stats/<source>, clock, reset, <source>/...`,
    );
  }

  // ---------------------------------------------------------------------------------------------
  // Helpers

  #source(sourceId: string): SourceSimulator {
    const source = this.#sources.get(sourceId);
    if (!source) throw new Error(`unknown source ${sourceId}`);
    return source;
  }

  #requireSource(sourceId: string): void {
    if (!this.#sources.has(sourceId)) {
      throw new ControlError(404, `unknown source ${sourceId} (known: ${this.sourceIds.join(', ')})`);
    }
  }

  #effectiveLimits(source: SourceSimulator): Record<RateWindow, number> {
    return resolveLimits(source.defaultLimits, this.#limitOverrides.get(source.id) ?? {});
  }

  #statsFor(sourceId: string): StatsCollector {
    let stats = this.#stats.get(sourceId);
    if (!stats) {
      stats = new StatsCollector(sourceId);
      this.#stats.set(sourceId, stats);
    }
    return stats;
  }

  #writeJson(res: ServerResponse, status: number, value: unknown): void {
    this.#write(res, status, { 'Content-Type': JSON_CONTENT_TYPE }, JSON.stringify(value));
  }

  #write(res: ServerResponse, status: number, headers: Record<string, string>, body: string): void {
    if (res.destroyed || res.writableEnded) return;
    res.writeHead(status, { ...headers, 'Content-Length': String(Buffer.byteLength(body)) });
    res.end(body);
  }
}

async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > MAX_CONTROL_BODY_BYTES) throw new ControlError(413, 'control body too large');
    chunks.push(buf);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ControlError(400, `control body is not valid JSON: ${text.slice(0, 80)}`);
  }
}

function listenError(err: NodeJS.ErrnoException, host: string, port: number): Error {
  switch (err.code) {
    case 'EADDRINUSE':
      return new Error(`port ${port} is already in use (API simulator)`);
    case 'EACCES':
      return new Error(`port ${port} needs more privileges than this process has (API simulator)`);
    case 'EADDRNOTAVAIL':
      return new Error(`cannot listen on ${host}:${port}: address not available (API simulator)`);
    default:
      return new Error(`cannot listen on ${host}:${port}: ${err.message} (API simulator)`);
  }
}

function urlHost(host: string): string {
  if (host === '' || host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

/**
 * Starts the simulator. Rejects with a one-line Error naming the port when it cannot listen
 * (e.g. `port 8299 is already in use (API simulator)`).
 */
export async function startSimulator(opts: StartSimulatorOptions): Promise<RunningSimulator> {
  const host = opts.host ?? '127.0.0.1';
  const requestedPort = opts.port ?? 0;
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const core = new SimulatorCore(opts.sources, log);
  const server = http.createServer((req, res) => {
    void core.handle(req, res);
  });
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      server.off('listening', onListening);
      reject(listenError(err, host, requestedPort));
    };
    const onListening = (): void => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(requestedPort, host);
  });
  server.on('error', (err) => log(`simulator: server error: ${errorText(err)}`));

  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : requestedPort;
  let closed: Promise<void> | undefined;
  return {
    url: `http://${urlHost(host)}:${port}`,
    port,
    core,
    close(): Promise<void> {
      closed ??= new Promise<void>((resolve) => {
        core.shutdown();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closed;
    },
  };
}
