import { createRequire } from 'node:module';
import type * as Avsc from 'avsc';
import type { Row } from './Format.js';

/** The avsc module, loaded on first use (it is an optional peer dependency). */
export type AvscModule = typeof Avsc;

const missing = "the Avro format needs the optional peer dependency 'avsc': npm install avsc";

/** Loads avsc asynchronously (stream decoding). */
export async function loadAvsc(): Promise<AvscModule> {
  try {
    const mod = (await import('avsc')) as AvscModule & { default?: AvscModule };
    return mod.default ?? mod;
  } catch (err) {
    throw new Error(missing, { cause: err });
  }
}

/**
 * Loads avsc synchronously: `Format.decodeMessage` is synchronous, so the first message cannot
 * await an `import()`. avsc is CommonJS, so `require` works; it still loads only when used.
 */
export function requireAvsc(): AvscModule {
  try {
    return createRequire(import.meta.url)('avsc') as AvscModule;
  } catch (err) {
    throw new Error(missing, { cause: err });
  }
}

/**
 * The part of avsc's internal `Tap` (a buffer and a read position) that readers use. avsc's
 * types read values with `_read(tap)`; decoding through them directly, with one tap per block,
 * saves a tap and a result object per record over `Type.decode`.
 */
interface AvscTap {
  buf: Buffer;
  pos: number;
}

/** avsc types as they are at run time: `_read` is internal but stable across avsc 5.x. */
type ReadableType = Avsc.Type & { _read(tap: AvscTap): unknown };

/**
 * An Avro type for `schema` whose `long` values are `bigint`s, so that values beyond 2^53 are
 * never silently rounded (avsc's default `long` throws or loses precision there). Other types
 * decode as avsc decodes them: `int`/`float`/`double` as numbers, `bytes`/`fixed` as `Buffer`,
 * `enum` as strings, maps as objects, unions as the branch's value when unambiguous (avsc's
 * `wrapUnions: 'auto'`). Logical types decode as their underlying type.
 */
export function avroType(avsc: AvscModule, schema: Avsc.Schema): Avsc.Type {
  return avsc.Type.forSchema(plainLongs(schema as unknown) as Avsc.Schema, { registry: { long: bigintLongType(avsc) }, omitRecordMethods: true });
}

/**
 * `schema` with every `long` written as an object (`{"type": "long", "connect.name": ...}`, as
 * Kafka Connect's Avro converter writes Debezium's timestamps, or with a `logicalType`) turned
 * into the name `"long"`: avsc builds such an object with its own number-based long type, not
 * the registry's, which would round nanosecond timestamps beyond 2^53. Only type positions are
 * rewritten (a record field `{"name": ..., "type": "long"}` is a field, not a type); the
 * attributes dropped are not part of the canonical form, so fingerprints do not change.
 */
function plainLongs(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(plainLongs);
  if (typeof schema !== 'object' || schema === null) return schema;
  const type = schema as Record<string, unknown>;
  switch (type['type']) {
    case 'long':
      return 'long';
    case 'record':
    case 'error':
      return Array.isArray(type['fields'])
        ? { ...type, fields: (type['fields'] as unknown[]).map((f) => (typeof f === 'object' && f !== null ? { ...f, type: plainLongs((f as Record<string, unknown>)['type']) } : f)) }
        : type;
    case 'array':
      return { ...type, items: plainLongs(type['items']) };
    case 'map':
      return { ...type, values: plainLongs(type['values']) };
    default:
      return typeof type['type'] === 'object' ? { ...type, type: plainLongs(type['type']) } : type;
  }
}

/**
 * avsc's documented custom-long hook (`LongType.__with`) unpacks every value into a fresh
 * 8-byte buffer before `fromBuffer` sees it; at three longs a record that was a third of the
 * decoding time. This type keeps those hooks for writing and JSON, but reads the zig-zag varint
 * straight from avsc's buffer: in int32, then double arithmetic while it fits in 49 bits (exact),
 * in bigints beyond.
 * A self-check falls back to the plain hooks if avsc's internals ever differ.
 */
function bigintLongType(avsc: AvscModule): Avsc.Type {
  const hooked = avsc.types.LongType.__with({
    fromBuffer: (buf: Buffer) => buf.readBigInt64LE(),
    toBuffer: (n: bigint) => {
      const buf = Buffer.alloc(8);
      buf.writeBigInt64LE(BigInt(n));
      return buf;
    },
    fromJSON: (value: number | string | bigint) => BigInt(value),
    toJSON: (n: bigint) => (Number.isSafeInteger(Number(n)) ? Number(n) : n.toString()),
    isValid: (n: unknown) => typeof n === 'bigint',
    compare: (a: bigint, b: bigint) => (a === b ? 0 : a < b ? -1 : 1),
  }) as ReadableType;
  if (typeof hooked._read !== 'function') return hooked;
  const direct = Object.freeze(Object.create(hooked, { _read: { value: readBigintLong } })) as ReadableType;
  const probes = [0n, 1n, -1n, 2n ** 48n, -(2n ** 49n), 2n ** 62n + 12345n, 2n ** 63n - 1n, -(2n ** 63n)];
  try {
    for (const n of probes) {
      const bytes = hooked.toBuffer(n);
      const read = direct.decode(bytes, 0);
      if (read.value !== n || read.offset !== bytes.length) return hooked;
    }
  } catch {
    return hooked;
  }
  return direct;
}

const TWO_28 = 2 ** 28;
const TWO_49 = 2 ** 49;

/** Reads a zig-zag varint long as a `bigint`; past the end of the buffer the tap becomes invalid. */
function readBigintLong(tap: AvscTap): bigint {
  const buf = tap.buf;
  let pos = tap.pos;
  // Past the end a byte reads as undefined, i.e. 0 in bit operations: the loop stops and `pos`
  // ends beyond the buffer, which avsc reports as "invalid tap" (the record is incomplete).
  let b = buf[pos++] as number;
  let n = b & 0x7f;
  // Up to 4 bytes (28 bits) in int32 arithmetic, the common case.
  let shift = 7;
  while (b & 0x80 && shift < 28) {
    b = buf[pos++] as number;
    n |= (b & 0x7f) << shift;
    shift += 7;
  }
  if (!(b & 0x80)) {
    tap.pos = pos;
    return BigInt((n >>> 1) ^ -(n & 1));
  }
  // Then up to 7 bytes (49 bits) in doubles, exact below 2^53.
  let scale = TWO_28;
  while (b & 0x80 && scale < TWO_49) {
    b = buf[pos++] as number;
    n += (b & 0x7f) * scale;
    scale *= 0x80;
  }
  if (!(b & 0x80)) {
    tap.pos = pos;
    return BigInt(n % 2 === 1 ? -(n + 1) / 2 : n / 2);
  }
  let u = BigInt(n);
  let at = 49n;
  while (b & 0x80) {
    b = buf[pos++] as number;
    u |= BigInt(b & 0x7f) << at;
    at += 7n;
  }
  tap.pos = pos;
  return BigInt.asIntN(64, (u >> 1n) ^ -(u & 1n));
}

/**
 * A function turning a decoded top-level record into a plain object row. avsc decodes records
 * as instances of generated classes; rows are plain objects, and so are nested records.
 */
export function avroRowMaker(type: Avsc.Type): (value: unknown) => Row {
  if (!containsRecord(type, true)) return (value) => ({ ...(value as Row) });
  return (value) => toPlain(value) as Row;
}

/**
 * Reads the records of one block (or any buffer of consecutive records) as rows, one tap for
 * the whole block. For a top-level record type the row is built directly as a plain object
 * (no avsc record instance to copy); only fields holding nested records go through
 * {@link toPlain}. Results equal `avroRowMaker(type)(type.decode(buf, pos).value)`.
 */
export interface AvroRowReader {
  /** Starts reading `data` from byte `from` (default 0: a message's header can be skipped without a view). */
  start(data: Buffer, from?: number): void;
  /**
   * Reads the next record. Returns `undefined` when the data ends inside the record (the
   * position is then meaningless); throws when avsc rejects the bytes.
   */
  next(): Row | undefined;
  /** The position just past the last record read. */
  readonly position: number;
}

/** An {@link AvroRowReader} for `type` (made by {@link avroType}). */
export function avroRowReader(type: Avsc.Type): AvroRowReader {
  const Tap = tapConstructor(type);
  const read = Tap === undefined ? undefined : recordReader(type);
  if (Tap === undefined || read === undefined) return new DecodingRowReader(type, avroRowMaker(type));
  return new TapRowReader(new Tap(Buffer.alloc(0)), read);
}

type TapConstructor = new (buf: Buffer) => AvscTap;

/** Finds avsc's `Tap` class from the tap that `Type.decode` hands to `_read`. */
function tapConstructor(type: Avsc.Type): TapConstructor | undefined {
  let found: unknown;
  const probe = Object.create(type, {
    _read: {
      value: (tap: AvscTap) => {
        found = tap.constructor;
        return null;
      },
    },
  }) as Avsc.Type;
  try {
    probe.decode(Buffer.alloc(1), 0);
  } catch {
    return undefined;
  }
  if (typeof found !== 'function') return undefined;
  const Tap = found as TapConstructor;
  try {
    const tap = new Tap(Buffer.from([7]));
    return tap.pos === 0 && tap.buf.length === 1 ? Tap : undefined;
  } catch {
    return undefined;
  }
}

/** Avro names: also what makes a field name safe to quote into generated code. */
const AVRO_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * A reader building each row as an object literal with the record's fields in order, like
 * avsc's own generated record readers. `undefined` when `type` is not a record, or a field name
 * is not a plain Avro name (or is `__proto__`, which an object literal would not keep as a key).
 */
function recordReader(type: Avsc.Type): ((tap: AvscTap) => Row) | undefined {
  const t = type as Avsc.Type & { fields?: readonly { name: string; type: Avsc.Type }[] };
  if ((t.typeName !== 'record' && t.typeName !== 'error') || t.fields === undefined) return undefined;
  const fields = t.fields;
  if (fields.some((f) => !AVRO_NAME.test(f.name) || f.name === '__proto__')) return undefined;
  if (fields.some((f) => typeof (f.type as Partial<ReadableType>)._read !== 'function')) return undefined;
  const entries = fields.map((f, i) => {
    const value = `t${i}._read(tap)`;
    return `${JSON.stringify(f.name)}: ${containsRecord(f.type, false) ? `plain(${value})` : value}`;
  });
  const params = fields.map((_, i) => `t${i}`);
  // Object literal properties are evaluated in order, which is the order the fields are encoded in.
  const body = `return function readRow(tap) {\n  return {\n    ${entries.join(',\n    ')}\n  };\n};`;
  // Generated like avsc's own record readers; the field names were checked against AVRO_NAME above.
  const make = new Function('plain', ...params, body) as (plain: typeof toPlain, ...types: Avsc.Type[]) => (tap: AvscTap) => Row;
  return make(toPlain, ...fields.map((f) => f.type));
}

class TapRowReader implements AvroRowReader {
  constructor(
    private readonly tap: AvscTap,
    private readonly read: (tap: AvscTap) => Row,
  ) {}

  get position(): number {
    return this.tap.pos;
  }

  start(data: Buffer, from = 0): void {
    this.tap.buf = data;
    this.tap.pos = from;
  }

  next(): Row | undefined {
    const tap = this.tap;
    const row = this.read(tap);
    return tap.pos <= tap.buf.length ? row : undefined;
  }
}

/** The general path (a top-level type that is not a record): `Type.decode`, one record at a time. */
class DecodingRowReader implements AvroRowReader {
  private data: Buffer = Buffer.alloc(0);
  position = 0;

  constructor(
    private readonly type: Avsc.Type,
    private readonly makeRow: (value: unknown) => Row,
  ) {}

  start(data: Buffer, from = 0): void {
    this.data = data;
    this.position = from;
  }

  next(): Row | undefined {
    const decoded = this.type.decode(this.data, this.position);
    if (decoded.offset < 0) return undefined;
    this.position = decoded.offset;
    return this.makeRow(decoded.value);
  }
}

/**
 * Whether values of `type` hold a record: as the type itself (unless `top`), or in an array,
 * map or union, or in a field of the `top` record. A recursive schema always recurses through a
 * record, where the walk stops, so it terminates.
 */
function containsRecord(type: Avsc.Type, top: boolean): boolean {
  const t = type as Avsc.Type & {
    fields?: readonly { type: Avsc.Type }[];
    itemsType?: Avsc.Type;
    valuesType?: Avsc.Type;
    types?: readonly Avsc.Type[];
  };
  if (t.typeName === 'record' || t.typeName === 'error') {
    return !top || (t.fields ?? []).some((f) => containsRecord(f.type, false));
  }
  if (t.itemsType !== undefined) return containsRecord(t.itemsType, false);
  if (t.valuesType !== undefined) return containsRecord(t.valuesType, false);
  if (t.types !== undefined) return t.types.some((b) => containsRecord(b, false));
  return false;
}

function toPlain(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || Buffer.isBuffer(value)) return value;
  if (Array.isArray(value)) return value.map(toPlain);
  const out: Row = {};
  for (const key of Object.keys(value)) {
    const v = toPlain((value as Row)[key]);
    // Map keys are data: `__proto__` must stay a key, not replace the prototype.
    if (key === '__proto__') Object.defineProperty(out, key, { value: v, enumerable: true, writable: true, configurable: true });
    else out[key] = v;
  }
  return out;
}
