/**
 * A request asks again in place when an answer is not the API's (`askUntilTheApiAnswers`): only
 * malformed answers in a row count towards the bound, the last one is final, other errors pass at
 * once, and cancellation ends the wait. Regression of chaos seed 13, where one proxy page on a late
 * activity attempt (earlier ones failed with resets) failed a backfill.
 */
import { describe, expect, it } from 'vitest';
import { MALFORMED_IN_A_ROW, MalformedResponseError, SourceUnavailableError, toFailure } from '../../activities/errors';
import { askUntilTheApiAnswers } from '../../activities/sources/http-client';
import type { ApplicationFailure } from '@temporalio/common';

/** An `ask` that throws the given errors in turn, then answers `ok`. */
function scripted(errors: readonly Error[]) {
  let calls = 0;
  const ask = async () => {
    const e = errors[calls++];
    if (e) throw e;
    return 'ok';
  };
  return { ask, calls: () => calls };
}
const malformed = () => new MalformedResponseError('GET /x: HTTP 200 body is not valid JSON');
const never = new AbortController().signal;

describe('askUntilTheApiAnswers', () => {
  it(`answers after ${MALFORMED_IN_A_ROW - 1} malformed answers in a row`, async () => {
    const s = scripted(Array.from({ length: MALFORMED_IN_A_ROW - 1 }, malformed));
    await expect(askUntilTheApiAnswers(s.ask, never, () => 1)).resolves.toBe('ok');
    expect(s.calls()).toBe(MALFORMED_IN_A_ROW);
  });

  it(`fails for good on the ${MALFORMED_IN_A_ROW}th malformed answer in a row, saying so`, async () => {
    const s = scripted(Array.from({ length: MALFORMED_IN_A_ROW + 5 }, malformed));
    const err = await askUntilTheApiAnswers(s.ask, never, () => 1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MalformedResponseError);
    expect((err as Error).message).toContain(`(${MALFORMED_IN_A_ROW} answers in a row)`);
    expect((err as MalformedResponseError).details).toMatchObject({ inARow: MALFORMED_IN_A_ROW });
    expect(s.calls()).toBe(MALFORMED_IN_A_ROW);
    expect((toFailure(err) as ApplicationFailure).nonRetryable).toBe(true);
  });

  it('lets any other error through at once (the activity retry policy handles it)', async () => {
    const s = scripted([malformed(), new SourceUnavailableError('reset')]);
    const err = await askUntilTheApiAnswers(s.ask, never, () => 1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SourceUnavailableError);
    expect(s.calls()).toBe(2);
  });

  it('stops waiting when the activity is cancelled', async () => {
    const ac = new AbortController();
    const s = scripted([malformed(), malformed()]);
    const pending = askUntilTheApiAnswers(s.ask, ac.signal, () => 60_000);
    setTimeout(() => ac.abort(new Error('cancelled')), 10);
    await expect(pending).rejects.toThrow();
    expect(s.calls()).toBe(1);
  });
});
