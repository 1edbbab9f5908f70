/**
 * CoinDesk (formerly CryptoCompare) Data API: https://data-api.coindesk.com
 * Wire format: ../../../../shared/docs/api-wire-reference.md §3 (copy in docs/datasets.md).
 */
import type { SourceDefinition } from '../types';
import { dataApiConfigSchema, type DataApiConfig } from './config';
import { spotOhlcv } from './spot-ohlcv';

export const dataApiSource: SourceDefinition<DataApiConfig> = {
  id: 'data-api',
  description: 'CoinDesk Data API (spot and futures market data, assets, instruments)',
  configSchema: dataApiConfigSchema,
  datasets: { [spotOhlcv.id]: spotOhlcv },
  loadSimulator: async () => (await import('./simulator')).dataApiSimulator,
};
