/**
 * `pauseFor`: a rate-limit answer pauses the source for as long as the API's own answer says, its
 * spent quota window is marked spent in the fleet budget, and no pause is longer than the cap.
 */
import { describe, expect, it } from 'vitest';
import { RateLimitedError, SourceUnavailableError } from '../../activities/errors';
import {
  DEFAULT_MAX_PAUSE_SECONDS,
  DEFAULT_PAUSE_SECONDS,
  OPEN_GATE,
  pauseFor,
  type RateGate,
} from '../../activities/rate-gate';
import type { RateWindow } from '../../activities/rate-limits';

function fakeGate() {
  const calls: string[] = [];
  const gate: RateGate = {
    acquire: async () => undefined,
    pause: async (seconds, reason, setBy) => {
      calls.push(`pause ${seconds} ${setBy}: ${reason}`);
      return seconds;
    },
    spend: async (window: RateWindow, resetSeconds: number) => {
      calls.push(`spend ${window} ${resetSeconds}`);
    },
  };
  return { gate, calls };
}

describe('pauseFor', () => {
  it('a spent quota window: the budget marks it spent, the source pauses until it resets', async () => {
    const { gate, calls } = fakeGate();
    const quota = { window: 'day' as const, callsMade: 7773, maxCalls: 7500, resetSeconds: 3_600 };
    const err = new RateLimitedError('quota spent: day window, 7773 of 7500 calls', 3_600, { quota });
    const before = Date.now() / 1000;
    const pause = await pauseFor(err, gate, 'min-api');
    expect(calls).toEqual([
      'spend day 3600',
      'pause 3600 api: min-api answered: quota spent: day window, 7773 of 7500 calls',
    ]);
    expect(Date.parse(pause!.until) / 1000 - before).toBeGreaterThanOrEqual(3_600);
    expect(Date.parse(pause!.until) / 1000 - before).toBeLessThan(3_603);
    expect(pause!.reason).toContain('day window');
  });

  it('an answer that does not say how long: the default pause, nothing marked spent', async () => {
    const { gate, calls } = fakeGate();
    await pauseFor(new RateLimitedError('429', undefined), gate, 'data-api');
    expect(calls).toEqual([`pause ${DEFAULT_PAUSE_SECONDS} api: data-api answered: 429`]);
  });

  it('anything else is not a pause', async () => {
    const { gate, calls } = fakeGate();
    expect(await pauseFor(new SourceUnavailableError('502'), gate, 'data-api')).toBeUndefined();
    expect(calls).toEqual([]);
  });

  it('a bogus wait (years, beyond what a Date can hold) is clamped, not a RangeError', async () => {
    for (const seconds of [9e12, Number.POSITIVE_INFINITY]) {
      const pause = await pauseFor(new RateLimitedError('Cooldown', seconds), OPEN_GATE, 'min-api');
      const days = (Date.parse(pause!.until) - Date.now()) / 86_400_000;
      expect(days).toBeGreaterThan(DEFAULT_MAX_PAUSE_SECONDS / 86_400 - 0.01);
      expect(days).toBeLessThanOrEqual(DEFAULT_MAX_PAUSE_SECONDS / 86_400 + 0.01);
    }
  });
});
