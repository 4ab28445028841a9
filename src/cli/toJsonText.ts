import { Decimal } from '../sql/Decimal.js';
import { sqlValueText } from '../sql/sqlValueText.js';

/**
 * JSON text of a row value that keeps every digit: BIGINT (`bigint`) and NUMERIC ({@link Decimal})
 * values are written as JSON *numbers* with their exact digits (`JSON.stringify` throws on a
 * bigint, and a double would round `9007199254740993`). A reader that parses numbers into
 * doubles will round them; one that keeps big numbers (Python, Java, jq 1.7) gets them exact.
 *
 * Other values: a `Date` (TIMESTAMPTZ) as an ISO 8601 string, bytes (BYTEA) as PostgreSQL's
 * `"\\x0a1b"` text, NaN and ±Infinity as the strings `"NaN"`, `"Infinity"`, `"-Infinity"`
 * (JSON has no such numbers), `undefined` as `null`.
 *
 * @example
 * toJsonText({ id: 9007199254740993n, price: Decimal.parse('1.10') }) // '{"id":9007199254740993,"price":1.10}'
 */
export function toJsonText(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'bigint':
      return value.toString();
    case 'number':
      return Number.isFinite(value) ? String(value) : `"${value}"`;
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
  if (Array.isArray(value)) return `[${value.map(toJsonText).join(',')}]`;
  const record = value as Record<string, unknown>;
  let text = '{';
  let first = true;
  for (const key in record) {
    if (!Object.hasOwn(record, key)) continue;
    text += `${first ? '' : ','}${quotedKey(key)}:${toJsonText(record[key])}`;
    first = false;
  }
  return `${text}}`;
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
