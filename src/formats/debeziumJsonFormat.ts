import { UNCHANGED } from '../core/Changelog.js';
import { columnMatcher } from './columnMatcher.js';
import { DEBEZIUM_UNAVAILABLE, debeziumEnvelopeRows } from './debeziumEnvelope.js';
import { changeEventLines } from './changeEventLines.js';
import type { Format, Row } from './Format.js';
import { structConversions, type ConnectField, type FieldConversion } from './kafkaConnectTypes.js';
import { describeJsonValue, parseJsonValue } from './parseJsonRow.js';
import { payloadText } from './payloadText.js';

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
 *   the delete event); `t` (truncate) is a bad record, since a row operation cannot express it.
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
  const format: Format = {
    name: 'debezium_json',
    decodeMessages(payload: Uint8Array | null): Row[] {
      if (payload === null || payload.length === 0) return [];
      const value = parseJsonValue(payloadText(payload));
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
      return debeziumEnvelopeRows(envelope['op'], imageOf, { envelope, schema, rename });
    },
  };
  return { ...format, tailable: true, openStream: changeEventLines('debezium_json', (payload) => format.decodeMessages!(payload, null)) };
}

/** The envelope's `before` or `after` image, converted and renamed; `null` when absent. */
function imageOf(
  { envelope, schema, rename }: { envelope: Record<string, unknown>; schema: ConnectField | undefined; rename: (row: Row) => Row },
  name: 'before' | 'after',
): Row | null {
  const row = envelope[name];
  if (row === null || row === undefined) return null;
  if (!isObject(row)) throw new Error(`the Debezium '${name}' image must be an object, got ${describeJsonValue(row)}`);
  return rename(convertImage(row, schema === undefined ? undefined : conversionsOf(schema, name)));
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The logical-type conversions of the envelope's `before` or `after` struct. */
function conversionsOf(schema: ConnectField, name: 'before' | 'after'): Map<string, FieldConversion> | undefined {
  return structConversions(schema.fields?.find((f) => f.field === name));
}

/** Applies logical types and marks unavailable values, in place (the row is freshly parsed). */
function convertImage(row: Record<string, unknown>, conversions: Map<string, FieldConversion> | undefined): Row {
  for (const field in row) {
    const v = row[field];
    if (v === DEBEZIUM_UNAVAILABLE || v === DEBEZIUM_UNAVAILABLE_BASE64 || (Array.isArray(v) && v.length === 1 && v[0] === DEBEZIUM_UNAVAILABLE)) {
      row[field] = UNCHANGED;
      continue;
    }
    if (v === null) continue;
    const conversion = conversions?.get(field);
    if (conversion !== undefined) row[field] = conversion(v);
  }
  return row;
}
