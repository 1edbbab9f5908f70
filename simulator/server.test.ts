/**
 * The generic simulator core, with toy sources: routing, fixed-window rate limits, faults and the
 * control API.
 */
import { createServer } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SimulatorControl } from './control-client';
import { startSimulator, truncateBody, type RunningSimulator } from './server';
import type { RateUsage, SimRequest, SimResponse, SourceSimulator } from './types';

/** A minimal source with its own (made-up) wire format, to test the core in isolation. */
function fakeSource(id: string): SourceSimulator & { requests: SimRequest[] } {
  const requests: SimRequest[] = [];
  const json = (status: number, value: unknown, headers?: Record<string, string>): SimResponse => ({
    status,
    body: JSON.stringify(value),
    ...(headers ? { headers } : {}),
  });
  return {
    id,
    defaultLimits: { second: 100, minute: 1_000 },
    requests,
    handle(req) {
      requests.push(req);
      if (req.path === '/boom') throw new Error('route exploded');
      if (req.path === '/echo') {
        return json(200, {
          path: req.path,
          now: req.nowSeconds,
          key: req.apiKey ?? null,
          fault: req.fault?.kind ?? null,
        });
      }
      return json(404, { oops: `no ${req.path}` });
    },
    renderRateLimited: (usage: RateUsage) => json(429, { limited: usage.callsMade, max: usage.maxCalls }),
    renderFault: (kind, fault) => json(kind === 'server-error' ? 503 : 418, { fault: kind, id: fault.id }),
    rateLimitHeaders: (usage: RateUsage) => ({ 'X-Left-Second': String(usage.remaining.second) }),
    reset() {
      requests.length = 0;
    },
    control(path, body, ctx) {
      if (path === '/ping') return json(200, { pong: body ?? null, method: ctx.method, now: ctx.nowSeconds });
      return undefined;
    },
  };
}

const T0 = 1_800_000_000; // aligned on the second, minute and hour windows

let sim: RunningSimulator;
let control: SimulatorControl;
let logged: string[];
const alpha = fakeSource('alpha');
const beta = fakeSource('beta');

beforeAll(async () => {
  logged = [];
  sim = await startSimulator({ port: 0, sources: [alpha, beta], log: (line) => logged.push(line) });
  control = new SimulatorControl(`${sim.url}/`);
});

afterAll(async () => {
  await sim.close();
});

beforeEach(async () => {
  await control.reset();
  await control.setClock({ now: T0 });
  logged.length = 0;
});

const call = (path: string, init?: RequestInit) => fetch(`${sim.url}${path}`, init);

describe('simulator core: routing', () => {
  it('binds 127.0.0.1 on a free port and mounts each source under /<id>', async () => {
    expect(sim.url).toBe(`http://127.0.0.1:${sim.port}`);
    expect(sim.port).toBeGreaterThan(0);
    const res = await call('/alpha/echo?x=1');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=UTF-8');
    expect(res.headers.get('x-left-second')).toBe('99');
    expect(await res.json()).toEqual({ path: '/echo', now: T0, key: null, fault: null });
    expect((await call('/beta/echo')).status).toBe(200);
  });

  it("sends unknown paths under a source to the source's handler, and others to a 404 JSON", async () => {
    const inside = await call('/alpha/not/a/route');
    expect(inside.status).toBe(404);
    expect(await inside.json()).toEqual({ oops: 'no /not/a/route' });
    const outside = await call('/gamma/echo');
    expect(outside.status).toBe(404);
    expect(((await outside.json()) as { error: string }).error).toContain('/alpha, /beta');
  });

  it('reads the API key from the header forms and the query', async () => {
    const key = async (init: RequestInit, qs = '') =>
      ((await (await call(`/alpha/echo${qs}`, init)).json()) as { key: string | null }).key;
    expect(await key({ headers: { authorization: 'Apikey k1' } })).toBe('k1');
    expect(await key({ headers: { authorization: 'Bearer k2' } })).toBe('k2');
    expect(await key({ headers: { 'x-api-key': 'k3' } })).toBe('k3');
    expect(await key({}, '?api_key=k4')).toBe('k4');
    expect(await key({}, '?apiKey=k5')).toBe('k5');
  });

  it('turns a throwing route into a 500 (the source error body), logs it once, and keeps serving', async () => {
    const res = await call('/alpha/boom');
    expect(res.status).toBe(503); // the fake source renders server errors as 503
    expect(await res.json()).toEqual({ fault: 'server-error', id: 'internal' });
    expect(logged.filter((l) => l.includes('route exploded'))).toHaveLength(1);
    expect((await call('/alpha/echo')).status).toBe(200);
  });

  it('rejects a taken port with an error that names it', async () => {
    await expect(startSimulator({ port: sim.port, sources: [fakeSource('x')] })).rejects.toThrow(
      `port ${sim.port} is already in use (API simulator)`,
    );
    // also when someone else holds the port
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as { port: number }).port;
    await expect(startSimulator({ port, sources: [fakeSource('x')] })).rejects.toThrow(
      `port ${port} is already in use`,
    );
    await new Promise<void>((r) => blocker.close(() => r()));
  });
});

describe('simulator core: rate limits', () => {
  it('counts per source and identity in fixed windows; rejected calls count too', async () => {
    await control.setLimits('alpha', { second: 2, minute: 5 });
    const statuses = async (n: number, init?: RequestInit) => {
      const out: number[] = [];
      for (let i = 0; i < n; i++) out.push((await call('/alpha/echo', init)).status);
      return out;
    };
    expect(await statuses(3)).toEqual([200, 200, 429]);
    const limited = (await (await call('/alpha/echo')).json()) as { limited: Record<string, number> };
    expect(limited.limited).toMatchObject({ second: 4, minute: 4, total_calls: 4 });
    // beta has its own buckets; a key has its own bucket
    expect(await statuses(2, undefined)).toEqual([429, 429]);
    expect((await call('/beta/echo')).status).toBe(200);
    expect(await statuses(2, { headers: { authorization: 'Apikey a' } })).toEqual([200, 200]);
    // next second: the keyless second window resets, but the minute (6 calls made, limit 5) is exhausted
    await control.setClock({ now: T0 + 1 });
    expect(await statuses(1)).toEqual([429]);
    // next minute: fresh
    await control.setClock({ now: T0 + 60 });
    expect(await statuses(2)).toEqual([200, 200]);

    const stats = await control.stats('alpha');
    expect(stats.totalRequests).toBe(11);
    expect(stats.rateLimitRejections).toBe(5);
    expect(stats.served).toBe(6);
    expect(stats.windows.second).toEqual({ limit: 2, maxServed: 2, maxServedAllClients: 4 });
    expect(stats.windows.minute).toEqual({ limit: 5, maxServed: 2, maxServedAllClients: 4 });
    expect(stats.windows.hour).toEqual({ limit: null, maxServed: 4, maxServedAllClients: 6 });
    expect(stats.limits).toEqual({ second: 2, minute: 5, hour: null, day: null, month: null });
    expect((await control.stats('beta')).totalRequests).toBe(1);
  });

  it('resets window counts with the stats, and limits back to defaults with null', async () => {
    await control.setLimits('alpha', { second: 1 });
    expect((await call('/alpha/echo')).status).toBe(200);
    expect((await call('/alpha/echo')).status).toBe(429);
    await control.resetStats('alpha');
    expect((await control.stats('alpha')).totalRequests).toBe(0);
    expect((await call('/alpha/echo')).status).toBe(200);
    expect(await control.setLimits('alpha', { second: null })).toMatchObject({ second: 100, minute: 1_000 });
    expect(await control.setLimits('alpha', null)).toEqual({
      second: 100,
      minute: 1_000,
      hour: null,
      day: null,
      month: null,
    });
  });
});

describe('simulator core: faults', () => {
  it('slow delays the response and then serves normally', async () => {
    await control.addFault({ kind: 'slow', delayMs: 300, count: 1 });
    const t0 = performance.now();
    const res = await call('/alpha/echo');
    expect(performance.now() - t0).toBeGreaterThanOrEqual(280);
    expect(res.status).toBe(200);
    const t1 = performance.now();
    await call('/alpha/echo');
    expect(performance.now() - t1).toBeLessThan(250);
  });

  it('slow combines with another fault; faults can target one source', async () => {
    await control.addFault({ kind: 'slow', delayMs: 100, source: 'alpha', count: 1 });
    await control.addFault({ kind: 'server-error', source: 'alpha', count: 1 });
    expect((await call('/beta/echo')).status).toBe(200);
    expect((await call('/alpha/echo')).status).toBe(503);
    expect((await call('/alpha/echo')).status).toBe(200);
    const faults = await control.listFaults();
    expect(faults.map((f) => [f.kind, f.hits])).toEqual([
      ['slow', 1],
      ['server-error', 1],
    ]);
  });

  it('passes drift/bad-row faults to the route and renders ban/hard-block through the source', async () => {
    await control.addFault({ kind: 'bad-row', badRow: 'nan-string', count: 1 });
    expect(await (await call('/alpha/echo')).json()).toMatchObject({ fault: 'bad-row' });
    await control.addFault({ kind: 'ban', count: 1 });
    const ban = await call('/alpha/echo');
    expect(ban.status).toBe(418);
    expect(ban.headers.get('x-left-second')).toBe('98');
    await control.addFault({ kind: 'hard-block', count: 1 });
    expect(await (await call('/alpha/echo')).json()).toMatchObject({ fault: 'hard-block' });
    expect(alpha.requests.map((r) => r.fault?.kind ?? null)).toEqual(['bad-row']);
  });

  it('rate-limit answers with the source 429 and Retry-After; malformed truncates; reset drops the socket', async () => {
    await control.addFault({ kind: 'rate-limit', retryAfterSeconds: 7, count: 1 });
    const limited = await call('/alpha/echo');
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('7');
    // The announced wait (7 s) outlasts the second window, so the minute window is the exhausted one.
    expect(limited.headers.get('x-left-second')).toBe('99');

    await control.addFault({ kind: 'malformed', count: 1 });
    const malformed = await call('/alpha/not-found');
    expect(malformed.status).toBe(200);
    const malformedText = await malformed.text();
    expect(malformedText.length).toBeGreaterThan(0);
    expect(() => JSON.parse(malformedText)).toThrow();
    await control.addFault({ kind: 'malformed', count: 1 });
    const text = await (await call('/alpha/echo')).text();
    expect(() => JSON.parse(text)).toThrow();

    await control.addFault({ kind: 'reset', count: 1 });
    await expect(call('/alpha/echo')).rejects.toThrow();
    expect((await call('/alpha/echo')).status).toBe(200);

    const stats = await control.stats('alpha');
    expect(stats.injectedRateLimits).toBe(1);
    expect(stats.byStatus).toEqual({ '200': 3, '429': 1, reset: 1 });
  });

  it('truncateBody never yields valid JSON', () => {
    for (const body of ['{"Data":[],"Err":{}}', '12345678', '[]', '', '"abc"', '{}']) {
      expect(() => JSON.parse(truncateBody(body)), body).toThrow();
    }
  });
});

describe('simulator control API', () => {
  it('reports health, and validates every input with a 400 and a message', async () => {
    expect(await control.health()).toMatchObject({ ok: true, sources: ['alpha', 'beta'], clock: { nowSeconds: T0 } });
    await expect(control.addFault({ kind: 'nope' } as never)).rejects.toThrow(/invalid fault spec: kind/);
    await expect(control.addFault({ kind: 'bad-row' })).rejects.toThrow(/badRow/);
    await expect(control.addFault({ kind: 'slow', source: 'gamma' })).rejects.toThrow(/unknown source gamma/);
    await expect(control.addFault({ kind: 'slow', delayMs: -1 })).rejects.toThrow(/delayMs/);
    await expect(control.setLimits('alpha', { second: 1.5 })).rejects.toThrow(/second/);
    await expect(control.setLimits('gamma', {})).rejects.toThrow(/unknown source gamma/);
    await expect(control.setClock({ now: 'soon' } as never)).rejects.toThrow(/clock/);
    await expect(control.removeFault('f999')).rejects.toThrow(/no fault with id f999/);
    await expect(control.stats('gamma')).rejects.toThrow(/HTTP 404/);
    const badJson = await call('/__sim/faults', { method: 'POST', body: '{not json' });
    expect(badJson.status).toBe(400);
    expect(((await badJson.json()) as { error: string }).error).toMatch(/not valid JSON/);
    expect((await call('/__sim/faults', { method: 'PATCH' })).status).toBe(405);
    expect((await call('/__sim/whatever')).status).toBe(404);
  });

  it('adds, lists, removes and clears faults', async () => {
    const a = await control.addFault({ kind: 'slow', delayMs: 1, pathPrefix: 'echo' });
    const b = await control.addFault({ kind: 'server-error', params: { x: '1' } });
    expect(a.id).not.toBe(b.id);
    expect(a.pathPrefix).toBe('/echo');
    expect((await control.listFaults()).map((f) => f.id)).toEqual([a.id, b.id]);
    await control.removeFault(a.id);
    expect((await control.listFaults()).map((f) => f.id)).toEqual([b.id]);
    expect((await call('/alpha/echo?x=2')).status).toBe(200);
    expect((await call('/alpha/echo?x=1')).status).toBe(503);
    expect(await control.clearFaults()).toBe(1);
    expect(await control.listFaults()).toEqual([]);
  });

  it('freezes, offsets and releases the clock', async () => {
    expect((await control.getClock()).nowSeconds).toBe(T0);
    const real = await control.setClock({ now: null, offsetSeconds: 3_600 });
    expect(real.frozenAt).toBeNull();
    expect(Math.abs(real.nowSeconds - (Math.floor(Date.now() / 1000) + 3_600))).toBeLessThanOrEqual(2);
    const echoed = (await (await call('/alpha/echo')).json()) as { now: number };
    expect(Math.abs(echoed.now - real.nowSeconds)).toBeLessThanOrEqual(2);
    await control.reset();
    const reset = await control.getClock();
    expect(reset).toMatchObject({ frozenAt: null, offsetSeconds: 0 });
  });

  it('sends the simulator clock, not the host clock, in the Date header of source responses', async () => {
    // Clients decide which candles are closed from the server's Date: a frozen clock must show.
    await control.setClock({ now: T0 + 7 });
    const res = await call('/alpha/echo');
    expect(res.headers.get('date')).toBe(new Date((T0 + 7) * 1000).toUTCString());
    await control.setClock({ now: T0 });
  });

  it('forwards /__sim/<source>/... to the source control route', async () => {
    expect(await control.sourceControl('alpha', '/ping', { a: 1 })).toEqual({
      pong: { a: 1 },
      method: 'POST',
      now: T0,
    });
    expect(await control.sourceControl('beta', 'ping')).toEqual({ pong: null, method: 'GET', now: T0 });
    await expect(control.sourceControl('alpha', '/nothing')).rejects.toThrow(/no control route GET \/nothing/);
  });

  it('POST /__sim/reset restores faults, limits, counters, clock and source state', async () => {
    await control.addFault({ kind: 'server-error' });
    await control.setLimits('alpha', { second: 1 });
    await call('/alpha/echo');
    await control.reset();
    expect(await control.listFaults()).toEqual([]);
    expect((await control.getLimits('alpha')).second).toBe(100);
    expect((await control.stats('alpha')).totalRequests).toBe(0);
    expect(alpha.requests).toHaveLength(0);
    expect((await control.getClock()).frozenAt).toBeNull();
  });
});
