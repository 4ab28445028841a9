import type { JsonValue } from '../core/Json.js';
import { Decimal } from './Decimal.js';
import { setField } from './setField.js';
import { formatSqlType, type SqlType, type SqlValue } from './SqlType.js';
import { MicroDate, instant } from '../core/MicroDate.js';

const INTEGER_RANGES = {
  smallint: [-32768, 32767],
  integer: [-2147483648, 2147483647],
} as const;
const BIGINT_MIN = -(2n ** 63n);
const BIGINT_MAX = 2n ** 63n - 1n;
const INTEGER_TEXT = /^\s*[+-]?\d+\s*$/;
const FLOAT_TEXT = /^\s*(?:[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|[+-]?(?:infinity|inf)|nan)\s*$/i;
const TRUE_TEXT = new Set(['t', 'true', 'y', 'yes', 'on', '1']);
const FALSE_TEXT = new Set(['f', 'false', 'n', 'no', 'off', '0']);
const DATE_TEXT = /^(\d{4})-(\d{1,2})-(\d{1,2})$/;
const TIME_TEXT = /^(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?$/;
const TIMESTAMP_TEXT = /^(\d{4}-\d{1,2}-\d{1,2})(?:[ T](\d{1,2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?))?$/;
const CANONICAL_TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.\d{0,5}[1-9])?$/;
const ZONE_TEXT = /(?:[zZ]|[+-]\d{2}(?::?\d{2})?)$/;

/** How {@link convertValue} reads strings. */
export interface ConvertOptions {
  /**
   * Values come from a text format (CSV): a string for a JSONB column is JSON text to parse.
   * From JSON or Avro, a string for a JSONB column is a JSON string value.
   */
  readonly textInput?: boolean;
}

/**
 * Converts a decoded value (or a value being `CAST`) to a SQL type, checking it fits: integer
 * ranges, VARCHAR/CHAR lengths, NUMERIC precision and scale, date and time syntax. `null` and
 * `undefined` give `null`. Throws an `Error` saying what was expected and what was found; the
 * caller adds the column name.
 *
 * Strings are accepted for every type (their text form, as PostgreSQL reads them), so CSV works
 * and JSON producers can quote big numbers. A JSON *number* for a BIGINT column beyond ±2^53 is
 * rejected rather than silently rounded: `JSON.parse` has already lost its digits.
 *
 * @example
 * convertValue('42', { name: 'bigint' }) // 42n
 * convertValue('12.345', { name: 'numeric', precision: 5, scale: 2 }).toString() // '12.35'
 */
export function convertValue(value: unknown, type: SqlType, options: ConvertOptions = {}): SqlValue | null {
  if (value === null || value === undefined) return null;
  switch (type.name) {
    case 'smallint':
    case 'integer':
      return toInteger(value, { name: type.name });
    case 'bigint':
      return toBigint(value);
    case 'real':
    case 'double precision':
      return toFloat(value, type);
    case 'numeric':
      return toNumeric(value, type);
    case 'boolean':
      return toBoolean(value);
    case 'varchar':
    case 'char':
    case 'text':
      return toText(value, type);
    case 'date':
      return toDate(value);
    case 'time':
      return toTime(value);
    case 'timestamp':
      return toTimestamp(value);
    case 'timestamptz':
      return toTimestamptz(value);
    case 'bytea':
      return toBytea(value);
    case 'jsonb':
      return toJsonb(value, options.textInput === true);
    case 'struct':
      return toStruct(value, type, options);
    case 'array':
      return toArray(value, type, options);
  }
}

/**
 * A STRUCT value: an object (or, from a text format, its JSON text) whose declared fields are
 * converted one by one; a missing field is NULL, an undeclared one is dropped (RisingWave does
 * the same). An error names the field path: `field "b": expected INTEGER, got "x"`.
 */
function toStruct(value: unknown, type: SqlType, options: ConvertOptions): { [field: string]: unknown } {
  const object = typeof value === 'string' && options.textInput === true ? parseJsonText(value, type) : value;
  if (typeof object !== 'object' || object === null || Array.isArray(object) || object instanceof Uint8Array || object instanceof Date || object instanceof Decimal) {
    throw mismatch(value, type);
  }
  const source = object as Record<string, unknown>;
  const out: { [field: string]: unknown } = {};
  for (const field of type.fields ?? []) {
    // A JSON object's own fields only: `constructor` is no field.
    const raw = Object.hasOwn(source, field.name) ? source[field.name] : undefined;
    try {
      // Nested values are JSON already, never text to parse again.
      setField(out, field.name, convertValue(raw, field.type, {}));
    } catch (err) {
      throw new Error(`field "${field.name}": ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
  }
  return out;
}

/** An array value: a JSON array (or its JSON text from a text format), every element converted. */
function toArray(value: unknown, type: SqlType, options: ConvertOptions): unknown[] {
  const array = typeof value === 'string' && options.textInput === true ? parseJsonText(value, type) : value;
  if (!Array.isArray(array)) throw mismatch(value, type);
  const element = type.element ?? { name: 'jsonb' };
  return array.map((item: unknown, i) => {
    try {
      return convertValue(item, element, {});
    } catch (err) {
      throw new Error(`element ${i + 1}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
  });
}

function parseJsonText(text: string, type: SqlType): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`expected ${formatSqlType(type)} as JSON text, got ${describeValue(text)}`);
  }
}

/** A short, safe rendering of a value for an error message. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'bigint') return `${value}`;
  if (value instanceof Decimal) return value.toString();
  if (value instanceof Uint8Array) return `${value.length} bytes`;
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'object' && value !== null) return Array.isArray(value) ? 'an array' : 'an object';
  return String(value);
}

function mismatch(value: unknown, type: SqlType): Error {
  const kind = typeof value === 'string' || (typeof value === 'object' && !(value instanceof Decimal) && !(value instanceof Date)) ? '' : `${typeofValue(value)} `;
  return new Error(`expected ${formatSqlType(type)}, got ${kind}${describeValue(value)}`);
}

function typeofValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (value instanceof Uint8Array) return 'bytes';
  return typeof value;
}

function toInteger(value: unknown, type: SqlType & { name: 'smallint' | 'integer' }): number {
  let n: number;
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw mismatch(value, type);
    n = value;
  } else if (typeof value === 'bigint') {
    n = Number(value);
  } else if (typeof value === 'string' && INTEGER_TEXT.test(value)) {
    n = Number(value);
  } else if (value instanceof Decimal && value.rescale(0).equals(value)) {
    n = value.toNumber();
  } else {
    throw mismatch(value, type);
  }
  const [min, max] = INTEGER_RANGES[type.name];
  if (n < min || n > max) throw new Error(`${describeValue(value)} is out of range for ${formatSqlType(type)}`);
  return n;
}

function toBigint(value: unknown): bigint {
  let n: bigint;
  if (typeof value === 'bigint') n = value;
  else if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw mismatch(value, { name: 'bigint' });
    if (!Number.isSafeInteger(value)) {
      throw new Error(
        `BIGINT ${value} is beyond ±2^53 and arrived as a JS number, so its digits may already be lost: send it as a string`,
      );
    }
    n = BigInt(value);
  } else if (typeof value === 'string' && INTEGER_TEXT.test(value)) n = BigInt(value.trim());
  else if (value instanceof Decimal && value.rescale(0).equals(value)) n = value.rescale(0).unscaled;
  else throw mismatch(value, { name: 'bigint' });
  if (n < BIGINT_MIN || n > BIGINT_MAX) throw new Error(`${describeValue(value)} is out of range for BIGINT`);
  return n;
}

function toFloat(value: unknown, type: SqlType): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (value instanceof Decimal) return value.toNumber();
  if (typeof value === 'string' && FLOAT_TEXT.test(value)) {
    const t = value.trim().toLowerCase().replace(/^([+-]?)inf$/, '$1infinity');
    if (t === 'nan') return NaN;
    if (t.endsWith('infinity')) return t.startsWith('-') ? -Infinity : Infinity;
    return Number(t);
  }
  throw mismatch(value, type);
}

function toNumeric(value: unknown, type: SqlType): Decimal {
  let d: Decimal;
  if (value instanceof Decimal) d = value;
  else if (typeof value === 'bigint') d = new Decimal(value);
  else if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw mismatch(value, type);
    d = Decimal.from(value);
  } else if (typeof value === 'string') {
    try {
      d = Decimal.parse(value);
    } catch {
      throw mismatch(value, type);
    }
  } else throw mismatch(value, type);
  if (type.precision === undefined) return d;
  const scale = type.scale ?? 0;
  const fitted = d.rescale(scale);
  // At most precision - scale digits before the point <=> |unscaled| < 10^precision at this
  // scale: a bigint comparison instead of the digits' text.
  const unscaled = fitted.unscaled < 0n ? -fitted.unscaled : fitted.unscaled;
  if (type.precision < scale ? fitted.integerDigits > type.precision - scale : unscaled >= powerOfTen(type.precision)) {
    throw new Error(
      `${describeValue(value)} overflows ${formatSqlType(type)}: at most ${type.precision - scale} digits before the point`,
    );
  }
  return fitted;
}

const POWERS_OF_TEN: bigint[] = [];

/** 10^n as a bigint, computed once per n. */
function powerOfTen(n: number): bigint {
  return (POWERS_OF_TEN[n] ??= 10n ** BigInt(n));
}

function toBoolean(value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string') {
    const t = value.trim().toLowerCase();
    if (TRUE_TEXT.has(t)) return true;
    if (FALSE_TEXT.has(t)) return false;
  }
  throw mismatch(value, { name: 'boolean' });
}

function toText(value: unknown, type: SqlType): string {
  let s: string;
  if (typeof value === 'string') s = value;
  else if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean' || value instanceof Decimal) {
    s = String(value);
  } else throw mismatch(value, type);
  // A string has at most as many characters (code points) as UTF-16 units: only a longer one
  // needs counting (iterating every value by code point was a few % of a CSV scan).
  if (type.length !== undefined && s.length > type.length) {
    let chars = 0;
    for (const _ of s) chars++;
    if (chars > type.length) {
      throw new Error(`${chars} characters exceed ${formatSqlType(type)}`);
    }
  }
  return s;
}

function pad(n: number | string, width: number): string {
  return String(n).padStart(width, '0');
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

function checkDate(y: number, m: number, d: number, value: unknown): string {
  if (m < 1 || m > 12 || d < 1 || d > daysInMonth(y, m)) throw new Error(`${describeValue(value)} is not a valid date`);
  return `${pad(y, 4)}-${pad(m, 2)}-${pad(d, 2)}`;
}

function toDate(value: unknown): string {
  if (value instanceof Date) return value.toISOString().slice(0, 10);
  if (typeof value === 'string') {
    const m = DATE_TEXT.exec(value.trim());
    if (m !== null) return checkDate(Number(m[1]), Number(m[2]), Number(m[3]), value);
  }
  throw mismatch(value, { name: 'date' });
}

function normalizeTime(text: string, value: unknown): string {
  const m = TIME_TEXT.exec(text);
  if (m === null) throw mismatch(value, { name: 'time' });
  const h = Number(m[1]);
  const min = Number(m[2]);
  const s = Number(m[3] ?? '0');
  if (h > 24 || min > 59 || s > 60 || (h === 24 && (min > 0 || s > 0))) {
    throw new Error(`${describeValue(value)} is not a valid time`);
  }
  const fraction = m[4] === undefined ? '' : `.${m[4].slice(0, 6).replace(/0+$/, '')}`;
  return `${pad(h, 2)}:${pad(min, 2)}:${pad(s, 2)}${fraction === '.' ? '' : fraction}`;
}

function toTime(value: unknown): string {
  if (typeof value === 'string') return normalizeTime(value.trim(), value);
  throw mismatch(value, { name: 'time' });
}

function formatUtc(date: Date): string {
  const iso = date.toISOString(); // 2024-01-31T13:45:00.123Z (a MicroDate: .123456Z)
  const ms = iso.slice(20, -1).replace(/0+$/, '');
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${ms === '' ? '' : `.${ms}`}`;
}

function toTimestamp(value: unknown): string {
  if (value instanceof Date) return formatUtc(value);
  if (typeof value === 'number' && Number.isFinite(value)) return formatUtc(new Date(value));
  if (typeof value === 'string') {
    // Fast path: already canonical (`2024-01-31 13:45:00[.123]`), returned as is once checked.
    const c = CANONICAL_TIMESTAMP.exec(value);
    if (c !== null) {
      const y = Number(c[1]);
      const mo = Number(c[2]);
      const d = Number(c[3]);
      if (mo >= 1 && mo <= 12 && d >= 1 && d <= daysInMonth(y, mo) && Number(c[4]) < 24 && Number(c[5]) < 60 && Number(c[6]) < 60) return value;
    }
    const m = TIMESTAMP_TEXT.exec(value.trim());
    if (m !== null) {
      const [y, mo, d] = m[1]!.split('-').map(Number) as [number, number, number];
      const date = checkDate(y, mo, d, value);
      return `${date} ${normalizeTime(m[2] ?? '00:00:00', value)}`;
    }
  }
  throw mismatch(value, { name: 'timestamp' });
}

function toTimestamptz(value: unknown): Date {
  if (value instanceof Date) return value;
  if (typeof value === 'number' && Number.isFinite(value)) return new Date(value);
  if (typeof value === 'string') {
    let text = value.trim();
    const zone = ZONE_TEXT.exec(text);
    let offset = 'Z';
    if (zone !== null && /[ T\d]/.test(text.charAt(zone.index - 1)) && text.length - zone[0].length > 10) {
      offset = zone[0].toUpperCase() === 'Z' ? 'Z' : normalizeOffset(zone[0]);
      text = text.slice(0, zone.index).trim();
    }
    const local = toTimestamp(text).replace(' ', 'T');
    // Every digit kept: the text may have microseconds, which a Date would cut.
    const micro = MicroDate.fromText(`${local}${offset}`);
    const date = micro === undefined ? new Date(`${local}${offset}`) : instant(micro.getTime(), micro.micros);
    if (!Number.isNaN(date.getTime())) return date;
  }
  throw mismatch(value, { name: 'timestamptz' });
}

function normalizeOffset(offset: string): string {
  const digits = offset.slice(1).replace(':', '');
  return `${offset[0]}${digits.slice(0, 2)}:${digits.slice(2, 4) || '00'}`;
}

function toBytea(value: unknown): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (typeof value === 'string') {
    if (value.startsWith('\\x')) {
      const hex = value.slice(2);
      if (hex.length % 2 === 0 && /^[0-9a-fA-F]*$/.test(hex)) return Uint8Array.from(Buffer.from(hex, 'hex'));
      throw new Error(`${describeValue(value)} is not valid \\x hex for BYTEA`);
    }
    return new TextEncoder().encode(value);
  }
  throw mismatch(value, { name: 'bytea' });
}

function toJsonb(value: unknown, textInput: boolean): JsonValue {
  if (textInput && typeof value === 'string') {
    try {
      return JSON.parse(value) as JsonValue;
    } catch {
      throw new Error(`${describeValue(value)} is not valid JSON`);
    }
  }
  if (isJson(value)) return value;
  throw mismatch(value, { name: 'jsonb' });
}

function isJson(value: unknown): value is JsonValue {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value);
  if (Array.isArray(value)) return value.every(isJson);
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.values(value as object).every(isJson);
  }
  return false;
}
