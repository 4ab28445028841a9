import type { JsonValue } from '../core/Json.js';
import type { TableRowCodec } from '../core/TableRowCodec.js';
import { decodeValue, encodeValue } from './stateCodec.js';

/**
 * How a SQL table's rows go into checkpoints: every SQL value (NUMERIC's `Decimal` included,
 * which the core's default codec refuses), through the same tagged encoding as query state.
 *
 * @example
 * sqlTableRowCodec.decode(sqlTableRowCodec.encode({ price: Decimal.parse('1.10') })) // { price: Decimal 1.10 }
 */
export const sqlTableRowCodec: TableRowCodec = {
  encode(row) {
    const out: Record<string, JsonValue> = {};
    for (const key of Object.keys(row)) out[key] = encodeValue(row[key]);
    return out;
  },
  decode(value) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('a stored table row is not an object');
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value)) out[key] = decodeValue(value[key] as JsonValue);
    return out;
  },
};
