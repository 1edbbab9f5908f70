/**
 * Activity inbound interceptor: every error an activity throws goes through `toFailure` once, so
 * failure types and retryability are decided in `errors.ts` and nowhere else. Each failure is
 * counted (`crypto_ingest_activity_failures_total{activity,type}`) with the type Temporal records.
 */
import type { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { ActivityExecuteInput, ActivityInboundCallsInterceptor, Next } from '@temporalio/worker';
import { toFailure } from './errors';
import { recordActivityFailure } from './metrics';

/** The failure type as the history shows it: the taxonomy's class name, else the error's name. */
export function failureTypeOf(failure: unknown): string {
  if (failure instanceof ApplicationFailure) return failure.type ?? 'ApplicationFailure';
  if (failure instanceof Error) return failure.name;
  return typeof failure;
}

export class FailureClassifier implements ActivityInboundCallsInterceptor {
  constructor(private readonly activityType = 'unknown') {}

  async execute(input: ActivityExecuteInput, next: Next<ActivityInboundCallsInterceptor, 'execute'>): Promise<unknown> {
    try {
      return await next(input);
    } catch (err) {
      const failure = toFailure(err);
      recordActivityFailure(this.activityType, failureTypeOf(failure));
      throw failure;
    }
  }
}

export const activityInterceptors = (ctx: Context) => ({ inbound: new FailureClassifier(ctx.info.activityType) });
