import type { Row } from '../formats/Format.js';
import { MAX_GENERATED_COLUMNS } from '../sql/createRowConverter.js';
import { Decimal } from '../sql/Decimal.js';
import type { ExpressionType } from '../sql/compileExpression.js';
import { numberText } from './numberText.js';
import { jsonKeyPrefixes, valueJsonText } from './toJsonText.js';

/** Writes one record's output values as an NDJSON line (with its `\n`). */
export type RowLineWriter = (record: Row) => string;

/** What JSON.stringify escapes in a string (and any surrogate): such a string takes the general path. */
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** The JS value a column of this SQL type holds when it is not NULL, for the expected-shape test. */
type Shape = 'string' | 'number' | 'bigint' | 'decimal' | 'any';

function shapeOf(type: ExpressionType): Shape {
  switch (type) {
    case 'varchar':
    case 'char':
    case 'text':
      return 'string';
    case 'smallint':
    case 'integer':
    case 'real':
    case 'double precision':
      return 'number';
    case 'bigint':
      return 'bigint';
    case 'numeric':
      return 'decimal';
    default:
      return 'any';
  }
}

/**
 * A writer specialised to one query's output columns: the same text as {@link valueJsonText}
 * after each key prefix (so, as `toJsonText` of the projected row), made in one expression per
 * row. Why generated: the per-value loop (`text += prefix + valueJsonText(v)`) made a rope of ~30
 * pieces a row that the output's UTF-8 encoding then had to flatten (16 % of the CLI's CPU, the
 * largest single cost in its profile); one concatenation with the keys and quotes as constants
 * makes fewer pieces a row and no per-value calls: text and encoding of the TPC-H `part` rows
 * took 0.55-0.6x the time of the loop's (300k rows, measured side by side).
 *
 * A row whose values all have the shape their column's SQL type promises (a string needing no
 * escape, a finite number, a bigint, a `Decimal`) takes that expression; any other row (a NULL,
 * a string with a quote, NaN, a value of another type) is written by the general per-value path,
 * so the text never depends on the types being right.
 *
 * No input text reaches the generated code: keys, column names and evaluators are passed in as
 * values, and the code itself is built only from column indexes and shapes.
 *
 * @example
 * const line = rowLineWriter(['id', 'price'], ['integer', 'numeric'], [(r) => r.id, (r) => r.price], ['id', 'price']);
 * line({ id: 7, price: Decimal.parse('901.00') }) // '{"id":7,"price":901.00}\n'
 */
export function rowLineWriter(
  names: readonly string[],
  types: readonly ExpressionType[],
  evaluators: readonly ((row: Row) => unknown)[],
  reads: readonly (string | undefined)[] = [],
): RowLineWriter {
  const prefixes = jsonKeyPrefixes(names);
  const width = evaluators.length;
  const general = (values: readonly unknown[]): string => {
    if (width === 0) return '{}\n';
    let text = '';
    for (let c = 0; c < width; c++) text += prefixes[c]! + valueJsonText(values[c]);
    return `${text}}\n`;
  };
  if (width === 0) return () => '{}\n';
  // Too wide for one generated function (V8's parser runs out of stack near 150k columns).
  if (width > MAX_GENERATED_COLUMNS) {
    const values: unknown[] = new Array(width);
    return (record) => {
      for (let c = 0; c < width; c++) values[c] = evaluators[c]!(record);
      return general(values);
    };
  }
  const shapes = types.map(shapeOf);
  const lines: string[] = [];
  const tests: string[] = [];
  // The line as constant text and value expressions; adjacent constants are merged into one
  // piece (`","p_name":"` holds the closing quote, the next key and the opening quote).
  const terms: Array<{ readonly text: string } | { readonly code: string }> = [];
  for (let c = 0; c < width; c++) {
    const v = `v${c}`;
    // A plain column read is done here (`row[name] ?? null`, as its evaluator does): a property
    // load with its own inline cache per column instead of a call into one shared closure.
    // `__proto__` keeps its evaluator, which reads only the row's own key.
    lines.push(reads[c] === undefined || reads[c] === '__proto__' ? `const ${v} = e[${c}](r);` : `const ${v} = r[n[${c}]] ?? null;`);
    terms.push({ text: prefixes[c]! });
    switch (shapes[c] ?? 'any') {
      case 'string':
        tests.push(`typeof ${v} === 'string' && !x.test(${v})`);
        terms.push({ text: '"' }, { code: v }, { text: '"' });
        break;
      case 'number':
        tests.push(`typeof ${v} === 'number' && Number.isFinite(${v})`);
        // Not `'' + v`: see numberText (V8's number-to-string cache promotes every key's text).
        terms.push({ code: `q(${v})` });
        break;
      case 'bigint':
        tests.push(`typeof ${v} === 'bigint'`);
        terms.push({ code: `'' + ${v}` });
        break;
      case 'decimal':
        tests.push(`${v} instanceof D`);
        terms.push({ code: `${v}.toString()` });
        break;
      default:
        terms.push({ code: `t(${v})` });
    }
  }
  terms.push({ text: '}\n' });
  const constants: string[] = [];
  const pieces: string[] = [];
  let pending: string | undefined;
  for (const term of terms) {
    if ('text' in term) {
      pending = (pending ?? '') + term.text;
      continue;
    }
    if (pending !== undefined) {
      pieces.push(`k[${constants.length}]`);
      constants.push(pending);
      pending = undefined;
    }
    pieces.push(term.code);
  }
  if (pending !== undefined) {
    pieces.push(`k[${constants.length}]`);
    constants.push(pending);
  }
  const all = lines.map((_, c) => `v${c}`).join(', ');
  const body = [
    'return function line(r) {',
    ...lines,
    tests.length === 0 ? '' : `if (!(${tests.join(' && ')})) return g([${all}]);`,
    `return ${pieces.join(' + ')};`,
    '};',
  ].join('\n');
  // Only indexes and fixed identifiers above: no name, value or type text is part of the code.
  const make = new Function('e', 'n', 'k', 'x', 'D', 't', 'g', 'q', body) as (
    e: readonly ((row: Row) => unknown)[],
    n: readonly (string | undefined)[],
    k: readonly string[],
    x: RegExp,
    d: typeof Decimal,
    t: (value: unknown) => string,
    g: (values: readonly unknown[]) => string,
    q: (value: number) => string,
  ) => RowLineWriter;
  return make(evaluators, reads, constants, NEEDS_ESCAPE, Decimal, valueJsonText, general, numberText);
}
