import type { Row } from '../formats/Format.js';
import type { Column } from './Column.js';
import { compileExpression, type ExpressionType, type Scope } from './compileExpression.js';
import { SqlError } from './SqlError.js';
import type { SelectStatement } from './Statement.js';

/** An output column of a query. */
export interface QueryColumn {
  readonly name: string;
  readonly type: ExpressionType;
}

/** A SELECT compiled against its source's schema: pure functions on rows, no I/O. */
export interface CompiledQuery {
  readonly source: string;
  /** Output columns, in order; empty for `SELECT *` over a schemaless source (rows pass as decoded). */
  readonly columns: readonly QueryColumn[];
  /** The WHERE predicate: keeps a row only when it is TRUE (not NULL). */
  readonly filter: ((row: Row) => boolean) | undefined;
  readonly project: (row: Row) => Row;
  readonly limit: number | undefined;
}

/**
 * Compiles `SELECT ... FROM source [WHERE ...] [LIMIT n]` against the source's columns
 * (`undefined` for a source declared without columns). Output names follow PostgreSQL (the
 * alias, else the column or function name, else `?column?`); names that repeat get `_2`, `_3`
 * (a JSON object cannot hold a key twice).
 */
export function compileQuery(statement: SelectStatement, columns: readonly Column[] | undefined): CompiledQuery {
  const scope: Scope = { source: statement.from.name, alias: statement.from.alias, columns };
  const outputs: { name: string; type: ExpressionType; evaluate: (row: Row) => unknown }[] = [];
  let passThrough = false;
  for (const item of statement.items) {
    if (item.kind === 'star') {
      if (columns === undefined) {
        if (statement.items.length > 1) {
          throw new SqlError(`source "${scope.source}" declares no columns, so * cannot be combined with other items`, item.position);
        }
        passThrough = true;
        continue;
      }
      for (const column of columns) {
        const name = column.name;
        outputs.push({ name, type: column.type.name, evaluate: (row) => row[name] ?? null });
      }
      continue;
    }
    const compiled = compileExpression(item.expression, scope);
    outputs.push({ name: item.alias ?? compiled.name, type: compiled.type, evaluate: compiled.evaluate });
  }
  const seen = new Map<string, number>();
  for (const output of outputs) {
    const count = (seen.get(output.name) ?? 0) + 1;
    seen.set(output.name, count);
    if (count > 1) output.name = `${output.name}_${count}`;
  }

  let filter: ((row: Row) => boolean) | undefined;
  if (statement.where !== undefined) {
    const predicate = compileExpression(statement.where, scope);
    if (predicate.type !== 'boolean' && predicate.type !== 'unknown') {
      throw new SqlError(`WHERE needs a BOOLEAN condition, got ${predicate.type.toUpperCase()}`, statement.where.position);
    }
    filter = (row) => predicate.evaluate(row) === true;
  }

  const project = passThrough
    ? (row: Row): Row => row
    : (row: Row): Row => {
        const out: Row = {};
        for (const output of outputs) out[output.name] = output.evaluate(row);
        return out;
      };
  return {
    source: statement.from.name,
    columns: outputs.map(({ name, type }) => ({ name, type })),
    filter,
    project,
    limit: statement.limit,
  };
}

