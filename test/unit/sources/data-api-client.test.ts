/**
 * The Data API source against the simulator over real HTTP: authentication, request shape,
 * timeouts and the error classes each answer maps to.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSimulator, type RunningSimulator } from '../../../simulator/server';
import { SimulatorControl } from '../../../simulator/control-client';
import { SourceAuthError, SourceRequestError, SourceUnavailableError } from '../../../activities/errors';
import { OPEN_GATE } from '../../../activities/rate-gate';
import { Secret } from '../../../activities/secret';
import type { PageRequest } from '../../../activities/sources/types';
import type { DataApiConfig } from '../../../activities/sources/data-api/config';
import { dataApiSimulator, expectedSpotCandles } from '../../../simulator/sources/data-api';
import { spotOhlcv } from '../../../activities/sources/data-api/ohlcv';

let sim: RunningSimulator;
let control: SimulatorControl;
const H = 3600;
const from = Date.UTC(2024, 0, 1) / 1000;
const req: PageRequest = {
  series: { source: 'data-api', dataset: 'spot-ohlcv', market: 'kraken', instrument: 'BTC-USD', interval: '1h' },
  from,
  to: from + 23 * H,
};

function ctx(config: Partial<DataApiConfig> = {}) {
  return {
    config: {
      baseUrl: `${sim.url}/data-api`,
      apiKey: undefined,
      timeoutMs: 5_000,
      rateLimits: 'off' as const,
      ...config,
    },
    signal: new AbortController().signal,
    gate: OPEN_GATE,
  };
}

beforeAll(async () => {
  sim = await startSimulator({ port: 0, sources: [dataApiSimulator] });
  control = new SimulatorControl(sim.url);
});
afterAll(async () => {
  await sim.close();
});
beforeEach(async () => {
  await control.reset();
});

describe('Data API spot OHLCV over HTTP', () => {
  it('fetches exactly the requested window and maps every row', async () => {
    const page = await spotOhlcv.fetchPage(ctx(), req);
    expect(page.batch.numRows).toBe(24);
    const expected = expectedSpotCandles('kraken', 'BTC-USD', '1h', from, from + 24 * H);
    expect(page.batch.getChild('ts')!.toArray()).toEqual(Float64Array.from(expected.map((r) => r.TIMESTAMP)));
    expect(page.batch.getChild('close')!.toArray()).toEqual(Float64Array.from(expected.map((r) => r.CLOSE!)));
    expect(page.request).toContain('limit=24');
    expect(page.request).toContain(`to_ts=${from + 23 * H}`);
    expect(page.responseSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(page.serverTime).toBeGreaterThan(0);
  });

  it('sends the API key as an authorization header, never in the URL', async () => {
    await control.sourceControl('data-api', 'config', { requireKey: true, validKeys: ['sk-valid'] }, 'PUT');
    const ok = await spotOhlcv.fetchPage(ctx({ apiKey: new Secret('sk-valid') }), req);
    expect(ok.batch.numRows).toBe(24);
    expect(ok.request).not.toContain('sk-valid');
    await expect(spotOhlcv.fetchPage(ctx(), req)).rejects.toBeInstanceOf(SourceAuthError);
    await expect(spotOhlcv.fetchPage(ctx({ apiKey: new Secret('sk-wrong') }), req)).rejects.toBeInstanceOf(
      SourceAuthError,
    );
  });

  it('times out a slow response as the retryable SourceUnavailableError', async () => {
    await control.addFault({ kind: 'slow', source: 'data-api', delayMs: 1_500, count: 1 });
    const err = await spotOhlcv.fetchPage(ctx({ timeoutMs: 300 }), req).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SourceUnavailableError);
    expect((err as Error).message).toContain('timed out after 300 ms');
  });

  it('a reset connection is SourceUnavailableError; an unknown instrument is SourceRequestError', async () => {
    await control.addFault({ kind: 'reset', source: 'data-api', count: 1 });
    await expect(spotOhlcv.fetchPage(ctx(), req)).rejects.toBeInstanceOf(SourceUnavailableError);
    await expect(
      spotOhlcv.fetchPage(ctx(), { ...req, series: { ...req.series, instrument: 'NOPE-USD' } }),
    ).rejects.toBeInstanceOf(SourceRequestError);
  });

  it('before the listing it reports the first available period instead of failing', async () => {
    const page = await spotOhlcv.fetchPage(ctx(), {
      ...req,
      from: Date.UTC(2001, 0, 1) / 1000,
      to: Date.UTC(2001, 0, 2) / 1000,
    });
    expect(page.batch.numRows).toBe(0);
    expect(page.firstAvailable).toBeGreaterThan(Date.UTC(2010, 0, 1) / 1000);
  });
});
