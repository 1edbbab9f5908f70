/**
 * Arrow columns (`BatchBuilder`) to COPY text: values, NULLs, booleans, escaping, chunking.
 */
import { describe, expect, it } from 'vitest';
import { BatchBuilder } from '../../activities/arrow/batch-builder';
import { copyTextChunks } from '../../activities/arrow/copy-text';
import type { ColumnSpec } from '../../activities/sources/types';

const cols: ColumnSpec[] = [
  { name: 'price', type: 'float8', nullable: true },
  { name: 'n', type: 'int8', nullable: false },
  { name: 'flag', type: 'bool', nullable: true },
  { name: 'label', type: 'text', nullable: true },
];

describe('BatchBuilder → COPY text', () => {
  it('renders values, NULLs, booleans and escaped text, column-wise', () => {
    const b = new BatchBuilder(cols, 1); // capacity 1 forces growth
    const rows: Array<[number, number | null, number, boolean | null, string | null]> = [
      [60, 0.1 + 0.2, 5, true, 'a\tb'],
      [120, null, 6, false, null],
      [180, 1e-7, 7, null, 'back\\slash\nnewline'],
    ];
    for (const [ts, price, n, flag, label] of rows) {
      const i = b.addRow();
      b.setNumber(0, i, ts);
      b.setNumber(1, i, price);
      b.setNumber(2, i, n);
      b.setBool(3, i, flag);
      b.setText(4, i, label);
    }
    const table = b.finish();
    expect(table.numRows).toBe(3);
    expect(table.getChild('price')!.nullCount).toBe(1);
    const text = [...copyTextChunks(table, b.columns)].join('');
    expect(text).toBe(
      '60\t0.30000000000000004\t5\tt\ta\\tb\n' +
        '120\t\\N\t6\tf\t\\N\n' +
        '180\t1e-7\t7\t\\N\tback\\\\slash\\nnewline\n',
    );
  });

  it('splits large tables into chunks without losing or repeating rows', () => {
    const b = new BatchBuilder([{ name: 'v', type: 'float8', nullable: false }], 10);
    for (let k = 0; k < 2_345; k++) {
      const i = b.addRow();
      b.setNumber(0, i, k * 60);
      b.setNumber(1, i, k / 7);
    }
    const chunks = [...copyTextChunks(b.finish(), b.columns, 1_000)];
    expect(chunks).toHaveLength(3);
    const lines = chunks.join('').trimEnd().split('\n');
    expect(lines).toHaveLength(2_345);
    expect(lines.map((l) => Number(l.split('\t')[1]))).toEqual(Array.from({ length: 2_345 }, (_, k) => k / 7));
  });
});
