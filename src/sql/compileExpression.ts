import type { Row } from '../formats/Format.js';
import type { Column } from './Column.js';
import { convertValue, describeValue } from './convertValue.js';
import { Decimal } from './Decimal.js';
import { didYouMean } from './didYouMean.js';
import { quoted, SqlError, type SqlPosition } from './SqlError.js';
import { likeMatcher } from './likeMatcher.js';
import { formatSqlType, type SqlType, type SqlTypeName } from './SqlType.js';
import { sqlValueText } from './sqlValueText.js';
import type { Expression } from './Statement.js';
import { microsOf } from '../core/MicroDate.js';

/** What a query's expressions see: the source's name, alias and columns (`undefined`: schemaless). */
export interface Scope {
  readonly source: string;
  readonly alias: string | undefined;
  readonly columns: readonly Column[] | undefined;
}

/** The static type of an expression: a SQL type, or `unknown` (schemaless columns, NULL, untyped text literals). */
export type ExpressionType = SqlTypeName | 'unknown';

/** A compiled expression: evaluates on a row; `null` is SQL NULL. */
export interface CompiledExpression {
  readonly type: ExpressionType;
  /** The output column name PostgreSQL would give it (`?column?` when it gives none). */
  readonly name: string;
  readonly evaluate: (row: Row) => unknown;
}

const NUMERICS = new Set<ExpressionType>(['smallint', 'integer', 'bigint', 'real', 'double precision', 'numeric']);
const TEXTS = new Set<ExpressionType>(['varchar', 'char', 'text']);

/** The family a type compares within; `unknown` compares with anything. */
function family(type: ExpressionType): string {
  if (NUMERICS.has(type)) return 'number';
  if (TEXTS.has(type)) return 'text';
  if (type === 'date' || type === 'timestamp') return 'datetime';
  return type;
}

/**
 * Compiles a scalar expression of a query against the source's columns: resolves column
 * references (an unknown column is a {@link SqlError} with a did-you-mean), types the
 * expression, and returns a function evaluating it on a row.
 *
 * Semantics follow PostgreSQL: NULL propagates through operators and functions, AND/OR/NOT use
 * three-valued logic, integer division truncates, INTEGER op BIGINT is BIGINT, anything with
 * NUMERIC is NUMERIC (exact, {@link Decimal}), anything with REAL/DOUBLE is a JS number;
 * `'text'` literals take the type of what they are compared with (`d > '2024-01-01'`), `||`
 * concatenates text forms. Division by zero and failed casts are runtime errors.
 */
export function compileExpression(expression: Expression, scope: Scope): CompiledExpression {
  return new Compiler(scope).compile(expression);
}

class Compiler {
  constructor(private readonly scope: Scope) {}

  compile(e: Expression): CompiledExpression {
    switch (e.kind) {
      case 'literal':
        return this.literal(e);
      case 'column':
        return this.column(e);
      case 'unary':
        return this.unary(e);
      case 'binary':
        return this.binary(e);
      case 'is null': {
        const operand = this.compile(e.operand);
        const negated = e.negated;
        return { type: 'boolean', name: '?column?', evaluate: (row) => (operand.evaluate(row) === null) !== negated };
      }
      case 'is boolean': {
        const operand = this.expect(this.compile(e.operand), 'boolean', e.position, 'IS TRUE/FALSE');
        const { value, negated } = e;
        return { type: 'boolean', name: '?column?', evaluate: (row) => (operand.evaluate(row) === value) !== negated };
      }
      case 'like':
        return this.like(e);
      case 'in': {
        const operand = this.compile(e.operand);
        const list = e.list.map((item) => this.coerceTo(this.compile(item), item, operand.type));
        list.forEach((item, i) => this.checkComparable(operand, item, e.list[i]!.position, 'IN'));
        const negated = e.negated;
        return {
          type: 'boolean',
          name: '?column?',
          evaluate: (row) => {
            const v = operand.evaluate(row);
            if (v === null) return null;
            let sawNull = false;
            for (const item of list) {
              const w = item.evaluate(row);
              if (w === null) sawNull = true;
              else if (compareValues(v, w) === 0) return !negated;
            }
            return sawNull ? null : negated;
          },
        };
      }
      case 'between': {
        const operand = this.compile(e.operand);
        const low = this.coerceTo(this.compile(e.low), e.low, operand.type);
        const high = this.coerceTo(this.compile(e.high), e.high, operand.type);
        this.checkComparable(operand, low, e.position, 'BETWEEN');
        this.checkComparable(operand, high, e.position, 'BETWEEN');
        const negated = e.negated;
        return {
          type: 'boolean',
          name: '?column?',
          evaluate: (row) => {
            const v = operand.evaluate(row);
            const l = low.evaluate(row);
            const h = high.evaluate(row);
            const aboveLow = v === null || l === null ? null : compareValues(v, l) >= 0;
            const belowHigh = v === null || h === null ? null : compareValues(v, h) <= 0;
            const inside = and(aboveLow, belowHigh);
            return inside === null ? null : inside !== negated;
          },
        };
      }
      case 'cast':
        return this.cast(this.compile(e.operand), e.type, e.operand.kind === 'column' ? e.operand.name : undefined);
      case 'call':
        return this.call(e);
      case 'case': {
        const branches = e.branches.map((b) => ({
          when: this.expect(this.compile(b.when), 'boolean', b.when.position, 'CASE WHEN'),
          then: this.compile(b.then),
        }));
        const otherwise = e.otherwise === undefined ? undefined : this.compile(e.otherwise);
        const type = [...branches.map((b) => b.then.type), otherwise?.type ?? 'unknown'].find((t) => t !== 'unknown') ?? 'unknown';
        return {
          type,
          name: 'case',
          evaluate: (row) => {
            for (const b of branches) if (b.when.evaluate(row) === true) return b.then.evaluate(row);
            return otherwise === undefined ? null : otherwise.evaluate(row);
          },
        };
      }
    }
  }

  private literal(e: Expression & { kind: 'literal' }): CompiledExpression {
    const { literal } = e;
    switch (literal.type) {
      case 'null':
        return constant('unknown', null);
      case 'boolean':
        return constant('boolean', literal.value);
      case 'string':
        return constant('unknown', literal.value);
      case 'number': {
        if (/^\d+$/.test(literal.text)) {
          const n = BigInt(literal.text);
          if (n <= 2147483647n) return constant('integer', Number(n));
          if (n <= 9223372036854775807n) return constant('bigint', n);
        }
        try {
          return constant('numeric', Decimal.parse(literal.text));
        } catch (err) {
          // `1e999999999`: a SQL error at the literal, not a crash of the compiler.
          throw new SqlError(`invalid numeric literal: ${(err as Error).message}`, e.position);
        }
      }
    }
  }

  private column(e: Expression & { kind: 'column' }): CompiledExpression {
    const { scope } = this;
    if (e.qualifier !== undefined && e.qualifier !== scope.source && e.qualifier !== scope.alias) {
      throw new SqlError(`missing FROM-clause entry for "${e.qualifier}": the query reads "${scope.alias ?? scope.source}"`, e.position);
    }
    const name = e.name;
    if (scope.columns === undefined) {
      return { type: 'unknown', name, evaluate: readColumn(name) };
    }
    const column = scope.columns.find((c) => c.name === name);
    if (column === undefined) {
      const hint = didYouMean(name, scope.columns.map((c) => c.name));
      throw new SqlError(
        `column "${name}" does not exist in source "${scope.source}"${hint === undefined ? '' : ` (did you mean "${hint}"?)`}; its columns: ${columnList(scope.columns)}`,
        e.position,
      );
    }
    return { type: column.type.name, name, evaluate: readColumn(name) };
  }

  private unary(e: Expression & { kind: 'unary' }): CompiledExpression {
    if (e.operator === 'not') {
      const operand = this.expect(this.compile(e.operand), 'boolean', e.position, 'NOT');
      return {
        type: 'boolean',
        name: '?column?',
        evaluate: (row) => {
          const v = operand.evaluate(row);
          return v === null ? null : !v;
        },
      };
    }
    const operand = this.compile(e.operand);
    if (operand.type !== 'unknown' && !NUMERICS.has(operand.type)) {
      throw new SqlError(`operator does not exist: ${e.operator} ${operand.type.toUpperCase()}`, e.position);
    }
    if (e.operator === '+') return operand;
    return {
      type: operand.type,
      name: '?column?',
      evaluate: (row) => {
        const v = operand.evaluate(row);
        if (v === null) return null;
        if (typeof v === 'number') return -v;
        if (typeof v === 'bigint') return -v;
        if (v instanceof Decimal) return v.neg();
        throw new Error(`cannot negate ${describeValue(v)}`);
      },
    };
  }

  /**
   * A binary operator and the chain of binary operators down its left side, compiled in a loop
   * and evaluated in one: `a OR b OR ...` and `x + y + ...` parse left-deep, thousands of terms
   * long, and neither compiling nor evaluating them may recurse once per term. (Right operands
   * nest only through parentheses and the like, which the parser bounds.)
   */
  private binary(e: Expression & { kind: 'binary' }): CompiledExpression {
    const spine: (Expression & { kind: 'binary' })[] = [];
    let leaf: Expression = e;
    while (leaf.kind === 'binary') {
      spine.push(leaf);
      leaf = leaf.left;
    }
    let first = this.compile(leaf);
    let left: CompiledExpression = first;
    let leftSource: Expression = leaf;
    const steps: Step[] = [];
    for (let i = spine.length - 1; i >= 0; i--) {
      const node = spine[i]!;
      const built = this.step(node, left, leftSource, this.compile(node.right));
      // Only the leaf can be an untyped literal that takes the type of its right operand.
      if (i === spine.length - 1) first = built.left;
      steps.push(built.step);
      left = { type: built.type, name: '?column?', evaluate: () => undefined };
      leftSource = node;
    }
    const start = first;
    return {
      type: left.type,
      name: '?column?',
      evaluate: (row) => {
        let value = start.evaluate(row);
        for (const step of steps) value = step(value, row);
        return value;
      },
    };
  }

  /**
   * One `left op right` of a chain: its type, the left operand after coercion, and a step that
   * combines the value of the left side (already evaluated) with the right operand.
   */
  private step(
    e: Expression & { kind: 'binary' },
    leftCompiled: CompiledExpression,
    leftSource: Expression,
    rightCompiled: CompiledExpression,
  ): { type: ExpressionType; left: CompiledExpression; step: Step } {
    const { operator } = e;
    if (operator === 'and' || operator === 'or') {
      const left = this.expect(leftCompiled, 'boolean', leftSource.position, operator.toUpperCase());
      const right = this.expect(rightCompiled, 'boolean', e.right.position, operator.toUpperCase());
      const combine = operator === 'and' ? and : or;
      return {
        type: 'boolean',
        left,
        step: (l, row) => {
          // Short-circuit where the result is already known, as SQL allows.
          if (operator === 'and' && l === false) return false;
          if (operator === 'or' && l === true) return true;
          return combine(l as boolean | null, right.evaluate(row) as boolean | null);
        },
      };
    }
    let left = leftCompiled;
    let right = rightCompiled;
    left = this.coerceTo(left, leftSource, right.type);
    right = this.coerceTo(right, e.right, left.type);
    if (operator === '||') {
      return {
        type: 'text',
        left,
        step: (l, row) => {
          const r = right.evaluate(row);
          return l === null || r === null ? null : sqlValueText(l) + sqlValueText(r);
        },
      };
    }
    if (operator === '=' || operator === '<>' || operator === '<' || operator === '<=' || operator === '>' || operator === '>=') {
      this.checkComparable(left, right, e.position, operator);
      const test = COMPARISONS[operator];
      return {
        type: 'boolean',
        left,
        step: (l, row) => {
          const r = right.evaluate(row);
          return l === null || r === null ? null : test(compareValues(l, r));
        },
      };
    }
    for (const side of [left, right]) {
      if (side.type !== 'unknown' && !NUMERICS.has(side.type)) {
        throw new SqlError(
          `operator does not exist: ${left.type.toUpperCase()} ${operator} ${right.type.toUpperCase()} (arithmetic needs numbers; CAST text first)`,
          e.position,
        );
      }
    }
    const type = arithmeticType(left.type, right.type);
    const apply = ARITHMETIC[operator];
    return {
      type,
      left,
      step: (l, row) => {
        const r = right.evaluate(row);
        if (l === null || r === null) return null;
        return apply(promote(l, r, type));
      },
    };
  }

  private like(e: Expression & { kind: 'like' }): CompiledExpression {
    const operand = this.compile(e.operand);
    const pattern = this.compile(e.pattern);
    const caseInsensitive = e.caseInsensitive;
    let cached: { text: string; matches: (text: string) => boolean } | undefined;
    const negated = e.negated;
    return {
      type: 'boolean',
      name: '?column?',
      evaluate: (row) => {
        const v = operand.evaluate(row);
        const p = pattern.evaluate(row);
        if (v === null || p === null) return null;
        const text = sqlValueText(p);
        if (cached === undefined || cached.text !== text) cached = { text, matches: likeMatcher(text, caseInsensitive) };
        return cached.matches(sqlValueText(v)) !== negated;
      },
    };
  }

  private cast(operand: CompiledExpression, type: SqlType, name: string | undefined): CompiledExpression {
    const target = type.name;
    const toText = TEXTS.has(target);
    return {
      type: target,
      name: name ?? '?column?',
      evaluate: (row) => {
        let v = operand.evaluate(row);
        if (v === null) return null;
        if (toText) v = sqlValueText(v);
        else if ((target === 'smallint' || target === 'integer' || target === 'bigint') && !Number.isInteger(v) && typeof v === 'number') {
          v = roundHalfAway(v);
        } else if ((target === 'smallint' || target === 'integer' || target === 'bigint') && v instanceof Decimal) {
          v = v.rescale(0);
        } else if (target === 'jsonb' && typeof v === 'string') {
          return convertValue(v, type, { textInput: true });
        }
        try {
          return convertValue(v, type);
        } catch (err) {
          throw new Error(`cannot cast ${describeValue(v)} to ${formatSqlType(type)}: ${(err as Error).message}`, { cause: err });
        }
      },
    };
  }

  private call(e: Expression & { kind: 'call' }): CompiledExpression {
    const args = e.args.map((a) => this.compile(a));
    const fn = Object.hasOwn(FUNCTIONS, e.name) ? FUNCTIONS[e.name] : undefined; // not `constructor`
    if (fn === undefined) {
      const hint = didYouMean(e.name, Object.keys(FUNCTIONS));
      throw new SqlError(
        `function ${e.name}() does not exist${hint === undefined ? '' : ` (did you mean ${hint}()?)`}; available: ${Object.keys(FUNCTIONS).join(', ')}`,
        e.position,
      );
    }
    if (args.length < fn.min || args.length > fn.max) {
      throw new SqlError(`${e.name}() takes ${fn.min === fn.max ? fn.min : `${fn.min} to ${fn.max}`} arguments, got ${args.length}`, e.position);
    }
    const type = fn.type(args.map((a) => a.type));
    const strict = fn.strict !== false;
    return {
      type,
      name: e.name,
      evaluate: (row) => {
        const values = args.map((a) => a.evaluate(row));
        if (strict && values.some((v) => v === null)) return null;
        return fn.apply(values);
      },
    };
  }

  /** Gives an untyped `'text'` literal the type it meets (`date_col > '2024-01-01'`), checked now. */
  private coerceTo(compiled: CompiledExpression, source: Expression, type: ExpressionType): CompiledExpression {
    if (source.kind !== 'literal' || source.literal.type !== 'string' || type === 'unknown' || TEXTS.has(type)) return compiled;
    let value;
    try {
      value = convertValue(source.literal.value, { name: type }, { textInput: true });
    } catch (err) {
      throw new SqlError(`invalid ${type.toUpperCase()} literal ${quoted(source.literal.value)}: ${(err as Error).message}`, source.position);
    }
    return constant(type, value);
  }

  private checkComparable(left: CompiledExpression, right: CompiledExpression, position: SqlPosition, operator: string): void {
    if (left.type === 'unknown' || right.type === 'unknown') return;
    if (family(left.type) !== family(right.type)) {
      throw new SqlError(`cannot compare ${left.type.toUpperCase()} with ${right.type.toUpperCase()} (${operator}); CAST one side`, position);
    }
  }

  private expect(compiled: CompiledExpression, type: ExpressionType, position: SqlPosition, what: string): CompiledExpression {
    if (compiled.type !== type && compiled.type !== 'unknown') {
      throw new SqlError(`${what} needs a ${type.toUpperCase()}, got ${compiled.type.toUpperCase()}`, position);
    }
    return compiled;
  }
}

/** One link of a binary chain: the value so far and the row give the value after this operator. */
type Step = (left: unknown, row: Row) => unknown;

function constant(type: ExpressionType, value: unknown): CompiledExpression {
  return { type, name: '?column?', evaluate: () => value };
}

function and(a: boolean | null, b: boolean | null): boolean | null {
  if (a === false || b === false) return false;
  return a === null || b === null ? null : true;
}

function or(a: boolean | null, b: boolean | null): boolean | null {
  if (a === true || b === true) return true;
  return a === null || b === null ? null : false;
}

const COMPARISONS: Record<'=' | '<>' | '<' | '<=' | '>' | '>=', (c: number) => boolean> = {
  '=': (c) => c === 0,
  '<>': (c) => c !== 0,
  '<': (c) => c < 0,
  '<=': (c) => c <= 0,
  '>': (c) => c > 0,
  '>=': (c) => c >= 0,
};

/**
 * Orders two non-null values: numbers of any representation against each other exactly,
 * strings by code unit, booleans false < true, instants by time, bytes bytewise.
 */
export function compareValues(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a < b ? -1 : a > b ? 1 : a === b ? 0 : Number.isNaN(a) ? (Number.isNaN(b) ? 0 : 1) : -1;
  if (isNumeric(a) && isNumeric(b)) {
    if (typeof a === 'bigint' && typeof b === 'bigint') return a < b ? -1 : a > b ? 1 : 0;
    if ((typeof a === 'number' && !Number.isFinite(a)) || (typeof b === 'number' && !Number.isFinite(b))) {
      return compareValues(Number(toNumber(a)), Number(toNumber(b)));
    }
    return Decimal.from(a).compare(Decimal.from(b));
  }
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  if (a instanceof Date && b instanceof Date) return Math.sign(a.getTime() - b.getTime()) || Math.sign(microsOf(a) - microsOf(b));
  if (a instanceof Uint8Array && b instanceof Uint8Array) return Buffer.compare(a, b);
  const ta = sqlValueText(a);
  const tb = sqlValueText(b);
  if (typeof a === typeof b || typeof a === 'object' || typeof b === 'object') return ta < tb ? -1 : ta > tb ? 1 : 0;
  throw new Error(`cannot compare ${describeValue(a)} with ${describeValue(b)}`);
}

function isNumeric(v: unknown): v is number | bigint | Decimal {
  return typeof v === 'number' || typeof v === 'bigint' || v instanceof Decimal;
}

function toNumber(v: number | bigint | Decimal): number {
  return v instanceof Decimal ? v.toNumber() : Number(v);
}

function arithmeticType(a: ExpressionType, b: ExpressionType): ExpressionType {
  if (a === 'unknown' || b === 'unknown') {
    const known = a === 'unknown' ? b : a;
    return known === 'real' || known === 'double precision' ? 'double precision' : 'unknown';
  }
  if (a === 'real' || a === 'double precision' || b === 'real' || b === 'double precision') return 'double precision';
  if (a === 'numeric' || b === 'numeric') return 'numeric';
  if (a === 'bigint' || b === 'bigint') return 'bigint';
  return 'integer';
}

type Operands = { kind: 'int'; a: number; b: number } | { kind: 'float'; a: number; b: number } | { kind: 'bigint'; a: bigint; b: bigint } | { kind: 'numeric'; a: Decimal; b: Decimal };

function promote(l: unknown, r: unknown, type: ExpressionType): Operands {
  if (!isNumeric(l) || !isNumeric(r)) throw new Error(`arithmetic on a non-number: ${describeValue(isNumeric(l) ? r : l)}`);
  let kind: Operands['kind'];
  if (type === 'integer' || type === 'smallint') kind = 'int';
  else if (type === 'bigint') kind = 'bigint';
  else if (type === 'numeric') kind = 'numeric';
  else if (type === 'double precision' || type === 'real') kind = 'float';
  // Schemaless values: JSON numbers are doubles; exact kinds stay exact.
  else if (typeof l === 'number' || typeof r === 'number') kind = 'float';
  else if (l instanceof Decimal || r instanceof Decimal) kind = 'numeric';
  else kind = 'bigint';
  switch (kind) {
    case 'int':
      return { kind, a: Number(l), b: Number(r) };
    case 'float':
      return { kind, a: toNumber(l), b: toNumber(r) };
    case 'bigint':
      return { kind, a: l instanceof Decimal ? l.rescale(0).unscaled : BigInt(l), b: r instanceof Decimal ? r.rescale(0).unscaled : BigInt(r) };
    case 'numeric':
      return { kind, a: Decimal.from(l), b: Decimal.from(r) };
  }
}

const ARITHMETIC: Record<'+' | '-' | '*' | '/' | '%', (o: Operands) => unknown> = {
  '+': (o) => (o.kind === 'numeric' ? o.a.add(o.b) : o.kind === 'bigint' ? o.a + o.b : checkInt(o.kind, o.a + o.b)),
  '-': (o) => (o.kind === 'numeric' ? o.a.sub(o.b) : o.kind === 'bigint' ? o.a - o.b : checkInt(o.kind, o.a - o.b)),
  '*': (o) => (o.kind === 'numeric' ? o.a.mul(o.b) : o.kind === 'bigint' ? o.a * o.b : checkInt(o.kind, o.a * o.b)),
  '/': (o) => {
    if (o.kind === 'numeric') return o.a.div(o.b);
    if (o.kind === 'bigint') {
      if (o.b === 0n) throw new RangeError('division by zero');
      return o.a / o.b;
    }
    if (o.b === 0) throw new RangeError('division by zero');
    return o.kind === 'int' ? Math.trunc(o.a / o.b) : o.a / o.b;
  },
  '%': (o) => {
    if (o.kind === 'numeric') return o.a.mod(o.b);
    if (o.kind === 'bigint') {
      if (o.b === 0n) throw new RangeError('division by zero');
      return o.a % o.b;
    }
    if (o.b === 0) throw new RangeError('division by zero');
    return o.a % o.b;
  },
};

function checkInt(kind: 'int' | 'float', n: number): number {
  if (kind === 'int' && (n > 2147483647 || n < -2147483648)) throw new RangeError(`integer out of range: ${n}`);
  return n;
}

function roundHalfAway(n: number): number {
  return Math.sign(n) * Math.round(Math.abs(n));
}

/**
 * A LIKE pattern as a regular expression: `%` any run, `_` one character, `\` escapes.
 *
 * @deprecated Backtracking makes patterns with many `%` take exponential time on some texts;
 * queries use {@link likeMatcher}, which does not.
 */
export function likeRegex(pattern: string, flags = 's'): RegExp {
  let source = '^';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\' && i + 1 < pattern.length) source += escapeRegex(pattern[++i]!);
    else if (c === '%') source += '.*';
    else if (c === '_') source += '.';
    else source += escapeRegex(c);
  }
  return new RegExp(`${source}$`, `${flags}u`);
}

function escapeRegex(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

interface SqlFunction {
  readonly min: number;
  readonly max: number;
  /** False for functions that handle NULL arguments themselves (COALESCE). */
  readonly strict?: boolean;
  type(args: readonly ExpressionType[]): ExpressionType;
  apply(args: readonly unknown[]): unknown;
}

const firstKnown = (args: readonly ExpressionType[]): ExpressionType => args.find((t) => t !== 'unknown') ?? 'unknown';

/** The scalar functions a query may call. */
const FUNCTIONS: Readonly<Record<string, SqlFunction>> = {
  lower: { min: 1, max: 1, type: () => 'text', apply: ([s]) => sqlValueText(s).toLowerCase() },
  upper: { min: 1, max: 1, type: () => 'text', apply: ([s]) => sqlValueText(s).toUpperCase() },
  length: { min: 1, max: 1, type: () => 'integer', apply: ([s]) => [...sqlValueText(s)].length },
  char_length: { min: 1, max: 1, type: () => 'integer', apply: ([s]) => [...sqlValueText(s)].length },
  trim: { min: 1, max: 1, type: () => 'text', apply: ([s]) => sqlValueText(s).trim() },
  substr: {
    min: 2,
    max: 3,
    type: () => 'text',
    apply: ([s, start, count]) => {
      const chars = [...sqlValueText(s)];
      const from = Number(start) - 1;
      const end = count === undefined ? chars.length : from + Number(count);
      return chars.slice(Math.max(0, from), Math.max(0, end)).join('');
    },
  },
  concat: { min: 1, max: 100, strict: false, type: () => 'text', apply: (args) => args.map((a) => (a === null ? '' : sqlValueText(a))).join('') },
  coalesce: { min: 1, max: 100, strict: false, type: firstKnown, apply: (args) => args.find((a) => a !== null) ?? null },
  nullif: { min: 2, max: 2, strict: false, type: firstKnown, apply: ([a, b]) => (a !== null && b !== null && compareValues(a, b) === 0 ? null : a) },
  abs: {
    min: 1,
    max: 1,
    type: firstKnown,
    apply: ([v]) => (v instanceof Decimal ? (v.unscaled < 0n ? v.neg() : v) : typeof v === 'bigint' ? (v < 0n ? -v : v) : Math.abs(Number(v))),
  },
  round: {
    min: 1,
    max: 2,
    type: (args) => args[0] ?? 'unknown',
    apply: ([v, places]) => {
      const scale = places === undefined ? 0 : Number(places);
      if (v instanceof Decimal) return v.rescale(Math.max(0, scale));
      if (typeof v === 'bigint') return v;
      const factor = 10 ** scale;
      return roundHalfAway(Number(v) * factor) / factor;
    },
  },
  floor: { min: 1, max: 1, type: firstKnown, apply: ([v]) => (v instanceof Decimal ? floorDecimal(v) : typeof v === 'bigint' ? v : Math.floor(Number(v))) },
  ceil: { min: 1, max: 1, type: firstKnown, apply: ([v]) => (v instanceof Decimal ? floorDecimal(v.neg()).neg() : typeof v === 'bigint' ? v : Math.ceil(Number(v))) },
};

function floorDecimal(v: Decimal): Decimal {
  const whole = v.rescale(0);
  return whole.compare(v) > 0 ? whole.sub(new Decimal(1n)) : whole;
}


/** The names of a source's columns for a message, the first 30 (a wide schema would flood it). */
function columnList(columns: readonly { readonly name: string }[]): string {
  const shown = columns.slice(0, 30).map((c) => c.name).join(', ');
  return columns.length > 30 ? `${shown}, ... (${columns.length} in all)` : shown;
}

/**
 * `row[name] ?? null`; for `__proto__` only the row's own key (a row without it would otherwise
 * read `Object.prototype`).
 */
function readColumn(name: string): (row: Row) => unknown {
  if (name === '__proto__') return (row) => (Object.hasOwn(row, name) ? (row[name] ?? null) : null);
  return (row) => row[name] ?? null;
}
