/**
 * `crypto-ingest dashboard`: serve the data-quality dashboard (dashboard/) on a local port until
 * Ctrl-C / SIGTERM. It reads PostgreSQL through its own read-only pool, and Temporal's visibility
 * for the workflows panel (connected on first use, so the page works while Temporal is down).
 * docs/dashboard.md.
 */
import type { Command } from 'commander';
import { createPool } from '../activities/db/pool';
import { SOURCES } from '../activities/sources/index';
import { DEFAULT_SLO, type FreshnessSlo } from '../dashboard/queries';
import { startDashboard } from '../dashboard/server';
import { INTERVALS, isInterval, parseDurationMs } from '../workflows/contracts/series';
import { checkInt } from './args';
import { databaseUrl, describeDatabaseUrl, type Env } from './connect';
import type { CliContext } from './context';
import { Problems, UsageError } from './errors';
import { planLimits } from './plan';

export const DEFAULT_DASHBOARD_PORT = 8090;
/** The local stack's Temporal UI (`npm start`). */
export const DEFAULT_TEMPORAL_UI_URL = 'http://127.0.0.1:8233';

export interface DashboardSettings {
  readonly host: string;
  readonly port: number;
  readonly slo: FreshnessSlo;
  readonly temporalUiUrl: string | null;
  readonly limits: string[];
}

/** `1m=3m,1h=2h,1d=26h` (any subset; the rest keep their defaults). */
export function parseSlo(p: Problems, flag: string, value: string | undefined): FreshnessSlo {
  const slo: FreshnessSlo = { ...DEFAULT_SLO };
  if (value === undefined || value.trim() === '') return slo;
  for (const part of value.split(',').map((s) => s.trim())) {
    const m = /^([^=\s]+)\s*=\s*(\S+)$/.exec(part);
    const ms = m ? parseDurationMs(m[2]!) : undefined;
    if (!m || !isInterval(m[1]!) || ms === undefined || ms < 1_000) {
      p.add(
        `${flag} '${part}': expected <interval>=<duration>, e.g. 1m=3m,1h=2h,1d=26h (intervals: ${INTERVALS.join(', ')})`,
      );
      continue;
    }
    slo[m[1]] = ms / 1000;
  }
  return slo;
}

export function parseDashboardOptions(
  o: { host?: string; port?: string; slo?: string; temporalUiUrl?: string; limits?: string[] },
  env: Env,
): DashboardSettings {
  const p = new Problems();
  const port = checkInt(p, '--port', o.port ?? env.INGEST_DASHBOARD_PORT ?? String(DEFAULT_DASHBOARD_PORT), 0, 65_535);
  const slo = parseSlo(p, o.slo !== undefined ? '--slo' : 'INGEST_DASHBOARD_SLO', o.slo ?? env.INGEST_DASHBOARD_SLO);
  const ui = o.temporalUiUrl ?? env.TEMPORAL_UI_URL ?? DEFAULT_TEMPORAL_UI_URL;
  let temporalUiUrl: string | null = null;
  if (ui.trim() !== '' && ui.trim().toLowerCase() !== 'off') {
    try {
      const u = new URL(ui.trim());
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('not http(s)');
      temporalUiUrl = u.toString().replace(/\/+$/, '');
    } catch {
      p.add(
        `${o.temporalUiUrl !== undefined ? '--temporal-ui-url' : 'TEMPORAL_UI_URL'} '${ui}' is not an http(s) URL (or 'off')`,
      );
    }
  }
  p.throwIfAny();
  return {
    host: o.host ?? env.INGEST_DASHBOARD_HOST ?? '127.0.0.1',
    port: port!,
    slo,
    temporalUiUrl,
    limits: o.limits ?? [],
  };
}

/** Resolves on SIGINT / SIGTERM. */
function untilSignal(): Promise<string> {
  return new Promise((resolve) => {
    const on = (sig: string) => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve(sig);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}

export function registerDashboard(program: Command, ctx: CliContext): void {
  program
    .command('dashboard')
    .description('serve the data-quality dashboard (read-only) on a local port until Ctrl-C')
    .option('--port <n>', `port (env INGEST_DASHBOARD_PORT; default ${DEFAULT_DASHBOARD_PORT}; 0: a free port)`)
    .option('--host <addr>', 'address to listen on (env INGEST_DASHBOARD_HOST; default 127.0.0.1)')
    .option(
      '--slo <interval=duration,…>',
      'stale after, per interval (env INGEST_DASHBOARD_SLO; default 1m=3m,1h=2h,1d=26h): how long ago the newest final period may have ended',
    )
    .option(
      '--temporal-ui-url <url>',
      `the Temporal UI, for workflow links (env TEMPORAL_UI_URL; default ${DEFAULT_TEMPORAL_UI_URL}; 'off': no links)`,
    )
    .option(
      '--limits <source=windows>',
      "limits to show use against, e.g. data-api=second=50,minute=2000 (repeatable; default: this environment's <PREFIX>_RATE_LIMITS)",
      (v: string, acc: string[] = []) => [...acc, v],
    )
    .action(async (o: { host?: string; port?: string; slo?: string; temporalUiUrl?: string; limits?: string[] }) => {
      const settings = parseDashboardOptions(o, ctx.env);
      const p = new Problems();
      const limits = planLimits(
        SOURCES.map((s) => s.id),
        settings.limits,
        ctx.env,
        p,
      );
      p.throwIfAny();
      // The CLI's own check first: an absent database is one line naming it.
      await ctx.db();
      const url = databaseUrl(ctx.env);
      const pool = createPool(url, {
        max: 4,
        applicationName: 'crypto-ingest-dashboard',
        readOnly: true,
        statementTimeoutMs: 15_000,
      });
      let dashboard;
      try {
        dashboard = await startDashboard({
          db: pool,
          host: settings.host,
          port: settings.port,
          slo: settings.slo,
          limits,
          // Connected on first use (the page works while Temporal is down); closed by ctx.close().
          temporal: () => ctx.temporal().then((s) => ({ client: s.client, namespace: s.target.namespace })),
          temporalUiUrl: settings.temporalUiUrl,
          log: (line) => ctx.out.error(line),
        });
      } catch (err) {
        await pool.end().catch(() => undefined);
        const e = err as NodeJS.ErrnoException;
        if (e.code === 'EADDRINUSE')
          throw new UsageError(`port ${settings.port} on ${settings.host} is in use: pick another with --port`);
        if (e.code === 'EADDRNOTAVAIL' || e.code === 'ENOTFOUND')
          throw new UsageError(`--host ${settings.host}: not an address of this machine`);
        throw err;
      }
      ctx.out.log(`dashboard: ${dashboard.url}`);
      ctx.out.log(`  database: ${describeDatabaseUrl(url)} (read-only)`);
      ctx.out.log(`  temporal: ${ctx.target().address}, UI links ${settings.temporalUiUrl ?? 'off'}`);
      ctx.out.log('  Ctrl-C stops it');
      const signal = await untilSignal();
      await dashboard.close();
      await pool.end().catch(() => undefined);
      ctx.out.error(`dashboard: stopped (${signal})`);
    });
}
