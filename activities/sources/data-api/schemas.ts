/**
 * zod schemas for Data API bodies (api-wire-reference §3). Objects are loose: the API adds
 * fields over time, and an unknown field is not a contract break.
 */
import { z } from 'zod';

/** `{"Data":{},"Err":{"type":1,"message":"…","other_info":{…}}}` */
export const errorEnvelopeSchema = z.looseObject({
  Err: z.looseObject({
    type: z.number().optional(),
    message: z.string().optional(),
    other_info: z.looseObject({ first: z.number().optional(), param: z.string().optional() }).optional(),
  }),
});

/** Success envelope of the historical endpoints: `Data` is an array, `Err` an empty object. */
export const historicalEnvelopeSchema = z.looseObject({
  Data: z.array(z.unknown()),
  Err: z.looseObject({}),
});
