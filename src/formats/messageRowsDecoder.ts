import { OP, UNCHANGED } from '../core/Changelog.js';
import type { Format, Row, RowConverter } from './Format.js';

/**
 * How a connector turns one message into rows with `format`: its `decodeMessages` when it has
 * one, else its `decodeMessage` (a tombstone, a `null` payload, then gives no row). `undefined`
 * when the format decodes no single messages at all.
 *
 * @example
 * const decode = messageRowsDecoder(createFormat('upsert_json'));
 * decode?.(null, keyBytes); // [{ id: 7, [OP]: 'delete' }]
 */
export function messageRowsDecoder(format: Format): ((payload: Uint8Array | null, key: Uint8Array | null) => Row[]) | undefined {
  const many = format.decodeMessages?.bind(format);
  if (many !== undefined) return many;
  const one = format.decodeMessage?.bind(format);
  if (one === undefined) return undefined;
  return (payload) => {
    if (payload === null) return [];
    const row = one(payload);
    return row === null ? [] : [row];
  };
}

/**
 * Applies a schema's {@link RowConverter} to a changelog row, keeping what the converter does
 * not know about: the row's operation (`OP`) and its {@link UNCHANGED} columns (left out of the
 * conversion and put back after it, so a table keeps their stored values).
 *
 * @example
 * convertChangeRow(convert, withOp({ id: '7', doc: UNCHANGED }, 'update_after')); // { id: 7n, doc: UNCHANGED, [OP]: 'update_after' }
 */
export function convertChangeRow(convert: RowConverter, row: Row): Row {
  const op = (row as { [OP]?: unknown })[OP];
  let unchanged: string[] | undefined;
  for (const column in row) {
    if (row[column] === UNCHANGED) (unchanged ??= []).push(column);
  }
  let input = row;
  if (unchanged !== undefined) {
    input = { ...row };
    for (const column of unchanged) delete input[column];
  }
  const out = convert(input);
  if (unchanged !== undefined) for (const column of unchanged) out[column] = UNCHANGED;
  if (op !== undefined) (out as { [OP]?: unknown })[OP] = op;
  return out;
}
