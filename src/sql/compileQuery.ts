import type { Row } from '../formats/Format.js';
import type { Column } from './Column.js';
import { compileExpression, type ExpressionType, type Scope } from './compileExpression.js';
import { SqlError } from './SqlError.js';
import { setField } from './setField.js';
import type { SqlType } from './SqlType.js';
import type { Expression, SelectStatement } from './Statement.js';

/** An output column of a query. */
export interface QueryColumn {
  readonly name: string;
  readonly type: ExpressionType;
}

/** The aggregate functions a query can use. */
export type AggregateFunction = 'count' | 'sum' | 'min' | 'max' | 'avg';

const AGGREGATES: ReadonlySet<string> = new Set<AggregateFunction>(['count', 'sum', 'min', 'max', 'avg']);

/** One aggregate call of a query: `sum(v1)`, `count(*)` (no argument). */
export interface CompiledAggregate {
  readonly fn: AggregateFunction;
  /** Evaluates the argument on an input row; absent for `count(*)`. */
  readonly argument: ((row: Row) => unknown) | undefined;
  /** The argument's type (decides how sums add: exact integers, exact decimals, or doubles). */
  readonly argumentType: ExpressionType;
  readonly type: ExpressionType;
}

/** GROUP BY and the aggregates of a query: what `maintainQuery` keeps per group. */
export interface AggregatePlan {
  /** Evaluates each GROUP BY expression on an input row (empty: one group over every row). */
  readonly groupBy: readonly ((row: Row) => unknown)[];
  readonly aggregates: readonly CompiledAggregate[];
  /**
   * Builds an output row from a group's key values and its aggregates' current values (the
   * select items, evaluated over `__g<i>` and `__a<i>` columns).
   */
  readonly output: (keys: readonly unknown[], aggregates: readonly unknown[]) => Row;
}

/** One ORDER BY item, resolved to an output column. */
export interface CompiledOrder {
  readonly column: string;
  readonly descending: boolean;
  readonly nullsFirst: boolean;
}

/** A SELECT compiled against its source's schema: pure functions on rows, no I/O. */
export interface CompiledQuery {
  readonly source: string;
  /** Output columns, in order; empty for `SELECT *` over a schemaless source (rows pass as decoded). */
  readonly columns: readonly QueryColumn[];
  /** The WHERE predicate: keeps a row only when it is TRUE (not NULL). */
  readonly filter: ((row: Row) => boolean) | undefined;
  /** Projection of a query without aggregates (for an aggregate query: unused, see `aggregate`). */
  readonly project: (row: Row) => Row;
  /**
   * The value of each output column (in `columns` order) of a projected row, one function per
   * column: what `project` assigns, for a consumer that writes the values out without building the
   * row object (the CLI's JSON text). `undefined` when `project` passes rows through (`SELECT *`
   * over a schemaless source) and for aggregate queries.
   */
  readonly evaluators: readonly ((row: Row) => unknown)[] | undefined;
  /**
   * For each of `evaluators`: the source column it only reads (its value is `row[name] ?? null`),
   * or `undefined` for an expression; a consumer may read such a column itself.
   */
  readonly reads?: readonly (string | undefined)[];
  /** Present when the query aggregates (GROUP BY, or an aggregate function in its select list). */
  readonly aggregate: AggregatePlan | undefined;
  readonly orderBy: readonly CompiledOrder[];
  readonly limit: number | undefined;
}

/** The column names a query's aggregate rows use for group keys and aggregate values. */
const groupColumn = (i: number): string => `__g${i}`;
const aggregateColumn = (i: number): string => `__a${i}`;

/**
 * Compiles `SELECT ... FROM source [WHERE ...] [GROUP BY ...] [ORDER BY ...] [LIMIT n]` against
 * the source's columns (`undefined` for a source declared without columns). Output names follow
 * PostgreSQL (the alias, else the column or function name, else `?column?`); names that repeat
 * get `_2`, `_3`, skipping any name the select list already has (a JSON object cannot hold a key
 * twice, and PostgreSQL's own `row_to_json` would print the repeats as duplicate keys).
 *
 * Aggregates (`count(*)`, `count`, `sum`, `min`, `max`, `avg`) may be combined with GROUP BY
 * expressions and scalar expressions over both (`sum(v) * 2`, `upper(name)` when `name` is
 * grouped); a column used outside an aggregate must be grouped, as in PostgreSQL. ORDER BY
 * names an output column: by name or alias, by 1-based number, or by repeating a select item's
 * expression.
 */
export function compileQuery(statement: SelectStatement, columns: readonly Column[] | undefined): CompiledQuery {
  const scope: Scope = { source: statement.from.name, alias: statement.from.alias, columns };
  const aggregating = statement.groupBy.length > 0 || statement.items.some((item) => item.kind === 'expression' && containsAggregate(item.expression));
  const outputs: { name: string; type: ExpressionType; evaluate: (row: Row) => unknown; expression: Expression | undefined; read?: string }[] = [];
  let passThrough = false;
  let plan: AggregatePlan | undefined;

  if (!aggregating) {
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
          outputs.push({ name, type: column.type.name, evaluate: (row) => row[name] ?? null, expression: undefined, read: name });
        }
        continue;
      }
      const compiled = compileExpression(item.expression, scope);
      // A plain column reference compiles to `row[name] ?? null` (see compileExpression).
      const read = item.expression.kind === 'column' ? item.expression.name : undefined;
      outputs.push({ name: item.alias ?? compiled.name, type: compiled.type, evaluate: compiled.evaluate, expression: item.expression, ...(read === undefined ? {} : { read }) });
    }
  } else {
    const groups = statement.groupBy.map((e) => ({ expression: e, compiled: compileExpression(e, scope) }));
    const aggregates: { call: Expression & { kind: 'call' }; compiled: CompiledAggregate }[] = [];
    // Select items are compiled over a row of group keys and aggregate values.
    const rewrite = (e: Expression): Expression => {
      const group = groups.findIndex((g) => sameExpression(g.expression, e));
      if (group >= 0) return { kind: 'column', name: groupColumn(group), qualifier: undefined, position: e.position };
      if (e.kind === 'call' && AGGREGATES.has(e.name)) {
        let index = aggregates.findIndex((a) => sameExpression(a.call, e));
        if (index < 0) {
          index = aggregates.length;
          aggregates.push({ call: e, compiled: compileAggregate(e, scope) });
        }
        return { kind: 'column', name: aggregateColumn(index), qualifier: undefined, position: e.position };
      }
      if (e.kind === 'column') {
        throw new SqlError(`column "${e.name}" must appear in the GROUP BY clause or be used in an aggregate function`, e.position);
      }
      return mapChildren(e, rewrite);
    };
    const rewritten: { item: SelectStatement['items'][number]; expression: Expression }[] = [];
    for (const item of statement.items) {
      if (item.kind === 'star') throw new SqlError('* cannot be used with GROUP BY or aggregates: name the columns', item.position);
      rewritten.push({ item, expression: rewrite(item.expression) });
    }
    const aggregateScope: Scope = {
      source: scope.source,
      alias: undefined,
      columns: [
        ...groups.map((g, i): Column => ({ name: groupColumn(i), type: typeOf(g.compiled.type), notNull: false })),
        ...aggregates.map((a, i): Column => ({ name: aggregateColumn(i), type: typeOf(a.compiled.type), notNull: false })),
      ],
    };
    for (const { item, expression } of rewritten) {
      if (item.kind !== 'expression') continue;
      const compiled = compileExpression(expression, aggregateScope);
      const original = item.expression;
      // The name PostgreSQL gives: the alias, else the column or function name of what was written.
      const name = item.alias ?? (original.kind === 'column' ? original.name : original.kind === 'call' ? original.name : compiled.name);
      outputs.push({ name, type: compiled.type, evaluate: compiled.evaluate, expression: original });
    }
    const groupCount = groups.length;
    plan = {
      groupBy: groups.map((g) => g.compiled.evaluate),
      aggregates: aggregates.map((a) => a.compiled),
      output: (keys, values) => {
        const row: Row = {};
        for (let i = 0; i < groupCount; i++) row[groupColumn(i)] = keys[i];
        for (let i = 0; i < values.length; i++) row[aggregateColumn(i)] = values[i];
        const out: Row = {};
        for (const output of outputs) setField(out, output.name, output.evaluate(row));
        return out;
      },
    };
  }

  // Output names are unique (a JSON object has one value a key): a repeated name becomes
  // `name_2`, `name_3`..., skipping any name the select list already has (`SELECT a, a, a_2`
  // gives a, a_3, a_2), so no two outputs ever share a key.
  const taken = new Set(outputs.map((o) => o.name));
  const seen = new Map<string, number>();
  for (const output of outputs) {
    const count = (seen.get(output.name) ?? 0) + 1;
    seen.set(output.name, count);
    if (count === 1) continue;
    let n = count;
    while (taken.has(`${output.name}_${n}`)) n++;
    seen.set(output.name, n);
    output.name = `${output.name}_${n}`;
    taken.add(output.name);
  }

  let filter: ((row: Row) => boolean) | undefined;
  if (statement.where !== undefined) {
    if (containsAggregate(statement.where)) throw new SqlError('aggregate functions are not allowed in WHERE', statement.where.position);
    const predicate = compileExpression(statement.where, scope);
    if (predicate.type !== 'boolean' && predicate.type !== 'unknown') {
      throw new SqlError(`WHERE needs a BOOLEAN condition, got ${predicate.type.toUpperCase()}`, statement.where.position);
    }
    filter = (row) => predicate.evaluate(row) === true;
  }

  const orderBy = statement.orderBy.map((item): CompiledOrder => {
    const e = item.expression;
    let column: string | undefined;
    if (e.kind === 'literal' && e.literal.type === 'number') {
      const n = Number(e.literal.text);
      if (!Number.isInteger(n) || n < 1 || n > outputs.length) {
        throw new SqlError(`ORDER BY position ${e.literal.text} is not in select list (1 to ${outputs.length})`, item.position);
      }
      column = outputs[n - 1]!.name;
    } else {
      column =
        outputs.find((o) => o.expression !== undefined && sameExpression(o.expression, e))?.name ??
        (e.kind === 'column' && e.qualifier === undefined ? outputs.find((o) => o.name === e.name)?.name : undefined);
    }
    if (column === undefined) {
      if (passThrough && e.kind === 'column') column = e.name;
      else {
        throw new SqlError(
          'ORDER BY must name an output column (by name, alias or number) or repeat a select item; add the expression to the select list',
          item.position,
        );
      }
    }
    return { column, descending: item.descending, nullsFirst: item.nullsFirst };
  });

  const project = passThrough
    ? (row: Row): Row => row
    : (row: Row): Row => {
        const out: Row = {};
        for (const output of outputs) setField(out, output.name, output.evaluate(row));
        return out;
      };
  return {
    source: statement.from.name,
    columns: outputs.map(({ name, type }) => ({ name, type })),
    filter,
    project,
    evaluators: passThrough || plan !== undefined ? undefined : outputs.map((o) => o.evaluate),
    ...(passThrough || plan !== undefined ? {} : { reads: outputs.map((o) => o.read) }),
    aggregate: plan,
    orderBy,
    limit: statement.limit,
  };
}

/** Checks an aggregate call's arguments and types its result as PostgreSQL does. */
function compileAggregate(e: Expression & { kind: 'call' }, scope: Scope): CompiledAggregate {
  const fn = e.name as AggregateFunction;
  if (e.star === true) {
    if (fn !== 'count') throw new SqlError(`${fn}(*) does not exist; only count(*) counts rows`, e.position);
    return { fn, argument: undefined, argumentType: 'unknown', type: 'bigint' };
  }
  if (e.args.length !== 1) throw new SqlError(`${fn}() takes 1 argument, got ${e.args.length}`, e.position);
  const arg = e.args[0]!;
  if (containsAggregate(arg)) throw new SqlError('aggregate function calls cannot be nested', arg.position);
  const compiled = compileExpression(arg, scope);
  const t = compiled.type;
  const numeric = ['smallint', 'integer', 'bigint', 'real', 'double precision', 'numeric', 'unknown'].includes(t);
  let type: ExpressionType;
  switch (fn) {
    case 'count':
      type = 'bigint';
      break;
    case 'sum':
      if (!numeric) throw new SqlError(`function sum(${t.toUpperCase()}) does not exist: sum needs a number`, e.position);
      type = t === 'smallint' || t === 'integer' ? 'bigint' : t === 'bigint' ? 'numeric' : t === 'unknown' ? 'double precision' : t;
      break;
    case 'avg':
      if (!numeric) throw new SqlError(`function avg(${t.toUpperCase()}) does not exist: avg needs a number`, e.position);
      type = t === 'real' || t === 'double precision' || t === 'unknown' ? 'double precision' : 'numeric';
      break;
    case 'min':
    case 'max':
      if (t === 'jsonb' || t === 'struct' || t === 'array' || t === 'bytea') throw new SqlError(`function ${fn}(${t.toUpperCase()}) does not exist`, e.position);
      type = t;
      break;
  }
  return { fn, argument: compiled.evaluate, argumentType: t, type };
}

function typeOf(type: ExpressionType): SqlType {
  // `unknown` (schemaless) columns compare and compute as JSON values do.
  return { name: type === 'unknown' ? 'jsonb' : type };
}

/** True when `e` calls an aggregate function anywhere (a loop, not recursion: flat chains of 20 000 terms parse). */
export function containsAggregate(e: Expression): boolean {
  const stack: Expression[] = [e];
  while (stack.length > 0) {
    const next = stack.pop()!;
    if (next.kind === 'call' && AGGREGATES.has(next.name)) return true;
    mapChildren(next, (child) => {
      stack.push(child);
      return child;
    });
  }
  return false;
}

/** `e` with every direct sub-expression replaced by `f(child)`. */
function mapChildren(e: Expression, f: (child: Expression) => Expression): Expression {
  switch (e.kind) {
    case 'literal':
    case 'column':
      return e;
    case 'unary':
    case 'is null':
    case 'is boolean':
    case 'cast':
      return { ...e, operand: f(e.operand) };
    case 'binary':
      return { ...e, left: f(e.left), right: f(e.right) };
    case 'like':
      return { ...e, operand: f(e.operand), pattern: f(e.pattern) };
    case 'in':
      return { ...e, operand: f(e.operand), list: e.list.map(f) };
    case 'between':
      return { ...e, operand: f(e.operand), low: f(e.low), high: f(e.high) };
    case 'call':
      return { ...e, args: e.args.map(f) };
    case 'case':
      return {
        ...e,
        branches: e.branches.map((b) => ({ when: f(b.when), then: f(b.then) })),
        otherwise: e.otherwise === undefined ? undefined : f(e.otherwise),
      };
  }
}

/** Structural equality of two expressions, ignoring where they were written. */
export function sameExpression(a: Expression, b: Expression): boolean {
  return JSON.stringify(a, withoutPositions) === JSON.stringify(b, withoutPositions);
}

function withoutPositions(key: string, value: unknown): unknown {
  return key === 'position' ? undefined : value;
}
