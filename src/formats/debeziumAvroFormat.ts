import { UNCHANGED } from '../core/Changelog.js';
import { avroFormat, readAvroWriterSchema } from './avroFormat.js';
import { collectNamed, namespaceOf } from './avroNamedTypes.js';
import { columnMatcher } from './columnMatcher.js';
import { DEBEZIUM_UNAVAILABLE, debeziumEnvelopeRows, isUnavailableText } from './debeziumEnvelope.js';
import type { Format, Row } from './Format.js';
import { logicalConversion, type ConnectField, type FieldConversion } from './kafkaConnectTypes.js';
import { registryAvroFormat } from './registryAvroFormat.js';
import type { SchemaRegistryClient, SchemaRegistryOptions } from './SchemaRegistryClient.js';

/** Options of {@link debeziumAvroFormat}. */
export interface DebeziumAvroFormatOptions {
  /** The envelope's writer schema as JSON text (what Debezium's Avro converter registers for the topic's values). */
  readonly schema?: string;
  /** A file holding that schema (`.avsc`), instead of `schema`; read once, when the format is created. */
  readonly schemaFile?: string;
  /** The declared column names: fields are renamed to them case-insensitively. */
  readonly columns?: readonly string[];
  /**
   * A schema registry instead of `schema`/`schemaFile`: messages are in the Confluent wire format
   * and each one's envelope schema comes from the registry by id (see `registryAvroFormat`).
   */
  readonly registry?: SchemaRegistryOptions | SchemaRegistryClient;
  /** With `registry`: the subject whose latest version is the reader schema (`<topic>-value`). */
  readonly subject?: string;
}

/** The placeholder as Debezium writes it into a `bytes` column. */
const UNAVAILABLE_BYTES = Buffer.from(DEBEZIUM_UNAVAILABLE, 'utf8');

/**
 * Debezium's change events encoded as Avro (`FORMAT DEBEZIUM ENCODE AVRO (schema.location =
 * 'file://...')`; needs the optional peer dependency `avsc`). A value is the envelope record
 * `{before, after, source, op, ts_ms, transaction}` whose `before` and `after` are
 * `["null", Value]`, decoded with the writer schema given as `schema` or `schemaFile` (the
 * schema Debezium's Avro converter registers for the topic), in Avro's single-object encoding
 * or as the bare datum, as the `avro` format decodes messages. With `registry` instead, messages
 * are in the Confluent Schema Registry framing (byte 0, then a 4-byte schema id), as Debezium's
 * AvroConverter writes them, and each envelope schema comes from the registry by id.
 *
 * Then the rules of `debezium_json` (see `debeziumEnvelopeRows`): `c`/`r` insert `after`, `u`
 * gives `before` (when sent) and `after`, `d` deletes `before`, a tombstone (an empty or null
 * value) gives no row. Logical types come from the schema, as Kafka Connect writes them
 * (`connect.name`: `io.debezium.time.Date`, `MicroTimestamp`, `NanoTime`, ...,
 * `org.apache.kafka.connect.data.Decimal` with its `scale`, `io.debezium.data.VariableScaleDecimal`),
 * or Avro's own `logicalType` (`date`, `timestamp-millis`/`-micros`, `time-millis`/`-micros`,
 * `decimal`) where there is no `connect.name`: they become the text the declared SQL types read,
 * as with the JSON converter. `long`s are exact `bigint`s; `bytes` are `Buffer`s. A column holding
 * `__debezium_unavailable_value` (an unchanged TOASTed column: the text, its bytes for a `bytes`
 * column, alone in an array for an array column) is {@link UNCHANGED}: a table keeps the stored
 * value. Field names match declared columns case-insensitively.
 *
 * The schema is checked when the format is made: it must be a record with `before`, `after` and
 * `op` fields, `before`/`after` a record or a union of `null` and one record.
 *
 * @example
 * const format = debeziumAvroFormat({ schemaFile: 'schemas/inventory.customers-value.avsc' });
 * format.decodeMessages?.(value, key); // [{ id: 1004, ..., [OP]: 'insert' }]
 */
export function debeziumAvroFormat(options: DebeziumAvroFormatOptions = {}): Format {
  if (options.registry !== undefined) return registryDebeziumAvro(options, options.registry);
  const schema = readAvroWriterSchema(options);
  if (schema === undefined) {
    throw new Error("debezium_avro needs the envelope's writer schema: set the option 'schema' or 'schema.file', or 'schema.registry' for messages in the Confluent wire format");
  }
  const conversions = envelopeConversions(schema);
  const avro = avroFormat({ schema: JSON.stringify(schema) });
  const rename = columnMatcher(options.columns);
  const context: ImageContext = { envelope: {}, conversions, rename };
  return {
    name: 'debezium_avro',
    tailable: false,
    decodeMessages(payload: Uint8Array | null): Row[] {
      if (payload === null || payload.length === 0) return [];
      let envelope: Row | null;
      try {
        envelope = avro.decodeMessage!(payload);
      } catch (err) {
        throw new Error(`${(err as Error).message}${confluentHint(payload)}`, { cause: err });
      }
      if (envelope === null) return [];
      context.envelope = envelope;
      return debeziumEnvelopeRows(envelope['op'], imageOf, context);
    },
  };
}

/**
 * Debezium Avro in the Confluent wire format, as Debezium's AvroConverter writes it: the
 * envelope's schema by id from the registry, its conversions worked out once per schema.
 */
function registryDebeziumAvro(options: DebeziumAvroFormatOptions, registry: SchemaRegistryOptions | SchemaRegistryClient): Format {
  if (options.schema !== undefined || options.schemaFile !== undefined) {
    throw new Error("debezium_avro options 'schema.registry' and 'schema'/'schema.file' exclude each other: the registry gives the writer schemas");
  }
  const envelopes = registryAvroFormat({ registry, ...(options.subject === undefined ? {} : { subject: options.subject }) });
  const bySchema = new Map<unknown, Map<string, FieldConversion> | undefined>();
  const context: ImageContext = { envelope: {}, conversions: undefined, rename: columnMatcher(options.columns) };
  return {
    name: 'debezium_avro',
    tailable: false,
    prefetch: (payloads) => envelopes.prefetch!(payloads),
    decodeMessages(payload: Uint8Array | null): Row[] {
      if (payload === null || payload.length === 0) return [];
      const { row, schema } = envelopes.decodeRecord(payload);
      let conversions = bySchema.get(schema);
      if (conversions === undefined && !bySchema.has(schema)) {
        conversions = envelopeConversions(schema);
        bySchema.set(schema, conversions);
      }
      context.envelope = row;
      (context as { conversions: Map<string, FieldConversion> | undefined }).conversions = conversions;
      return debeziumEnvelopeRows(row['op'], imageOf, context);
    },
  };
}

interface ImageContext {
  envelope: Row;
  readonly conversions: Map<string, FieldConversion> | undefined;
  readonly rename: (row: Row) => Row;
}

function imageOf(context: ImageContext, name: 'before' | 'after'): Row | null {
  const row = context.envelope[name];
  if (row === null || row === undefined) return null;
  // The schema says it is a record (checked when the format was made); avsc made it a plain object.
  const image = row as Row;
  const conversions = context.conversions;
  for (const field in image) {
    const v = image[field];
    if (v === null) continue;
    if (isUnavailableText(v) || (Buffer.isBuffer(v) && v.equals(UNAVAILABLE_BYTES))) {
      image[field] = UNCHANGED;
      continue;
    }
    const conversion = conversions?.get(field);
    if (conversion !== undefined) image[field] = conversion(v);
  }
  return context.rename(image);
}

/** Why a payload that avsc refused may not be what the schema describes. */
function confluentHint(payload: Uint8Array): string {
  if (payload.length < 5 || payload[0] !== 0) return '';
  const id = ((payload[1]! << 24) | (payload[2]! << 16) | (payload[3]! << 8) | payload[4]!) >>> 0;
  return ` (the message may be in the Confluent Schema Registry framing, schema id ${id}: read it with the option 'schema.registry' instead of a schema file)`;
}

/** An Avro schema as JSON: a name, an array (a union) or an object. */
type SchemaJson = string | readonly SchemaJson[] | { readonly [key: string]: unknown };

/**
 * The logical-type conversions of the envelope's `Value` record fields, by field name
 * (`undefined` when none has one). Throws when the schema is not a Debezium envelope.
 */
function envelopeConversions(schema: unknown): Map<string, FieldConversion> | undefined {
  const named = new Map<string, Record<string, unknown>>();
  collectNamed(schema as SchemaJson, undefined, named);
  const top = resolve(schema as SchemaJson, undefined, named);
  const fields = top !== undefined && top['type'] === 'record' && Array.isArray(top['fields']) ? (top['fields'] as Array<Record<string, unknown>>) : undefined;
  const fieldNames = fields?.map((f) => String(f['name'])) ?? [];
  if (fields === undefined || !['before', 'after', 'op'].every((n) => fieldNames.includes(n))) {
    throw new Error(
      `debezium_avro: the schema is not a Debezium envelope: expected a record with fields before, after and op, got ${fields === undefined ? 'no record' : `fields ${fieldNames.join(', ')}`}`,
    );
  }
  const namespace = typeof top!['namespace'] === 'string' ? (top!['namespace'] as string) : namespaceOf(top!['name']);
  let value: Record<string, unknown> | undefined;
  for (const image of ['before', 'after']) {
    const field = fields.find((f) => f['name'] === image)!;
    const record = imageRecord(field['type'] as SchemaJson, namespace, named);
    if (record === undefined) throw new Error(`debezium_avro: the envelope's '${image}' must be a record or a union of null and one record`);
    value ??= record;
  }
  const valueNamespace = typeof value!['namespace'] === 'string' ? (value!['namespace'] as string) : (namespaceOf(value!['name']) ?? namespace);
  let conversions: Map<string, FieldConversion> | undefined;
  for (const field of (value!['fields'] as Array<Record<string, unknown>>) ?? []) {
    const type = nonNull(field['type'] as SchemaJson, valueNamespace, named);
    if (type === undefined) continue;
    const conversion = avroLogicalConversion(type);
    if (conversion !== undefined) (conversions ??= new Map()).set(String(field['name']), conversion);
  }
  return conversions;
}

/** The record of `before`/`after`: the type itself, or the one record of a union with null. */
function imageRecord(type: SchemaJson, namespace: string | undefined, named: Map<string, Record<string, unknown>>): Record<string, unknown> | undefined {
  const branches = Array.isArray(type) ? (type as SchemaJson[]).filter((b) => b !== 'null') : [type];
  if (branches.length !== 1) return undefined;
  const record = resolve(branches[0]!, namespace, named);
  return record !== undefined && record['type'] === 'record' ? record : undefined;
}

/** A field's type without its `null` branch (a nullable column), resolved; `undefined` for a union of several others. */
function nonNull(type: SchemaJson, namespace: string | undefined, named: Map<string, Record<string, unknown>>): Record<string, unknown> | undefined {
  const branches = Array.isArray(type) ? (type as SchemaJson[]).filter((b) => b !== 'null') : [type];
  if (branches.length !== 1) return undefined;
  return resolve(branches[0]!, namespace, named);
}

/** A type as an object: `"long"` as `{type: "long"}`, a name reference as the named type. */
function resolve(type: SchemaJson, namespace: string | undefined, named: Map<string, Record<string, unknown>>): Record<string, unknown> | undefined {
  if (typeof type === 'string') {
    const found = named.get(type) ?? (namespace === undefined ? undefined : named.get(`${namespace}.${type}`));
    return found ?? { type };
  }
  if (Array.isArray(type)) return undefined;
  const object = type as Record<string, unknown>;
  // `{"type": {"type": "long", ...}}` nests a type.
  if (typeof object['type'] === 'object' && object['type'] !== null) return resolve(object['type'] as SchemaJson, namespace, named);
  return object;
}


/** Avro's own logical types, as the Kafka Connect types that mean the same. */
const AVRO_LOGICAL: Readonly<Record<string, string>> = {
  date: 'org.apache.kafka.connect.data.Date',
  'timestamp-millis': 'org.apache.kafka.connect.data.Timestamp',
  'timestamp-micros': 'io.debezium.time.MicroTimestamp',
  'time-millis': 'org.apache.kafka.connect.data.Time',
  'time-micros': 'io.debezium.time.MicroTime',
  decimal: 'org.apache.kafka.connect.data.Decimal',
};

/**
 * The conversion of one column's type: Kafka Connect's `connect.name` (with `connect.parameters`)
 * first, else Avro's `logicalType`. The shared conversions read values as the JSON converter
 * writes them; Avro gives decimals' unscaled bytes as a `Buffer` (base64 there) and `int`s as
 * numbers, `long`s as bigints (integers there), so decimals are adapted.
 */
function avroLogicalConversion(type: Record<string, unknown>): FieldConversion | undefined {
  const connectName = type['connect.name'];
  const logical = type['logicalType'];
  const name = typeof connectName === 'string' ? connectName : typeof logical === 'string' ? AVRO_LOGICAL[logical] : undefined;
  if (name === undefined) return undefined;
  const parameters: Record<string, string> = {};
  const given = type['connect.parameters'];
  if (typeof given === 'object' && given !== null) for (const [k, v] of Object.entries(given)) parameters[k] = String(v);
  if (parameters['scale'] === undefined && type['scale'] !== undefined) parameters['scale'] = String(type['scale']);
  const field: ConnectField = { name, parameters };
  const conversion = logicalConversion(field);
  if (conversion === undefined) return undefined;
  if (name === 'org.apache.kafka.connect.data.Decimal') return (v) => conversion(Buffer.isBuffer(v) ? v.toString('base64') : v);
  if (name === 'io.debezium.data.VariableScaleDecimal') {
    return (v) => {
      if (typeof v !== 'object' || v === null) return v;
      const { scale, value } = v as { scale?: unknown; value?: unknown };
      return conversion({ scale, value: Buffer.isBuffer(value) ? value.toString('base64') : value });
    };
  }
  return conversion;
}
