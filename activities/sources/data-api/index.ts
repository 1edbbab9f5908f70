/**
 * CoinDesk (formerly CryptoCompare) Data API: https://data-api.coindesk.com
 * Wire format: shared/docs/api-wire-reference.md §3; datasets: docs/datasets.md.
 */
import type { SourceDefinition } from '../types';
import { httpSourceBudget } from '../http-config';
import { dataApiConfigSchema, type DataApiConfig } from './config';
import { futuresFundingRate, futuresOpenInterest } from './derivatives';
import { futuresOhlcv, spotOhlcv } from './ohlcv';
import { DATA_API_REFERENCES } from './reference';

export const dataApiSource: SourceDefinition<DataApiConfig> = {
  id: 'data-api',
  description: 'CoinDesk Data API (spot and futures market data, assets, instruments)',
  envPrefix: 'DATA_API',
  budget: (config) => httpSourceBudget('data-api', config),
  configSchema: dataApiConfigSchema,
  datasets: Object.fromEntries(
    [spotOhlcv, futuresOhlcv, futuresOpenInterest, futuresFundingRate].map((d) => [d.id, d]),
  ),
  references: Object.fromEntries(DATA_API_REFERENCES.map((r) => [r.id, r])),
};
