/**
 * Fail a workflow whose input cannot be valid: one non-retryable `InvalidInputError` (the same
 * failure type the activities use) listing every problem, raised before anything else runs, so the
 * UI shows what to fix instead of a task retried forever or a silent no-op.
 */
import { ApplicationFailure } from '@temporalio/workflow';
import type { Problems } from './contracts/validation';

export function requireValidInput(what: string, problems: Problems): void {
  if (problems.length === 0) return;
  throw ApplicationFailure.create({
    type: 'InvalidInputError',
    message: `invalid ${what} input: ${problems.join('; ')} (fix the input and start it again)`,
    nonRetryable: true,
    details: [{ problems }],
  });
}
