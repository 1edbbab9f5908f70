/**
 * `exportDataset`: write a dataset (filtered by market, instrument, interval and time range) as
 * Parquet files, one per series and UTC month, then the export's manifest. Each file is one
 * activity: a crash resumes at the files not yet written, and a re-run (the same workflow ID:
 * the same destination) keeps every file whose content is unchanged (docs/export.md).
 */
import { setCurrentDetails, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import { exportProgressQuery, type ExportDatasetInput, type ExportProgress } from './contracts/export';
import { SA } from './contracts/search-attributes';
import { exportActivities } from './activity-profiles';
import { exportDatasetProblems } from './contracts/validation';
import { requireValidInput } from './input';

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

  const { planExport, exportPart, writeExportManifest } = exportActivities();
  const plan = await planExport(input);
  progress = { ...progress, status: 'writing', exportId: plan.exportId, files: plan.parts.length };
  setCurrentDetails(describe(input, progress));

  // Two files at a time: each holds one series-month in memory, and reads one partition of the table.
  const queue = [...plan.parts];
  const lane = async () => {
    for (let part = queue.shift(); part !== undefined; part = queue.shift()) {
      const r = await exportPart({ input, exportId: plan.exportId, part });
      const done = progress.written + progress.kept + (progress.empty ?? 0) + 1;
      progress = {
        ...progress,
        written: progress.written + (r.kept || r.empty ? 0 : 1),
        kept: progress.kept + (r.kept ? 1 : 0),
        ...(r.empty ? { empty: (progress.empty ?? 0) + 1 } : {}),
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
