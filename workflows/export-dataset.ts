/**
 * `exportDataset`: write a dataset (filtered by market, instrument, interval and time range) as
 * Parquet files, one per series and UTC month, then the export's manifest. Files are written in
 * slices of the plan, one activity each: a crash resumes at the files not yet written, and a re-run (the same workflow ID:
 * the same destination) keeps every file whose content is unchanged (docs/export.md).
 */
import { setCurrentDetails, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import { exportProgressQuery, type ExportDatasetInput, type ExportProgress } from './contracts/export';
import { SA } from './contracts/search-attributes';
import { exportActivities } from './activity-profiles';
import { exportDatasetProblems } from './contracts/validation';
import { requireValidInput } from './input';

/** Parts per `exportParts` activity (its heartbeat resumes a retry within the slice). */
const PARTS_PER_ACTIVITY = 20;

function describe(input: ExportDatasetInput, p: ExportProgress): string {
  return [
    `**Export** ${input.source}/${input.dataset} ${input.from} → ${input.to} to ${input.destination}`,
    '',
    `Status: ${p.status}, ${p.percent}%`,
    `Files ${p.written + p.kept}/${p.files}: ${p.written} written, ${p.kept} kept (already there, same checksum); rows ${p.rows}`,
    ...(p.manifest ? [`Manifest: ${p.manifest}`] : []),
  ].join('\n');
}

export async function exportDataset(input: ExportDatasetInput): Promise<ExportProgress> {
  requireValidInput('export', exportDatasetProblems(input));
  let progress: ExportProgress = { status: 'planning', files: 0, written: 0, kept: 0, rows: 0, percent: 0 };
  setHandler(exportProgressQuery, () => progress);
  upsertSearchAttributes([
    { key: SA.source, value: input.source },
    { key: SA.dataset, value: input.dataset },
    { key: SA.kind, value: 'export' },
  ]);
  setCurrentDetails(describe(input, progress));

  const { planExport, exportParts, writeExportManifest } = exportActivities();
  const plan = await planExport(input);
  progress = { ...progress, status: 'writing', exportId: plan.exportId, files: plan.parts };
  setCurrentDetails(describe(input, progress));

  // Slices of the plan (it is in the database), two at a time: a few events per 20 files, so an
  // export of 100,000 files stays far inside the history limits.
  const slices: number[] = [];
  for (let from = 0; from < plan.parts; from += PARTS_PER_ACTIVITY) slices.push(from);
  const lane = async () => {
    for (let from = slices.shift(); from !== undefined; from = slices.shift()) {
      const r = await exportParts({
        input,
        exportId: plan.exportId,
        from,
        to: Math.min(plan.parts, from + PARTS_PER_ACTIVITY),
      });
      const empty = (progress.empty ?? 0) + r.empty;
      const done = progress.written + r.written + progress.kept + r.kept + empty;
      progress = {
        ...progress,
        written: progress.written + r.written,
        kept: progress.kept + r.kept,
        ...(empty > 0 ? { empty } : {}),
        rows: progress.rows + r.rows,
        percent: Math.floor((done / Math.max(1, progress.files)) * 100),
      };
      setCurrentDetails(describe(input, progress));
    }
  };
  await Promise.all([lane(), lane()]);

  const manifest = await writeExportManifest({ input, exportId: plan.exportId });
  progress = { ...progress, status: 'completed', percent: 100, manifest: manifest.path };
  setCurrentDetails(describe(input, progress));
  return progress;
}
