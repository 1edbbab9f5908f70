/**
 * `importFiles`: load Parquet or Arrow IPC files (an export's manifest, a directory, a file) into a
 * dataset's table through the ingestion path, one file per activity (docs/export.md). Importing the
 * same files again changes nothing: the merge finds every row unchanged.
 */
import { setCurrentDetails, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import { importProgressQuery, type ImportFilesInput, type ImportProgress } from './contracts/import';
import { SA } from './contracts/search-attributes';
import { importActivities } from './activity-profiles';
import { importFilesProblems } from './contracts/validation';
import { requireValidInput } from './input';

function describe(input: ImportFilesInput, p: ImportProgress): string {
  return [
    `**Import** ${input.path} into ${p.source ?? '…'}/${p.dataset ?? '…'}`,
    '',
    `Status: ${p.status}, ${p.percent}%; files ${p.filesDone}/${p.files}`,
    `Rows ${p.rows}: ${p.inserted} new, ${p.updated} updated, ${p.unchanged} unchanged, ${p.quarantined} quarantined`,
  ].join('\n');
}

export async function importFiles(input: ImportFilesInput): Promise<ImportProgress> {
  requireValidInput('import', importFilesProblems(input));
  let progress: ImportProgress = {
    status: 'planning',
    files: 0,
    filesDone: 0,
    rows: 0,
    inserted: 0,
    updated: 0,
    unchanged: 0,
    quarantined: 0,
    percent: 0,
  };
  setHandler(importProgressQuery, () => progress);
  upsertSearchAttributes([{ key: SA.kind, value: 'import' }]);
  setCurrentDetails(describe(input, progress));

  const { planImport, importFile } = importActivities();
  const plan = await planImport(input);
  upsertSearchAttributes([
    { key: SA.source, value: plan.source },
    { key: SA.dataset, value: plan.dataset },
  ]);
  progress = { ...progress, status: 'loading', source: plan.source, dataset: plan.dataset, files: plan.files.length };
  setCurrentDetails(describe(input, progress));

  for (const file of plan.files) {
    const r = await importFile({
      source: plan.source,
      dataset: plan.dataset,
      file: file.path,
      ...(file.sha256 ? { sha256: file.sha256 } : {}),
      ...(input.columnMap ? { columnMap: input.columnMap } : {}),
    });
    const filesDone = progress.filesDone + 1;
    progress = {
      ...progress,
      filesDone,
      rows: progress.rows + r.rows,
      inserted: progress.inserted + r.inserted,
      updated: progress.updated + r.updated,
      unchanged: progress.unchanged + r.unchanged,
      quarantined: progress.quarantined + r.quarantined,
      percent: Math.floor((filesDone / Math.max(1, progress.files)) * 100),
    };
    setCurrentDetails(describe(input, progress));
  }
  progress = { ...progress, status: 'completed', percent: 100 };
  setCurrentDetails(describe(input, progress));
  return progress;
}
