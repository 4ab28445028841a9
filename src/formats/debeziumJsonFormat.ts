import { UNCHANGED } from '../core/Changelog.js';
import { columnMatcher } from './columnMatcher.js';
import { DEBEZIUM_UNAVAILABLE, debeziumEnvelopeRows } from './debeziumEnvelope.js';
import { changeEventLines } from './changeEventLines.js';
import type { Format, Row } from './Format.js';
import type { ConnectField, FieldConversion } from './kafkaConnectTypes.js';
import { describeJsonValue, exactJsonValue, holdsUnsafeNumber, isUnsafeNumber, parseJsonValueRounded } from './parseJsonRow.js';
import { payloadText } from './payloadText.js';
import { StructConversionCache } from './StructConversionCache.js';

/** Options of {@link debeziumJsonFormat}. */
export interface DebeziumJsonFormatOptions {
  /**
   * RisingWave's `ignore_key`. Accepted for compatibility; the key is never read either way,
   * because a Debezium value carries both images (see {@link debeziumJsonFormat}), so a key that
   * is not JSON (`****`) is fine.
   */
  readonly ignoreKey?: boolean;
  /** The declared column names: fields are renamed to them case-insensitively. */
  readonly columns?: readonly string[];
}

export { DEBEZIUM_UNAVAILABLE };
/** The same placeholder for a binary column: its bytes in base64. */
const DEBEZIUM_UNAVAILABLE_BASE64 = Buffer.from(DEBEZIUM_UNAVAILABLE).toString('base64');

/**
 * Debezium's JSON change events (`FORMAT DEBEZIUM ENCODE JSON`, seed-era `ROW FORMAT
 * DEBEZIUM_JSON`). A value is the envelope `{before, after, op, source, ...}`, bare or inside the
 * JSON converter's `{"schema": ..., "payload": ...}` wrapper. Rows carry their operation (`OP`):
 *
 * - `op` `c` (create) and `r` (snapshot read): `after` as an `insert`;
 * - `u`: `before` as `update_before` (when the connector sent it) then `after` as `update_after`;
 * - `d`: `before` as a `delete` (a delete without `before` is a bad record);
 * - a tombstone (no value, or `{"schema": null, "payload": null}`) and `m` (a logical decoding
 *   message) give no row: Debezium sends the delete event before its tombstone, so the table
 *   has already applied it (RisingWave deletes by the key there, which changes nothing after
 *   the delete event); `t` (truncate) is a `truncation()` row (see Changelog.ts).
 *
 * With the schema part, Kafka Connect logical types (`io.debezium.time.*`,
 * `org.apache.kafka.connect.data.Timestamp/Date/Time/Decimal`, `VariableScaleDecimal`) become
 * the text the declared SQL types read (see `kafkaConnectTypes.ts`); the schema's converter then
 * checks and converts them. A column whose value is `__debezium_unavailable_value` (an unchanged
 * TOASTed column; in base64 for bytes, alone in an array for arrays) becomes {@link UNCHANGED}:
 * a table keeps the stored value (RisingWave #21577). Field names match declared columns
 * case-insensitively. A file holds one event per line (Debezium Server's file sink), tailable.
 *
 * @example
 * const format = debeziumJsonFormat();
 * format.decodeMessages?.(bytes('{"before":null,"after":{"id":1},"op":"c"}'), null); // [{ id: 1, [OP]: 'insert' }]
 */
export function debeziumJsonFormat(options: DebeziumJsonFormatOptions = {}): Format {
  const rename = columnMatcher(options.columns);
  // Every message with the `schema` part repeats it: its conversions are built once per schema.
  const conversions = new StructConversionCache();
  const format: Format = {
    name: 'debezium_json',
    decodeMessages(payload: Uint8Array | null): Row[] {
      if (payload === null || payload.length === 0) return [];
      const text = payloadText(payload);
      // Integers beyond 2^53 are looked for in the images only, in the pass that converts them
      // (the source block and the rest never become rows): one walk, not two.
      const rows = decodeEvent(parseJsonValueRounded(text), rename, conversions);
      if (rows !== UNSAFE_NUMBER) return rows;
      const exact = decodeEvent(exactJsonValue(text, parseJsonValueRounded(text)), rename, conversions, true);
      return exact as Row[];
    },
  };
  return { ...format, tailable: true, openStream: changeEventLines('debezium_json', (payload) => format.decodeMessages!(payload, null)) };
}

/** What {@link decodeEvent} answers when an image holds a rounded integer: decode again from exact values. */
const UNSAFE_NUMBER: unique symbol = Symbol('unsafe number');

/** Image conversion state: what `imageOf` needs, and whether it met a number beyond 2^53. */
interface ImageContext {
  readonly envelope: Record<string, unknown>;
  readonly schema: ConnectField | undefined;
  readonly rename: (row: Row) => Row;
  readonly conversions: StructConversionCache;
  readonly exact: boolean;
  unsafe: boolean;
}

/** The rows of a parsed event, or {@link UNSAFE_NUMBER} when `exact` is false and an image holds a number beyond 2^53. */
function decodeEvent(value: unknown, rename: (row: Row) => Row, conversions: StructConversionCache, exact = false): Row[] | typeof UNSAFE_NUMBER {
  if (!isObject(value)) throw new Error(`a Debezium event must be a JSON object, got ${describeJsonValue(value)}`);
  let envelope: unknown = value;
  let schema: ConnectField | undefined;
  if ('payload' in value && ('schema' in value || Object.keys(value).length === 1)) {
    envelope = value['payload'];
    if (isObject(value['schema'])) schema = value['schema'] as ConnectField;
    // The JSON converter's rendering of a tombstone.
    if (envelope === null) return [];
  }
  if (!isObject(envelope)) throw new Error(`the Debezium payload must be a JSON object, got ${describeJsonValue(envelope)}`);
  const context: ImageContext = { envelope, schema, rename, conversions, exact, unsafe: false };
  const rows = debeziumEnvelopeRows(envelope['op'], imageOf, context);
  return context.unsafe ? UNSAFE_NUMBER : rows;
}

/** The envelope's `before` or `after` image, converted and renamed; `null` when absent. */
function imageOf(context: ImageContext, name: 'before' | 'after'): Row | null {
  const row = context.envelope[name];
  if (row === null || row === undefined) return null;
  if (!isObject(row)) throw new Error(`the Debezium '${name}' image must be an object, got ${describeJsonValue(row)}`);
  const schema = context.schema;
  const converted = convertImage(row, schema === undefined ? undefined : conversionsOf(context.conversions, schema, name), !context.exact);
  if (converted === undefined) {
    context.unsafe = true;
    return row;
  }
  return context.rename(converted);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The logical-type conversions of the envelope's `before` or `after` struct. */
function conversionsOf(cache: StructConversionCache, schema: ConnectField, name: 'before' | 'after'): Map<string, FieldConversion> | undefined {
  const fields = schema.fields;
  if (fields === undefined) return undefined;
  if (!Array.isArray(fields)) throw new Error(`the Debezium schema's 'fields' must be an array, got ${describeJsonValue(fields)}`);
  for (const field of fields as readonly unknown[]) {
    if (isObject(field) && field['field'] === name) return cache.get(field as ConnectField);
  }
  return undefined;
}

/**
 * Applies logical types and marks unavailable values, in place (the row is freshly parsed).
 * With `checkUnsafe`, answers `undefined` on meeting a number beyond 2^53 (a rounded integer
 * literal), before any conversion reads it: the caller decodes again from exact values.
 */
function convertImage(row: Record<string, unknown>, conversions: Map<string, FieldConversion> | undefined, checkUnsafe: boolean): Row | undefined {
  for (const field in row) {
    const v = row[field];
    if (typeof v === 'number') {
      if (checkUnsafe && isUnsafeNumber(v)) return undefined;
    } else if (typeof v === 'object') {
      if (v === null) continue;
      if (checkUnsafe && holdsUnsafeNumber(v)) return undefined;
      if (Array.isArray(v) && v.length === 1 && v[0] === DEBEZIUM_UNAVAILABLE) {
        row[field] = UNCHANGED;
        continue;
      }
    } else if (v === DEBEZIUM_UNAVAILABLE || v === DEBEZIUM_UNAVAILABLE_BASE64) {
      row[field] = UNCHANGED;
      continue;
    }
    const conversion = conversions?.get(field);
    if (conversion !== undefined) row[field] = conversion(v);
  }
  return row;
}
