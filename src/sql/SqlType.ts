import type { JsonValue } from '../core/Json.js';
import type { Decimal } from './Decimal.js';

/** The column types a source schema can declare. */
export type SqlTypeName =
  | 'smallint'
  | 'integer'
  | 'bigint'
  | 'real'
  | 'double precision'
  | 'numeric'
  | 'boolean'
  | 'varchar'
  | 'char'
  | 'text'
  | 'date'
  | 'time'
  | 'timestamp'
  | 'timestamptz'
  | 'bytea'
  | 'jsonb'
  | 'struct'
  | 'array';

/**
 * A SQL column type with its modifiers: `VARCHAR(55)` is `{ name: 'varchar', length: 55 }`,
 * `NUMERIC(15,2)` is `{ name: 'numeric', precision: 15, scale: 2 }`.
 */
export interface SqlType {
  readonly name: SqlTypeName;
  /** Maximum length in characters, for `varchar` and `char`. */
  readonly length?: number;
  /** Total significant digits, for `numeric`. */
  readonly precision?: number;
  /** Digits after the point, for `numeric` (0 when only the precision is given). */
  readonly scale?: number;
  /** The fields of a `STRUCT<a INT, b VARCHAR>`, in declared order. */
  readonly fields?: readonly StructField[];
  /** The element type of an array (`INT[]`, `STRUCT<...>[]`). */
  readonly element?: SqlType;
}

/** One field of a STRUCT type. */
export interface StructField {
  readonly name: string;
  readonly type: SqlType;
}

/**
 * The JS type of a value of each SQL type (before NULL):
 * SMALLINT, INTEGER, REAL, DOUBLE PRECISION → `number`; BIGINT → `bigint` (exact);
 * NUMERIC → {@link Decimal} (exact); BOOLEAN → `boolean`; VARCHAR, CHAR, TEXT → `string`;
 * DATE (`2024-01-31`), TIME (`13:45:00`), TIMESTAMP (`2024-01-31 13:45:00.123`) → canonical
 * `string`s, which compare correctly as strings and carry no time zone to shift;
 * TIMESTAMPTZ → `Date` (an instant; milliseconds); BYTEA → `Uint8Array`; JSONB → a JSON value.
 */
export interface SqlValueTypes {
  smallint: number;
  integer: number;
  bigint: bigint;
  real: number;
  'double precision': number;
  numeric: Decimal;
  boolean: boolean;
  varchar: string;
  char: string;
  text: string;
  date: string;
  time: string;
  timestamp: string;
  timestamptz: Date;
  bytea: Uint8Array;
  jsonb: JsonValue;
  /** A STRUCT: an object with exactly its declared fields, each converted (missing ones NULL). */
  struct: { [field: string]: unknown };
  /** An array: every element converted to the element type (NULL elements stay null). */
  array: unknown[];
}

/** The JS value of a non-null SQL value of any type. */
export type SqlValue = SqlValueTypes[SqlTypeName];

/** Writes a type as SQL: `VARCHAR(55)`, `NUMERIC(15,2)`, `DOUBLE PRECISION`. */
export function formatSqlType(type: SqlType): string {
  if (type.name === 'array') return `${type.element === undefined ? 'UNKNOWN' : formatSqlType(type.element)}[]`;
  if (type.name === 'struct') return `STRUCT<${(type.fields ?? []).map((f) => `${f.name} ${formatSqlType(f.type)}`).join(', ')}>`;
  const name = type.name.toUpperCase();
  if ((type.name === 'varchar' || type.name === 'char') && type.length !== undefined) return `${name}(${type.length})`;
  if (type.name === 'numeric' && type.precision !== undefined) return `${name}(${type.precision},${type.scale ?? 0})`;
  return name;
}

/**
 * Type names as SQL spells them (lower case) and the type each means. Multi-word names
 * (`double precision`, `timestamp with time zone`) are matched word by word by the parser.
 */
export const SQL_TYPE_ALIASES: Readonly<Record<string, SqlTypeName>> = {
  smallint: 'smallint',
  int2: 'smallint',
  integer: 'integer',
  int: 'integer',
  int4: 'integer',
  bigint: 'bigint',
  int8: 'bigint',
  real: 'real',
  float4: 'real',
  'double precision': 'double precision',
  double: 'double precision',
  float8: 'double precision',
  float: 'double precision',
  numeric: 'numeric',
  decimal: 'numeric',
  boolean: 'boolean',
  bool: 'boolean',
  varchar: 'varchar',
  'character varying': 'varchar',
  char: 'char',
  character: 'char',
  text: 'text',
  string: 'text',
  date: 'date',
  time: 'time',
  'time without time zone': 'time',
  timestamp: 'timestamp',
  'timestamp without time zone': 'timestamp',
  timestamptz: 'timestamptz',
  'timestamp with time zone': 'timestamptz',
  bytea: 'bytea',
  jsonb: 'jsonb',
  json: 'jsonb',
};
