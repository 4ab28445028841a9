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
 * An Avro type for `schema` whose `long` values are `bigint`s, so that values beyond 2^53 are
 * never silently rounded (avsc's default `long` throws or loses precision there). Other types
 * decode as avsc decodes them: `int`/`float`/`double` as numbers, `bytes`/`fixed` as `Buffer`,
 * `enum` as strings, maps as objects, unions as the branch's value when unambiguous (avsc's
 * `wrapUnions: 'auto'`). Logical types decode as their underlying type.
 */
export function avroType(avsc: AvscModule, schema: Avsc.Schema): Avsc.Type {
  const long = avsc.types.LongType.__with({
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
  });
  return avsc.Type.forSchema(schema, { registry: { long }, omitRecordMethods: true });
}

/**
 * A function turning a decoded top-level record into a plain object row. avsc decodes records
 * as instances of generated classes; rows are plain objects, and so are nested records.
 */
export function avroRowMaker(type: Avsc.Type): (value: unknown) => Row {
  if (!hasNestedRecord(type, new Set(), true)) return (value) => ({ ...(value as Row) });
  return (value) => toPlain(value) as Row;
}

function hasNestedRecord(type: Avsc.Type, seen: Set<Avsc.Type>, top: boolean): boolean {
  if (seen.has(type)) return true;
  seen.add(type);
  const t = type as Avsc.Type & {
    fields?: { type: Avsc.Type }[];
    itemsType?: Avsc.Type;
    valuesType?: Avsc.Type;
    types?: Avsc.Type[];
  };
  if (t.typeName === 'record' || t.typeName === 'error') {
    if (!top) return true;
    return (t.fields ?? []).some((f) => hasNestedRecord(f.type, seen, false));
  }
  if (t.itemsType !== undefined) return hasNestedRecord(t.itemsType, seen, false);
  if (t.valuesType !== undefined) return hasNestedRecord(t.valuesType, seen, false);
  if (t.types !== undefined) return t.types.some((b) => hasNestedRecord(b, seen, false));
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
