import type { Column } from './Column.js';
import type { SqlType, SqlTypeName, SqlValueTypes } from './SqlType.js';

/**
 * A column type declared in code, carrying its JS type `T` and whether it is NOT NULL. Made by
 * {@link integer}, {@link varchar} and the other builders below.
 */
export interface ColumnSpec<T, NotNull extends boolean = false> {
  readonly type: SqlType;
  readonly isNotNull: NotNull;
  /** The same column, declared NOT NULL: its value type loses `| null`. */
  notNull(): ColumnSpec<T, true>;
}

/** The JS type of one column spec's values. */
export type ValueOf<C> = C extends ColumnSpec<infer T, infer N> ? (N extends true ? T : T | null) : never;

/**
 * A schema declared in code; `R` is the row type it produces. Pass it to
 * `Session.createSource` and get a `Source<R>`.
 */
export interface Schema<R> {
  readonly columns: readonly Column[];
  /** Phantom field: never set, only carries the row type. */
  readonly __row?: R;
}

/** The row type of a schema: `RowOf<typeof schema>`. */
export type RowOf<S> = S extends Schema<infer R> ? R : never;

/**
 * Declares a source schema in code, typed: each column's JS type follows from its SQL type
 * (BIGINT → `bigint`, NUMERIC → `Decimal`, ...; see `SqlValueTypes`), nullable unless `notNull()`.
 *
 * @example
 * const part = defineSchema({
 *   p_partkey: integer().notNull(),
 *   p_name: varchar(55),
 *   p_retailprice: numeric(15, 2),
 * });
 * type Part = RowOf<typeof part>;
 * // { p_partkey: number; p_name: string | null; p_retailprice: Decimal | null }
 */
export function defineSchema<C extends Record<string, ColumnSpec<unknown, boolean>>>(
  columns: C,
): Schema<{ [K in keyof C]: ValueOf<C[K]> }> {
  return {
    columns: Object.entries(columns).map(([name, spec]) => ({ name, type: spec.type, notNull: spec.isNotNull })),
  };
}

function spec<N extends SqlTypeName>(type: SqlType & { name: N }): ColumnSpec<SqlValueTypes[N]> {
  const make = <B extends boolean>(isNotNull: B): ColumnSpec<SqlValueTypes[N], B> => ({
    type,
    isNotNull,
    notNull: () => make(true),
  });
  return make(false);
}

/** SMALLINT: `number`, −32768..32767. */
export const smallint = (): ColumnSpec<number> => spec({ name: 'smallint' });
/** INTEGER: `number`, 32-bit signed. */
export const integer = (): ColumnSpec<number> => spec({ name: 'integer' });
/** BIGINT: `bigint`, 64-bit signed, exact. */
export const bigint = (): ColumnSpec<bigint> => spec({ name: 'bigint' });
/** REAL: `number`. */
export const real = (): ColumnSpec<number> => spec({ name: 'real' });
/** DOUBLE PRECISION: `number`. */
export const doublePrecision = (): ColumnSpec<number> => spec({ name: 'double precision' });
/** NUMERIC(precision, scale): an exact `Decimal`; unconstrained without arguments. */
export const numeric = (precision?: number, scale?: number) =>
  spec(precision === undefined ? { name: 'numeric' } : { name: 'numeric', precision, scale: scale ?? 0 });
/** BOOLEAN: `boolean`. */
export const boolean = (): ColumnSpec<boolean> => spec({ name: 'boolean' });
/** VARCHAR(length): `string` of at most `length` characters; unbounded without it. */
export const varchar = (length?: number): ColumnSpec<string> =>
  spec(length === undefined ? { name: 'varchar' } : { name: 'varchar', length });
/** CHAR(length): `string` of at most `length` characters (not space-padded, as in RisingWave). */
export const char = (length?: number): ColumnSpec<string> =>
  spec(length === undefined ? { name: 'char', length: 1 } : { name: 'char', length });
/** TEXT: `string`. */
export const text = (): ColumnSpec<string> => spec({ name: 'text' });
/** DATE: `'YYYY-MM-DD'`. */
export const date = (): ColumnSpec<string> => spec({ name: 'date' });
/** TIME: `'HH:MM:SS[.ffffff]'`. */
export const time = (): ColumnSpec<string> => spec({ name: 'time' });
/** TIMESTAMP (without time zone): `'YYYY-MM-DD HH:MM:SS[.ffffff]'`. */
export const timestamp = (): ColumnSpec<string> => spec({ name: 'timestamp' });
/** TIMESTAMPTZ: a `Date`. */
export const timestamptz = (): ColumnSpec<Date> => spec({ name: 'timestamptz' });
/** BYTEA: `Uint8Array`. */
export const bytea = (): ColumnSpec<Uint8Array> => spec({ name: 'bytea' });
/** JSONB: any JSON value. */
export const jsonb = () => spec({ name: 'jsonb' });
