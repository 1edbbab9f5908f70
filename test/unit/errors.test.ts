/**
 * The error taxonomy: `toFailure` (failure type, retryability, next retry delay) and
 * `classifyDatabaseError` (transient SQLSTATEs).
 */
import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import {
  classifyDatabaseError,
  DatabaseTransientError,
  MalformedResponseError,
  RateLimitedError,
  SourceUnavailableError,
  toFailure,
  ResponseSchemaError,
} from '../../activities/errors';
import { NON_RETRYABLE_FAILURE_TYPES } from '../../workflows/contracts/failure-types';
import * as errors from '../../activities/errors';

describe('toFailure', () => {
  it('keeps the class name as failure type and decides retryability', () => {
    const f = toFailure(
      new ResponseSchemaError('GET /x: breaks the contract', { details: { url: '/x' } }),
    ) as ApplicationFailure;
    expect(f).toBeInstanceOf(ApplicationFailure);
    expect(f.type).toBe('ResponseSchemaError');
    expect(f.nonRetryable).toBe(true);
    expect(f.message).toContain('breaks the contract');
    expect(f.details).toEqual([{ url: '/x' }]);
    const u = toFailure(new SourceUnavailableError('down')) as ApplicationFailure;
    expect(u.nonRetryable).toBe(false);
  });

  it("an answer that is not the API's reaches Temporal as final: the bound is counted in place, in a row", () => {
    const f = toFailure(new MalformedResponseError('GET /x: HTTP 200 body is not valid JSON')) as ApplicationFailure;
    expect(f.type).toBe('MalformedResponseError');
    expect(f.nonRetryable).toBe(true);
  });

  it('carries Retry-After as nextRetryDelay and marks rate limits benign', () => {
    const f = toFailure(new RateLimitedError('429', 2.2)) as ApplicationFailure;
    expect(f.nextRetryDelay).toBe(3000);
    expect(f.category).toBe('BENIGN');
    expect(f.nonRetryable).toBe(false);
  });

  it('passes unknown errors through unchanged', () => {
    const e = new Error('x');
    expect(toFailure(e)).toBe(e);
  });

  it('every non-retryable class is listed in NON_RETRYABLE_FAILURE_TYPES and vice versa', () => {
    const classes = Object.values(errors).filter(
      (v) => typeof v === 'function' && v.prototype instanceof errors.IngestError,
    ) as unknown as Array<new (...args: unknown[]) => errors.IngestError>;
    expect(classes.length).toBeGreaterThan(5);
    const nonRetryable = classes
      .filter((cls) => !Reflect.construct(cls, ['probe', undefined]).retryable)
      .map((cls) => cls.name)
      .sort();
    expect(nonRetryable).toEqual([...NON_RETRYABLE_FAILURE_TYPES].sort());
  });
});

describe('classifyDatabaseError', () => {
  it('turns connection loss, deadlocks and serialization failures into DatabaseTransientError', () => {
    for (const code of ['08006', '40001', '40P01', '53300', '57P01']) {
      expect(classifyDatabaseError(Object.assign(new Error('x'), { code }))).toBeInstanceOf(DatabaseTransientError);
    }
    expect(classifyDatabaseError(new Error('connect ECONNREFUSED 127.0.0.1:5432'))).toBeInstanceOf(
      DatabaseTransientError,
    );
  });

  it('leaves real SQL errors alone', () => {
    const e = Object.assign(new Error('syntax'), { code: '42601' });
    expect(classifyDatabaseError(e)).toBe(e);
  });
});
