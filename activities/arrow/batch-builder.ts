/**
 * Builds one Arrow batch, column by column, straight from parsed API rows into typed arrays
 * (no per-row objects). Column 0 is always `ts` (Float64, Unix seconds); the rest follow the
 * dataset's `ColumnSpec` order. Numbers (float8, int8, timestamptz as Unix seconds) are Float64,
 * `bool` is Arrow Bool, `text` is Utf8; every column carries a validity bitmap.
 */
import { Bool, Float64, Table, Utf8, makeData, makeVector, vectorFromArray, type Vector } from 'apache-arrow';
import type { ColumnSpec, ColumnType } from '../sources/types';

export const TS_COLUMN: ColumnSpec = { name: 'ts', type: 'timestamptz', nullable: false };

type Store =
  | { kind: 'number'; values: Float64Array; valid: Uint8Array }
  | { kind: 'bool'; values: Uint8Array; valid: Uint8Array }
  | { kind: 'text'; values: (string | null)[] };

function storeFor(type: ColumnType, capacity: number): Store {
  switch (type) {
    case 'text':
      return { kind: 'text', values: new Array<string | null>(capacity).fill(null) };
    case 'bool':
      return { kind: 'bool', values: new Uint8Array(capacity), valid: new Uint8Array(capacity) };
    default:
      return { kind: 'number', values: new Float64Array(capacity), valid: new Uint8Array(capacity) };
  }
}

export class BatchBuilder {
  readonly columns: readonly ColumnSpec[];
  #stores: Store[];
  #length = 0;
  #capacity: number;

  /** `valueColumns` excludes `ts`, which is added as column 0. */
  constructor(valueColumns: readonly ColumnSpec[], capacity: number) {
    this.columns = [TS_COLUMN, ...valueColumns];
    this.#capacity = Math.max(1, capacity);
    this.#stores = this.columns.map((c) => storeFor(c.type, this.#capacity));
  }

  get length(): number {
    return this.#length;
  }

  /** Index of a column by name (do this once, outside the row loop). */
  index(name: string): number {
    const i = this.columns.findIndex((c) => c.name === name);
    if (i < 0) throw new Error(`unknown column ${name}`);
    return i;
  }

  /** Start a new row; returns its index. */
  addRow(): number {
    if (this.#length === this.#capacity) this.#grow();
    return this.#length++;
  }

  setNumber(col: number, row: number, value: number | null | undefined): void {
    const s = this.#stores[col] as Extract<Store, { kind: 'number' }>;
    if (value === null || value === undefined) {
      s.valid[row] = 0;
    } else {
      s.values[row] = value;
      s.valid[row] = 1;
    }
  }

  setBool(col: number, row: number, value: boolean | null | undefined): void {
    const s = this.#stores[col] as Extract<Store, { kind: 'bool' }>;
    if (value === null || value === undefined) {
      s.valid[row] = 0;
    } else {
      s.values[row] = value ? 1 : 0;
      s.valid[row] = 1;
    }
  }

  setText(col: number, row: number, value: string | null | undefined): void {
    const s = this.#stores[col] as Extract<Store, { kind: 'text' }>;
    s.values[row] = value ?? null;
  }

  #grow(): void {
    const cap = this.#capacity * 2;
    this.#stores = this.#stores.map((s) => {
      if (s.kind === 'text')
        return { kind: 'text', values: [...s.values, ...new Array<null>(cap - s.values.length).fill(null)] };
      const values = s.kind === 'number' ? new Float64Array(cap) : new Uint8Array(cap);
      values.set(s.values);
      const valid = new Uint8Array(cap);
      valid.set(s.valid);
      return { ...s, values, valid } as Store;
    });
    this.#capacity = cap;
  }

  /** Freeze into an Arrow table (one record batch). */
  finish(): Table {
    const n = this.#length;
    const vectors: Record<string, Vector> = {};
    this.columns.forEach((spec, j) => {
      const s = this.#stores[j]!;
      if (s.kind === 'text') {
        vectors[spec.name] = vectorFromArray(s.values.slice(0, n), new Utf8());
        return;
      }
      const { bitmap, nullCount } = packValidity(s.valid, n);
      if (s.kind === 'number') {
        vectors[spec.name] = makeVector(
          makeData({ type: new Float64(), length: n, nullCount, nullBitmap: bitmap, data: s.values.subarray(0, n) }),
        );
      } else {
        const { bitmap: data } = packValidity(s.values, n);
        vectors[spec.name] = makeVector(makeData({ type: new Bool(), length: n, nullCount, nullBitmap: bitmap, data }));
      }
    });
    return new Table(vectors);
  }
}

/** Pack a 0/1 byte-per-row array into an LSB bitmap. */
function packValidity(bytes: Uint8Array, n: number): { bitmap: Uint8Array; nullCount: number } {
  const bitmap = new Uint8Array(Math.ceil(n / 8));
  let nulls = 0;
  for (let i = 0; i < n; i++) {
    if (bytes[i]) bitmap[i >> 3]! |= 1 << (i & 7);
    else nulls++;
  }
  return { bitmap, nullCount: nulls };
}
