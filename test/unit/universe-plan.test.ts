/**
 * The plan's arithmetic on hand-checked cases: one series, a universe of 1,000 minute series on
 * the free tier, the same on a paid tier, and a backfill's calls and ETA.
 */
import { describe, expect, it } from 'vitest';
import {
  backfillCalls,
  backgroundLimits,
  backfillEtas,
  bindingWindow,
  fits,
  leftoverRate,
  needPerWindow,
  syncCallsPerSeries,
  type RecurringDemand,
} from '../../activities/universe-plan';
import type { RateLimits } from '../../activities/rate-limits';

/** The Data API's free tier (activities/sources/data-api/config.ts). */
const FREE: RateLimits = { second: 20, minute: 300, hour: 3_000, day: 7_500, month: 11_000 };
/** A paid key seen in real answers: 50/s, 2,000/min, 100,000/h. */
const PAID: RateLimits = { second: 50, minute: 2_000, hour: 100_000 };

const minuteSync = (series: number): RecurringDemand => ({
  what: `sync 1m (${series} series)`,
  // every minute: 1 new period + 10 lookback + the open one = 12 ≤ 2,000 → one call per series
  callsPerTick:
    series *
    syncCallsPerSeries({ everySeconds: 60, stepSeconds: 60, lookbackPeriods: 10, cap: 2_000, maxPagesPerSeries: 3 }),
  everySeconds: 60,
});

describe('syncCallsPerSeries', () => {
  it('one call a tick while the gap fits one page; more for rare ticks, never more than the page limit', () => {
    expect(
      syncCallsPerSeries({ everySeconds: 60, stepSeconds: 60, lookbackPeriods: 10, cap: 2_000, maxPagesPerSeries: 3 }),
    ).toBe(1);
    // a 1m series synced daily: 1,440 + 10 + 1 = 1,451 periods: one call
    expect(
      syncCallsPerSeries({
        everySeconds: 86_400,
        stepSeconds: 60,
        lookbackPeriods: 10,
        cap: 2_000,
        maxPagesPerSeries: 3,
      }),
    ).toBe(1);
    // synced every two days: 2,880 + 11 = 2,891 periods: two calls
    expect(
      syncCallsPerSeries({
        everySeconds: 172_800,
        stepSeconds: 60,
        lookbackPeriods: 10,
        cap: 2_000,
        maxPagesPerSeries: 3,
      }),
    ).toBe(2);
    // weekly: 10,080 + 11 periods would be 6 calls; a tick makes at most 3
    expect(
      syncCallsPerSeries({
        everySeconds: 604_800,
        stepSeconds: 60,
        lookbackPeriods: 10,
        cap: 2_000,
        maxPagesPerSeries: 3,
      }),
    ).toBe(3);
  });
});

describe('needPerWindow, bindingWindow, fits', () => {
  it('one minute series on the free tier fits every window but the month: 43,200 calls for 11,000', () => {
    const needs = needPerWindow([minuteSync(1)], FREE);
    const by = Object.fromEntries(needs.map((n) => [n.window, n]));
    expect(by.second!.need).toBeCloseTo(1 / 60, 10);
    expect(by.minute!.need).toBe(1);
    expect(by.hour!.need).toBe(60);
    expect(by.day!.need).toBe(1_440);
    expect(by.month!.need).toBe(43_200);
    expect(by.month!.headroom).toBe(11_000 - 43_200);
    expect(bindingWindow(needs)!.window).toBe('month');
    expect(bindingWindow(needs)!.share).toBeCloseTo(43_200 / 11_000, 10);
    expect(fits(needs)).toBe(false);
    // hourly instead: 60 + 10 + 1 = 71 periods a tick, one call: 720 a month, fits
    const hourly = needPerWindow([{ what: 'sync 1m hourly', callsPerTick: 1, everySeconds: 3_600 }], FREE);
    expect(hourly.find((n) => n.window === 'month')!.need).toBe(720);
    expect(fits(hourly)).toBe(true);
  });

  it('1,000 minute series on the free tier: 1,000 calls a minute for 300, and 43.2M a month for 11,000', () => {
    const needs = needPerWindow([minuteSync(1_000)], FREE);
    const by = Object.fromEntries(needs.map((n) => [n.window, n]));
    expect(by.minute!.need).toBe(1_000);
    expect(by.minute!.share).toBeCloseTo(1_000 / 300, 10);
    expect(by.month!.need).toBe(43_200_000);
    expect(bindingWindow(needs)!.window).toBe('month');
    expect(fits(needs)).toBe(false);
    expect(leftoverRate(needs)).toEqual({ callsPerSecond: 0, window: 'minute' }); // nothing left for backfills
  });

  it('1,000 minute series on a paid key (50/s, 2,000/min, 100,000/h): the hour binds at 60%', () => {
    const universeRefresh: RecurringDemand = {
      what: 'refresh: top list 5 pages + 5 markets',
      callsPerTick: 10,
      everySeconds: 3_600,
    };
    const needs = needPerWindow([minuteSync(1_000), universeRefresh], PAID);
    const by = Object.fromEntries(needs.map((n) => [n.window, n]));
    expect(by.minute!.need).toBeCloseTo(1_000 + 10 / 60, 10);
    expect(by.hour!.need).toBe(60_010);
    expect(by.hour!.headroom).toBe(39_990);
    expect(by.day!.limit).toBeUndefined(); // not limited
    expect(bindingWindow(needs)!.window).toBe('hour');
    expect(bindingWindow(needs)!.share).toBeCloseTo(0.6001, 10);
    expect(fits(needs)).toBe(true);
  });
});

describe('backfillCalls, leftoverRate, backfillEtas', () => {
  it("a two-year minute backfill is 526 calls; 1,000 of them on the paid key's leftover take ~13 h", () => {
    const twoYears = 730 * 86_400;
    expect(backfillCalls(0, twoYears, 60, 2_000)).toBe(526); // 1,051,200 periods / 2,000
    expect(backfillCalls(0, 2_000 * 60, 60, 2_000)).toBe(1);
    expect(backfillCalls(0, 2_001 * 60, 60, 2_000)).toBe(2);
    expect(backfillCalls(100, 100, 60, 2_000)).toBe(0);
    const needs = needPerWindow([minuteSync(1_000)], PAID);
    // left per second: second 50 − 16.67 = 33.3; minute (2,000 − 1,000)/60 = 16.7; hour (100,000 − 60,000)/3,600 = 11.1
    const left = leftoverRate(needs);
    expect(left.window).toBe('hour');
    expect(left.callsPerSecond).toBeCloseTo(40_000 / 3_600, 10);
    const etas = backfillEtas(
      Array.from({ length: 1_000 }, (_, k) => ({ key: k, calls: 526 })),
      left.callsPerSecond,
    );
    expect(etas[0]!.doneInSeconds).toBeCloseTo(526 / (40_000 / 3_600), 6); // ~47 s
    expect(etas[999]!.doneInSeconds).toBeCloseTo(47_340, 6); // 526,000 calls at 11.11/s: 13.15 h
  });

  it('no leftover: a backfill never completes; nothing limited: at once', () => {
    expect(backfillEtas([{ key: 'a', calls: 5 }], 0)[0]!.doneInSeconds).toBe(Infinity);
    expect(backfillEtas([{ key: 'a', calls: 0 }], 0)[0]!.doneInSeconds).toBe(0);
    expect(leftoverRate(needPerWindow([minuteSync(1)], {}))).toEqual({ callsPerSecond: Infinity, window: undefined });
  });
});

describe('backgroundLimits (syncs first)', () => {
  it('holds backfills to each window less the syncs’ need, rounded up, never below zero', () => {
    // Two 1m series synced every minute: 2 calls a tick. Hand-checked per window:
    // second 2/60 → 1 kept, 19 left; minute 2 → 298; hour 120 → 2,880; day 2,880 → 4,620;
    // month 86,400 > 11,000 → nothing left for backfills.
    expect(backgroundLimits(FREE, [minuteSync(2)])).toEqual({
      second: 19,
      minute: 298,
      hour: 2_880,
      day: 4_620,
      month: 0,
    });
    // A paid key with only a minute limit: the other windows stay unlimited (absent).
    expect(backgroundLimits({ minute: 2_000 }, [minuteSync(150)])).toEqual({ minute: 1_850 });
    // A sliver of need never holds a whole small window: a daily sync of 10 series against 1 a second.
    expect(
      backgroundLimits({ second: 1, minute: 60 }, [{ what: 'd', callsPerTick: 10, everySeconds: 86_400 }]),
    ).toEqual({ second: 1, minute: 59 });
    // Syncs needing the whole window (or more) leave nothing.
    expect(backgroundLimits({ minute: 10 }, [{ what: 'm', callsPerTick: 10, everySeconds: 60 }])).toEqual({
      minute: 0,
    });
    // No syncs: the full limits.
    expect(backgroundLimits(FREE, [])).toEqual(FREE);
    // An hourly sync of 20 series: 20 calls an hour, 1/180 a second (1 kept), 1/3 a minute (1 kept).
    expect(
      backgroundLimits({ second: 20, minute: 300, hour: 3_000 }, [
        { what: 'h', callsPerTick: 20, everySeconds: 3_600 },
      ]),
    ).toEqual({
      second: 19,
      minute: 299,
      hour: 2_980,
    });
  });
});
