/**
 * Where a newly tracked series' coverage starts (`backfillStart`): horizon at a UTC day start,
 * never before the listing.
 */
import { describe, expect, it } from 'vitest';
import { backfillStart } from '../../activities/universe';

const at = (iso: string) => Date.parse(iso) / 1000;
const iso = (s: number) => new Date(s * 1000).toISOString();

describe('where a newly tracked series starts', () => {
  const asOf = at('2026-11-26T04:31:07Z');

  it('a P<n>D horizon starts at the UTC day start n days back: the ledger then has no partial first day', () => {
    for (const interval of ['1m', '1h', '1d'] as const) {
      expect(iso(backfillStart({ horizon: 'P30D' }, asOf, null, interval))).toBe('2026-10-27T00:00:00.000Z');
    }
    expect(iso(backfillStart({}, asOf, null, '1h'))).toBe('2026-10-27T00:00:00.000Z'); // default P30D
  });

  it('never before the listing (aligned down to the interval)', () => {
    const listed = at('2026-11-20T13:37:00Z');
    expect(iso(backfillStart({ horizon: 'P30D' }, asOf, listed, '1h'))).toBe('2026-11-20T13:00:00.000Z');
    expect(iso(backfillStart({ horizon: 'listing' }, asOf, listed, '1m'))).toBe('2026-11-20T13:37:00.000Z');
    expect(iso(backfillStart({ horizon: 'P3D' }, asOf, at('2020-01-01T05:00:00Z'), '1h'))).toBe(
      '2026-11-23T00:00:00.000Z',
    );
  });
});
