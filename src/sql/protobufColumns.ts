import type * as Protobuf from 'protobufjs';
import type { Column } from './Column.js';
import { SqlError } from './SqlError.js';
import type { SqlType } from './SqlType.js';

const SCALARS: Readonly<Record<string, SqlType>> = {
  int32: { name: 'integer' },
  sint32: { name: 'integer' },
  sfixed32: { name: 'integer' },
  // Unsigned: one size up, as RisingWave maps them (a uint64 beyond BIGINT is an exact NUMERIC).
  uint32: { name: 'bigint' },
  fixed32: { name: 'bigint' },
  int64: { name: 'bigint' },
  sint64: { name: 'bigint' },
  sfixed64: { name: 'bigint' },
  uint64: { name: 'numeric' },
  fixed64: { name: 'numeric' },
  float: { name: 'real' },
  double: { name: 'double precision' },
  bool: { name: 'boolean' },
  string: { name: 'varchar' },
  bytes: { name: 'bytea' },
};

/**
 * The SQL columns of a Protobuf message type, for a source that declared none: one column a
 * field, in field-number order as declared, typed as the protobuf format's rows read: `int32` →
 * INTEGER, `int64`/`uint32` → BIGINT, `uint64` → NUMERIC, `float`/`double` → REAL/DOUBLE
 * PRECISION, `bool` → BOOLEAN, `string` and enums → VARCHAR, `bytes` → BYTEA, a
 * `google.protobuf.Timestamp` field → TIMESTAMPTZ, other messages → STRUCT, `repeated T` → T[].
 * Every column is nullable (an unset message field reads as NULL). Refused, with a
 * {@link SqlError} naming the field and saying to declare the columns: `map<K, V>` fields (no MAP
 * column type), a Timestamp inside a nested message or repeated (the format converts top-level
 * ones only), and recursive messages (no finite STRUCT).
 *
 * @example
 * protobufColumns(root.lookupType('shop.Order'), 'shop.Order'); // [{ name: 'id', type: { name: 'bigint' }, notNull: false }, ...]
 */
export function protobufColumns(type: Protobuf.Type, shown: string): Column[] {
  return type.fieldsArray.map((field) => ({ name: field.name, type: fieldType(field, `field "${field.name}" of message ${shown}`, true, [type.fullName]), notNull: false }));
}

function fieldType(field: Protobuf.Field, where: string, topLevel: boolean, path: readonly string[]): SqlType {
  if ((field as Protobuf.Field & { map?: boolean }).map === true) {
    throw new SqlError(`${where} is a protobuf map, and there is no MAP column type; declare the columns (e.g. that field as JSONB)`);
  }
  const element = elementType(field, where, topLevel && !field.repeated, path);
  return field.repeated ? { name: 'array', element } : element;
}

function elementType(field: Protobuf.Field, where: string, topLevel: boolean, path: readonly string[]): SqlType {
  const scalar = SCALARS[field.type];
  if (scalar !== undefined) return scalar;
  const resolved = field.resolve().resolvedType;
  if (resolved === null) throw new SqlError(`${where} has the type ${field.type}, which the schema does not define; declare the columns`);
  if (!('fieldsArray' in resolved)) return { name: 'varchar' }; // an enum, read as its name
  if (resolved.fullName === '.google.protobuf.Timestamp') {
    if (topLevel) return { name: 'timestamptz' };
    throw new SqlError(`${where} is a google.protobuf.Timestamp inside a nested or repeated message, which is read as its seconds and nanos; declare the columns`);
  }
  if (path.includes(resolved.fullName)) throw new SqlError(`${where} is the recursive message ${resolved.fullName.replace(/^\./, '')}, which no STRUCT type holds; declare the columns`);
  const fields = resolved.fieldsArray.map((f) => ({ name: f.name, type: fieldType(f, `${where} (its field "${f.name}")`, false, [...path, resolved.fullName]) }));
  return { name: 'struct', fields };
}
