import type { AvroSchemaJson } from '../formats/avroLogicalTypes.js';
import type { Column } from './Column.js';
import { SqlError } from './SqlError.js';
import type { SqlType } from './SqlType.js';

/**
 * The SQL columns of an Avro record schema, for a source that declared none (the subject's latest
 * version in a schema registry): one column a field, in field order, typed as RisingWave derives
 * them and as the registry Avro format's rows read:
 *
 * | Avro | SQL |
 * |---|---|
 * | `int` | INTEGER |
 * | `long` | BIGINT |
 * | `float` / `double` | REAL / DOUBLE PRECISION |
 * | `string`, `enum`, `uuid` | VARCHAR |
 * | `boolean` | BOOLEAN |
 * | `bytes`, `fixed` | BYTEA |
 * | `decimal` (top level) | NUMERIC(precision, scale) |
 * | `timestamp-millis/micros/nanos` | TIMESTAMPTZ |
 * | `local-timestamp-*` | TIMESTAMP |
 * | `date` / `time-millis/micros` | DATE / TIME |
 * | `record` | STRUCT<...> |
 * | `array` | T[] |
 * | `["null", T]` (either order) | T, nullable |
 *
 * A field that is not a union with `null` is NOT NULL. Refused, with a {@link SqlError} naming the
 * field and what to do (declare the columns): a `map` (SQL has no MAP type here), a union of two or
 * more non-null types, a field of type `null` alone, and a logical type inside a record or array
 * (the format converts logical types of top-level fields only, so a nested `decimal` would arrive
 * as raw bytes).
 *
 * @example
 * avroColumns({ type: 'record', name: 'T', fields: [{ name: 'id', type: 'long' }, { name: 'n', type: ['null', 'string'] }] }, 'orders-value');
 * // [{ name: 'id', type: { name: 'bigint' }, notNull: true }, { name: 'n', type: { name: 'varchar' }, notNull: false }]
 */
export function avroColumns(schema: AvroSchemaJson, subject: string): Column[] {
  const named = new Map<string, Record<string, unknown>>();
  const top = resolveType(schema, undefined, named);
  if (top === undefined || top['type'] !== 'record' || !Array.isArray(top['fields'])) {
    throw new SqlError(`the latest schema of subject ${JSON.stringify(subject)} is not an Avro record, so it has no columns to derive; declare the columns`);
  }
  const namespace = namespaceOf(top);
  return (top['fields'] as Array<Record<string, unknown>>).map((field) => {
    const name = String(field['name']);
    const where = `field "${name}" of subject ${JSON.stringify(subject)}`;
    const { type, nullable } = fieldType(field['type'] as AvroSchemaJson, namespace, named, where, true);
    return { name, type, notNull: !nullable };
  });
}

type Named = Map<string, Record<string, unknown>>;

const PRIMITIVES: Readonly<Record<string, SqlType>> = {
  int: { name: 'integer' },
  long: { name: 'bigint' },
  float: { name: 'real' },
  double: { name: 'double precision' },
  string: { name: 'varchar' },
  boolean: { name: 'boolean' },
  bytes: { name: 'bytea' },
};

/** The SQL type of an Avro type, and whether it admits null (a union with `null`). */
function fieldType(schema: AvroSchemaJson, namespace: string | undefined, named: Named, where: string, topLevel: boolean): { type: SqlType; nullable: boolean } {
  if (Array.isArray(schema)) {
    const branches = (schema as readonly AvroSchemaJson[]).filter((b) => b !== 'null');
    const nullable = branches.length < schema.length;
    if (branches.length === 0) throw new SqlError(`${where} is always null (type "null"): it has no SQL type; declare the columns`);
    if (branches.length > 1) {
      throw new SqlError(`${where} is a union of ${branches.length} non-null types, which no one SQL type holds; declare the columns (e.g. that field as JSONB) or use ["null", T]`);
    }
    return { type: sqlType(branches[0]!, namespace, named, where, topLevel), nullable };
  }
  return { type: sqlType(schema, namespace, named, where, topLevel), nullable: false };
}

function sqlType(schema: AvroSchemaJson, namespace: string | undefined, named: Named, where: string, topLevel: boolean): SqlType {
  const type = resolveType(schema, namespace, named);
  if (type === undefined) throw new SqlError(`${where} names the type ${JSON.stringify(schema)}, which the schema does not define`);
  const logical = type['logicalType'];
  if (typeof logical === 'string') {
    const mapped = logicalType(type, logical);
    if (mapped !== undefined) {
      if (!topLevel && logical !== 'uuid') {
        throw new SqlError(`${where} has the logical type ${logical} inside a record or array, which is read as its underlying type; declare the columns`);
      }
      return mapped;
    }
    // An unknown logical type reads as its underlying type (the Avro spec's rule).
  }
  const base = type['type'];
  if (typeof base === 'string' && PRIMITIVES[base] !== undefined) return PRIMITIVES[base];
  switch (base) {
    case 'enum':
      return { name: 'varchar' };
    case 'fixed':
      return { name: 'bytea' };
    case 'array': {
      const { type: element } = fieldType(type['items'] as AvroSchemaJson, namespaceOf(type) ?? namespace, named, `${where} (its elements)`, false);
      return { name: 'array', element };
    }
    case 'record': {
      const inner = namespaceOf(type) ?? namespace;
      const fields = (type['fields'] as Array<Record<string, unknown>>).map((f) => ({
        name: String(f['name']),
        type: fieldType(f['type'] as AvroSchemaJson, inner, named, `${where} (its field "${String(f['name'])}")`, false).type,
      }));
      return { name: 'struct', fields };
    }
    case 'map':
      throw new SqlError(`${where} is an Avro map, and there is no MAP column type; declare the columns (e.g. that field as JSONB)`);
    case 'null':
      throw new SqlError(`${where} is always null (type "null"): it has no SQL type; declare the columns`);
    default:
      throw new SqlError(`${where} has the Avro type ${JSON.stringify(base)}, which has no SQL type here; declare the columns`);
  }
}

function logicalType(type: Record<string, unknown>, logical: string): SqlType | undefined {
  switch (logical) {
    case 'decimal': {
      const precision = type['precision'];
      const scale = type['scale'];
      if (typeof precision !== 'number') return { name: 'numeric' };
      return { name: 'numeric', precision, scale: typeof scale === 'number' ? scale : 0 };
    }
    case 'timestamp-millis':
    case 'timestamp-micros':
    case 'timestamp-nanos':
      return { name: 'timestamptz' };
    case 'local-timestamp-millis':
    case 'local-timestamp-micros':
    case 'local-timestamp-nanos':
      return { name: 'timestamp' };
    case 'date':
      return { name: 'date' };
    case 'time-millis':
    case 'time-micros':
      return { name: 'time' };
    case 'uuid':
      return { name: 'varchar' };
    default:
      return undefined;
  }
}

/**
 * `schema` as an object (`"long"` is `{type: "long"}`), a named type looked up (and every named
 * type met on the way recorded, so later references find it).
 */
function resolveType(schema: AvroSchemaJson, namespace: string | undefined, named: Named): Record<string, unknown> | undefined {
  if (typeof schema === 'string') {
    if (PRIMITIVES[schema] !== undefined || schema === 'null') return { type: schema };
    return named.get(schema) ?? (namespace === undefined ? undefined : named.get(`${namespace}.${schema}`));
  }
  if (Array.isArray(schema)) return undefined;
  const object = schema as Record<string, unknown>;
  if (typeof object['type'] === 'object' && object['type'] !== null && !Array.isArray(object['type'])) {
    // `{"type": {"type": "record", ...}}`: the inner definition, with any logical type of the outer.
    const inner = resolveType(object['type'] as AvroSchemaJson, namespace, named);
    return inner === undefined ? undefined : typeof object['logicalType'] === 'string' ? { ...inner, ...object, type: inner['type'] } : inner;
  }
  if (typeof object['type'] === 'string' && PRIMITIVES[object['type']] === undefined && !['record', 'enum', 'fixed', 'array', 'map', 'null', 'error'].includes(object['type'])) {
    // `{"type": "Money"}`: a reference to a named type.
    const found = resolveType(object['type'], namespace, named);
    return found === undefined ? undefined : { ...found, ...(typeof object['logicalType'] === 'string' ? { logicalType: object['logicalType'] } : {}) };
  }
  if (object['type'] === 'record' || object['type'] === 'error' || object['type'] === 'enum' || object['type'] === 'fixed') {
    const name = String(object['name']);
    const full = name.includes('.') ? name : (typeof object['namespace'] === 'string' ? object['namespace'] : namespace) ? `${(object['namespace'] as string | undefined) ?? namespace}.${name}` : name;
    named.set(full, object['type'] === 'error' ? { ...object, type: 'record' } : object);
    named.set(name, named.get(full)!);
    if (object['type'] === 'error') return named.get(full);
  }
  return object;
}

function namespaceOf(type: Record<string, unknown>): string | undefined {
  if (typeof type['namespace'] === 'string') return type['namespace'];
  const name = type['name'];
  return typeof name === 'string' && name.includes('.') ? name.slice(0, name.lastIndexOf('.')) : undefined;
}
