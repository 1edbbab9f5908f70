/** Helpers shared by the sources' reference datasets. */

/** Every field of an API object that is not already a column (kept in the row's `attributes`). */
export function rest(obj: Record<string, unknown>, columns: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) if (!columns.includes(k)) out[k] = v;
  return out;
}
