/**
 * `repairCoverage`: on its schedule, audit the coverage of every tracked series over a recent
 * window (recounting the ledger from the fact tables, so holes made by anything are seen), then
 * re-fetch each hole. Periods the API confirms empty are certified and stop counting as holes.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import {
  repairProgressQuery,
  type GapFindResult,
  type RepairCoverageInput,
  type RepairCoverageProgress,
  type RepairRangeResult,
} from './contracts/repair';
import { SA } from './contracts/search-attributes';
import { seriesPath } from './contracts/ids';
import { waitOutPause } from './pause';
import { databaseActivities, sourceOperations } from './activity-profiles';
import { nominalTime } from './sync-dataset';
import { repairCoverageProblems } from './contracts/validation';
import { requireValidInput } from './input';

function describe(p: RepairCoverageProgress): string {
  return [
    `**Coverage repair** ${p.since} → ${p.asOf}`,
    '',
    `Status: ${p.status}; series audited ${p.series}, missing periods ${p.missing}`,
    `Ranges repaired ${p.rangesDone}/${p.ranges}: ${p.filled} periods filled, ${p.certified} certified empty by the API; ${p.remaining} still missing`,
    ...(p.failures?.length ? [`**Failed ranges:** ${p.failures.map((f) => `${f.series}: ${f.type}`).join('; ')}`] : []),
  ].join('\n');
}

export async function repairCoverage(input: RepairCoverageInput): Promise<RepairCoverageProgress> {
  requireValidInput('repair', repairCoverageProblems(input));
  const asOf = nominalTime(input.asOf);
  const since = input.since ?? new Date(Date.parse(asOf) - 7 * 86_400_000).toISOString();
  const maxRanges = input.maxRanges ?? 500;
  let progress: RepairCoverageProgress = {
    status: 'auditing',
    asOf,
    since,
    series: 0,
    missing: 0,
    ranges: 0,
    rangesDone: 0,
    filled: 0,
    certified: 0,
    remaining: 0,
  };
  setHandler(repairProgressQuery, () => progress);
  upsertSearchAttributes([{ key: SA.kind, value: 'repair' }]);
  setCurrentDetails(describe(progress));

  // 1. Audit, page by page, collecting the holes.
  const db = databaseActivities();
  const ranges: GapFindResult['ranges'] = [];
  let after: string | null = null;
  do {
    const page: GapFindResult = await db.findGaps({
      filter: { source: input.source, dataset: input.dataset, interval: input.interval },
      since,
      asOf,
      after,
      limit: 200,
      maxRanges: maxRanges - ranges.length,
    });
    ranges.push(...page.ranges);
    progress = { ...progress, series: progress.series + page.series, missing: progress.missing + page.missing };
    after = page.next;
  } while (after !== null);
  progress = { ...progress, status: 'repairing', ranges: ranges.length };
  setCurrentDetails(describe(progress));
  if (input.dryRun) {
    progress = { ...progress, status: 'completed', remaining: progress.missing };
    setCurrentDetails(describe(progress));
    return progress;
  }

  // 2. Repair, a few ranges at a time, each on its source's queue.
  const queue = [...ranges];
  const lane = async () => {
    for (let r = queue.shift(); r !== undefined; r = queue.shift()) {
      // After a pause the range resumes where the activity stopped, not from its start.
      let from = r.from;
      for (;;) {
        let res: RepairRangeResult;
        try {
          res = await sourceOperations(r.series.source).repairRange({ series: r.series, from, to: r.to });
        } catch (err) {
          // A range that cannot be repaired (non-retryable failure) is reported; the others go on.
          const cause =
            err instanceof ActivityFailure && err.cause instanceof ApplicationFailure ? err.cause : undefined;
          const failure = {
            series: `${seriesPath(r.series)} ${r.from}..${r.to}`,
            type: cause?.type ?? (err as Error).name,
            message: cause?.message ?? (err as Error).message,
          };
          progress = { ...progress, failures: [...(progress.failures ?? []), failure].slice(-20) };
          break;
        }
        progress = {
          ...progress,
          filled: progress.filled + res.filled,
          certified: progress.certified + res.certified,
        };
        if (!res.paused) break;
        if (res.next) from = res.next;
        await waitOutPause(res.paused.until, (paused) => {
          progress = { ...progress, status: paused ? 'paused' : 'repairing' };
          if (paused) setCurrentDetails(describe(progress));
        });
      }
      progress = { ...progress, rangesDone: progress.rangesDone + 1 };
      setCurrentDetails(describe(progress));
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, input.concurrency ?? 4) }, lane));

  progress = {
    ...progress,
    status: 'completed',
    remaining: Math.max(0, progress.missing - progress.filled - progress.certified),
  };
  setCurrentDetails(describe(progress));
  return progress;
}
