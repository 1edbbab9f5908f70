/**
 * The rate-limit vocabulary: when each fixed UTC window ends, and which window a quota answer's own
 * report (`calls_made` / `max_calls`) says is spent.
 */
import { describe, expect, it } from 'vitest';
import { spentWindow, windowEnd } from '../../activities/rate-limits';

const at = (iso: string) => Date.parse(iso) / 1000;
const iso = (s: number) => new Date(s * 1000).toISOString();

describe('windowEnd', () => {
  const t = at('2026-12-31T23:59:58.400Z');
  it('second … day end at the next epoch-aligned boundary (00:00 UTC for a day)', () => {
    expect(iso(windowEnd('second', t))).toBe('2026-12-31T23:59:59.000Z');
    expect(iso(windowEnd('minute', t))).toBe('2027-01-01T00:00:00.000Z');
    expect(iso(windowEnd('hour', at('2026-05-05T10:00:00Z')))).toBe('2026-05-05T11:00:00.000Z');
    expect(iso(windowEnd('day', at('2026-05-05T10:20:00Z')))).toBe('2026-05-06T00:00:00.000Z');
  });
  it('a month ends on the 1st of the next UTC month (calendar, as the APIs reset quotas)', () => {
    expect(iso(windowEnd('month', at('2026-02-14T08:00:00Z')))).toBe('2026-03-01T00:00:00.000Z');
    expect(iso(windowEnd('month', t))).toBe('2027-01-01T00:00:00.000Z');
  });
});

describe('spentWindow', () => {
  // The real min-api answer (api-wire-reference §2.5): the day quota is spent, and rejected calls
  // went on counting (7773 of 7500).
  const real = {
    calls_made: { second: 1, minute: 3, hour: 4, day: 7773, month: 11627, total_calls: 52622 },
    max_calls: { second: 20, minute: 300, hour: 3000, day: 7500, month: 50000 },
  };
  const noon = at('2026-12-02T12:00:00Z');

  it('names the spent window, its counts and the seconds until it resets', () => {
    expect(spentWindow(real, noon)).toEqual({ window: 'day', callsMade: 7773, maxCalls: 7500, resetSeconds: 43_200 });
  });

  it('takes the longest spent window when several are', () => {
    const both = { ...real, calls_made: { ...real.calls_made, second: 25, month: 50_000 } };
    const got = spentWindow(both, noon)!;
    expect(got.window).toBe('month');
    expect(iso(noon + got.resetSeconds)).toBe('2027-01-01T00:00:00.000Z');
  });

  it('a second-window answer (the Data API sample: 21 of 20) waits for the next second', () => {
    const sample = {
      calls_made: { second: 21, minute: 40, hour: 40, day: 40, month: 40, total_calls: 40 },
      max_calls: { second: 20, minute: 300, hour: 3000, day: 7500, month: 11000 },
    };
    expect(spentWindow(sample, noon + 0.25)).toEqual({
      window: 'second',
      callsMade: 21,
      maxCalls: 20,
      resetSeconds: 0.75,
    });
  });

  it('nothing spent, or a report it cannot read: undefined (the caller falls back to headers or a default)', () => {
    expect(spentWindow({ calls_made: { day: 10 }, max_calls: { day: 7500 } }, noon)).toBeUndefined();
    for (const bad of [
      undefined,
      null,
      {},
      'x',
      { calls_made: { day: '9' }, max_calls: { day: 1 } },
      { calls_made: { day: 5 }, max_calls: { day: 0 } },
    ]) {
      expect(spentWindow(bad, noon)).toBeUndefined();
    }
  });
});
