import { columnRowCodec, type TableRowCodec } from '../core/TableRowCodec.js';
import { decodeValue, encodeValue } from './stateCodec.js';

/**
 * How a SQL table's rows go into checkpoints: every SQL value (NUMERIC's `Decimal` included,
 * which the core's default codec refuses), through the same tagged encoding as query state.
 *
 * @example
 * sqlTableRowCodec.decode(sqlTableRowCodec.encode({ price: Decimal.parse('1.10') })) // { price: Decimal 1.10 }
 */
export const sqlTableRowCodec: TableRowCodec = columnRowCodec((value) => encodeValue(value), decodeValue);
