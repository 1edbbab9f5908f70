/**
 * Data API requests: URL building, auth header, budget gate, response classification and the
 * success envelope. Dataset modules only say which path and parameters they want.
 */
import { ResponseSchemaError } from '../../errors';
import { httpGet } from '../../http';
import type { FetchContext } from '../types';
import type { Interval } from '../../../workflows/contracts/series';
import type { DataApiConfig } from './config';
import { checkResponse } from './errors';
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

export interface HistoricalResult {
  readonly kind: 'rows';
  readonly rows: readonly unknown[];
  readonly request: string;
  readonly responseSha256: string;
  readonly serverTime: number | undefined;
}

export interface NotTradingResult {
  readonly kind: 'not-trading';
  readonly first: number;
  readonly request: string;
  readonly responseSha256: string;
  readonly serverTime: number | undefined;
}

/** GET one historical page. Throws the classified error on anything but success / "not trading". */
export async function getHistorical(
  ctx: FetchContext<DataApiConfig>,
  path: string,
  params: Readonly<Record<string, string | number>>,
): Promise<HistoricalResult | NotTradingResult> {
  const url = new URL(`${ctx.config.baseUrl}${path}`);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, String(v));
  const headers: Record<string, string> = { accept: 'application/json' };
  if (ctx.config.apiKey) headers.authorization = `Apikey ${ctx.config.apiKey.reveal()}`;

  await ctx.gate.acquire(ctx.signal);
  const res = await httpGet(url, { headers, timeoutMs: ctx.config.timeoutMs, signal: ctx.signal });
  const checked = checkResponse(res);
  const meta = { request: res.url, responseSha256: res.sha256, serverTime: res.serverTime };
  if (checked.kind === 'not-trading') return { kind: 'not-trading', first: checked.first, ...meta };

  const envelope = historicalEnvelopeSchema.safeParse(checked.json);
  if (!envelope.success) {
    throw new ResponseSchemaError(`GET ${res.url}: unexpected envelope: ${summarizeIssues(envelope.error.issues)}`, {
      details: { url: res.url, issues: envelope.error.issues.slice(0, 5) },
    });
  }
  return { kind: 'rows', rows: envelope.data.Data, ...meta };
}

/** A short, human-readable summary of zod issues (first few, with paths). */
export function summarizeIssues(issues: ReadonlyArray<{ path: PropertyKey[]; message: string }>): string {
  const shown = issues.slice(0, 3).map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`);
  return shown.join('; ') + (issues.length > 3 ? `; … ${issues.length - 3} more` : '');
}
