import type { ByteInput, DecodeContext, Format, Row, StreamDecoder } from './Format.js';
import { JsonArrayStreamDecoder } from './JsonArrayStreamDecoder.js';
import { NdjsonStreamDecoder } from './NdjsonStreamDecoder.js';
import { asBuffer } from './asBuffer.js';
import { parseByteOffset } from './parseByteOffset.js';
import { describeJsonValue, parseJsonRow, parseJsonValue, type JSON_MAX_NESTING_DEPTH } from './parseJsonRow.js';
import { payloadText } from './payloadText.js';
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
 * The JSON format. A message payload is one JSON object, or a JSON array of objects, which
 * yields one row per element (as RisingWave does; `decodeMessages`). A file is NDJSON (one
 * object per line; offsets are byte positions of lines; tailable), one JSON array of objects
 * (offsets are byte positions between elements), or, in `auto` mode when the first object
 * does not end on its first line, a sequence of pretty-printed objects each over several lines
 * (offsets are byte positions between objects; tailable).
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
    decodeMessages(payload: Uint8Array | null): Row[] {
      if (payload === null || payload.length === 0) return [];
      const value = parseJsonValue(payloadText(payload));
      if (!Array.isArray(value)) {
        if (typeof value !== 'object' || value === null) throw new Error(`expected a JSON object or an array of objects, got ${describeJsonValue(value)}`);
        return [value as Row];
      }
      for (let i = 0; i < value.length; i++) {
        const element: unknown = value[i];
        if (typeof element !== 'object' || element === null || Array.isArray(element)) {
          throw new Error(`element ${i} of the JSON array is ${describeJsonValue(element)}, not an object`);
        }
      }
      return value as Row[];
    },
    async openStream(input: ByteInput, offset: string | null, context: DecodeContext): Promise<StreamDecoder> {
      const start = parseByteOffset(offset, context, 'json');
      const layout = array === 'auto' ? await detectLayout(input) : array === 'true' ? 'array' : 'ndjson';
      if (layout === 'array') return new JsonArrayStreamDecoder(start, context);
      if (layout === 'pretty') return new JsonArrayStreamDecoder(start, context, true);
      return new NdjsonStreamDecoder(start, context);
    },
  };
}

const jsonArrayModes: readonly JsonArrayMode[] = ['auto', 'true', 'false'];

/** How far {@link detectLayout} looks for the end of the first line. */
const FIRST_LINE_LIMIT = 1 << 20;

/**
 * A file's layout, from its start: `array` when the first character after blanks (and a byte
 * order mark) is `[`; `pretty` when it is `{` and that object is still open at the end of its
 * line (brackets inside strings do not count); else `ndjson`. An empty file is NDJSON.
 */
async function detectLayout(input: ByteInput): Promise<'array' | 'pretty' | 'ndjson'> {
  let position = 0;
  let depth = -1;
  let inString = false;
  let escaped = false;
  for await (const chunk of input.stream(0)) {
    for (let i = 0; i < chunk.length; i++, position++) {
      const c = chunk[i] as number;
      if (depth === -1) {
        if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) continue;
        if (position < 3 && (c === 0xef || c === 0xbb || c === 0xbf)) continue;
        if (c === 0x5b) return 'array';
        if (c !== 0x7b) return 'ndjson';
        depth = 1;
        continue;
      }
      if (position > FIRST_LINE_LIMIT) return 'ndjson';
      if (inString) {
        if (escaped) escaped = false;
        else if (c === 0x5c) escaped = true;
        else if (c === 0x22) inString = false;
      } else if (c === 0x22) inString = true;
      else if (c === 0x7b || c === 0x5b) depth++;
      else if (c === 0x7d || c === 0x5d) depth--;
      else if (c === 0x0a) return depth > 0 ? 'pretty' : 'ndjson';
    }
  }
  return 'ndjson';
}
