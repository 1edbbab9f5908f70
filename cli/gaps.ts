/**
 * `crypto-ingest gaps`: the days of tracked series with missing periods, from the `coverage_gaps`
 * view (sql/0003_universe_coverage.sql): a table plus totals, or JSON.
 */
import type { Command } from 'commander';
import type pg from 'pg';
import { checkDay, checkInt, checkSeriesFilter } from './args';
import type { CliContext } from './context';
import { NotFoundError, Problems } from './errors';
import { formatCount, table } from './output';

export interface GapsFilter {
  source?: string;
  dataset?: string;
  market?: string;
  instrument?: string;
  interval?: string;
  since?: string;
}

export interface GapsOptions extends GapsFilter {
  json?: boolean;
  limit?: string;
}

export interface GapRow {
  source: string;
  dataset: string;
  market: string;
  instrument: string;
  interval: string;
  day: string;
  expected: number;
  present: number;
  certifiedEmpty: number;
  missing: number;
}

export interface GapTotals {
  series: number;
  days: number;
  missing: number;
}

export function parseGapsOptions(o: GapsOptions): { filter: GapsFilter; limit: number | undefined } {
  const p = new Problems();
  const series = checkSeriesFilter(p, o);
  const since = checkDay(p, '--since', o.since);
  const limit = checkInt(p, '--limit', o.limit, 0, 10_000_000);
  p.throwIfAny();
  return {
    filter: {
      ...series,
      ...(o.market ? { market: o.market } : {}),
      ...(o.instrument ? { instrument: o.instrument } : {}),
      ...(since ? { since } : {}),
    },
    limit: limit === 0 ? undefined : (limit ?? (o.json ? undefined : 500)),
  };
}

const WHERE = `($1::text IS NULL OR source = $1) AND ($2::text IS NULL OR dataset = $2)
  AND ($3::text IS NULL OR market = $3) AND ($4::text IS NULL OR instrument = $4)
  AND ($5::text IS NULL OR interval = $5) AND ($6::date IS NULL OR day >= $6::date)`;

const params = (f: GapsFilter) => [
  f.source ?? null,
  f.dataset ?? null,
  f.market ?? null,
  f.instrument ?? null,
  f.interval ?? null,
  f.since ?? null,
];

async function guarded<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if ((err as { code?: string }).code === '42P01') {
      throw new NotFoundError(
        'the database has no coverage_gaps view: its migrations are not applied (npm run migrate, or start a worker)',
      );
    }
    throw err;
  }
}

/**
 * The gap rows (ordered by series, day; at most `limit`) and totals over every matching row, from
 * one evaluation of the view (it depends on now()). Gap rows are few (days with holes only).
 */
export async function readGaps(
  pool: pg.Pool,
  f: GapsFilter,
  limit?: number,
): Promise<{ rows: GapRow[]; totals: GapTotals }> {
  return guarded(async () => {
    const all = (
      await pool.query<GapRow>(
        `SELECT source, dataset, market, instrument, interval, day::text AS day, expected::int AS expected,
                present::int AS present, certified_empty::int AS "certifiedEmpty", missing::int AS missing
         FROM coverage_gaps WHERE ${WHERE}
         ORDER BY source, dataset, market, instrument, interval, day`,
        params(f),
      )
    ).rows;
    const totals = {
      series: new Set(all.map(seriesName)).size,
      days: all.length,
      missing: all.reduce((n, r) => n + r.missing, 0),
    };
    return { rows: limit === undefined ? all : all.slice(0, Math.trunc(limit)), totals };
  });
}

export function seriesName(r: Pick<GapRow, 'source' | 'dataset' | 'market' | 'instrument' | 'interval'>): string {
  return `${r.source}/${r.dataset}/${r.market}/${r.instrument}/${r.interval}`;
}

/** The table and the totals line. */
export function formatGaps(rows: GapRow[], totals: GapTotals): string[] {
  if (totals.days === 0) return ['no gaps'];
  const lines = table(
    [
      { header: 'SERIES' },
      { header: 'DAY' },
      { header: 'EXPECTED', align: 'right' },
      { header: 'PRESENT', align: 'right' },
      { header: 'CERTIFIED EMPTY', align: 'right' },
      { header: 'MISSING', align: 'right' },
    ],
    rows.map((r) => [
      seriesName(r),
      r.day,
      formatCount(r.expected),
      formatCount(r.present),
      formatCount(r.certifiedEmpty),
      formatCount(r.missing),
    ]),
  );
  const more = totals.days - rows.length;
  if (more > 0) lines.push(`… ${formatCount(more)} more day${more === 1 ? '' : 's'} (raise --limit, 0 = all)`);
  lines.push(
    `total: ${formatCount(totals.missing)} missing period${totals.missing === 1 ? '' : 's'} on ${formatCount(totals.days)} day${totals.days === 1 ? '' : 's'} in ${formatCount(totals.series)} series`,
  );
  return lines;
}

export function registerGaps(program: Command, ctx: CliContext): void {
  program
    .command('gaps')
    .description('days of tracked series with missing periods (the coverage_gaps view)')
    .option('--source <id>', 'only this source')
    .option('--dataset <id>', 'only this dataset (needs --source)')
    .option('--market <market>', 'only this market')
    .option('--instrument <id>', 'only this instrument')
    .option('--interval <interval>', 'only this interval (1m, 1h, 1d)')
    .option('--since <YYYY-MM-DD>', 'only days from this one on')
    .option('--limit <n>', 'most day rows to print (default 500 for the table, all for --json; 0 = all)')
    .option('--json', 'print JSON: { gaps: [...], totals: { series, days, missing } }')
    .action(async (o: GapsOptions) => {
      const { filter, limit } = parseGapsOptions(o);
      const pool = await ctx.db();
      const { rows, totals } = await readGaps(pool, filter, limit);
      if (o.json) ctx.out.log(JSON.stringify({ gaps: rows, totals }, null, 2));
      else for (const line of formatGaps(rows, totals)) ctx.out.log(line);
    });
}
