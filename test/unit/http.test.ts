/**
 * `httpGet` over real HTTP (a local server): a body larger than the cap is not read past the cap
 * and is a `MalformedResponseError` (bounded retries), whether or not the server declares its
 * length; a body under the cap is read whole. Redirects are followed (a few); a body cut short is
 * the retryable `SourceUnavailableError`; the hash is of the bytes as received.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { MalformedResponseError, SourceUnavailableError } from '../../activities/errors';
import { httpGet } from '../../activities/http';

let server: http.Server;
let base: string;
const MB = 1024 * 1024;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const u = new URL(req.url!, 'http://x');
    if (u.pathname === '/hop') {
      const n = Number(u.searchParams.get('n'));
      res.writeHead(n > 0 ? 302 : 200, n > 0 ? { location: `/hop?n=${n - 1}` } : { 'content-type': 'text/plain' });
      return void res.end(n > 0 ? '' : 'arrived');
    }
    if (u.pathname === '/cut') {
      res.writeHead(200, { 'content-length': '100' });
      res.write('x'.repeat(40));
      return void setTimeout(() => res.destroy(), 20);
    }
    if (u.pathname === '/latin') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      return void res.end(Buffer.from([0x61, 0xff, 0x62])); // not UTF-8
    }
    const size = Number(new URL(req.url!, 'http://x').searchParams.get('size'));
    const declared = req.url!.includes('declared=1');
    res.writeHead(200, { 'content-type': 'application/json', ...(declared ? { 'content-length': String(size) } : {}) });
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    let left = size;
    const write = () => {
      while (left > 0) {
        const n = Math.min(left, chunk.length);
        left -= n;
        if (!res.write(chunk.subarray(0, n))) return void res.once('drain', write);
      }
      res.end();
    };
    write();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const get = (q: string, maxBodyBytes: number) =>
  httpGet(new URL(`${base}/?${q}`), { timeoutMs: 10_000, signal: new AbortController().signal, maxBodyBytes });

describe('httpGet body cap', () => {
  it('reads a body under the cap whole', async () => {
    const res = await get(`size=${MB}`, 2 * MB);
    expect(res.body.length).toBe(MB);
  });

  it('refuses a larger body, declared or streamed, as MalformedResponseError naming the cap', async () => {
    for (const q of [`size=${3 * MB}&declared=1`, `size=${3 * MB}`]) {
      const err = await get(q, MB).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(MalformedResponseError);
      expect((err as Error).message).toContain(`larger than ${MB} bytes`);
    }
  });
});

describe('httpGet over the wire', () => {
  const at = (p: string) =>
    httpGet(new URL(`${base}${p}`), { timeoutMs: 10_000, signal: new AbortController().signal });

  it('follows a few redirects to the answer, and stops after five', async () => {
    expect((await at('/hop?n=3')).body).toBe('arrived');
    expect((await at('/hop?n=7')).status).toBe(302);
  });

  it('a body cut short is the retryable SourceUnavailableError, never a short answer', async () => {
    const err = await at('/cut').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SourceUnavailableError);
    expect((err as SourceUnavailableError).retryable).toBe(true);
  });

  it('hashes the bytes as received (lineage), whatever their decoding', async () => {
    const res = await at('/latin');
    expect(res.sha256).toBe(
      createHash('sha256')
        .update(Buffer.from([0x61, 0xff, 0x62]))
        .digest('hex'),
    );
    expect(res.body).toBe('a\ufffdb');
  });
});
