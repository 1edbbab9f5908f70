/**
 * The legacy CryptoCompare min-api: https://min-api.cryptocompare.com
 * Wire format: shared/docs/api-wire-reference.md §2; datasets: docs/datasets.md.
 */
import type { SourceDefinition } from '../types';
import { httpSourceBudget } from '../http-config';
import { minApiConfigSchema, type MinApiConfig } from './config';
import { histoOhlcv } from './histo';
import { MIN_API_REFERENCES } from './reference';

export const minApiSource: SourceDefinition<MinApiConfig> = {
  id: 'min-api',
  description: 'CryptoCompare min-api, legacy (OHLCV per exchange or CCCAGG, top lists, coin list, exchanges)',
  envPrefix: 'MIN_API',
  budget: (config) => httpSourceBudget('min-api', config),
  configSchema: minApiConfigSchema,
  datasets: { [histoOhlcv.id]: histoOhlcv },
  references: Object.fromEntries(MIN_API_REFERENCES.map((r) => [r.id, r])),
};
