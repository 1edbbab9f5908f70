/**
 * min-api requests: URL building, auth header, budget gate, response classification and the
 * success envelopes. Dataset modules only say which path and parameters they want.
 */
import type { z } from 'zod';
import { ResponseSchemaError } from '../../errors';
import { exhaustedWindows, httpGet } from '../../http';
import type { FetchContext } from '../types';
import type { MinApiConfig } from './config';
import { checkResponse } from './errors';

export interface ResponseMeta {
  readonly request: string;
  readonly responseSha256: string;
  readonly serverTime: number | undefined;
}

/**
 * GET one min-api resource: budget gate, `authorization: Apikey <key>` (never in the URL),
 * classification of the answer, and the API's own view of its windows (an exhausted one pauses
 * the source). Returns the parsed body of a success.
 */
export async function getMinApi(
  ctx: FetchContext<MinApiConfig>,
  path: string,
  params: Readonly<Record<string, string | number | boolean>>,
): Promise<{ json: unknown; meta: ResponseMeta }> {
  const url = new URL(`${ctx.config.baseUrl}${path}`);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, String(v));
  const headers: Record<string, string> = { accept: 'application/json' };
  if (ctx.config.apiKey) headers.authorization = `Apikey ${ctx.config.apiKey.reveal()}`;

  await ctx.gate.acquire(ctx.signal);
  const res = await httpGet(url, { headers, timeoutMs: ctx.config.timeoutMs, signal: ctx.signal });
  const json = checkResponse(res);
  // The API says a window is used up (other clients on the key, clock skew): pause the source
  // fleet-wide until it resets, instead of walking into a Type 99 answer.
  for (const w of exhaustedWindows(res.headers)) {
    await ctx.gate.pause(w.resetSeconds, `the API reports its ${w.windowSeconds} s window used up`, 'api-headers');
  }
  return { json, meta: { request: res.url, responseSha256: res.sha256, serverTime: res.serverTime } };
}

/** Parse a success body with a schema, or fail the request with `ResponseSchemaError`. */
export function parseBody<T>(schema: z.ZodType<T>, json: unknown, meta: ResponseMeta, what = 'response'): T {
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    throw new ResponseSchemaError(
      `GET ${meta.request}: ${what} breaks the contract: ${summarizeIssues(parsed.error.issues)}`,
      { details: { url: meta.request, issues: parsed.error.issues.slice(0, 5) } },
    );
  }
  return parsed.data;
}

/** A short, human-readable summary of zod issues (first few, with paths). */
export function summarizeIssues(issues: ReadonlyArray<{ path: PropertyKey[]; message: string }>): string {
  const shown = issues.slice(0, 3).map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`);
  return shown.join('; ') + (issues.length > 3 ? `; … ${issues.length - 3} more` : '');
}
