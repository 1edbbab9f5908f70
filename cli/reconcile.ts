/**
 * `crypto-ingest reconcile`: compare the series two sources both hold now, outside the daily
 * schedule (`reconcileSources`, ID `reconcile/manual-<now>`). docs/reconciliation.md.
 */
import type { Command } from 'commander';
import type { ReconcileSourcesInput } from '../workflows/contracts/reconcile';
import { checkInt } from './args';
import type { CliContext } from './context';
import { Problems } from './errors';
import { formatInstant } from './output';
import { runStart } from './start';

export function parseReconcileOptions(o: {
  days?: string;
  closeTolerance?: string;
  volumeTolerance?: string;
}): ReconcileSourcesInput {
  const p = new Problems();
  const days = o.days === undefined ? undefined : checkInt(p, '--days', o.days, 1, 31);
  const fraction = (flag: string, v: string | undefined): number | undefined => {
    if (v === undefined) return undefined;
    const n = v.trim() === '' ? NaN : Number(v);
    if (!(n >= 0 && n < 1)) p.add(`${flag} '${v}' is not a fraction from 0 to 1 (e.g. 0.001 for 0.1%)`);
    return n;
  };
  const close = fraction('--close-tolerance', o.closeTolerance);
  const volume = fraction('--volume-tolerance', o.volumeTolerance);
  p.throwIfAny();
  return {
    ...(days !== undefined ? { days } : {}),
    ...(close !== undefined || volume !== undefined
      ? { tolerance: { ...(close !== undefined ? { close } : {}), ...(volume !== undefined ? { volume } : {}) } }
      : {}),
  };
}

export function registerReconcile(program: Command, ctx: CliContext): void {
  program
    .command('reconcile')
    .description(
      'compare the series two sources both hold, record disagreements (reconcileSources, ID reconcile/manual-<now>)',
    )
    .option('--days <n>', 'whole UTC days before today to compare, 1-31 (default 1)')
    .option('--close-tolerance <fraction>', 'relative close difference allowed (default 0.001)')
    .option('--volume-tolerance <fraction>', 'relative base-volume difference allowed (default 0.05)')
    .option('--task-queue <name>', 'workflow task queue', ctx.defaultTaskQueue)
    .option('--wait', 'show live progress until it completes')
    .action(
      async (o: {
        days?: string;
        closeTolerance?: string;
        volumeTolerance?: string;
        taskQueue: string;
        wait?: boolean;
      }) => {
        const input = parseReconcileOptions(o);
        await runStart(
          ctx,
          {
            workflowType: 'reconcileSources',
            workflowId: `reconcile/manual-${formatInstant(Date.now())}`,
            taskQueue: o.taskQueue,
            args: [input],
            searchAttributes: { kind: 'reconcile' },
            summary: 'Reconciliation (crypto-ingest CLI)',
          },
          o.wait === true,
        );
      },
    );
}
