/**
 * zod schemas for min-api envelopes (api-wire-reference §2). Objects are loose: the API adds fields
 * over time, and an unknown field is not a contract break.
 */
import { z } from 'zod';

/**
 * `{"Response":"Error","Message":"…","HasWarning":false,"Type":2,"RateLimit":{},"Data":{},
 * "ParamWithError":"fsym"}`; a ban adds `Cooldown` (seconds), Type 0 "Path does not exist" has only
 * `Response, Message, Type, Data`.
 */
export const errorEnvelopeSchema = z.looseObject({
  Response: z.literal('Error'),
  Message: z.string().optional(),
  Type: z.number().optional(),
  ParamWithError: z.string().optional(),
  Cooldown: z.number().optional(),
  /** Type 99: `{calls_made, max_calls}` per window (read by `spentWindow`). */
  RateLimit: z.unknown().optional(),
});
export type ErrorEnvelope = z.output<typeof errorEnvelopeSchema>;

/** `/data/v2/histo{day,hour,minute}` success: `Data.Data` holds the rows (validated one by one). */
export const histoEnvelopeSchema = z.looseObject({
  Response: z.literal('Success'),
  Type: z.literal(100),
  Data: z.looseObject({
    Aggregated: z.boolean(),
    TimeFrom: z.number(),
    TimeTo: z.number(),
    Data: z.array(z.unknown()),
  }),
});
