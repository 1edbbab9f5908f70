/**
 * Test helpers for the Data API simulator tests: a real HTTP simulator with only the Data API
 * mounted, and small fetch wrappers. Used by this twin's `*.test.ts`.
 */
import { SimulatorControl } from '../../control-client';
import { startSimulator, type RunningSimulator } from '../../server';
import { dataApiSimulator } from '.';

export interface HttpResult {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  /** Parsed body, or undefined when it is not JSON. */
  readonly json: unknown;
}

export interface ErrorEnvelope {
  Data: Record<string, never>;
  Err: { type: number; message: string; other_info: Record<string, unknown> };
}

export interface DataApiTestServer {
  readonly sim: RunningSimulator;
  readonly control: SimulatorControl;
  /** GET `/data-api<path>?<params>`. */
  get(path: string, params?: Record<string, string | number>, headers?: Record<string, string>): Promise<HttpResult>;
  close(): Promise<void>;
}

export async function startDataApiServer(): Promise<DataApiTestServer> {
  const sim = await startSimulator({ port: 0, sources: [dataApiSimulator], log: () => {} });
  const control = new SimulatorControl(sim.url);
  return {
    sim,
    control,
    async get(path, params = {}, headers = {}) {
      const qs = new URLSearchParams(Object.entries(params).map(([k, v]): [string, string] => [k, String(v)]));
      const res = await fetch(`${sim.url}/data-api${path}${qs.size > 0 ? `?${qs}` : ''}`, { headers });
      const text = await res.text();
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      return { status: res.status, headers: res.headers, text, json };
    },
    close: () => sim.close(),
  };
}
