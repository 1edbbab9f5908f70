/**
 * The universe configuration file (`config/universe.json`): what to track, which reference data to
 * refresh, schedule timings. Validated here (every problem at once) by the CLI before applying
 * schedules and by `resolveUniverse` before using it.
 */
import { z } from 'zod';
import type { UniverseConfig } from '../workflows/contracts/universe';
import { INTERVALS, parseDurationMs } from '../workflows/contracts/series';
import { findSource } from './sources/index';

const duration = z.string().refine((v) => (parseDurationMs(v) ?? 0) >= 1_000, 'a duration like 30s, 5m, 1h, 1d');
const timing = z.object({ every: duration, offset: duration.optional() }).strict();
const id = z.string().min(1).max(100);
const horizon = z
  .string()
  .regex(/^(listing|P\d+D)$/, "'listing' or an ISO-8601 number of days like P365D")
  .default('P30D');

const trackRule = z
  .object({
    name: id,
    source: id,
    dataset: id,
    intervals: z.array(z.enum(INTERVALS)).min(1),
    instruments: z
      .array(z.object({ market: id, instrument: id }).strict())
      .min(1)
      .optional(),
    select: z
      .object({
        markets: z.array(id).min(1),
        quotes: z.array(id).min(1).optional(),
        bases: z.array(id).min(1).optional(),
        topAssets: z
          .object({
            n: z.number().int().min(1).max(5_000),
            source: id.optional(),
            list: id.optional(),
            quote: id.optional(),
          })
          .strict()
          .optional(),
        statuses: z.array(id).min(1).optional(),
      })
      .strict()
      .optional(),
    horizon,
  })
  .strict()
  .superRefine((r, ctx) => {
    if (!r.instruments === !r.select)
      ctx.addIssue({ code: 'custom', message: 'give either instruments or select, not both or neither' });
    const src = findSource(r.source);
    if (!src) {
      ctx.addIssue({ code: 'custom', path: ['source'], message: `unknown source '${r.source}'` });
      return;
    }
    const ds = src.datasets[r.dataset];
    if (!ds) {
      ctx.addIssue({
        code: 'custom',
        path: ['dataset'],
        message: `source '${r.source}' has no dataset '${r.dataset}' (has: ${Object.keys(src.datasets).join(', ')})`,
      });
      return;
    }
    for (const i of r.intervals) {
      if (!ds.intervals.includes(i))
        ctx.addIssue({ code: 'custom', path: ['intervals'], message: `dataset '${r.dataset}' has no interval '${i}'` });
    }
    if (r.select && !ds.instrumentKind) {
      ctx.addIssue({
        code: 'custom',
        path: ['select'],
        message: `dataset '${r.dataset}' has no instruments reference to select from`,
      });
    }
  });

export const universeConfigSchema = z
  .object({
    version: z.literal(1),
    references: z
      .array(z.object({ source: id, dataset: id, params: z.record(z.string(), z.unknown()).optional() }).strict())
      .default([]),
    track: z.array(trackRule).min(1),
    schedules: z
      .object({
        universe: timing.optional(),
        sync: z.partialRecord(z.enum(INTERVALS), timing).optional(),
        repair: timing.optional(),
      })
      .strict()
      .optional(),
    sync: z
      .object({
        lookbackPeriods: z.partialRecord(z.enum(INTERVALS), z.number().int().min(0).max(10_000)).optional(),
        batchSize: z.number().int().min(1).max(1_000).optional(),
        concurrency: z.number().int().min(1).max(32).optional(),
      })
      .strict()
      .optional(),
    backfillConcurrency: z.number().int().min(1).max(64).optional(),
    reconcile: z
      .object({
        every: duration.optional(),
        offset: duration.optional(),
        days: z.number().int().min(1).max(31).optional(),
        tolerance: z
          .object({ close: z.number().min(0).lt(1).optional(), volume: z.number().min(0).lt(1).optional() })
          .strict()
          .optional(),
      })
      .strict()
      .optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    c.references.forEach((r, i) => {
      const src = findSource(r.source);
      if (!src)
        ctx.addIssue({ code: 'custom', path: ['references', i, 'source'], message: `unknown source '${r.source}'` });
      else if (!src.references[r.dataset]) {
        ctx.addIssue({
          code: 'custom',
          path: ['references', i, 'dataset'],
          message: `source '${r.source}' has no reference dataset '${r.dataset}' (has: ${Object.keys(src.references).join(', ')})`,
        });
      }
    });
    const names = c.track.map((t) => t.name);
    const dup = names.find((n, i) => names.indexOf(n) !== i);
    if (dup) ctx.addIssue({ code: 'custom', path: ['track'], message: `rule name '${dup}' is used twice` });
  });

/** Validate a config; every problem as `path: message`, or the parsed config. */
export function parseUniverseConfig(
  raw: unknown,
): { ok: true; config: UniverseConfig } | { ok: false; problems: string[] } {
  const parsed = universeConfigSchema.safeParse(raw);
  if (parsed.success) return { ok: true, config: parsed.data as UniverseConfig };
  return {
    ok: false,
    problems: parsed.error.issues.map((i) => `${i.path.map(String).join('.') || '(config)'}: ${i.message}`),
  };
}
