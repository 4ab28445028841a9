import type { Column } from './Column.js';
import type { SqlPosition } from './SqlError.js';
import type { SqlType } from './SqlType.js';

/** A parsed statement. */
export type Statement = CreateSourceStatement | SelectStatement | AlterSourceStatement;

/**
 * `ALTER {SOURCE | TABLE} name SET source_rate_limit {= | TO} {n | DEFAULT}` (RisingWave's
 * form): changes a source's rate limit, while it runs too. `rateLimit` is `null` for DEFAULT (no limit).
 */
export interface AlterSourceStatement {
  readonly kind: 'alter source';
  readonly name: string;
  readonly rateLimit: number | null;
  readonly position: SqlPosition;
}

/** One `'key' = 'value'` of a `WITH (...)` clause; keys are kept as written (quoted) or lower-cased. */
export interface Property {
  readonly key: string;
  readonly value: string;
  readonly position: SqlPosition;
}

/**
 * The row format: the seed's `ROW FORMAT 'json'`, or RisingWave's
 * `FORMAT PLAIN ENCODE CSV (delimiter = ',', without_header = 'true')`.
 */
export interface FormatClause {
  /** Lower-case encoding name: `json`, `csv`, `avro`. */
  readonly encode: string;
  /** RisingWave's `FORMAT` (envelope), lower case: `plain`; absent for `ROW FORMAT`. */
  readonly format?: string;
  /** The `ENCODE X (...)` options, keys as written. */
  readonly options: readonly Property[];
  /** Absent when the format was given in code rather than SQL. */
  readonly position?: SqlPosition;
  /** The seed-era `ROW FORMAT` name that gave `format` and `encode` (`debezium_json`), for messages. */
  readonly legacy?: string;
}

/** What a CREATE statement creates: RisingWave's `CREATE TABLE`, `CREATE SOURCE`, or the seed-era `CREATE MATERIALIZED SOURCE`. */
export type CreatedObject = 'source' | 'table' | 'materialized source';

/** The metadata a RisingWave `INCLUDE` clause adds as a column. */
export type IncludeField = 'key' | 'partition' | 'offset' | 'timestamp' | 'header';

/**
 * `INCLUDE KEY [AS col]`, `INCLUDE PARTITION`, `INCLUDE OFFSET`, `INCLUDE TIMESTAMP`, `INCLUDE
 * HEADER` (every header), `INCLUDE HEADER 'name' [VARCHAR | BYTEA]` (one header's value).
 */
export interface IncludeColumn {
  readonly field: IncludeField;
  /** The column name: as written after AS, else RisingWave's default `_rw_kafka_<field>` (`_rw_kafka_header_<name>` for one header). */
  readonly column: string;
  /** `INCLUDE HEADER 'name'`: the one header this column holds. */
  readonly header?: string;
  /** `INCLUDE HEADER 'name' VARCHAR`: the value as text; BYTEA (RisingWave's default) as bytes. */
  readonly headerType?: 'varchar' | 'bytea';
  readonly position: SqlPosition;
}

/**
 * `CREATE {SOURCE | TABLE | MATERIALIZED SOURCE} [IF NOT EXISTS] name (columns [, PRIMARY KEY (a, b)])
 * [INCLUDE ...] [APPEND ONLY] WITH (...) {ROW FORMAT ... | FORMAT ... ENCODE ...}`.
 */
export interface CreateSourceStatement {
  readonly kind: 'create source';
  /** Which CREATE it was; a table (or a CDC format) keeps the rows by primary key. */
  readonly object: CreatedObject;
  readonly name: string;
  readonly ifNotExists: boolean;
  readonly columns: readonly Column[];
  /** Column names of `PRIMARY KEY (a, b)` or of a column declared `PRIMARY KEY`; empty when none. */
  readonly primaryKey: readonly string[];
  /** Where the primary key was declared, when it was. */
  readonly primaryKeyPosition: SqlPosition | undefined;
  readonly includes: readonly IncludeColumn[];
  /** `APPEND ONLY` was written (the seed-era `appendonly = 'true'` property is read by the session). */
  readonly appendOnly: boolean;
  readonly properties: readonly Property[];
  readonly format: FormatClause | undefined;
  readonly position: SqlPosition;
}

/** `SELECT items FROM source [WHERE predicate] [GROUP BY exprs] [ORDER BY items] [LIMIT n]`. */
export interface SelectStatement {
  readonly kind: 'select';
  readonly items: readonly SelectItem[];
  readonly from: { readonly name: string; readonly alias: string | undefined; readonly position: SqlPosition };
  readonly where: Expression | undefined;
  /** GROUP BY expressions; empty when there is none. */
  readonly groupBy: readonly Expression[];
  /** ORDER BY items; empty when there is none. */
  readonly orderBy: readonly OrderItem[];
  readonly limit: number | undefined;
  readonly position: SqlPosition;
}

/** One `ORDER BY` item: an expression (or an output column's name or 1-based number), its direction and where NULLs go. */
export interface OrderItem {
  readonly expression: Expression;
  readonly descending: boolean;
  /** PostgreSQL's default: NULLs sort as larger than every value (last ascending, first descending). */
  readonly nullsFirst: boolean;
  readonly position: SqlPosition;
}

/** `*`, or an expression with an optional alias. */
export type SelectItem =
  | { readonly kind: 'star'; readonly position: SqlPosition }
  | { readonly kind: 'expression'; readonly expression: Expression; readonly alias: string | undefined };

/** Binary operators, as written (`<>` and `!=` both become `<>`). */
export type BinaryOperator = 'or' | 'and' | '=' | '<>' | '<' | '<=' | '>' | '>=' | '||' | '+' | '-' | '*' | '/' | '%';

/** A scalar expression of a query. */
export type Expression =
  | { readonly kind: 'literal'; readonly literal: LiteralValue; readonly position: SqlPosition }
  | { readonly kind: 'column'; readonly name: string; readonly qualifier: string | undefined; readonly position: SqlPosition }
  | { readonly kind: 'unary'; readonly operator: '-' | '+' | 'not'; readonly operand: Expression; readonly position: SqlPosition }
  | { readonly kind: 'binary'; readonly operator: BinaryOperator; readonly left: Expression; readonly right: Expression; readonly position: SqlPosition }
  | { readonly kind: 'is null'; readonly operand: Expression; readonly negated: boolean; readonly position: SqlPosition }
  | { readonly kind: 'is boolean'; readonly operand: Expression; readonly value: boolean; readonly negated: boolean; readonly position: SqlPosition }
  | {
      readonly kind: 'like';
      readonly operand: Expression;
      readonly pattern: Expression;
      readonly negated: boolean;
      readonly caseInsensitive: boolean;
      readonly position: SqlPosition;
    }
  | { readonly kind: 'in'; readonly operand: Expression; readonly list: readonly Expression[]; readonly negated: boolean; readonly position: SqlPosition }
  | {
      readonly kind: 'between';
      readonly operand: Expression;
      readonly low: Expression;
      readonly high: Expression;
      readonly negated: boolean;
      readonly position: SqlPosition;
    }
  | { readonly kind: 'cast'; readonly operand: Expression; readonly type: SqlType; readonly position: SqlPosition }
  | {
      readonly kind: 'call';
      readonly name: string;
      readonly args: readonly Expression[];
      /** `count(*)`. */
      readonly star?: boolean;
      readonly position: SqlPosition;
    }
  | {
      readonly kind: 'case';
      readonly branches: readonly { readonly when: Expression; readonly then: Expression }[];
      readonly otherwise: Expression | undefined;
      readonly position: SqlPosition;
    };

/** A literal as written: numbers keep their text, typed later (INTEGER, BIGINT or NUMERIC). */
export type LiteralValue =
  | { readonly type: 'null' }
  | { readonly type: 'boolean'; readonly value: boolean }
  | { readonly type: 'string'; readonly value: string }
  | { readonly type: 'number'; readonly text: string };
