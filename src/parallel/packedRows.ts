import type { Row } from '../formats/Format.js';

/** The field length that stands for `null` in {@link PackedRows.lengths}. */
const NULL = 0xffffffff;

/**
 * Rows whose values are all strings or `null`, under the same keys (CSV rows), as one string
 * and a length per field. Structured clone copies each row as an object, property by property,
 * and the receiving thread spends about as long on that as the sender did decoding; this form
 * is one string copy and a transferred array, and {@link unpackRows} only cuts the string.
 */
export interface PackedRows {
  readonly keys: readonly string[];
  readonly text: string;
  /** Per row, per key: the value's length in `text`, or `0xffffffff` for `null`. */
  readonly lengths: Uint32Array;
}

/**
 * Packs `rows`, whose keys are all `keys` in that order (CSV rows: the caller knows it, so it is
 * not checked, which would cost more than the packing), when every value is a string or null;
 * `undefined` otherwise (send them as they are).
 *
 * @example
 * const packed = packRows([{ a: 'x', b: null }], ['a', 'b']); // { keys: ['a', 'b'], text: 'x', lengths: [1, 0xffffffff] }
 */
export function packRows(rows: readonly Row[], keys: readonly string[]): PackedRows | undefined {
  if (rows.length === 0) return undefined;
  const width = keys.length;
  const lengths = new Uint32Array(rows.length * width);
  const parts: string[] = [];
  let k = 0;
  for (const row of rows) {
    // Object.values is a fast path for rows built alike; keyed reads with a variable key are not.
    const values = Object.values(row);
    if (values.length !== width) return undefined;
    for (let c = 0; c < width; c++) {
      const value = values[c];
      if (value === null) lengths[k++] = NULL;
      else if (typeof value === 'string') {
        parts.push(value);
        lengths[k++] = value.length;
      } else return undefined;
    }
  }
  return { keys, text: parts.join(''), lengths };
}

/** The rows {@link packRows} packed. */
export function unpackRows(packed: PackedRows): Row[] {
  const { keys, text, lengths } = packed;
  const width = keys.length;
  const rows: Row[] = new Array<Row>(width === 0 ? 0 : lengths.length / width);
  let at = 0;
  let k = 0;
  for (let r = 0; r < rows.length; r++) {
    const row: Row = {};
    for (let c = 0; c < width; c++) {
      const length = lengths[k++] as number;
      if (length === NULL) row[keys[c] as string] = null;
      else {
        row[keys[c] as string] = text.slice(at, at + length);
        at += length;
      }
    }
    rows[r] = row;
  }
  return rows;
}
