/**
 * Worker configuration, parsed once at boot from the environment. Every problem is reported at
 * once (`ConfigError`); the process prints them and exits 1. Empty strings count as unset.
 * Temporal connection settings (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TLS,
 * profiles) are read by `@temporalio/envconfig`, as in Temporal's own samples.
 */
import { DEFAULT_PIPELINE, type PipelineSettings } from '../activities/page-pipeline';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import type { NativeConnectionOptions } from '@temporalio/worker';
import { z } from 'zod';
import { ConfigError } from '../activities/errors';
import type { RateLimits } from '../activities/rate-limits';
import { SOURCES } from '../activities/sources/index';
import type { SourceDefinition } from '../activities/sources/types';
import { DEFAULT_TASK_QUEUE } from '../workflows/contracts/task-queues';

const sourceIds = SOURCES.map((s) => s.id);

const workerEnvSchema = z.object({
  DATABASE_URL: z
    .string({ error: 'is required (a postgres:// URL)' })
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL'),
  /** Workflow task queue; each source's activities use `<queue>.<source id>`. */
  INGEST_TASK_QUEUE: z.string().min(1).default(DEFAULT_TASK_QUEUE),
  /** Comma-separated source ids this worker serves. */
  INGEST_SOURCES: z
    .string()
    .default(sourceIds.join(','))
    .transform((v) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.enum(sourceIds as [string, ...string[]])).min(1)),
  /** Run workflow tasks in this process. */
  INGEST_RUN_WORKFLOWS: z.stringbool().default(true),
  /** Run activity tasks in this process. */
  INGEST_RUN_ACTIVITIES: z.stringbool().default(true),
  /** Concurrent activity executions per source. */
  INGEST_MAX_CONCURRENT_ACTIVITIES: z.coerce.number().int().min(1).max(256).default(4),
  INGEST_DB_POOL_MAX: z.coerce.number().int().min(1).max(100).default(8),
  /** Requests of one backfill chunk in flight at once (each still through the rate budget). */
  INGEST_FETCH_CONCURRENCY: z.coerce.number().int().min(1).max(32).optional(),
  /** Pages per write transaction of a backfill chunk (written while the next pages are fetched). */
  INGEST_WRITE_PAGES: z.coerce.number().int().min(1).max(100).default(DEFAULT_PIPELINE.writeEveryPages),
  /** Server-side limits on every worker session: a statement, a lock wait, an idle transaction. */
  INGEST_DB_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(1_000).max(3_600_000).default(300_000),
  INGEST_DB_LOCK_TIMEOUT_MS: z.coerce.number().int().min(100).max(3_600_000).default(60_000),
  INGEST_DB_IDLE_IN_TRANSACTION_TIMEOUT_MS: z.coerce.number().int().min(1_000).max(3_600_000).default(300_000),
  /**
   * Longest wait for the fleet-wide rate budget inside one activity; a longer wait pauses the
   * workflow durably instead (visible in the UI).
   */
  INGEST_MAX_INLINE_WAIT_MS: z.coerce.number().int().min(0).max(600_000).default(20_000),
  /** No rate-budget grant this close to a window's end (ms): covers the way to the API's clock. */
  INGEST_RATE_GUARD_MS: z.coerce.number().int().min(0).max(900).default(500),
  /**
   * Longest fleet-wide pause of a source (seconds): a longer one an API asks for (a bogus
   * `Retry-After` or cooldown) is clamped and logged. 32 days covers a spent month quota.
   */
  INGEST_MAX_PAUSE_SECONDS: z.coerce
    .number()
    .int()
    .min(60)
    .max(366 * 86_400)
    .default(32 * 86_400),
  /** Apply pending sql/ migrations at boot (safe with several workers: advisory lock). */
  INGEST_MIGRATE: z.stringbool().default(true),
  /** A prebuilt workflow bundle (`npm run build:bundle`); otherwise bundled at boot. */
  WORKFLOW_BUNDLE_PATH: z.string().optional(),
  LOG_LEVEL: z.enum(['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR']).default('INFO'),
  /** Serve Prometheus metrics (`GET /metrics`) on this port; 0 or unset: no metrics server. */
  INGEST_METRICS_PORT: z.coerce.number().int().min(0).max(65_535).default(0),
  /**
   * Interface of the metrics server. All interfaces by default: it only listens when a port is set
   * (the opt-in), a scraper in another container must reach it, and it serves nothing secret.
   */
  INGEST_METRICS_HOST: z.string().min(1).default('0.0.0.0'),
  /** The Temporal SDK's own exporter (127.0.0.1 only, merged into /metrics); unset: a free port. */
  INGEST_SDK_METRICS_PORT: z.coerce.number().int().min(1).max(65_535).optional(),
});

export interface WorkerConfig {
  readonly databaseUrl: string;
  readonly taskQueue: string;
  readonly runWorkflows: boolean;
  readonly runActivities: boolean;
  readonly maxConcurrentActivities: number;
  readonly dbPoolMax: number;
  readonly pipeline: PipelineSettings;
  readonly dbTimeouts: { statementTimeoutMs: number; lockTimeoutMs: number; idleInTransactionTimeoutMs: number };
  readonly migrate: boolean;
  readonly maxInlineWaitMs: number;
  readonly maxPauseSeconds: number;
  readonly rateGuardMs: number;
  readonly workflowBundlePath: string | undefined;
  readonly logLevel: 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  /** The Prometheus endpoint (`workers/metrics-server.ts`), or undefined when off. */
  readonly metrics: { readonly host: string; readonly port: number; readonly sdkPort: number | undefined } | undefined;
  readonly temporal: { readonly connection: NativeConnectionOptions; readonly namespace: string };
  /** Enabled sources with their parsed (secret-safe) config. */
  readonly sources: ReadonlyArray<{ readonly definition: SourceDefinition<unknown>; readonly config: unknown }>;
}

type Env = Readonly<Record<string, string | undefined>>;

/** The environment without unset or blank values (empty strings count as unset). */
export function withoutEmpty(env: Env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && v.trim() !== '') out[k] = v;
  return out;
}

/**
 * Per source, the limits a worker given this environment keeps to (`<PREFIX>_RATE_LIMITS`, the
 * default when unset) and where they came from; or why its settings do not parse. For readers of
 * the budget (the plan, the dashboard) that run apart from the workers.
 */
export function workerRateLimits(
  env: Env,
): Map<string, { limits: RateLimits | 'off'; from: string } | { problem: string }> {
  const out = new Map<string, { limits: RateLimits | 'off'; from: string } | { problem: string }>();
  for (const def of SOURCES) {
    const parsed = def.configSchema.safeParse(withoutEmpty(env));
    if (!parsed.success) {
      out.set(def.id, {
        problem: `${def.id}: this environment's ${def.envPrefix}_* settings do not parse: ${parsed.error.issues[0]?.message ?? ''}`,
      });
      continue;
    }
    const from = env[`${def.envPrefix}_RATE_LIMITS`]?.trim()
      ? `${def.envPrefix}_RATE_LIMITS`
      : `${def.envPrefix}_RATE_LIMITS unset: the default`;
    out.set(def.id, { limits: def.budget(parsed.data).limits, from });
  }
  return out;
}

function issuesOf(err: z.ZodError): string[] {
  return err.issues.map((i) => `${i.path.map(String).join('.') || '(env)'}: ${i.message}`);
}

/** Parse the environment; throws `ConfigError` listing every problem. */
export function loadConfig(rawEnv: Env = process.env): WorkerConfig {
  const env = withoutEmpty(rawEnv);
  const problems: string[] = [];

  const worker = workerEnvSchema.safeParse(env);
  if (!worker.success) problems.push(...issuesOf(worker.error));

  const enabled = worker.success ? worker.data.INGEST_SOURCES : sourceIds;
  const sources: Array<{ definition: SourceDefinition<unknown>; config: unknown }> = [];
  for (const definition of SOURCES.filter((s) => enabled.includes(s.id))) {
    const parsed = definition.configSchema.safeParse(env);
    if (parsed.success) sources.push({ definition, config: parsed.data });
    else problems.push(...issuesOf(parsed.error).map((p) => `[${definition.id}] ${p}`));
  }

  let temporal: WorkerConfig['temporal'] | undefined;
  try {
    const { connectionOptions, namespace } = loadClientConnectConfig({ overrideEnvVars: env });
    temporal = {
      connection: { ...connectionOptions, address: connectionOptions.address ?? '127.0.0.1:7233' },
      namespace: namespace ?? 'default',
    };
  } catch (err) {
    problems.push(`TEMPORAL_*: ${err instanceof Error ? err.message : String(err)}`);
  }

  if (problems.length > 0 || !worker.success || !temporal) throw new ConfigError(problems);
  const w = worker.data;
  return {
    databaseUrl: w.DATABASE_URL,
    taskQueue: w.INGEST_TASK_QUEUE,
    runWorkflows: w.INGEST_RUN_WORKFLOWS,
    runActivities: w.INGEST_RUN_ACTIVITIES,
    maxConcurrentActivities: w.INGEST_MAX_CONCURRENT_ACTIVITIES,
    dbPoolMax: w.INGEST_DB_POOL_MAX,
    pipeline: {
      ...(w.INGEST_FETCH_CONCURRENCY !== undefined ? { fetchConcurrency: w.INGEST_FETCH_CONCURRENCY } : {}),
      writeEveryPages: w.INGEST_WRITE_PAGES,
    },
    dbTimeouts: {
      statementTimeoutMs: w.INGEST_DB_STATEMENT_TIMEOUT_MS,
      lockTimeoutMs: w.INGEST_DB_LOCK_TIMEOUT_MS,
      idleInTransactionTimeoutMs: w.INGEST_DB_IDLE_IN_TRANSACTION_TIMEOUT_MS,
    },
    migrate: w.INGEST_MIGRATE,
    maxInlineWaitMs: w.INGEST_MAX_INLINE_WAIT_MS,
    maxPauseSeconds: w.INGEST_MAX_PAUSE_SECONDS,
    rateGuardMs: w.INGEST_RATE_GUARD_MS,
    workflowBundlePath: w.WORKFLOW_BUNDLE_PATH,
    logLevel: w.LOG_LEVEL,
    metrics:
      w.INGEST_METRICS_PORT > 0
        ? { host: w.INGEST_METRICS_HOST, port: w.INGEST_METRICS_PORT, sdkPort: w.INGEST_SDK_METRICS_PORT }
        : undefined,
    temporal,
    sources,
  };
}

/** A one-line, secret-free description of the config for the startup log. */
export function describeConfig(c: WorkerConfig): string {
  const db = new URL(c.databaseUrl);
  if (db.password) db.password = 'REDACTED';
  return JSON.stringify({
    temporal: { address: c.temporal.connection.address, namespace: c.temporal.namespace },
    taskQueue: c.taskQueue,
    database: db.toString(),
    workflows: c.runWorkflows,
    activities: c.runActivities,
    maxConcurrentActivities: c.maxConcurrentActivities,
    sources: Object.fromEntries(c.sources.map((s) => [s.definition.id, s.config])),
    metrics: c.metrics ? `${c.metrics.host}:${c.metrics.port}` : 'off',
  });
}
