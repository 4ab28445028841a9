import type { ByteInput, DecodeContext, Format, Row, StreamDecoder } from './Format.js';
import { JsonArrayStreamDecoder } from './JsonArrayStreamDecoder.js';
import { NdjsonStreamDecoder } from './NdjsonStreamDecoder.js';
import { asBuffer } from './asBuffer.js';
import { parseByteOffset } from './parseByteOffset.js';
import { parseJsonRow, type JSON_MAX_NESTING_DEPTH } from './parseJsonRow.js';
import { firstInvalidUtf8, invalidUtf8Message, isValidUtf8 } from './utf8.js';

/** Whether a JSON file is one array of objects rather than newline-delimited JSON. */
export type JsonArrayMode = 'auto' | 'true' | 'false';

/** Options of the JSON format. */
export interface JsonFormatOptions {
  /**
   * `auto` (default): a file whose first non-blank character is `[` is one JSON array of
   * objects, any other file is newline-delimited JSON (NDJSON). `true`/`false` force either.
   */
  readonly array?: JsonArrayMode;
}

/**
 * The JSON format. A message payload is one JSON object. A file is NDJSON (one object per line;
 * offsets are byte positions of lines; tailable) or, for bounded scans, one JSON array of
 * objects (offsets are byte positions between elements).
 *
 * A line or element that is not valid JSON or not an object, holds invalid UTF-8, or nests
 * deeper than {@link JSON_MAX_NESTING_DEPTH} is a bad record. Numbers are JavaScript numbers,
 * except integers beyond ±(2^53 - 1), which are exact `bigint`s (`JSON.parse` would round them).
 *
 * @example
 * const format = jsonFormat();
 * format.decodeMessage?.(new TextEncoder().encode('{"id": 1}')); // { id: 1 }
 */
export function jsonFormat(options: JsonFormatOptions = {}): Format {
  const array = options.array ?? 'auto';
  if (!jsonArrayModes.includes(array)) {
    throw new Error(`json option 'json.array' must be one of ${jsonArrayModes.join(', ')}, got ${JSON.stringify(array)}`);
  }
  return {
    name: 'json',
    tailable: array !== 'true',
    decodeMessage(payload: Uint8Array): Row | null {
      if (payload.length === 0) return null;
      const bytes = asBuffer(payload);
      if (!isValidUtf8(bytes, 0, bytes.length)) {
        const at = firstInvalidUtf8(bytes, 0, bytes.length);
        throw new Error(invalidUtf8Message(at, bytes[at]));
      }
      return parseJsonRow(bytes.toString('utf8'));
    },
    async openStream(input: ByteInput, offset: string | null, context: DecodeContext): Promise<StreamDecoder> {
      const start = parseByteOffset(offset, context, 'json');
      const isArray = array === 'auto' ? await startsWithBracket(input) : array === 'true';
      return isArray ? new JsonArrayStreamDecoder(start, context) : new NdjsonStreamDecoder(start, context);
    },
  };
}

const jsonArrayModes: readonly JsonArrayMode[] = ['auto', 'true', 'false'];

/** Whether the first character after blanks (and a byte order mark) is `[`. An empty file is not an array. */
async function startsWithBracket(input: ByteInput): Promise<boolean> {
  let position = 0;
  for await (const chunk of input.stream(0)) {
    for (let i = 0; i < chunk.length; i++, position++) {
      const c = chunk[i] as number;
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) continue;
      if (position < 3 && (c === 0xef || c === 0xbb || c === 0xbf)) continue;
      return c === 0x5b;
    }
  }
  return false;
}
