import type { ByteInput, DecodeContext, Format, Row, StreamDecoder } from './Format.js';
import { NdjsonStreamDecoder } from './NdjsonStreamDecoder.js';
import { convertChangeRow } from './messageRowsDecoder.js';
import { parseByteOffset } from './parseByteOffset.js';

/**
 * The `openStream` of a change-data format over files: one event per line (what Debezium
 * Server's and Maxwell's file outputs write), each decoded like a message without a key.
 * Offsets are byte positions of lines, as for NDJSON; the rows of one event share its line's
 * offset. The schema's converter keeps each row's operation and `UNCHANGED` columns.
 */
export function changeEventLines(name: string, decode: (payload: Uint8Array, key: null) => Row[]): NonNullable<Format['openStream']> {
  return async (_input: ByteInput, offset: string | null, context: DecodeContext): Promise<StreamDecoder> => {
    const start = parseByteOffset(offset, context, name);
    const convert = context.convert;
    const lineContext: DecodeContext = convert === undefined ? context : { ...context, convert: (row) => convertChangeRow(convert, row) };
    return new NdjsonStreamDecoder(start, lineContext, (text) => decode(Buffer.from(text), null));
  };
}
