/**
 * Activity inbound interceptor: every error an activity throws goes through `toFailure` once, so
 * failure types and retryability are decided in `errors.ts` and nowhere else.
 */
import type { ActivityExecuteInput, ActivityInboundCallsInterceptor, Next } from '@temporalio/worker';
import { toFailure } from './errors';

export class FailureClassifier implements ActivityInboundCallsInterceptor {
  async execute(input: ActivityExecuteInput, next: Next<ActivityInboundCallsInterceptor, 'execute'>): Promise<unknown> {
    try {
      return await next(input);
    } catch (err) {
      throw toFailure(err);
    }
  }
}

export const activityInterceptors = () => ({ inbound: new FailureClassifier() });
