/** SQL text helpers shared by the stores (generated per dataset from its column spec). */
import type { DatasetSpec } from '../sources/types';

/** A quoted identifier. */
export const q = (ident: string): string => `"${ident.replace(/"/g, '""')}"`;

/** `alias.col1 = $n::text AND …` over the dataset's series columns, parameters from `firstParam`. */
export function seriesWhere(ds: DatasetSpec<unknown>, alias: string, firstParam: number): string {
  return ds.seriesColumns.map((c, i) => `${alias}.${q(c.name)} = $${firstParam + i}::text`).join(' AND ');
}
