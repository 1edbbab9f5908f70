/**
 * The source registry: one line per API. Nothing else outside `activities/sources/<id>/` names
 * a source.
 */
import type { SourceDefinition } from './types';
import { dataApiSource } from './data-api/index';
import { minApiSource } from './min-api/index';

export const SOURCES: ReadonlyArray<SourceDefinition<any>> = [dataApiSource, minApiSource]; // eslint-disable-line @typescript-eslint/no-explicit-any

export function findSource(id: string): SourceDefinition<unknown> | undefined {
  return SOURCES.find((s) => s.id === id);
}
