/**
 * SQL over tributary sources: `CREATE SOURCE | TABLE` (the seed's `ROW FORMAT` and RisingWave's
 * `FORMAT ... ENCODE ...`, change-data formats kept by primary key), connector selection by
 * properties, schemas with checked conversion, and `SELECT ... FROM source [WHERE ...] [GROUP BY
 * ...] [ORDER BY ...] [LIMIT n]` as Observables, aggregates maintained incrementally. {@link Session} is the
 * entry point; {@link defineSchema} types rows declared in code.
 *
 * @module
 */
export { Session, queryOperator } from './Session.js';
export type { SessionOptions, CreateSourceOptions, RegisteredSource, Query, StatementResult, FormatFactory } from './Session.js';
export { builtinConnectors } from './builtinConnectors.js';
export { parseSql, MAX_EXPRESSION_DEPTH, type ParseSqlOptions } from './parseSql.js';
export { findSecretValues, redactSecrets, SECRET_KEY_PATTERN, type IsSecretKey } from './secretValues.js';
export { tokenize, type Token } from './tokenize.js';
export type * from './Statement.js';
export { SqlError, SqlSyntaxError, type SqlPosition } from './SqlError.js';
export { resolveConnector, type GivenProperty, type ResolvedConnector } from './resolveConnector.js';
export { resolveFormat, FORMAT_NAMES, type ResolvedFormat, type ChangelogFormat } from './resolveFormat.js';
export { maintainQuery, queryStateKey, ResultState, sortRows, type MaintainQueryOptions } from './maintainQuery.js';
export { AggregateState, DEFAULT_MAX_RESULT_ROWS } from './AggregateState.js';
export { SortedMultiset } from './SortedMultiset.js';
export { encodeValue, decodeValue } from './stateCodec.js';
export { sqlTableRowCodec } from './sqlTableRowCodec.js';
export { defaultTableOperator, type TableOperator } from './TableOperator.js';
export { CONNECTOR_SELECTORS, SOURCE_PROPERTIES, FORMAT_PROPERTIES, MAX_TIMER_DELAY_MS, type FormatPropertySpec } from './commonProperties.js';
export { didYouMean, editDistance } from './didYouMean.js';
export type { Column } from './Column.js';
export { formatSqlType, SQL_TYPE_ALIASES, type SqlType, type SqlTypeName, type SqlValue, type SqlValueTypes } from './SqlType.js';
export { Decimal } from './Decimal.js';
export { convertValue, type ConvertOptions } from './convertValue.js';
export { createRowConverter } from './createRowConverter.js';
export { compileExpression, compareValues, likeRegex, type CompiledExpression, type ExpressionType, type Scope } from './compileExpression.js';
export { likeMatcher } from './likeMatcher.js';
export {
  compileQuery,
  containsAggregate,
  sameExpression,
  type CompiledQuery,
  type QueryColumn,
  type AggregatePlan,
  type AggregateFunction,
  type CompiledAggregate,
  type CompiledOrder,
} from './compileQuery.js';
export { sqlValueText } from './sqlValueText.js';
export {
  defineSchema,
  smallint,
  integer,
  bigint,
  real,
  doublePrecision,
  numeric,
  boolean,
  varchar,
  char,
  text,
  date,
  time,
  timestamp,
  timestamptz,
  bytea,
  jsonb,
  type Schema,
  type RowOf,
  type ColumnSpec,
  type ValueOf,
} from './defineSchema.js';
