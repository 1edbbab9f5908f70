/**
 * Data API requests: the shared HTTP source request path with this API's classification of answers,
 * and the historical success envelope. Dataset modules only say which path and parameters they want.
 */
import type { z } from 'zod';
import { ResponseSchemaError } from '../../errors';
import { getJson, parseWith, summarizeIssues, type ResponseMeta } from '../http-client';
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

/**
 * GET one Data API resource through the shared HTTP source request path, with this API's
 * classification of answers. Returns the parsed body of a success, or the "not trading" signal.
 */
export function getData(
  ctx: FetchContext<DataApiConfig>,
  path: string,
  params: Readonly<Record<string, string | number>>,
): Promise<{ checked: Checked; meta: ResponseMeta }> {
  return getJson(ctx, path, params, checkResponse);
}

/** GET one historical page. Throws the classified error on anything but success / "not trading". */
export async function getHistorical(
  ctx: FetchContext<DataApiConfig>,
  path: string,
  params: Readonly<Record<string, string | number>>,
): Promise<
  | { readonly kind: 'rows'; readonly rows: readonly unknown[]; readonly meta: ResponseMeta }
  | { readonly kind: 'not-trading'; readonly first: number; readonly meta: ResponseMeta }
> {
  const { checked, meta } = await getData(ctx, path, params);
  if (checked.kind === 'not-trading') return { kind: 'not-trading', first: checked.first, meta };
  const envelope = historicalEnvelopeSchema.safeParse(checked.json);
  if (!envelope.success) {
    throw new ResponseSchemaError(
      `GET ${meta.request}: unexpected envelope: ${summarizeIssues(envelope.error.issues)}`,
      {
        details: { url: meta.request, issues: envelope.error.issues.slice(0, 5) },
      },
    );
  }
  return { kind: 'rows', rows: envelope.data.Data, meta };
}

/** Parse a success body with a schema, or fail the request with `ResponseSchemaError`. */
export function parseData<T>(schema: z.ZodType<T>, checked: Checked, meta: ResponseMeta): T {
  if (checked.kind !== 'ok') {
    throw new ResponseSchemaError(`GET ${meta.request}: unexpected "not trading" answer`, {
      details: { url: meta.request },
    });
  }
  return parseWith(schema, checked.json, meta);
}
