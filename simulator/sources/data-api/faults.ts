/**
 * Row-level faults of the Data API simulator's historical routes (`drift-new-field`,
 * `drift-missing-field`, `bad-row`), one profile per dataset. Each profile names the fields it
 * touches, so tests and clients can check exactly what a fault did.
 */
import type { ActiveFault, BadRowKind } from '../../types';

/** The historical datasets the simulator serves. */
export type HistoricalDataset = 'spot-ohlcv' | 'futures-ohlcv' | 'open-interest' | 'funding-rate';

export type MutableRow = Record<string, unknown>;

export interface RowFaultProfile {
  /** Key a `drift-new-field` fault appends (value 0) to every row. */
  readonly newFieldKey: string;
  /** Required key a `drift-missing-field` fault removes from every row. */
  readonly missingFieldKey: string;
  /**
   * Count key whose value 0 marks a row without activity (filler): `bad-row` corrupts the middle row
   * among those with activity (or without the key), else the middle row.
   */
  readonly activityKey: string;
  /** The keys each `bad-row` kind changes. */
  readonly badRowFields: Readonly<Record<BadRowKind, readonly string[]>>;
  readonly corrupt: (row: MutableRow, kind: BadRowKind) => void;
}

function shiftTimestamp(row: MutableRow, kind: 'misaligned-ts' | 'ms-timestamp'): void {
  row.TIMESTAMP = kind === 'misaligned-ts' ? Number(row.TIMESTAMP) + 1 : Number(row.TIMESTAMP) * 1000;
}

/** HIGH below LOW: swap them, or push HIGH under LOW when they are equal. */
function swapHighLow(highKey: string, lowKey: string): (row: MutableRow) => void {
  return (row) => {
    const high = Number(row[highKey]);
    const low = Number(row[lowKey]);
    if (high > low) {
      row[highKey] = low;
      row[lowKey] = high;
    } else {
      row[highKey] = low - Math.max(Math.abs(low) * 0.01, 1e-9);
    }
  };
}

/** A negative value: the key's value negated, or -1.5 when it is not positive (or absent). */
function negate(key: string): (row: MutableRow) => void {
  return (row) => {
    const value = Number(row[key] ?? 0);
    row[key] = value > 0 ? -value : -1.5;
  };
}

/**
 * A profile's `corrupt` from what differs between datasets: how a row gets HIGH below LOW and a
 * negative value, and which key `nan-string` sets to "NaN". Timestamps are shifted alike.
 */
function corruptor(c: {
  readonly highBelowLow: (row: MutableRow) => void;
  readonly negativeVolume: (row: MutableRow) => void;
  readonly nanKey: string;
}): RowFaultProfile['corrupt'] {
  return (row, kind) => {
    switch (kind) {
      case 'high-below-low':
        c.highBelowLow(row);
        return;
      case 'negative-volume':
        c.negativeVolume(row);
        return;
      case 'misaligned-ts':
      case 'ms-timestamp':
        shiftTimestamp(row, kind);
        return;
      case 'nan-string':
        row[c.nanKey] = 'NaN';
        return;
    }
  };
}

/** OHLCV rows (spot and futures): the choices the spot route has always made. */
const OHLCV_PROFILE: RowFaultProfile = {
  newFieldKey: 'TOTAL_TRADES_BLOCK',
  missingFieldKey: 'HIGH',
  activityKey: 'TOTAL_TRADES',
  badRowFields: {
    'high-below-low': ['HIGH', 'LOW'],
    'negative-volume': ['VOLUME'],
    'misaligned-ts': ['TIMESTAMP'],
    'ms-timestamp': ['TIMESTAMP'],
    'nan-string': ['CLOSE'],
  },
  corrupt: corruptor({
    highBelowLow(row) {
      const high = Number(row.HIGH);
      const low = Number(row.LOW);
      if (high > low) {
        row.HIGH = low;
        row.LOW = high;
      } else {
        row.HIGH = low * 0.99;
      }
    },
    negativeVolume: negate('VOLUME'),
    nanKey: 'CLOSE',
  }),
};

const OPEN_INTEREST_PROFILE: RowFaultProfile = {
  newFieldKey: 'OPEN_INTEREST_CHANGE',
  missingFieldKey: 'CLOSE_SETTLEMENT',
  activityKey: 'TOTAL_OPEN_INTEREST_UPDATES',
  badRowFields: {
    'high-below-low': ['HIGH_SETTLEMENT', 'LOW_SETTLEMENT'],
    'negative-volume': ['CLOSE_SETTLEMENT'],
    'misaligned-ts': ['TIMESTAMP'],
    'ms-timestamp': ['TIMESTAMP'],
    'nan-string': ['CLOSE_SETTLEMENT'],
  },
  corrupt: corruptor({
    highBelowLow: swapHighLow('HIGH_SETTLEMENT', 'LOW_SETTLEMENT'),
    negativeVolume: negate('CLOSE_SETTLEMENT'),
    nanKey: 'CLOSE_SETTLEMENT',
  }),
};

/**
 * Funding rates may legitimately be negative, so `negative-volume` instead makes CLOSE the
 * non-finite string "Infinity" (distinct from `nan-string`'s "NaN").
 */
const FUNDING_RATE_PROFILE: RowFaultProfile = {
  newFieldKey: 'PREDICTED_FUNDING_RATE',
  missingFieldKey: 'CLOSE',
  activityKey: 'TOTAL_FUNDING_RATE_UPDATES',
  badRowFields: {
    'high-below-low': ['HIGH', 'LOW'],
    'negative-volume': ['CLOSE'],
    'misaligned-ts': ['TIMESTAMP'],
    'ms-timestamp': ['TIMESTAMP'],
    'nan-string': ['CLOSE'],
  },
  corrupt: corruptor({
    highBelowLow: swapHighLow('HIGH', 'LOW'),
    negativeVolume: (row) => {
      row.CLOSE = 'Infinity';
    },
    nanKey: 'CLOSE',
  }),
};

/** The fault profile of every historical dataset. */
export const ROW_FAULT_PROFILES: Readonly<Record<HistoricalDataset, RowFaultProfile>> = {
  'spot-ohlcv': OHLCV_PROFILE,
  'futures-ohlcv': OHLCV_PROFILE,
  'open-interest': OPEN_INTEREST_PROFILE,
  'funding-rate': FUNDING_RATE_PROFILE,
};

/** One field of every dataset's profile. */
function perDataset<K extends keyof RowFaultProfile>(key: K): Readonly<Record<HistoricalDataset, RowFaultProfile[K]>> {
  return Object.fromEntries(
    Object.entries(ROW_FAULT_PROFILES).map(([dataset, profile]) => [dataset, profile[key]]),
  ) as Record<HistoricalDataset, RowFaultProfile[K]>;
}

/** Key a `drift-missing-field` fault removes, per dataset. */
export const DRIFT_MISSING_FIELD_KEYS = perDataset('missingFieldKey');

/** Key a `drift-new-field` fault adds, per dataset. */
export const DRIFT_NEW_FIELD_KEYS = perDataset('newFieldKey');

/** The keys each `bad-row` kind changes, per dataset. */
export const BAD_ROW_FIELDS = perDataset('badRowFields');

/** Applies a row-level fault (`drift-*`, `bad-row`) to the rows about to be served (in place). */
export function applyRowFault(rows: object[], fault: ActiveFault | undefined, profile: RowFaultProfile): void {
  if (!fault || rows.length === 0) return;
  const mutable = rows as MutableRow[];
  switch (fault.kind) {
    case 'drift-new-field':
      for (const row of mutable) row[profile.newFieldKey] = 0;
      return;
    case 'drift-missing-field':
      for (const row of mutable) delete row[profile.missingFieldKey];
      return;
    case 'bad-row': {
      // Exactly one row per response: the middle row with activity when there is one, else the middle row.
      const active = mutable.filter((r) => ((r[profile.activityKey] as number | undefined) ?? 1) > 0);
      const row = active.length > 0 ? active[Math.floor(active.length / 2)] : mutable[Math.floor(mutable.length / 2)];
      if (row) profile.corrupt(row, fault.badRow ?? 'high-below-low');
      return;
    }
    default:
      return;
  }
}
