/**
 * The worker's configuration (`workers/config.ts`): every problem at once, secrets never printed.
 */
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../activities/errors';
import { Secret } from '../../activities/secret';
import { describeConfig, loadConfig } from '../../workers/config';

const base = { DATABASE_URL: 'postgres://u:pw@127.0.0.1:5432/db' };

describe('worker config', () => {
  it('reports every problem at once', () => {
    let err: unknown;
    try {
      loadConfig({
        DATABASE_URL: 'mysql://nope',
        INGEST_MAX_CONCURRENT_ACTIVITIES: 'lots',
        INGEST_SOURCES: 'data-api,nosuch',
        DATA_API_TIMEOUT_MS: '-5',
        DATA_API_BASE_URL: 'ftp://x',
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const problems = (err as ConfigError).problems.join('\n');
    expect(problems).toContain('DATABASE_URL');
    expect(problems).toContain('INGEST_MAX_CONCURRENT_ACTIVITIES');
    expect(problems).toContain('INGEST_SOURCES');
    expect((err as ConfigError).message.split('\n').length).toBeGreaterThanOrEqual(4);
  });

  it('reports a missing DATABASE_URL by name', () => {
    expect(() => loadConfig({})).toThrowError(/DATABASE_URL: is required/);
  });

  it('treats empty strings as unset and applies defaults', () => {
    const c = loadConfig({ ...base, INGEST_TASK_QUEUE: '', DATA_API_KEY: '  ', INGEST_RUN_WORKFLOWS: 'false' });
    expect(c.taskQueue).toBe('crypto-ingest');
    expect(c.runWorkflows).toBe(false);
    expect(c.sources.map((s) => s.definition.id)).toContain('data-api');
    expect((c.sources[0]!.config as { apiKey?: Secret }).apiKey).toBeUndefined();
  });

  it('never prints the API key or the database password', () => {
    const c = loadConfig({ ...base, DATA_API_KEY: 'sk-live-very-secret' });
    const cfg = c.sources.find((s) => s.definition.id === 'data-api')!.config as { apiKey: Secret };
    expect(cfg.apiKey.reveal()).toBe('sk-live-very-secret');
    const printed = [
      describeConfig(c),
      JSON.stringify(c),
      inspect(c, { depth: 10 }),
      String(cfg.apiKey),
      `${cfg.apiKey}`,
    ].join('\n');
    expect(printed).not.toContain('sk-live-very-secret');
    expect(describeConfig(c)).not.toContain(':pw@');
    expect(printed).toContain('[secret]');
  });
});
