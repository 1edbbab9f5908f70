/**
 * Data API requests: URL building, auth header, budget gate, response classification and the
 * success envelope. Dataset modules only say which path and parameters they want.
 */
import type { z } from 'zod';
import { ResponseSchemaError } from '../../errors';
import { exhaustedWindows, httpGet } from '../../http';
import type { FetchContext } from '../types';
import type { Interval } from '../../../workflows/contracts/series';
import type { DataApiConfig } from './config';
import { checkResponse, type Checked } from './errors';
import { historicalEnvelopeSchema } from './schemas';

/** Path segment of the historical endpoints per interval. */
export const UNIT_PATH: Record<Interval, 'minutes' | 'hours' | 'days'> = {
  '1m': 'minutes',
  '1h': 'hours',
  '1d': 'days',
};
export const UNIT_NAME: Record<Interval, 'MINUTE' | 'HOUR' | 'DAY'> = { '1m': 'MINUTE', '1h': 'HOUR', '1d': 'DAY' };

/** The API's `limit` caps: 5000 for days, 2000 for hours and minutes. */
export function historicalLimitCap(interval: Interval): number {
  return interval === '1d' ? 5_000 : 2_000;
}

export interface ResponseMeta {
  readonly request: string;
  readonly responseSha256: string;
  readonly serverTime: number | undefined;
}

export interface HistoricalResult extends ResponseMeta {
  readonly kind: 'rows';
  readonly rows: readonly unknown[];
}

export interface NotTradingResult extends ResponseMeta {
  readonly kind: 'not-trading';
  readonly first: number;
}

/**
 * GET one Data API resource: budget gate, auth header, classification of the answer, and the
 * API's own view of its windows (an exhausted one pauses the source). Returns the parsed body.
 */
export async function getData(
  ctx: FetchContext<DataApiConfig>,
  path: string,
  params: Readonly<Record<string, string | number>>,
): Promise<{ checked: Checked; meta: ResponseMeta }> {
  const url = new URL(`${ctx.config.baseUrl}${path}`);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, String(v));
  const headers: Record<string, string> = { accept: 'application/json' };
  if (ctx.config.apiKey) headers.authorization = `Apikey ${ctx.config.apiKey.reveal()}`;

  await ctx.gate.acquire(ctx.signal);
  const res = await httpGet(url, { headers, timeoutMs: ctx.config.timeoutMs, signal: ctx.signal });
  const checked = checkResponse(res);
  // The API says a window is used up (other clients on the key, clock skew): pause the source
  // fleet-wide until it resets, instead of walking into a 429.
  for (const w of exhaustedWindows(res.headers)) {
    await ctx.gate.pause(w.resetSeconds, `the API reports its ${w.windowSeconds} s window used up`, 'api-headers');
  }
  return { checked, meta: { request: res.url, responseSha256: res.sha256, serverTime: res.serverTime } };
}

/** GET one historical page. Throws the classified error on anything but success / "not trading". */
export async function getHistorical(
  ctx: FetchContext<DataApiConfig>,
  path: string,
  params: Readonly<Record<string, string | number>>,
): Promise<HistoricalResult | NotTradingResult> {
  const { checked, meta } = await getData(ctx, path, params);
  if (checked.kind === 'not-trading') return { kind: 'not-trading', first: checked.first, ...meta };
  const envelope = historicalEnvelopeSchema.safeParse(checked.json);
  if (!envelope.success) {
    throw new ResponseSchemaError(
      `GET ${meta.request}: unexpected envelope: ${summarizeIssues(envelope.error.issues)}`,
      {
        details: { url: meta.request, issues: envelope.error.issues.slice(0, 5) },
      },
    );
  }
  return { kind: 'rows', rows: envelope.data.Data, ...meta };
}

/** Parse a success body's `Data` with a schema, or fail the request with `ResponseSchemaError`. */
export function parseData<T>(schema: z.ZodType<T>, checked: Checked, meta: ResponseMeta): T {
  if (checked.kind !== 'ok') {
    throw new ResponseSchemaError(`GET ${meta.request}: unexpected "not trading" answer`, {
      details: { url: meta.request },
    });
  }
  const parsed = schema.safeParse(checked.json);
  if (!parsed.success) {
    throw new ResponseSchemaError(
      `GET ${meta.request}: response breaks the contract: ${summarizeIssues(parsed.error.issues)}`,
      {
        details: { url: meta.request, issues: parsed.error.issues.slice(0, 5) },
      },
    );
  }
  return parsed.data;
}

/** A short, human-readable summary of zod issues (first few, with paths). */
export function summarizeIssues(issues: ReadonlyArray<{ path: PropertyKey[]; message: string }>): string {
  const shown = issues.slice(0, 3).map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`);
  return shown.join('; ') + (issues.length > 3 ? `; … ${issues.length - 3} more` : '');
}
