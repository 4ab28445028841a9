import type { ByteInput, DecodeContext, Format, Row, StreamDecoder } from './Format.js';
import { JsonLayoutDecoder, JsonLayoutSniffer, jsonLayoutDecoder, type JsonLayout } from './JsonLayoutDecoder.js';
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
      // From the start, the bytes decoded say the layout; a resume reads the file's start first.
      if (array === 'auto' && start === 0) return new JsonLayoutDecoder(context);
      const layout = array === 'auto' ? await detectLayout(input) : array === 'true' ? 'array' : 'ndjson';
      return jsonLayoutDecoder(layout, start, context);
    },
  };
}

const jsonArrayModes: readonly JsonArrayMode[] = ['auto', 'true', 'false'];

/** A file's layout (see {@link JsonLayoutSniffer}), from its first bytes. */
async function detectLayout(input: ByteInput): Promise<JsonLayout> {
  const sniffer = new JsonLayoutSniffer();
  for await (const chunk of input.stream(0)) {
    const layout = sniffer.feed(chunk);
    if (layout !== undefined) return layout;
  }
  return sniffer.end();
}
