import type { Row } from './Format.js';

/**
 * The deepest nesting of objects and arrays a JSON record may have (the row object is level 1).
 * Jackson's default (`StreamReadConstraints.DEFAULT_MAX_DEPTH`, 1000 since 2.15): deeper input
 * is a bad record, so that no later recursive step (SQL conversion, JSON output) overflows the
 * stack on it.
 */
export const JSON_MAX_NESTING_DEPTH = 1000;

/** 2^53: an integer literal beyond 2^53 - 1 parses to a number at least this large. */
const TWO_53 = 2 ** 53;

/**
 * Parses UTF-8 JSON text that must be one object. Throws an `Error` saying what was wrong
 * (invalid JSON, a value that is not an object, nesting deeper than {@link JSON_MAX_NESTING_DEPTH}).
 *
 * Integers beyond ±(2^53 - 1) are `bigint`s, exact, where `JSON.parse` would round them; every
 * other number is a JavaScript number. Both checks cost little on ordinary records: the depth is
 * scanned only in text holding more than the limit of `[`/`{`, the text for integer literals only
 * when the parsed value holds a number of magnitude 2^53 or more (a walk over the parsed values,
 * cheaper than a regular expression over the text: +10-15% against +33% on a 130-byte row).
 */
export function parseJsonRow(text: string): Row {
  // parseJsonValue's steps written out, not called: a call less per record while the code is
  // still interpreted, the first thousands of lines of a file.
  if (text.length > JSON_MAX_NESTING_DEPTH) checkDepth(text);
  const value: unknown = JSON.parse(text);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(`expected a JSON object, got ${describeJsonValue(holdsHugeNumber(value) ? exactIntegers(text, value) : value)}`);
  }
  return (holdsHugeNumber(value) ? exactIntegers(text, value) : value) as Row;
}

/**
 * Parses UTF-8 JSON text holding any JSON value, with the same depth limit and exact big
 * integers as {@link parseJsonRow}.
 */
export function parseJsonValue(text: string): unknown {
  if (text.length > JSON_MAX_NESTING_DEPTH) checkDepth(text);
  const value: unknown = JSON.parse(text);
  return holdsHugeNumber(value) ? exactIntegers(text, value) : value;
}

/**
 * The first half of {@link parseJsonValue}: the depth check and `JSON.parse`, leaving integers
 * beyond 2^53 rounded. For a caller that uses only part of the value (a change event's row
 * images) and checks that part itself with {@link holdsUnsafeNumber}, in the pass it makes
 * anyway, then calls {@link exactJsonValue} when it finds one.
 */
export function parseJsonValueRounded(text: string): unknown {
  if (text.length > JSON_MAX_NESTING_DEPTH) checkDepth(text);
  return JSON.parse(text) as unknown;
}

/** `value`, parsed from `text` by {@link parseJsonValueRounded}, with its integers beyond ±(2^53 - 1) exact. */
export function exactJsonValue(text: string, value: unknown): unknown {
  return exactIntegers(text, value);
}

/** Whether a number is at least 2^53 in magnitude: what a rounded integer literal beyond 2^53 - 1 parses to. */
export function isUnsafeNumber(value: number): boolean {
  return value >= TWO_53 || value <= -TWO_53;
}

/** Whether a parsed value holds a number of magnitude 2^53 or more (see {@link parseJsonValue}). */
export function holdsUnsafeNumber(value: unknown): boolean {
  return holdsHugeNumber(value);
}

/** A short description of a JSON value's kind, for errors. */
export function describeJsonValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

/**
 * Whether `value` holds a number of magnitude 2^53 or more: what every integer literal beyond
 * 2^53 - 1 parses to (as do large floats, which the text scan then leaves alone). Recursion is
 * bounded by {@link JSON_MAX_NESTING_DEPTH}, checked first.
 */
function holdsHugeNumber(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return typeof value === 'number' && (value >= TWO_53 || value <= -TWO_53);
  // Leaves are tested here, not in a call each: 37 ns a 16-field lineitem row against 60 ns
  // (200k rows, warm), and the interpreter's first thousands of rows gain more.
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const v: unknown = value[i];
      if (typeof v === 'number' ? v >= TWO_53 || v <= -TWO_53 : typeof v === 'object' && v !== null && holdsHugeNumber(v)) return true;
    }
    return false;
  }
  const row = value as Record<string, unknown>;
  for (const key in row) {
    const v = row[key];
    if (typeof v === 'number' ? v >= TWO_53 || v <= -TWO_53 : typeof v === 'object' && v !== null && holdsHugeNumber(v)) return true;
  }
  return false;
}

/** Counts `char` in `text`, stopping once the count exceeds `max`. `indexOf` is a native scan. */
function countUpTo(text: string, char: string, max: number): number {
  let n = 0;
  for (let i = text.indexOf(char); i !== -1 && n <= max; i = text.indexOf(char, i + 1)) n++;
  return n;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** Throws when objects and arrays nest deeper than the limit (brackets in strings do not count). */
function checkDepth(text: string): void {
  const max = JSON_MAX_NESTING_DEPTH;
  if (countUpTo(text, '[', max) + countUpTo(text, '{', max) <= max) return;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) throw new Error(`JSON nesting deeper than ${max} levels (objects and arrays) at character ${i}`);
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
}

const MAX_SAFE_DIGITS = String(Number.MAX_SAFE_INTEGER);

/** Whether the integer literal `text[start, end)` (digits, after any '-') is beyond 2^53 - 1. */
function isUnsafe(text: string, start: number, end: number): boolean {
  const n = end - start;
  if (n !== MAX_SAFE_DIGITS.length) return n > MAX_SAFE_DIGITS.length;
  return text.slice(start, end) > MAX_SAFE_DIGITS;
}

/**
 * `value` (parsed from `text`) with each integer literal beyond ±(2^53 - 1) as an exact
 * `bigint`; `value` itself when `text` has none (a 16-digit run in a string, a float).
 *
 * `JSON.parse` cannot report a number's source text on Node 20 (the `context` argument of the
 * reviver is newer), so the text is parsed again with those literals turned into strings carrying
 * a marker character, and a reviver turns the marked strings into bigints. The marker is a control
 * character whose `\u00XX` escape the text does not contain, so no string of the input can carry
 * it (control characters must be escaped inside JSON strings).
 */
function exactIntegers(text: string, value: unknown): unknown {
  const spans: number[] = [];
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
      continue;
    }
    if (c === QUOTE) {
      inString = true;
      continue;
    }
    if (c !== 0x2d && (c < 0x30 || c > 0x39)) continue;
    // A number token: '-'? digits, then maybe a fraction or an exponent.
    const start = i;
    const digits = c === 0x2d ? i + 1 : i;
    let j = digits;
    while (j < text.length && isDigit(text.charCodeAt(j))) j++;
    let k = j;
    while (k < text.length && isNumberChar(text.charCodeAt(k))) k++;
    if (k === j && isUnsafe(text, digits, j)) spans.push(start, j);
    i = k - 1;
  }
  if (spans.length === 0) return value;
  const marker = unusedControlCharacter(text);
  if (marker === undefined) throw new Error('an integer beyond 2^53 in a record that escapes every control character: cannot decode it exactly');
  const escaped = `\\u${marker.toString(16).padStart(4, '0')}`;
  let rewritten = '';
  let last = 0;
  for (let s = 0; s < spans.length; s += 2) {
    const start = spans[s] as number;
    const end = spans[s + 1] as number;
    rewritten += `${text.slice(last, start)}"${escaped}${text.slice(start, end)}"`;
    last = end;
  }
  rewritten += text.slice(last);
  return JSON.parse(rewritten, (_key, v: unknown) =>
    typeof v === 'string' && v.charCodeAt(0) === marker ? BigInt(v.slice(1)) : v,
  );
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function isNumberChar(c: number): boolean {
  return isDigit(c) || c === 0x2e || c === 0x65 || c === 0x45 || c === 0x2b || c === 0x2d;
}

/** A control character (U+0001..U+001F) whose escape `\u00XX` does not occur in `text`. */
function unusedControlCharacter(text: string): number | undefined {
  const lower = text.toLowerCase();
  for (let c = 1; c < 0x20; c++) {
    if (!lower.includes(`\\u${c.toString(16).padStart(4, '0')}`)) return c;
  }
  return undefined;
}
