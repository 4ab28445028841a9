import type { Row } from './Format.js';

/**
 * Parses UTF-8 JSON text that must be one object. Throws an `Error` saying what was wrong
 * (invalid JSON, or a value that is not an object).
 */
export function parseJsonRow(text: string): Row {
  const value: unknown = JSON.parse(text);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(`expected a JSON object, got ${describeJsonValue(value)}`);
  }
  return value as Row;
}

function describeJsonValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}
