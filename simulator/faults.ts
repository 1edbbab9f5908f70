/**
 * The fault registry: switches that make the simulator misbehave on purpose. Each fault is matched
 * by source, path prefix and query parameters, and may be limited to a number of matching requests.
 */
import { z } from 'zod';
import { BAD_ROW_KINDS, FAULT_KINDS, type ActiveFault, type FaultKind, type FaultSpec } from './types';

/** Faults that the source module applies to its rows. */
export const SOURCE_FAULT_KINDS: readonly FaultKind[] = ['drift-new-field', 'drift-missing-field', 'bad-row'];

/** Delay used by a `slow` fault without `delayMs`. */
export const DEFAULT_SLOW_DELAY_MS = 1_000;

export const FaultSpecSchema = z
  .strictObject({
    kind: z.enum(FAULT_KINDS),
    source: z.string().min(1).optional(),
    pathPrefix: z.string().optional(),
    params: z.record(z.string(), z.string()).optional(),
    count: z.number().int().positive().optional(),
    delayMs: z.number().int().nonnegative().max(600_000).optional(),
    retryAfterSeconds: z.number().int().nonnegative().optional(),
    badRow: z.enum(BAD_ROW_KINDS).optional(),
  })
  .superRefine((spec, ctx) => {
    if (spec.kind === 'bad-row' && spec.badRow === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['badRow'],
        message: `a bad-row fault needs badRow (${BAD_ROW_KINDS.join(', ')})`,
      });
    }
    if (spec.kind !== 'bad-row' && spec.badRow !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['badRow'], message: 'badRow only applies to kind "bad-row"' });
    }
  });

interface FaultEntry {
  readonly id: string;
  readonly spec: FaultSpec;
  hits: number;
}

/** The faults (if any) that apply to one request. Both are already counted. */
export interface MatchedFaults {
  /** A `slow` fault: delay, then carry on with whatever else applies. */
  readonly slow: ActiveFault | undefined;
  /** The first matching fault of any other kind. */
  readonly fault: ActiveFault | undefined;
}

export class FaultRegistry {
  #entries: FaultEntry[] = [];
  #nextId = 1;

  add(spec: FaultSpec): ActiveFault {
    const normalized: FaultSpec = {
      ...spec,
      ...(spec.pathPrefix !== undefined && !spec.pathPrefix.startsWith('/')
        ? { pathPrefix: `/${spec.pathPrefix}` }
        : {}),
    };
    const entry: FaultEntry = { id: `f${this.#nextId++}`, spec: normalized, hits: 0 };
    this.#entries.push(entry);
    return snapshot(entry);
  }

  /** Every registered fault, including spent ones (`hits === count`), in insertion order. */
  list(): ActiveFault[] {
    return this.#entries.map(snapshot);
  }

  remove(id: string): boolean {
    const before = this.#entries.length;
    this.#entries = this.#entries.filter((e) => e.id !== id);
    return this.#entries.length !== before;
  }

  clear(): number {
    const n = this.#entries.length;
    this.#entries = [];
    return n;
  }

  /** Finds (and counts a hit on) the faults that apply to a request on `source` at `path`. */
  take(source: string, path: string, query: URLSearchParams): MatchedFaults {
    let slow: FaultEntry | undefined;
    let other: FaultEntry | undefined;
    for (const entry of this.#entries) {
      if (slow && other) break;
      const isSlow = entry.spec.kind === 'slow';
      if (isSlow ? slow : other) continue;
      if (!matches(entry, source, path, query)) continue;
      if (isSlow) slow = entry;
      else other = entry;
    }
    if (slow) slow.hits += 1;
    if (other) other.hits += 1;
    return { slow: slow && snapshot(slow), fault: other && snapshot(other) };
  }
}

function matches(entry: FaultEntry, source: string, path: string, query: URLSearchParams): boolean {
  const { spec } = entry;
  if (spec.count !== undefined && entry.hits >= spec.count) return false;
  if (spec.source !== undefined && spec.source !== source) return false;
  if (spec.pathPrefix !== undefined && !path.startsWith(spec.pathPrefix)) return false;
  if (spec.params) {
    for (const [key, value] of Object.entries(spec.params)) if (query.get(key) !== value) return false;
  }
  return true;
}

function snapshot(entry: FaultEntry): ActiveFault {
  return { ...entry.spec, id: entry.id, hits: entry.hits };
}
