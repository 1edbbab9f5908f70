/**
 * The compose deployment (docker-compose.yml, Dockerfile, deploy/): a real Compose implementation
 * must accept it (`config`), and what it resolves must fit the worker: every variable the worker
 * requires is set, the config the worker would load from it is valid, images are pinned, the
 * worker is scalable, runs with row rights only and without migrating, secrets come from files,
 * and the monitoring files it mounts exist and speak the metrics contract (docs/metrics.md).
 *
 * Needs a Compose binary: `bash scripts/install-compose.sh` prints one (installing Debian's
 * docker-compose when root). Without one this test FAILS, it never skips.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import yaml from 'js-yaml';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../activities/errors';
import { simulatorWorkerEnv } from '../../stack/simulator-env';
import { SEARCH_ATTRIBUTE_REGISTRATIONS } from '../../workflows/contracts/search-attributes';
import { loadConfig } from '../../workers/config';
import { WORKER_BUILD, WORKER_MALLOC_ENV } from '../../workers/build-worker';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const at = (...p: string[]): string => path.join(ROOT, ...p);

// js-yaml parses what `config` prints.

/** The metrics contract with activities/metrics.ts and docs/metrics.md (plus the SDK's temporal_*). */
const METRICS = new Set([
  'crypto_ingest_rows_total',
  'crypto_ingest_requests_total',
  'crypto_ingest_pages_total',
  'crypto_ingest_rate_limit_pauses_total',
  'crypto_ingest_activity_failures_total',
  'crypto_ingest_source_paused_seconds',
  'crypto_ingest_rate_budget_used',
  'crypto_ingest_rate_budget_limit',
  'crypto_ingest_series_lag_seconds',
  'crypto_ingest_series_lag_intervals',
  'crypto_ingest_coverage_missing_periods',
  'crypto_ingest_quarantine_rows',
]);

type Dict = Record<string, unknown>;
interface Service {
  image?: string;
  build?: unknown;
  container_name?: string;
  ports?: unknown[];
  environment?: Record<string, string | null>;
  secrets?: Array<string | { source: string; target?: string }>;
  depends_on?: Record<string, { condition: string }> | string[];
  command?: string[] | string;
  entrypoint?: string[] | string;
  volumes?: Array<string | { type: string; source: string; target: string }>;
  networks?: Record<string, { aliases?: string[] } | null> | string[];
  profiles?: string[];
}
interface Compose {
  services: Record<string, Service>;
  secrets?: Record<string, { file?: string; environment?: string; external?: boolean }>;
}

let composeBin = '';
let resolved: Compose;
let resolvedSim: Compose;

function compose(args: string[]): string {
  const r = spawnSync(composeBin, ['--project-directory', ROOT, '-f', at('docker-compose.yml'), ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, COMPOSE_PROFILES: '' },
  });
  if (r.status !== 0) throw new Error(`${composeBin} ${args.join(' ')} failed (${r.status}):\n${r.stderr}`);
  return r.stdout;
}

const load = (text: string): Compose => yaml.load(text) as Compose;
const envOf = (s: Service): Record<string, string> =>
  Object.fromEntries(Object.entries(s.environment ?? {}).map(([k, v]) => [k, v ?? '']));
const secretNames = (s: Service): string[] => (s.secrets ?? []).map((x) => (typeof x === 'string' ? x : x.source));
const text = (v: string[] | string | undefined): string => (Array.isArray(v) ? v.join(' ') : (v ?? ''));

/** The worker's environment as the image's entrypoint hands it over: `<NAME>_FILE` → NAME. */
function afterEntrypoint(env: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    const m = /^(PGPASSWORD|[A-Z][A-Z0-9_]*_KEY)_FILE$/.exec(k);
    if (m) out[m[1]!] = 'from-secret-file';
    else out[k] = v;
  }
  return out;
}

beforeAll(() => {
  const r = spawnSync('bash', [at('scripts/install-compose.sh')], { encoding: 'utf8' });
  if (r.status !== 0 || !r.stdout.trim()) {
    throw new Error(
      `no Compose implementation: \`bash scripts/install-compose.sh\` exited ${r.status}: ${r.stderr.trim()}\n` +
        'install one (apt-get install docker-compose) or set DOCKER_COMPOSE to a docker-compose binary',
    );
  }
  composeBin = r.stdout.trim();
  resolved = load(compose(['config']));
  resolvedSim = load(compose(['--env-file', at('deploy/simulator.env'), '--profile', 'simulator', 'config']));
}, 300_000);

describe('docker-compose.yml', () => {
  it('is accepted by a real Compose implementation', () => {
    expect(composeBin).not.toBe('');
    expect(execFileSync(composeBin, ['version'], { encoding: 'utf8' })).toMatch(/\d+\.\d+/);
    expect(Object.keys(resolved.services)).toEqual(
      expect.arrayContaining(['postgres', 'temporal-schema', 'temporal', 'temporal-ui', 'migrate', 'worker']),
    );
    // Only with the profile on (docker-compose 1.29 lists profiled services in `config` anyway).
    expect(resolvedSim.services.simulator?.profiles).toEqual(['simulator']);
  });

  it('sets every variable the worker requires, and the worker accepts the whole environment', () => {
    // The variables without a default are the ones an empty environment is refused for.
    let err: unknown;
    try {
      loadConfig({});
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const required = (err as ConfigError).problems.map((p) => /^(?:\[[^\]]+\] )?([A-Z][A-Z0-9_]*)/.exec(p)?.[1]);
    expect(required).toContain('DATABASE_URL');
    for (const c of [resolved, resolvedSim]) {
      const env = envOf(c.services.worker!);
      for (const name of required) expect(env[name!], `worker ${name}`).toBeTruthy();
      expect(() => loadConfig(afterEntrypoint(env))).not.toThrow();
    }
    const sim = loadConfig(afterEntrypoint(envOf(resolvedSim.services.worker!)));
    expect(sim.sources.map((s) => (s.config as { baseUrl: string }).baseUrl)).toEqual(
      sim.sources.map((s) => `http://simulator:8299/${s.definition.id}`),
    );
    expect(envOf(resolved.services.worker!).INGEST_METRICS_PORT).toBe('9464');
  });

  it('pins every image by version', () => {
    for (const [name, s] of Object.entries(resolvedSim.services)) {
      expect(s.image, `${name} image`).toBeTruthy();
      const m = /^(?:[^/]+\/)*[^/:]+:([^:@/]+)(?:@sha256:[0-9a-f]{64})?$/.exec(s.image!);
      expect(m, `${name}: ${s.image} has no tag`).not.toBeNull();
      expect(m![1], `${name}: ${s.image}`).not.toBe('latest');
      expect(m![1], `${name}: ${s.image} is not a version`).toMatch(/\d/);
    }
  });

  it('makes the worker scalable: no container_name, no fixed host port', () => {
    const w = resolved.services.worker!;
    expect(w.container_name).toBeUndefined();
    expect(w.ports ?? []).toEqual([]);
    expect(w.profiles ?? []).toEqual([]);
  });

  it('migrates apart: the owner role migrates once, the workers log in with row rights only', () => {
    const w = envOf(resolved.services.worker!);
    const m = envOf(resolved.services.migrate!);
    expect(w.INGEST_MIGRATE).toBe('false');
    const user = (url: string | undefined): string => decodeURIComponent(new URL(url!).username);
    expect(user(w.DATABASE_URL)).not.toBe(user(m.DATABASE_URL));
    expect(user(m.DATABASE_URL)).toBe('crypto_ingest');
    expect(user(w.DATABASE_URL)).toBe('crypto_ingest_worker');
    expect(new URL(w.DATABASE_URL!).password).toBe(''); // the password comes from a secret file
    expect(text(resolved.services.migrate!.command)).toContain('workers/migrate.ts');
    expect(resolved.services.worker!.depends_on).toMatchObject({
      migrate: { condition: 'service_completed_successfully' },
    });
    const dbInit = text(resolved.services['db-init']!.command);
    expect(dbInit).toContain('GRANT crypto_ingest_writer TO crypto_ingest_worker');
  });

  it('serves the dashboard read-only: its own login in the reader role, on the host’s loopback only', () => {
    const d = resolved.services.dashboard!;
    const e = envOf(d);
    expect(text(d.command)).toBe('node --import tsx cli/main.ts dashboard');
    expect(decodeURIComponent(new URL(e.DATABASE_URL!).username)).toBe('crypto_ingest_dashboard');
    expect(new URL(e.DATABASE_URL!).password).toBe('');
    expect(e.PGPASSWORD_FILE).toBe('/run/secrets/ingest_dashboard_db_password');
    const dbInit = text(resolved.services['db-init']!.command);
    expect(dbInit).toContain('GRANT crypto_ingest_reader TO crypto_ingest_dashboard');
    expect(dbInit).not.toMatch(/GRANT crypto_ingest_writer TO crypto_ingest_dashboard/);
    // Published on loopback, on the port it listens on; its workflow links go to the published UI.
    const published = JSON.stringify(d.ports);
    expect(published).toContain('127.0.0.1');
    expect(published).toContain(e.INGEST_DASHBOARD_PORT!);
    const ui = JSON.stringify(resolved.services['temporal-ui']!.ports);
    expect(ui).toContain(`127.0.0.1:${new URL(e.TEMPORAL_UI_URL!).port}:`);
    expect(d.depends_on).toMatchObject({ migrate: { condition: 'service_completed_successfully' } });
  });

  it('takes secrets from files only', () => {
    const secrets = resolved.secrets ?? {};
    expect(Object.keys(secrets).length).toBeGreaterThan(0);
    for (const [name, s] of Object.entries(secrets)) {
      expect(s.file, `secret ${name}`).toBeTruthy();
      expect(s.environment, `secret ${name}`).toBeUndefined();
    }
    for (const [svc, s] of Object.entries(resolvedSim.services)) {
      for (const [k, v] of Object.entries(envOf(s))) {
        if (/(^|_)(KEY|PASSWORD|PWD|SECRET|TOKEN)$/.test(k)) expect(v, `${svc}: ${k} set inline`).toBe('');
        if (/(_KEY|PASSWORD|PASSWORD_)_?FILE$/.test(k)) {
          const target = /^\/run\/secrets\/(.+)$/.exec(v)?.[1];
          expect(target, `${svc}: ${k}=${v}`).toBeTruthy();
          expect(secretNames(s), `${svc}: ${k}`).toContain(target);
        }
      }
    }
    const w = envOf(resolved.services.worker!);
    expect(w.DATA_API_KEY_FILE).toBe('/run/secrets/data_api_key');
    expect(w.MIN_API_KEY_FILE).toBe('/run/secrets/min_api_key');
    expect(w.PGPASSWORD_FILE).toBe('/run/secrets/ingest_worker_db_password');
    const ignored = readFileSync(at('.dockerignore'), 'utf8').split('\n');
    expect(ignored).toContain('secrets/');
  });

  it('registers every custom search attribute the workflows set', () => {
    const setup = text(resolved.services['temporal-setup']!.command);
    for (const a of SEARCH_ATTRIBUTE_REGISTRATIONS) expect(setup).toContain(`${a.name}=${a.type}`);
    const registered = [...setup.matchAll(/\b(Ingest\w+)=(\w+)/g)].map((m) => m[1]);
    expect(registered.sort()).toEqual(SEARCH_ATTRIBUTE_REGISTRATIONS.map((a) => a.name).sort());
  });

  it('points the worker at the simulator exactly as the local stack does (deploy/simulator.env)', () => {
    const w = envOf(resolvedSim.services.worker!);
    for (const [k, v] of Object.entries(simulatorWorkerEnv('http://simulator:8299'))) expect(w[k], k).toBe(v);
  });

  it('runs the commands the README documents (package.json scripts)', () => {
    const scripts = (JSON.parse(readFileSync(at('package.json'), 'utf8')) as { scripts: Record<string, string> })
      .scripts;
    const dockerfile = readFileSync(at('Dockerfile'), 'utf8');
    const cmd = /^CMD (\[.*\])$/m.exec(dockerfile)?.[1];
    // `npm run worker` builds the one-file worker, then runs what the image runs (built at image build).
    const run = (JSON.parse(cmd!) as string[]).join(' ');
    expect(run).toBe(`node ${path.relative(ROOT, WORKER_BUILD)}`);
    expect(scripts.worker).toMatch(new RegExp(`^${scripts['build:worker']!} && .* exec ${run}$`));
    expect(text(resolved.services.migrate!.command)).toBe(scripts.migrate);
    expect(text(resolvedSim.services.simulator!.command)).toBe(scripts.simulator);
    expect(dockerfile).toMatch(/^RUN npm ci\b/m);
    expect(dockerfile).toMatch(/^RUN npm run build:bundle$/m);
    expect(dockerfile).toMatch(/^RUN npm run build:worker$/m);
  });

  it('runs the worker with the allocator settings the local stack gives it (WORKER_MALLOC_ENV)', () => {
    const dockerfile = readFileSync(at('Dockerfile'), 'utf8');
    const worker = (JSON.parse(readFileSync(at('package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts
      .worker!;
    expect(Object.keys(WORKER_MALLOC_ENV).length).toBeGreaterThan(0);
    for (const [k, v] of Object.entries(WORKER_MALLOC_ENV)) {
      expect(dockerfile, `Dockerfile ENV ${k}`).toMatch(new RegExp(`^\\s+${k}=${v}\\b`, 'm'));
      expect(worker, `npm run worker: ${k}`).toContain(`${k}=\${${k}:-${v}}`);
    }
  });

  it('mounts files that exist', () => {
    for (const [svc, s] of Object.entries(resolvedSim.services)) {
      for (const v of s.volumes ?? []) {
        const source = typeof v === 'string' ? v.split(':')[0]! : v.type === 'bind' ? v.source : '';
        if (source.startsWith('/') || source.startsWith('.'))
          expect(existsSync(path.resolve(ROOT, source)), `${svc}: ${source}`).toBe(true);
      }
    }
  });
});

describe('monitoring files', () => {
  const promDir = at('deploy/prometheus');
  const prom = (): Dict => yaml.load(readFileSync(path.join(promDir, 'prometheus.yml'), 'utf8')) as Dict;

  it('prometheus scrapes every worker replica by DNS and loads rule files that exist', () => {
    const p = prom();
    for (const f of (p.rule_files as string[]) ?? []) {
      expect(f.startsWith('/etc/prometheus/'), f).toBe(true);
      expect(existsSync(path.join(promDir, f.slice('/etc/prometheus/'.length))), `${f} (deploy/prometheus)`).toBe(true);
    }
    const jobs = p.scrape_configs as Array<{ job_name: string; dns_sd_configs?: Dict[] }>;
    const worker = resolved.services.worker!;
    const nets = worker.networks && !Array.isArray(worker.networks) ? worker.networks : {};
    const workerNames = ['worker', ...Object.values(nets).flatMap((n) => n?.aliases ?? [])];
    const sd = jobs.flatMap((j) => j.dns_sd_configs ?? []);
    expect(sd.length).toBeGreaterThan(0);
    for (const c of sd) {
      expect(c.type).toBe('A');
      expect(String(c.port)).toBe(envOf(worker).INGEST_METRICS_PORT);
      for (const n of c.names as string[]) expect(workerNames).toContain(n);
    }
  });

  it('grafana provisions the datasource and a dashboard that speaks the metrics contract', () => {
    const dsFile = yaml.load(readFileSync(at('deploy/grafana/provisioning/datasources/prometheus.yml'), 'utf8')) as {
      datasources: Array<{ uid: string; url: string }>;
    };
    const uid = dsFile.datasources[0]!.uid;
    expect(dsFile.datasources[0]!.url).toBe('http://prometheus:9090');
    const providers = yaml.load(readFileSync(at('deploy/grafana/provisioning/dashboards/dashboards.yml'), 'utf8')) as {
      providers: Array<{ options: { path: string } }>;
    };
    const grafanaMounts = (resolved.services.grafana!.volumes ?? []).map((v) =>
      typeof v === 'string' ? v : `${v.source}:${v.target}`,
    );
    const dashboardsPath = providers.providers[0]!.options.path;
    expect(grafanaMounts.some((m) => m.split(':')[1] === dashboardsPath)).toBe(true);

    const dash = JSON.parse(readFileSync(at('deploy/grafana/dashboards/crypto-ingest.json'), 'utf8')) as {
      schemaVersion: number;
      panels: Array<{ type: string; title: string; datasource?: { uid: string }; targets?: Array<{ expr: string }> }>;
    };
    expect(dash.schemaVersion).toBeGreaterThanOrEqual(36);
    const FUNCS = new Set(
      'sum max min avg count topk bottomk rate irate increase histogram_quantile by without on ignoring group_left group_right bool and or unless offset clamp_min clamp_max abs time vector scalar sort sort_desc label_values'.split(
        ' ',
      ),
    );
    const used = new Set<string>();
    for (const panel of dash.panels.filter((p) => p.type !== 'row')) {
      expect(panel.datasource?.uid, panel.title).toBe(uid);
      expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
      for (const t of panel.targets ?? []) {
        const bare = t.expr
          .replace(/"[^"]*"/g, '')
          .replace(/\{[^}]*\}/g, '')
          .replace(/\[[^\]]*\]/g, '')
          .replace(/\b(by|without|on|ignoring)\s*\([^)]*\)/g, '');
        for (const id of bare.match(/[A-Za-z_:][A-Za-z0-9_:]*/g) ?? []) if (!FUNCS.has(id)) used.add(id);
      }
    }
    for (const name of used) expect(METRICS.has(name) || name.startsWith('temporal_'), name).toBe(true);
    for (const name of ['crypto_ingest_rows_total', 'crypto_ingest_series_lag_seconds', 'temporal_workflow_failed'])
      expect(used).toContain(name);
  });
});
