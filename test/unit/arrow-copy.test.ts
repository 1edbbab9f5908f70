/**
 * Arrow columns (`BatchBuilder`) to PostgreSQL's binary COPY format: each type's bytes, NULLs,
 * text as its own bytes (no escaping), PostgreSQL's rounding of times and counts, constants, the
 * finality flag, and values no column can hold. Decoded here by the format's spec; that the server
 * reads it the same way is the integration suite's business (exact rows after every backfill).
 */
import { describe, expect, it } from 'vitest';
import { tableFromArrays } from 'apache-arrow';
import { BatchBuilder } from '../../activities/arrow/batch-builder';
import {
  copyBinaryHeader,
  copyBinaryRows,
  copyBinaryTrailer,
  OutOfRangeValue,
  type BinaryColumn,
} from '../../activities/arrow/copy-binary';
import type { ColumnSpec } from '../../activities/sources/types';

const cols: ColumnSpec[] = [
  { name: 'price', type: 'float8', nullable: true },
  { name: 'n', type: 'int8', nullable: false },
  { name: 'flag', type: 'bool', nullable: true },
  { name: 'label', type: 'text', nullable: true },
  { name: 'at', type: 'timestamptz', nullable: true },
];

type Cell = Buffer | null;

/** Split a binary COPY stream into rows of raw field bytes (null for NULL). */
function decode(stream: Buffer): Cell[][] {
  expect(stream.subarray(0, 11)).toEqual(Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1'));
  expect(stream.readInt32BE(11)).toBe(0); // flags
  expect(stream.readInt32BE(15)).toBe(0); // header extension
  let pos = 19;
  const rows: Cell[][] = [];
  for (;;) {
    const n = stream.readInt16BE(pos);
    pos += 2;
    if (n === -1) break;
    const row: Cell[] = [];
    for (let f = 0; f < n; f++) {
      const len = stream.readInt32BE(pos);
      pos += 4;
      if (len === -1) row.push(null);
      else {
        row.push(stream.subarray(pos, pos + len));
        pos += len;
      }
    }
    rows.push(row);
  }
  expect(pos).toBe(stream.length);
  return rows;
}

const stream = (table: Parameters<typeof copyBinaryRows>[0], columns: BinaryColumn[]): Buffer =>
  Buffer.concat([copyBinaryHeader(), ...copyBinaryRows(table, columns), copyBinaryTrailer()]);

const asColumns = (specs: ColumnSpec[]): BinaryColumn[] =>
  [{ name: 'ts', type: 'float8' as const }, ...specs].map((c, index) => ({ kind: 'column', index, type: c.type }));

describe('BatchBuilder → binary COPY', () => {
  it('writes each type as PostgreSQL reads it: float8 bits, int8 and times as 64-bit integers, bool, raw text, NULL', () => {
    const b = new BatchBuilder(cols, 1); // capacity 1 forces growth
    const rows: Array<[number, number | null, number, boolean | null, string | null, number | null]> = [
      [60, 0.1 + 0.2, 5, true, 'a\tb', 1_749_081_600],
      [120, null, -6, false, null, null],
      [180, 1e-7, 9e18, null, 'back\\slash\nnewline é', 946_684_800 + 1 / 128],
    ];
    for (const [ts, price, n, flag, label, at] of rows) {
      const i = b.addRow();
      b.setNumber(0, i, ts);
      b.setNumber(1, i, price);
      b.setNumber(2, i, n);
      b.setBool(3, i, flag);
      b.setText(4, i, label);
      b.setNumber(5, i, at);
    }
    const decoded = decode(stream(b.finish(), asColumns(cols)));
    expect(decoded).toHaveLength(3);
    expect(decoded.map((r) => r.length)).toEqual([6, 6, 6]);
    expect(decoded.map((r) => r[0]!.readDoubleBE(0))).toEqual([60, 120, 180]);
    expect(decoded.map((r) => r[1]?.readDoubleBE(0) ?? null)).toEqual([0.1 + 0.2, null, 1e-7]);
    expect(decoded.map((r) => r[2]!.readBigInt64BE(0))).toEqual([5n, -6n, 9_000_000_000_000_000_000n]);
    expect(decoded.map((r) => (r[3] ? r[3][0] : null))).toEqual([1, 0, null]);
    expect(decoded.map((r) => r[4]?.toString('utf8') ?? null)).toEqual(['a\tb', null, 'back\\slash\nnewline é']);
    // Microseconds since 2000-01-01: 2025-06-05 00:00 UTC; NULL; 1/128 s = 7,812.5 µs, half to even.
    expect(decoded.map((r) => r[5]?.readBigInt64BE(0) ?? null)).toEqual([802_396_800_000_000n, null, 7_812n]);
  });

  it('rounds counts and times half to even, as float8::int8 and to_timestamp(float8) do', () => {
    const values = [2.5, 3.5, -2.5, -3.5, 0.4999999999999999, 7];
    const table = tableFromArrays({ ts: Float64Array.from(values) });
    const ints = decode(stream(table, [{ kind: 'column', index: 0, type: 'int8' }])).map((r) =>
      r[0]!.readBigInt64BE(0),
    );
    expect(ints).toEqual([2n, 4n, -2n, -4n, 0n, 7n]);
    // 1/128 s and 3/128 s after 2000-01-01 are 7,812.5 and 23,437.5 µs exactly (binary fractions).
    const times = tableFromArrays({ ts: Float64Array.from([946_684_800 + 1 / 128, 946_684_800 + 3 / 128, 0]) });
    const us = decode(stream(times, [{ kind: 'column', index: 0, type: 'timestamptz' }])).map((r) =>
      r[0]!.readBigInt64BE(0),
    );
    expect(us).toEqual([7_812n, 23_438n, -946_684_800_000_000n]);
  });

  it('adds constant columns and the finality flag of each period', () => {
    const table = tableFromArrays({ ts: Float64Array.from([0, 60, 120]) });
    const rows = decode(
      stream(table, [
        { kind: 'const', type: 'text', value: 'kraken' },
        { kind: 'column', index: 0, type: 'timestamptz' },
        { kind: 'final', index: 0, step: 60, finalBefore: 120 },
        { kind: 'const', type: 'int8', value: 42 },
        { kind: 'const', type: 'text', value: null },
      ]),
    );
    expect(rows.map((r) => r[0]!.toString())).toEqual(['kraken', 'kraken', 'kraken']);
    expect(rows.map((r) => r[2]![0])).toEqual([1, 1, 0]); // 0+60 ≤ 120, 60+60 ≤ 120, 120+60 > 120
    expect(rows.map((r) => r[3]!.readBigInt64BE(0))).toEqual([42n, 42n, 42n]);
    expect(rows.map((r) => r[4])).toEqual([null, null, null]);
  });

  it('writes every row of a large, multi-batch table once, in order', () => {
    const b = new BatchBuilder([{ name: 'v', type: 'float8', nullable: false }], 10);
    for (let k = 0; k < 2_345; k++) {
      const i = b.addRow();
      b.setNumber(0, i, k * 60);
      b.setNumber(1, i, k / 7);
    }
    const one = b.finish();
    const two = one.concat(one); // two record batches
    const rows = decode(stream(two, asColumns([{ name: 'v', type: 'float8', nullable: false }])));
    expect(rows).toHaveLength(4_690);
    const expected = Array.from({ length: 2_345 }, (_, k) => k / 7);
    expect(rows.map((r) => r[1]!.readDoubleBE(0))).toEqual([...expected, ...expected]);
  });

  it('refuses a count or time no column can hold with the SQLSTATE PostgreSQL would give', () => {
    const table = tableFromArrays({ ts: Float64Array.from([1e19]) });
    const run = (type: 'int8' | 'timestamptz') => () => [
      ...copyBinaryRows(table, [{ kind: 'column', index: 0, type }]),
    ];
    expect(run('int8')).toThrow(OutOfRangeValue);
    expect(run('int8')).toThrow(expect.objectContaining({ code: '22003' }));
    expect(run('timestamptz')).toThrow(expect.objectContaining({ code: '22008' }));
    const nan = tableFromArrays({ ts: Float64Array.from([Number.NaN]) });
    expect(() => [...copyBinaryRows(nan, [{ kind: 'column', index: 0, type: 'int8' }])]).toThrow(/out of range/);
  });
});
