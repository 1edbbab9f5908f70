/**
 * Values the database cannot store: each column type's range (`columnProblem`), JSON for `jsonb`
 * without NUL characters (`jsonForPg`), and a data error that still reaches PostgreSQL (SQLSTATE
 * classes 22 and 23) classified as the named, non-retryable `UnstorableValueError`.
 */
import { describe, expect, it } from 'vitest';
import { DatabaseTransientError, UnstorableValueError, classifyDatabaseError } from '../../activities/errors';
import { columnProblem, jsonForPg } from '../../activities/validation';

describe('columnProblem', () => {
  const i8 = { name: 'total_trades', type: 'int8', nullable: true } as const;
  const ts = { name: 'first_trade_ts', type: 'timestamptz', nullable: true } as const;
  const f8 = { name: 'close', type: 'float8', nullable: true } as const;
  const txt = { name: 'conversion_type', type: 'text', nullable: true } as const;

  it('accepts what fits, and absent values', () => {
    expect(columnProblem(i8, 15_141)).toBeUndefined();
    expect(columnProblem(i8, -9.2e18 + 1e6)).toBeUndefined();
    expect(columnProblem(ts, 1_749_081_600)).toBeUndefined();
    expect(columnProblem(f8, 1e300)).toBeUndefined();
    expect(columnProblem(txt, 'direct')).toBeUndefined();
    for (const c of [i8, ts, f8, txt]) expect(columnProblem(c, undefined)).toBeUndefined();
    for (const c of [i8, ts, f8, txt]) expect(columnProblem(c, null)).toBeUndefined();
  });

  it('names the column and the value that does not fit', () => {
    expect(columnProblem(i8, 1e19)).toBe('total_trades 10000000000000000000 does not fit int8');
    expect(columnProblem(ts, 1e15)).toBe(
      'first_trade_ts 1000000000000000 is not a time in seconds between 1970 and 2200',
    );
    expect(columnProblem(ts, -1)).toContain('is not a time in seconds');
    expect(columnProblem(f8, Number.NaN)).toBe('close NaN is not a finite number');
    expect(columnProblem(f8, Number.NEGATIVE_INFINITY)).toBe('close -Infinity is not a finite number');
    expect(columnProblem(txt, 'a\u0000b')).toBe('conversion_type contains a NUL character');
  });
});

describe('jsonForPg', () => {
  it('escapes NUL characters in strings and keys (jsonb refuses \\u0000) and keeps everything else', () => {
    const text = jsonForPg({ a: 'x\u0000y', ['k\u0000']: ['\u0000'], n: 1, nested: { s: 'ok' } });
    expect(text).not.toContain('\\u0000');
    expect(JSON.parse(text)).toEqual({ a: 'x\u2400y', ['k\u2400']: ['\u2400'], n: 1, nested: { s: 'ok' } });
    expect(jsonForPg({ plain: 'text', literal: '\\u0000' })).toBe(
      JSON.stringify({ plain: 'text', literal: '\\u0000' }),
    );
  });
});

describe('classifyDatabaseError: data errors', () => {
  const pgError = (code: string, message: string) => Object.assign(new Error(message), { code, severity: 'ERROR' });

  it('data exceptions (22), not-null and check violations, and a batch with a key twice (21) are the non-retryable UnstorableValueError', () => {
    for (const [code, msg] of [
      ['22003', 'bigint out of range'],
      ['22008', 'timestamp out of range: "1e15"'],
      ['22P05', 'unsupported Unicode escape sequence'],
      ['23502', 'null value in column "ts" violates not-null constraint'],
      ['23514', 'new row violates check constraint "rank_check"'],
      ['21000', 'ON CONFLICT DO UPDATE command cannot affect row a second time'],
    ] as const) {
      const err = classifyDatabaseError(pgError(code, msg));
      expect(err).toBeInstanceOf(UnstorableValueError);
      expect((err as UnstorableValueError).retryable).toBe(false);
      expect((err as Error).message).toContain(`SQLSTATE ${code}`);
      expect((err as Error).message).toContain(msg);
    }
  });

  it('transient conditions (and integrity races: unique, foreign key) stay retryable; other errors pass through', () => {
    expect(classifyDatabaseError(pgError('40P01', 'deadlock detected'))).toBeInstanceOf(DatabaseTransientError);
    expect(classifyDatabaseError(pgError('23505', 'duplicate key value'))).toBeInstanceOf(DatabaseTransientError);
    expect(classifyDatabaseError(pgError('23503', 'violates foreign key constraint'))).toBeInstanceOf(
      DatabaseTransientError,
    );
    const syntax = pgError('42601', 'syntax error');
    expect(classifyDatabaseError(syntax)).toBe(syntax);
  });
});
