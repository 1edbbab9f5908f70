/**
 * The request path every HTTP API source shares: URL building, `authorization: Apikey <key>` (never
 * in the URL), the budget gate, the source's own classification of the answer, the API's view of
 * its windows (an exhausted one pauses the source), and schema parsing of a success body.
 */
import type { z } from 'zod';
import { setTimeout as sleep } from 'node:timers/promises';
import { MALFORMED_IN_A_ROW, MalformedResponseError, RateLimitedError, ResponseSchemaError } from '../errors';
import { exhaustedWindows, httpGet, type HttpResponse } from '../http';
import { warn } from '../log';
import { recordRequest } from '../metrics';
import type { HttpSourceConfig } from './http-config';
import type { FetchContext } from './types';

/** What a source's classification of an answer may know of the request besides the response. */
export interface CheckContext {
  /** Whether the request carried an API key (some answers mean a quota when keyless, auth otherwise). */
  readonly keyed: boolean;
}

/** What lineage records of one response. */
export interface ResponseMeta {
  readonly request: string;
  readonly responseSha256: string;
  readonly serverTime: number | undefined;
}

/**
 * GET one resource of an HTTP API source: budget gate, auth header, `check` (the source's reading of
 * its status codes and error bodies: returns what a success means, throws the classified error
 * otherwise), then the API's own view of its windows.
 */
export async function getJson<T>(
  ctx: FetchContext<HttpSourceConfig>,
  path: string,
  params: Readonly<Record<string, string | number | boolean>>,
  check: (res: HttpResponse, req: CheckContext) => T,
): Promise<{ checked: T; meta: ResponseMeta }> {
  const url = new URL(`${ctx.config.baseUrl}${path}`);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, String(v));
  const headers: Record<string, string> = { accept: 'application/json' };
  if (ctx.config.apiKey) headers.authorization = `Apikey ${ctx.config.apiKey.reveal()}`;

  const ask = async (): Promise<{ res: HttpResponse; checked: T }> => {
    await ctx.gate.acquire(ctx.signal);
    try {
      const res = await httpGet(url, {
        headers,
        timeoutMs: ctx.config.timeoutMs,
        signal: ctx.signal,
        ...(ctx.config.maxBodyBytes !== undefined ? { maxBodyBytes: ctx.config.maxBodyBytes } : {}),
      });
      const checked = check(res, { keyed: ctx.config.apiKey !== undefined });
      recordRequest(ctx.source, 'ok');
      return { res, checked };
    } catch (err) {
      // A request cut short by cancellation (shutdown) is no answer of the API's: not counted.
      if (!ctx.signal.aborted) recordRequest(ctx.source, err instanceof RateLimitedError ? 'rate_limited' : 'error');
      throw err;
    }
  };
  const { res, checked } = await askUntilTheApiAnswers(ask, ctx.signal);
  // The API says a window is used up (other clients on the key, clock skew): pause the source
  // fleet-wide until it resets, instead of walking into a rate-limit answer.
  for (const w of exhaustedWindows(res.headers)) {
    await ctx.gate.pause(w.resetSeconds, `the API reports its ${w.windowSeconds} s window used up`, 'api-headers');
  }
  return { checked, meta: { request: res.url, responseSha256: res.sha256, serverTime: res.serverTime } };
}

/** Pause before asking again after the n-th answer in a row that was not the API's. */
export const MALFORMED_RETRY_DELAY_MS = (n: number): number => 500 * 2 ** (n - 1);

/**
 * Ask until an answer is the API's own: a proxy's page or a truncated body (`MalformedResponseError`)
 * usually passes, so the same request is asked again in place, after a short pause, up to
 * `MALFORMED_IN_A_ROW` answers in a row; then the last one is final. Counting in place means only
 * malformed answers in a row count, never the failures of other kinds on earlier activity attempts.
 */
export async function askUntilTheApiAnswers<R>(
  ask: () => Promise<R>,
  signal: AbortSignal,
  delayMs: (n: number) => number = MALFORMED_RETRY_DELAY_MS,
): Promise<R> {
  for (let n = 1; ; n++) {
    try {
      return await ask();
    } catch (err) {
      if (!(err instanceof MalformedResponseError)) throw err;
      if (n >= MALFORMED_IN_A_ROW) {
        throw new MalformedResponseError(`${err.message} (${n} answers in a row)`, {
          details: { ...err.details, inARow: n },
          cause: err.cause,
        });
      }
      warn(`not the API's answer (${n} of ${MALFORMED_IN_A_ROW} in a row), asking again: ${err.message}`);
      await sleep(delayMs(n), undefined, { signal });
    }
  }
}

/** Parse a success body with a schema, or fail the request with `ResponseSchemaError`. */
export function parseWith<T>(schema: z.ZodType<T>, json: unknown, meta: ResponseMeta, what = 'response'): T {
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
