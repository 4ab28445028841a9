import type { JsonValue } from './Json.js';
import { MicroDate } from './MicroDate.js';

/**
 * How a table's rows go into the state store and come back. The default,
 * {@link defaultTableRowCodec}, keeps every JSON value plus `bigint`, `Uint8Array`, `Date`,
 * `undefined` and non-finite numbers exactly; a row holding any other class instance (a SQL
 * `Decimal`, say) makes it throw naming the column, so the table fails loudly instead of
 * restoring something else: pass a codec that knows the class.
 */
export interface TableRowCodec {
  encode(row: Readonly<Record<string, unknown>>): JsonValue;
  decode(value: JsonValue): Record<string, unknown>;
}

/**
 * The default {@link TableRowCodec}. Strings, booleans, `null`, finite numbers and arrays are
 * stored as they are; every object in the stored form is a one-key tag, so no user value can be
 * mistaken for one: `{"o": {...}}` a plain object, `{"i": "123"}` a bigint, `{"b": "base64"}`
 * a Node `Buffer`, `{"y": "base64"}` any other `Uint8Array`, `{"d": "iso"}` a Date (six fractional digits: a `MicroDate`),
 * `{"f": "NaN"}` a non-finite number, `{"u": 0}` undefined.
 *
 * Bytes come back as the class they went in as, so a row reads the same before and after a
 * restart (connectors give `Buffer`s; `JSON.stringify` and `toString` differ between the two).
 * Where there is no `Buffer` (a browser), `b` gives a `Uint8Array`.
 *
 * @example
 * const json = defaultTableRowCodec.encode({ id: 2n ** 64n, tags: ['a'] }); // { id: { i: '18446744073709551616' }, tags: ['a'] }
 * defaultTableRowCodec.decode(json); // { id: 18446744073709551616n, tags: ['a'] }
 */
export const defaultTableRowCodec: TableRowCodec = (() => {
  const columns = columnRowCodec(encodeValue, decodeValue);
  return {
    encode(row) {
      // The common row holds only strings, finite numbers, booleans and nulls: it is its own
      // stored form (stores serialize what they are given; an OP symbol is not JSON and is left
      // out). A copy per row was most of the cost of a table's full checkpoint.
      if (isPlainJsonRow(row)) return row as unknown as JsonValue;
      return columns.encode(row);
    },
    decode: (value) => columns.decode(value),
  };
})();

/**
 * A {@link TableRowCodec} storing a row as an object of its columns, each encoded and decoded
 * on its own by the functions given: the shape every row codec shares, whatever its values.
 *
 * @example
 * const codec = columnRowCodec((v) => String(v), (v) => Number(v)); // numbers stored as text
 */
export function columnRowCodec(encodeValue: (value: unknown, column: string) => JsonValue, decodeValue: (value: JsonValue) => unknown): TableRowCodec {
  return {
    encode(row) {
      const out: Record<string, JsonValue> = {};
      for (const key of Object.keys(row)) out[key] = encodeValue(row[key], key);
      return out;
    },
    decode(value) {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('a stored table row is not an object');
      const out: Record<string, unknown> = {};
      for (const key of Object.keys(value)) out[key] = decodeValue(value[key] as JsonValue);
      return out;
    },
  };
}

function isPlainJsonRow(row: Readonly<Record<string, unknown>>): boolean {
  if (Object.getPrototypeOf(row) !== Object.prototype) return false;
  for (const key in row) {
    const value = row[key];
    switch (typeof value) {
      case 'string':
      case 'boolean':
        continue;
      case 'number':
        if (Number.isFinite(value)) continue;
        return false;
      case 'object':
        if (value === null) continue;
        return false;
      default:
        return false;
    }
  }
  return true;
}

function encodeValue(value: unknown, column: string): JsonValue {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value) ? value : { f: String(value) };
    case 'bigint':
      return { i: value.toString() };
    case 'undefined':
      return { u: 0 };
    case 'object': {
      if (value === null) return null;
      if (Array.isArray(value)) return value.map((v) => encodeValue(v, column));
      if (value instanceof Uint8Array) return NodeBuffer?.isBuffer(value) === true ? { b: toBase64(value) } : { y: toBase64(value) };
      if (value instanceof Date) return { d: Number.isNaN(value.getTime()) ? 'NaN' : value.toISOString() };
      const proto: unknown = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) {
        const name = (value as { constructor?: { name?: string } }).constructor?.name ?? 'object';
        throw new Error(`column "${column}" holds a ${name}, which the default table row codec cannot store: pass a codec that does`);
      }
      const out: Record<string, JsonValue> = {};
      const object = value as Record<string, unknown>;
      for (const key of Object.keys(object)) out[key] = encodeValue(object[key], column);
      return { o: out };
    }
    default:
      throw new Error(`column "${column}" holds a ${typeof value}, which the default table row codec cannot store`);
  }
}

function decodeValue(value: JsonValue): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map(decodeValue);
  const [tag] = Object.keys(value);
  const inner = value[tag as string] as JsonValue;
  switch (tag) {
    case 'o': {
      const object = inner as Record<string, JsonValue>;
      const out: Record<string, unknown> = {};
      for (const key of Object.keys(object)) out[key] = decodeValue(object[key] as JsonValue);
      return out;
    }
    case 'i':
      return BigInt(inner as string);
    case 'b': {
      const bytes = fromBase64(inner as string);
      return NodeBuffer === undefined ? bytes : NodeBuffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    }
    case 'y':
      return fromBase64(inner as string);
    case 'd':
      // Six fractional digits: a MicroDate's text (a Date's has three).
      if (inner !== 'NaN' && /\.\d{6}Z$/.test(inner as string)) return MicroDate.fromText(inner as string) ?? new Date(inner as string);
      return new Date(inner === 'NaN' ? NaN : (inner as string));
    case 'f':
      return Number(inner);
    case 'u':
      return undefined;
    default:
      throw new Error(`a stored table value has an unknown tag ${JSON.stringify(tag)}`);
  }
}

/** The shape of Node's `Buffer` this codec uses; looked up on `globalThis`, since the core runs in browsers too. */
interface BufferClass {
  isBuffer(value: unknown): boolean;
  from(buffer: ArrayBufferLike, byteOffset: number, length: number): Uint8Array;
}
const NodeBuffer = (globalThis as { Buffer?: BufferClass }).Buffer;

// btoa/atob rather than Buffer: the core runs in browsers too.
function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

function fromBase64(text: string): Uint8Array {
  const binary = atob(text);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}
