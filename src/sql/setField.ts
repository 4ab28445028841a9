import type { Row } from '../formats/Format.js';

/**
 * `row[name] = value`, except that `__proto__` becomes an own key (as JSON.parse makes it):
 * assigning it would set the row's prototype, losing the column (and a NUMERIC value, a
 * `Decimal`, would make the row an instance of it).
 *
 * @example
 * const row = {};
 * setField(row, '__proto__', 1);
 * JSON.stringify(row) // '{"__proto__":1}'
 */
export function setField(row: Row, name: string, value: unknown): void {
  if (name === '__proto__') Object.defineProperty(row, name, { value, enumerable: true, writable: true, configurable: true });
  else row[name] = value;
}
