/**
 * `httpGet` over real HTTP (a local server): a body larger than the cap is not read past the cap
 * and is a `MalformedResponseError` (bounded retries), whether or not the server declares its
 * length; a body under the cap is read whole.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MalformedResponseError } from '../../activities/errors';
import { httpGet } from '../../activities/http';

let server: http.Server;
let base: string;
const MB = 1024 * 1024;

beforeAll(async () => {
  server = http.createServer((req, res) => {
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
