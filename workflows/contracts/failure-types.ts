/**
 * Failure types that must never be retried. They are the `name` of the error classes in
 * `activities/errors.ts` (the one place retryability is decided) and appear as the failure
 * `type` in workflow histories. Listed here as plain strings so workflow code can put them in
 * retry policies as a second line of defence without importing activity code.
 */
export const NON_RETRYABLE_FAILURE_TYPES = [
  'InvalidInputError',
  'SourceAuthError',
  'SourceRequestError',
  'ResponseSchemaError',
  'DataInvariantError',
  'UnstorableValueError',
  'MalformedResponseError',
] as const;

export type NonRetryableFailureType = (typeof NON_RETRYABLE_FAILURE_TYPES)[number];
