/**
 * min-api requests: the shared HTTP source request path with this API's classification of answers.
 * Dataset modules only say which path and parameters they want, and parse the body with `parseWith`.
 */
import { getJson, type ResponseMeta } from '../http-client';
import type { FetchContext } from '../types';
import type { MinApiConfig } from './config';
import { checkResponse } from './errors';

/**
 * GET one min-api resource (`authorization: Apikey <key>`, never in the URL). Returns the parsed
 * body of a success; every error envelope is thrown as its classified error.
 */
export async function getMinApi(
  ctx: FetchContext<MinApiConfig>,
  path: string,
  params: Readonly<Record<string, string | number | boolean>>,
): Promise<{ json: unknown; meta: ResponseMeta }> {
  const { checked, meta } = await getJson(ctx, path, params, checkResponse);
  return { json: checked, meta };
}
