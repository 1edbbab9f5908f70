/**
 * A fast, allocation-free accept test for the row schemas of the time-series datasets, derived once
 * from the zod schema itself: a loose object whose fields are plain numbers (optionally safe
 * integers), strings or booleans, each optionally optional or nullable. It only ever says "zod
 * would accept this row": a row it does not accept goes to zod, which decides and words the
 * reason, so the outcome of validation is zod's in every case. A schema with anything else (a
 * refinement, a transform, a nested object, a check it does not know) gets no plain check, and zod
 * runs for every row.
 *
 * Why: zod copies every row into a new object (2,000 rows a page, 30 fields each); on the bench's
 * profile that copy and its garbage were the largest part of the worker's CPU after JSON parsing.
 */
import type { z } from 'zod';

const Kind = { Number: 0, SafeInt: 1, String: 2, Boolean: 3 } as const;
type Kind = (typeof Kind)[keyof typeof Kind];

interface Field {
  readonly key: string;
  readonly kind: Kind;
  readonly optional: boolean;
  readonly nullable: boolean;
}

/** The subset of zod 4's schema internals read here (`schema._zod.def`). */
interface Def {
  readonly type: string;
  readonly checks?: ReadonlyArray<{ _zod: { def: { check?: string; format?: string } } }>;
  readonly innerType?: { _zod: { def: Def } };
  readonly shape?: Record<string, { _zod: { def: Def } }>;
  readonly catchall?: { _zod: { def: Def } };
}

const defOf = (schema: unknown): Def | undefined => (schema as { _zod?: { def?: Def } })?._zod?.def;

function fieldOf(key: string, def: Def): Field | undefined {
  let optional = false;
  let nullable = false;
  let d: Def | undefined = def;
  for (;;) {
    if (d?.type === 'optional' && !optional) optional = true;
    else if (d?.type === 'nullable' && !nullable) nullable = true;
    else break;
    d = d.innerType?._zod.def;
  }
  if (!d) return undefined;
  const checks = d.checks ?? [];
  if (d.type === 'number') {
    if (checks.length === 0) return { key, kind: Kind.Number, optional, nullable };
    const only = checks.length === 1 ? checks[0]!._zod.def : undefined;
    if (only?.check === 'number_format' && only.format === 'safeint')
      return { key, kind: Kind.SafeInt, optional, nullable };
    return undefined;
  }
  if (checks.length > 0) return undefined;
  if (d.type === 'string') return { key, kind: Kind.String, optional, nullable };
  if (d.type === 'boolean') return { key, kind: Kind.Boolean, optional, nullable };
  return undefined;
}

export type PlainCheck = (row: Record<string, unknown>) => boolean;

const cache = new WeakMap<object, PlainCheck | null>();

/**
 * The plain check of a loose-object schema, or undefined when the schema has anything it cannot
 * mirror exactly (then zod must judge every row).
 */
export function plainCheckOf(schema: z.ZodType): PlainCheck | undefined {
  const hit = cache.get(schema);
  if (hit !== undefined) return hit ?? undefined;
  const check = build(schema);
  cache.set(schema, check ?? null);
  return check;
}

function build(schema: z.ZodType): PlainCheck | undefined {
  const def = defOf(schema);
  // Only a loose object: its output is the input's own keys and values, so the raw row can stand in.
  if (def?.type !== 'object' || defOf(def.catchall)?.type !== 'unknown' || !def.shape) return undefined;
  const fields: Field[] = [];
  for (const [key, field] of Object.entries(def.shape)) {
    const f = fieldOf(key, field._zod.def);
    if (!f) return undefined;
    fields.push(f);
  }
  return (row) => {
    for (let i = 0; i < fields.length; i++) {
      const f = fields[i]!;
      const v = row[f.key];
      switch (f.kind) {
        case Kind.Number:
          if (typeof v === 'number' && v - v === 0) continue; // finite (zod refuses NaN and ±Infinity)
          break;
        case Kind.SafeInt:
          if (Number.isSafeInteger(v)) continue;
          break;
        case Kind.String:
          if (typeof v === 'string') continue;
          break;
        case Kind.Boolean:
          if (typeof v === 'boolean') continue;
          break;
      }
      if (v === undefined && f.optional && !(f.key in row)) continue; // absent (a present `undefined` goes to zod)
      if (v === null && f.nullable) continue;
      return false;
    }
    return true;
  };
}
