/**
 * Arrow columns → PostgreSQL's binary COPY format (`COPY … FROM STDIN (FORMAT binary)`), read
 * column-wise from the typed buffers. No number is ever turned into text: a `float8` is its eight
 * bytes, a time is microseconds since 2000-01-01, so neither the worker renders nor the server
 * parses decimal text (on the bench's profile, rendering and parsing numbers as text cost more
 * than the rows' merge).
 *
 * Format (PostgreSQL docs, "COPY › Binary Format"): an 11-byte signature, a 32-bit flags field and
 * a 32-bit header-extension length (both 0); per row a 16-bit field count, then per field a 32-bit
 * byte length (-1 for NULL) and the value in network byte order; a 16-bit -1 trailer.
 *
 * The conversions are PostgreSQL's own: `to_timestamp(float8)` and `float8::int8` both round
 * with `rint` (half to even), and so does this encoder, so a value written here is the value the
 * staged merge (`to_timestamp(s.ts)`, `s.n::int8`) would have stored.
 */
import type { Data, Table } from 'apache-arrow';
import type { ColumnType } from '../sources/types';

/** Where an output column's values come from. */
export type BinaryColumn =
  /** Column `index` of the batch (0 = `ts`), written as `type`. */
  | { readonly kind: 'column'; readonly index: number; readonly type: ColumnType }
  /** The same value in every row (a series key, a run id). */
  | { readonly kind: 'const'; readonly type: ColumnType; readonly value: string | number | boolean | null }
  /** `ts + step <= finalBefore` of column `index` (the period is closed): a boolean. */
  | { readonly kind: 'final'; readonly index: number; readonly step: number; readonly finalBefore: number };

const SIGNATURE = [0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00]; // PGCOPY\n\377\r\n\0

/** Signature, flags and header extension: what the stream starts with. */
export function copyBinaryHeader(): Buffer {
  const b = Buffer.alloc(SIGNATURE.length + 8);
  b.set(SIGNATURE, 0);
  return b; // flags 0, extension length 0
}

/** The file trailer: a field count of -1. */
export function copyBinaryTrailer(): Buffer {
  const b = Buffer.alloc(2);
  b.writeInt16BE(-1, 0);
  return b;
}

/** Seconds between 1970-01-01 and PostgreSQL's epoch, 2000-01-01. */
const PG_EPOCH_SECONDS = 946_684_800;
const TWO_32 = 4_294_967_296;

/** Round half to even, as C's `rint` in the default rounding mode. */
function rint(x: number): number {
  const r = Math.round(x); // half up
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

const FIXED_SIZE: Record<Exclude<ColumnType, 'text'>, number> = { float8: 8, int8: 8, timestamptz: 8, bool: 1 };

class Writer {
  buf: Buffer;
  view: DataView;
  pos = 0;
  constructor(capacity: number) {
    this.buf = Buffer.allocUnsafe(capacity);
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
  }
  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
    this.view = new DataView(next.buffer, next.byteOffset, next.byteLength);
  }
  int16(v: number): void {
    this.view.setInt16(this.pos, v);
    this.pos += 2;
  }
  int32(v: number): void {
    this.view.setInt32(this.pos, v);
    this.pos += 4;
  }
  /** An integral double as a signed 64-bit integer (exact up to the int8 range). */
  int64(v: number): void {
    const hi = Math.floor(v / TWO_32);
    this.view.setInt32(this.pos, hi);
    this.view.setUint32(this.pos + 4, v - hi * TWO_32);
    this.pos += 8;
  }
  float64(v: number): void {
    this.view.setFloat64(this.pos, v);
    this.pos += 8;
  }
  byte(v: number): void {
    this.buf[this.pos++] = v;
  }
  bytes(b: Uint8Array): void {
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }
}

/** Just past the largest magnitude a signed 64-bit integer holds. */
const TWO_63 = 2 ** 63;

/**
 * A value its column cannot hold, with the SQLSTATE PostgreSQL gives the same value
 * (`classifyDatabaseError` makes it the non-retryable `UnstorableValueError`).
 */
export class OutOfRangeValue extends Error {
  constructor(
    message: string,
    readonly code: '22003' | '22008',
  ) {
    super(message);
    this.name = 'OutOfRangeValue';
  }
}

function int64Of(v: number, type: 'int8' | 'timestamptz'): number {
  const r = rint(type === 'int8' ? v : (v - PG_EPOCH_SECONDS) * 1e6);
  if (r >= -TWO_63 && r < TWO_63) return r; // false for NaN
  throw type === 'int8'
    ? new OutOfRangeValue(`bigint out of range: ${v}`, '22003')
    : new OutOfRangeValue(`timestamp out of range: ${v} s`, '22008');
}

/** One field: its length word and value. */
function writeNumber(w: Writer, type: ColumnType, v: number): void {
  switch (type) {
    case 'float8':
      w.int32(8);
      w.float64(v);
      return;
    case 'int8':
    case 'timestamptz':
      w.int32(8);
      w.int64(int64Of(v, type));
      return;
    case 'bool':
      w.int32(1);
      w.byte(v ? 1 : 0);
      return;
    case 'text':
      throw new Error('a number cannot be written as text');
  }
}

/** A constant field, encoded once. */
function encodeConst(type: ColumnType, value: string | number | boolean | null): Buffer {
  const w = new Writer(16);
  if (value === null) w.int32(-1);
  else if (type === 'text') {
    const bytes = Buffer.from(String(value), 'utf8');
    w.ensure(4 + bytes.length);
    w.int32(bytes.length);
    w.bytes(bytes);
  } else if (type === 'bool') writeNumber(w, 'bool', value ? 1 : 0);
  else writeNumber(w, type, Number(value));
  return Buffer.from(w.buf.subarray(0, w.pos));
}

function isValid(data: Data, i: number): boolean {
  const bm = data.nullBitmap;
  if (!bm || bm.length === 0 || data.nullCount === 0) return true;
  const j = data.offset + i;
  return (bm[j >> 3]! & (1 << (j & 7))) !== 0;
}

/**
 * The rows of a table as binary COPY tuples (no header or trailer), one buffer per record batch.
 * Number columns must be Float64, `bool` Bool and `text` Utf8 (what `BatchBuilder` makes).
 */
export function* copyBinaryRows(table: Table, columns: readonly BinaryColumn[]): Generator<Buffer> {
  const consts = columns.map((c) => (c.kind === 'const' ? encodeConst(c.type, c.value) : undefined));
  for (const batch of table.batches) {
    const n = batch.numRows;
    if (n === 0) continue;
    const data = columns.map((c) => {
      if (c.kind === 'const') return undefined;
      const vec = batch.getChildAt(c.index);
      if (!vec) throw new Error(`batch has no column ${c.index}`);
      return vec.data[0]!;
    });
    let rowBytes = 2;
    columns.forEach((c, j) => {
      rowBytes +=
        c.kind === 'const' ? consts[j]!.length : c.kind === 'final' ? 5 : 4 + (FIXED_SIZE[c.type as 'bool'] ?? 0);
    });
    const w = new Writer(rowBytes * n + 64);
    for (let i = 0; i < n; i++) {
      w.ensure(rowBytes);
      w.int16(columns.length);
      for (let j = 0; j < columns.length; j++) {
        const c = columns[j]!;
        if (c.kind === 'const') {
          const b = consts[j]!;
          w.ensure(b.length);
          w.bytes(b);
          continue;
        }
        const d = data[j]!;
        const k = d.offset + i;
        if (c.kind === 'final') {
          const ts = (d.values as Float64Array)[k]!;
          w.int32(1);
          w.byte(ts + c.step <= c.finalBefore ? 1 : 0);
          continue;
        }
        if (!isValid(d, i)) {
          w.int32(-1);
          continue;
        }
        if (c.type === 'text') {
          const offsets = d.valueOffsets as Int32Array;
          const bytes = (d.values as Uint8Array).subarray(offsets[k]!, offsets[k + 1]!);
          w.ensure(4 + bytes.length + rowBytes);
          w.int32(bytes.length);
          w.bytes(bytes);
        } else if (c.type === 'bool') {
          const bits = d.values as Uint8Array;
          w.int32(1);
          w.byte((bits[k >> 3]! & (1 << (k & 7))) !== 0 ? 1 : 0);
        } else {
          writeNumber(w, c.type, (d.values as Float64Array)[k]!);
        }
      }
    }
    yield w.buf.subarray(0, w.pos);
  }
}
