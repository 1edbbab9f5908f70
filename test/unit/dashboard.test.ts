/**
 * The dashboard's settings and the texts it hands the operator: SLOs, the Temporal UI link, the
 * repair command. Bad settings are named, every one at once, before anything listens.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_DASHBOARD_PORT, DEFAULT_TEMPORAL_UI_URL, parseDashboardOptions } from '../../cli/dashboard';
import { UsageError } from '../../cli/errors';
import { parseRepairOptions } from '../../cli/repair';
import { DEFAULT_SLO, repairCommand } from '../../dashboard/queries';
import { temporalUiLink } from '../../dashboard/workflows';

describe('crypto-ingest dashboard options', () => {
  it('defaults: local port, the local stack’s Temporal UI, the default SLOs', () => {
    expect(parseDashboardOptions({}, {})).toEqual({
      host: '127.0.0.1',
      port: DEFAULT_DASHBOARD_PORT,
      slo: DEFAULT_SLO,
      temporalUiUrl: DEFAULT_TEMPORAL_UI_URL,
      limits: [],
    });
    expect(DEFAULT_SLO).toEqual({ '1m': 180, '1h': 7200, '1d': 93_600 });
  });

  it('takes flags over the environment; an SLO overrides only the intervals it names', () => {
    const env = {
      INGEST_DASHBOARD_PORT: '9000',
      INGEST_DASHBOARD_HOST: '0.0.0.0',
      INGEST_DASHBOARD_SLO: '1m=10m',
      TEMPORAL_UI_URL: 'https://temporal.example.com/ui/',
    };
    expect(parseDashboardOptions({}, env)).toMatchObject({
      host: '0.0.0.0',
      port: 9000,
      slo: { '1m': 600, '1h': 7200, '1d': 93_600 },
      temporalUiUrl: 'https://temporal.example.com/ui',
    });
    expect(parseDashboardOptions({ port: '0', slo: '1h=90m,1d=2d', temporalUiUrl: 'off' }, env)).toMatchObject({
      port: 0,
      slo: { '1m': 180, '1h': 5400, '1d': 172_800 },
      temporalUiUrl: null,
    });
  });

  it('names every bad setting at once', () => {
    let err: unknown;
    try {
      parseDashboardOptions({ port: '70000', slo: '5m=10m,1h=soon', temporalUiUrl: 'ftp://x' }, {});
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UsageError);
    const text = (err as Error).message;
    expect(text).toContain("--port '70000' is not a whole number from 0 to 65535");
    expect(text).toContain("--slo '5m=10m': expected <interval>=<duration>");
    expect(text).toContain("--slo '1h=soon'");
    expect(text).toContain("--temporal-ui-url 'ftp://x' is not an http(s) URL");
    // From the environment, the message names the variable.
    expect(() => parseDashboardOptions({}, { INGEST_DASHBOARD_SLO: '1m' })).toThrow(/INGEST_DASHBOARD_SLO '1m'/);
  });
});

describe('what the page hands the operator', () => {
  it('links a run into the Temporal UI, IDs escaped', () => {
    expect(temporalUiLink('http://127.0.0.1:8233/', 'default', 'backfill/data-api/spot-ohlcv/kraken', 'r-1')).toBe(
      'http://127.0.0.1:8233/namespaces/default/workflows/backfill%2Fdata-api%2Fspot-ohlcv%2Fkraken/r-1/history',
    );
  });

  it('repairs a hole with the command the CLI takes', () => {
    const cmd = repairCommand({ source: 'data-api', dataset: 'spot-ohlcv', interval: '1h' }, '2026-11-30');
    expect(cmd).toBe(
      'crypto-ingest repair --source data-api --dataset spot-ohlcv --interval 1h --since 2026-11-30 --wait',
    );
    // … and the repair command's own parser accepts it as that scope.
    const [, , , source, , dataset, , interval, , since] = cmd.split(' ');
    expect(parseRepairOptions({ source, dataset, interval, since }, Date.parse('2026-12-02T00:00:00Z'))).toEqual({
      source: 'data-api',
      dataset: 'spot-ohlcv',
      interval: '1h',
      since: '2026-11-30T00:00:00Z',
    });
  });
});
