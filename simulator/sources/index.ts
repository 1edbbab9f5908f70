/**
 * The simulator's registry: one wire-faithful twin per real API, each mounted at `/<source id>`.
 * A twin lives in `simulator/sources/<id>/`, beside nothing of production's but the source id it
 * shares with `activities/sources/<id>/`. Adding a twin = a folder plus one line here.
 */
import type { SourceSimulator } from '../types';
import { dataApiSimulator } from './data-api/index';
import { minApiSimulator } from './min-api/index';

export const SIMULATED_SOURCES: readonly SourceSimulator[] = [dataApiSimulator, minApiSimulator];

export function findSimulator(id: string): SourceSimulator | undefined {
  return SIMULATED_SOURCES.find((s) => s.id === id);
}
