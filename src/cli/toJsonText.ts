import { Decimal } from '../sql/Decimal.js';
import { sqlValueText } from '../sql/sqlValueText.js';
import { numberText } from './numberText.js';

/**
 * JSON text of a row value that keeps every digit: BIGINT (`bigint`) and NUMERIC ({@link Decimal})
 * values are written as JSON *numbers* with their exact digits (`JSON.stringify` throws on a
 * bigint, and a double would round `9007199254740993`). A reader that parses numbers into
 * doubles will round them; one that keeps big numbers (Python, Java, jq 1.7) gets them exact.
 *
 * Other values: a `Date` (TIMESTAMPTZ) as an ISO 8601 string, bytes (BYTEA) as PostgreSQL's
 * `"\\x0a1b"` text, NaN and ±Infinity as the strings `"NaN"`, `"Infinity"`, `"-Infinity"`
 * (JSON has no such numbers), `undefined` as `null`. Any depth of nesting is written (deep
 * values without recursion); a value that contains itself is a `TypeError`.
 *
 * @example
 * toJsonText({ id: 9007199254740993n, price: Decimal.parse('1.10') }) // '{"id":9007199254740993,"price":1.10}'
 */
export function toJsonText(value: unknown): string {
  return text(value, 0);
}

/**
 * The JSON text of one value inside a row: the same as {@link toJsonText}, with strings and
 * finite numbers (most values of most rows) written without the general dispatch.
 */
export function valueJsonText(value: unknown): string {
  if (typeof value === 'string') return stringText(value);
  if (typeof value === 'number' && Number.isFinite(value)) return numberText(value);
  return text(value, 1);
}

/** What JSON.stringify escapes in a string (and any surrogate: a lone one is escaped too). */
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/**
 * `JSON.stringify(text)`: most strings need no escape, and testing for one then quoting is
 * 1.6x faster than the general call (measured on TPC-H text columns).
 */
function stringText(text: string): string {
  return NEEDS_ESCAPE.test(text) ? JSON.stringify(text) : `"${text}"`;
}

/**
 * What goes before each value of a row with these keys, in order: `{"a":`, `,"b":` ... The text
 * of a row `{a, b}` is `prefixes[0] + valueJsonText(a) + prefixes[1] + valueJsonText(b) + '}'`,
 * the same as `toJsonText` of the row object (for a row without keys: `'{}'`).
 */
export function jsonKeyPrefixes(keys: readonly string[]): string[] {
  return keys.map((key, i) => `${i === 0 ? '{' : ','}${JSON.stringify(key)}:`);
}

/**
 * The JSON text of rows with these keys, the keys in this order: what {@link toJsonText} writes,
 * except that an object puts integer-like keys (`"1"`) before the others, and a SQL result's
 * columns are in the order the query declared them (the order the CLI's generated writer uses,
 * see `rowLineWriter`). A row whose own keys are not exactly `keys` is written by toJsonText.
 *
 * @example
 * rowJsonWriter(['b', '1'])({ b: 2, 1: 'x' }) // '{"b":2,"1":"x"}' (toJsonText: '{"1":"x","b":2}')
 */
export function rowJsonWriter(keys: readonly string[]): (row: Record<string, unknown>) => string {
  const prefixes = jsonKeyPrefixes(keys);
  const width = keys.length;
  return (row) => {
    if (width === 0 || Object.keys(row).length !== width) return toJsonText(row);
    let out = '';
    for (let i = 0; i < width; i++) {
      const key = keys[i]!;
      if (!Object.hasOwn(row, key)) return toJsonText(row);
      out += prefixes[i]! + valueJsonText(row[key]);
    }
    return `${out}}`;
  };
}

/**
 * Nesting the recursive writer handles; deeper subtrees go to {@link deepText}, which needs no
 * stack (a 100 000-deep JSON document must not end the run with "Maximum call stack size
 * exceeded"), while the common shallow row keeps the faster recursive path.
 */
const MAX_RECURSION = 256;

function text(value: unknown, depth: number): string {
  const leaf = leafText(value);
  if (leaf !== undefined) return leaf;
  if (depth >= MAX_RECURSION) return deepText(value);
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) out += `${i === 0 ? '' : ','}${text(value[i], depth + 1)}`;
    return `${out}]`;
  }
  const record = value as Record<string, unknown>;
  let out = '{';
  let first = true;
  for (const key in record) {
    if (!Object.hasOwn(record, key)) continue;
    out += `${first ? '' : ','}${quotedKey(key)}:${text(record[key], depth + 1)}`;
    first = false;
  }
  return `${out}}`;
}

/** The text of a value that is not an array or a plain object; `undefined` for those two. */
function leafText(value: unknown): string | undefined {
  switch (typeof value) {
    case 'string':
      return stringText(value);
    case 'bigint':
      return value.toString();
    case 'number':
      return Number.isFinite(value) ? numberText(value) : `"${value}"`;
    case 'boolean':
      return value ? 'true' : 'false';
    case 'undefined':
    case 'function':
    case 'symbol':
      return 'null';
    case 'object':
      break;
  }
  if (value === null) return 'null';
  if (value instanceof Decimal) return value.toString();
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'null' : JSON.stringify(value.toISOString());
  if (value instanceof Uint8Array) return JSON.stringify(sqlValueText(value));
  return undefined;
}

/** An array being written, or an object with its keys, and how far it got. */
type Frame = { readonly items: readonly unknown[]; readonly keys: undefined; readonly container: object; i: number } | { readonly items: undefined; readonly keys: readonly string[]; readonly container: Record<string, unknown>; i: number };

/** The same text as {@link text}, with an explicit stack instead of recursion; rejects cycles. */
function deepText(root: unknown): string {
  const parts: string[] = [];
  const stack: Frame[] = [];
  const open = new Set<object>();
  const enter = (value: unknown): void => {
    const leaf = leafText(value);
    if (leaf !== undefined) {
      parts.push(leaf);
      return;
    }
    const container = value as object;
    if (open.has(container)) throw new TypeError('cannot write a value that contains itself as JSON');
    open.add(container);
    if (Array.isArray(container)) {
      parts.push('[');
      stack.push({ items: container, keys: undefined, container, i: 0 });
    } else {
      parts.push('{');
      const record = container as Record<string, unknown>;
      stack.push({ items: undefined, keys: Object.keys(record), container: record, i: 0 });
    }
  };
  enter(root);
  while (stack.length > 0) {
    const frame = stack[stack.length - 1]!;
    if (frame.items !== undefined) {
      if (frame.i < frame.items.length) {
        if (frame.i > 0) parts.push(',');
        enter(frame.items[frame.i++]);
        continue;
      }
      parts.push(']');
    } else {
      if (frame.i < frame.keys.length) {
        const key = frame.keys[frame.i++]!;
        parts.push(frame.i > 1 ? `,${quotedKey(key)}:` : `${quotedKey(key)}:`);
        enter(frame.container[key]);
        continue;
      }
      parts.push('}');
    }
    open.delete(frame.container);
    stack.pop();
  }
  return parts.join('');
}

// Rows of one query share their column names: quoting each name once, not once a row, was a
// quarter of the CLI's time per row in the profile. Bounded, for rows with ever-new keys.
const quotedKeys = new Map<string, string>();

function quotedKey(key: string): string {
  let quoted = quotedKeys.get(key);
  if (quoted === undefined) {
    quoted = JSON.stringify(key);
    if (quotedKeys.size < 4096) quotedKeys.set(key, quoted);
  }
  return quoted;
}
