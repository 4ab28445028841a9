import { OP, UNCHANGED, isRetraction, opOf } from '../core/Changelog.js';
import type { Row, RowConverter } from '../formats/Format.js';
import type { Column } from './Column.js';
import { withValuesConverter } from '../formats/ValuesConverter.js';
import { convertValue, type ConvertOptions } from './convertValue.js';
import { formatSqlType, type SqlType, type SqlValue } from './SqlType.js';
import { setField } from './setField.js';

/**
 * Builds the {@link RowConverter} a connector hands its format: each decoded row becomes a row
 * with exactly the declared columns, in declared order, each value checked and converted to its
 * column's type (see `convertValue`). Fields the schema does not declare are dropped; declared
 * columns missing from the row are NULL.
 *
 * Throws an `Error` naming the column on a violation (a NOT NULL column without a value, a
 * string too long, an integer out of range, digits beyond a NUMERIC's precision); the format
 * turns it into a bad record at the row's offset.
 *
 * Field names match column names exactly; unquoted SQL names are lower case, so a JSON field
 * `"Name"` needs the column to be declared as `"Name"`.
 *
 * @example
 * const convert = createRowConverter([{ name: 'id', type: { name: 'bigint' }, notNull: true }]);
 * convert({ id: '9007199254740993' }) // { id: 9007199254740993n }
 */
export function createRowConverter(columns: readonly Column[], options: ConvertOptions = {}): RowConverter {
  const plan = columns.map((column) => ({ ...column, described: `column "${column.name}" (${formatSqlType(column.type)})`, to: valueConverter(column.type, options) }));
  const converter = (row: Row): Row => {
    const out: Row = {};
    // A changelog row keeps its operation; a retraction (an upsert's delete may carry only the
    // key) is not held to NOT NULL: it names a row to remove, not one to store.
    const op = opOf(row);
    // A TRUNCATE has no columns: there is nothing to convert, and NULLs would make it a row.
    if (op === 'truncate') return row;
    const retraction = isRetraction(op);
    if ((row as { [OP]?: unknown })[OP] !== undefined) (out as { [OP]?: unknown })[OP] = op;
    for (const column of plan) {
      const raw = row[column.name];
      // Debezium's unavailable TOASTed value: the table keeps the previous value.
      if (raw === UNCHANGED) {
        setField(out, column.name, UNCHANGED);
        continue;
      }
      let value;
      try {
        value = column.to(raw);
      } catch (err) {
        throw new Error(`${column.described}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
      }
      if (value === null && column.notNull && !retraction) throw new Error(`${column.described} is NOT NULL but the value is missing or null`);
      setField(out, column.name, value);
    }
    return out;
  };
  // Values by position (CSV fields): no operation, no UNCHANGED marker (a text format has
  // neither), so only the conversion and the NOT NULL check; the same messages as above.
  return withValuesConverter(converter, { columns: plan.map((c) => c.name), convert: valuesConverter(plan) });
}

/**
 * Columns past which the by-position conversion is a loop, not generated code: one function
 * of 150 000 statements ends in "Maximum call stack size exceeded" in V8's parser.
 */
export const MAX_GENERATED_COLUMNS = 10_000;

/** What {@link createRowConverter} knows of a column. */
interface PlannedColumn extends Column {
  readonly described: string;
  readonly to: (raw: unknown) => SqlValue | null;
}

/**
 * The by-position conversion of `plan`, as one function generated for it: the row is an object
 * literal with the column names as its keys (one allocation, its shape known in advance) where
 * the loop adds keys one at a time through a store that sees every name. The names enter the
 * code only as JSON string literals (which are valid JavaScript string literals); a column named
 * `__proto__` (which an object literal would take for the prototype) keeps the loop, as does a
 * schema of more than {@link MAX_GENERATED_COLUMNS} columns.
 */
function valuesConverter(plan: readonly PlannedColumn[]): (values: readonly unknown[]) => Row {
  const failed = (i: number, err: unknown): Error => {
    const column = plan[i]!;
    return new Error(`${column.described}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  };
  const missing = (i: number): Error => new Error(`${plan[i]!.described} is NOT NULL but the value is missing or null`);
  // No columns: `{}` (the generated code would declare `let ;`).
  if (plan.length === 0) return () => ({});
  if (plan.length > MAX_GENERATED_COLUMNS || plan.some((c) => c.name === '__proto__')) {
    return (values) => {
      const out: Row = {};
      for (let i = 0; i < plan.length; i++) {
        const column = plan[i]!;
        let value;
        try {
          value = column.to(values[i]);
        } catch (err) {
          throw failed(i, err);
        }
        if (value === null && column.notNull) throw missing(i);
        setField(out, column.name, value);
      }
      return out;
    };
  }
  const lines: string[] = ['return function convert(v) {', 'let i = 0;', 'try {'];
  // Column by column, as the loop: the first column that fails names the error.
  const declared = plan.map((_, i) => `c${i}`).join(', ');
  lines.splice(1, 0, `let ${declared};`);
  plan.forEach((column, i) => {
    lines.push(`i = ${i}; c${i} = t[${i}](v[${i}]);${column.notNull ? ` if (c${i} === null) { i = -1; throw m(${i}); }` : ''}`);
  });
  lines.push('} catch (err) { throw i === -1 ? err : f(i, err); }');
  lines.push(`return { ${plan.map((column, i) => `${JSON.stringify(column.name)}: c${i}`).join(', ')} };`, '};');
  const make = new Function('t', 'f', 'm', lines.join('\n')) as (
    t: readonly ((raw: unknown) => SqlValue | null)[],
    f: (i: number, err: unknown) => Error,
    m: (i: number) => Error,
  ) => (values: readonly unknown[]) => Row;
  return make(
    plan.map((c) => c.to),
    failed,
    missing,
  );
}

/**
 * `convertValue` for one column type, with a shortcut for the strings a text format gives most
 * (an INTEGER's plain digits, a VARCHAR within its length): the same result, without the
 * dispatch on the type and the regular expression of every value (a tenth of a CSV scan).
 */
function valueConverter(type: SqlType, options: ConvertOptions): (raw: unknown) => SqlValue | null {
  const general = (raw: unknown): SqlValue | null => convertValue(raw, type, options);
  switch (type.name) {
    case 'smallint':
    case 'integer': {
      const [min, max] = type.name === 'smallint' ? [-32768, 32767] : [-2147483648, 2147483647];
      return (raw) => {
        if (typeof raw === 'string') {
          const n = plainInteger(raw);
          if (n !== undefined && n >= min && n <= max) return n;
        }
        return general(raw);
      };
    }
    case 'varchar':
    case 'char':
    case 'text': {
      const length = type.length;
      // A string no longer than the limit in UTF-16 units is within it in characters too.
      return length === undefined ? (raw) => (typeof raw === 'string' ? raw : general(raw)) : (raw) => (typeof raw === 'string' && raw.length <= length ? raw : general(raw));
    }
    default:
      return general;
  }
}

/**
 * The value of 1 to 9 ASCII digits with an optional leading `-` (what `Number` gives, `-0`
 * included), or `undefined` for any other text: that goes the general way.
 */
function plainInteger(text: string): number | undefined {
  const negative = text.charCodeAt(0) === 45;
  const from = negative ? 1 : 0;
  const length = text.length;
  if (length === from || length - from > 9) return undefined;
  let n = 0;
  for (let i = from; i < length; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return undefined;
    n = n * 10 + digit;
  }
  return negative ? -n : n;
}
