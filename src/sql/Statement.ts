import type { Column } from './Column.js';
import type { SqlPosition } from './SqlError.js';
import type { SqlType } from './SqlType.js';

/** A parsed statement. */
export type Statement = CreateSourceStatement | SelectStatement;

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
}

/** `CREATE SOURCE [IF NOT EXISTS] name (columns) WITH (...) ROW FORMAT ...`. */
export interface CreateSourceStatement {
  readonly kind: 'create source';
  readonly name: string;
  readonly ifNotExists: boolean;
  readonly columns: readonly Column[];
  readonly properties: readonly Property[];
  readonly format: FormatClause | undefined;
  readonly position: SqlPosition;
}

/** `SELECT items FROM source [WHERE predicate] [LIMIT n]`. */
export interface SelectStatement {
  readonly kind: 'select';
  readonly items: readonly SelectItem[];
  readonly from: { readonly name: string; readonly alias: string | undefined; readonly position: SqlPosition };
  readonly where: Expression | undefined;
  readonly limit: number | undefined;
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
  | { readonly kind: 'call'; readonly name: string; readonly args: readonly Expression[]; readonly position: SqlPosition }
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
