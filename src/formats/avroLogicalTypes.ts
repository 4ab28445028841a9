import { collectNamed, namespaceOf } from './avroNamedTypes.js';
import { decimalText, unscaledBytes } from './decimalBytes.js';
import type { Row } from './Format.js';

/** An Avro schema as JSON: a name, an array (a union) or an object. */
export type AvroSchemaJson = string | readonly AvroSchemaJson[] | { readonly [key: string]: unknown };

/** Turns one decoded value of a logical type into what the SQL types read. */
export type LogicalConversion = (value: unknown) => unknown;

const MS_PER_DAY = 86_400_000;

/**
 * The conversions of Avro's logical types for the fields of a top-level record schema, by field
 * name (`undefined` when no field has one; a field that is a union of `null` and one logical
 * type counts):
 *
 * - `decimal` (`bytes` or `fixed`, with `scale`): exact decimal text (`-12.50`), which a NUMERIC
 *   column reads without rounding (a JS number could not hold it);
 * - `timestamp-millis` / `timestamp-micros` (and the `local-` ones): `YYYY-MM-DD HH:MM:SS[.ffffff]`
 *   in UTC, micros kept;
 * - `date`: `YYYY-MM-DD`; `time-millis` / `time-micros`: `HH:MM:SS[.ffffff]`;
 * - `uuid`: the string as it is (already text).
 *
 * Named types are looked up, so `{"type": "Money"}` finds a fixed `Money` defined earlier.
 *
 * @example
 * const convert = avroLogicalConversions(JSON.parse(schemaText));
 * convert?.get('price')?.(Buffer.from([0x04, 0xd2])); // '12.34' for scale 2
 */
export function avroLogicalConversions(schema: AvroSchemaJson): Map<string, LogicalConversion> | undefined {
  const named = new Map<string, Record<string, unknown>>();
  collectNamed(schema, undefined, named);
  const top = resolve(schema, undefined, named);
  if (top === undefined || top['type'] !== 'record' || !Array.isArray(top['fields'])) return undefined;
  const namespace = typeof top['namespace'] === 'string' ? top['namespace'] : namespaceOf(top['name']);
  let conversions: Map<string, LogicalConversion> | undefined;
  for (const field of top['fields'] as Array<Record<string, unknown>>) {
    const type = nonNull(field['type'] as AvroSchemaJson, namespace, named);
    const conversion = type === undefined ? undefined : logicalConversion(type);
    if (conversion !== undefined) (conversions ??= new Map()).set(String(field['name']), conversion);
  }
  return conversions;
}

/** Applies {@link avroLogicalConversions} to a row in place (nulls stay null). */
export function applyConversions(row: Row, conversions: Map<string, LogicalConversion>): Row {
  for (const [field, convert] of conversions) {
    const v = row[field];
    if (v !== null && v !== undefined) row[field] = convert(v);
  }
  return row;
}

function logicalConversion(type: Record<string, unknown>): LogicalConversion | undefined {
  switch (type['logicalType']) {
    case 'decimal': {
      const scale = typeof type['scale'] === 'number' ? type['scale'] : 0;
      return (v) => (v instanceof Uint8Array ? decimalText(unscaledBytes(v), scale) : v);
    }
    case 'timestamp-millis':
    case 'local-timestamp-millis':
      return (v) => (inRange(v, 1n) ? timestampText(BigInt(v), 1n) : v);
    case 'timestamp-micros':
    case 'local-timestamp-micros':
      return (v) => (inRange(v, 1_000n) ? timestampText(BigInt(v), 1_000n) : v);
    case 'timestamp-nanos':
    case 'local-timestamp-nanos':
      return (v) => (inRange(v, 1_000_000n) ? timestampText(BigInt(v) / 1_000n, 1_000n) : v);
    case 'date':
      return (v) => (inRange(v, 1n, MS_PER_DAY) ? new Date(Number(v) * MS_PER_DAY).toISOString().slice(0, 10) : v);
    case 'time-millis':
      return (v) => (inRange(v, 1n) ? timestampText(BigInt(v), 1n).slice(11) : v);
    case 'time-micros':
      return (v) => (inRange(v, 1_000n) ? timestampText(BigInt(v), 1_000n).slice(11) : v);
    default:
      // `uuid` is a string already; unknown logical types read as their underlying type (the spec's rule).
      return undefined;
  }
}

/** The largest distance from the epoch a `Date` holds, in ms (±100,000,000 days). */
const MAX_DATE_MS = 8_640_000_000_000_000n;

/**
 * Whether `v` is an integer count of 1/`perMs` ms (or of `msEach` ms) within what a `Date`
 * holds, at most year 275760: beyond, the value is left as the number it is rather than thrown on.
 */
function inRange(v: unknown, perMs: bigint, msEach = 1): v is number | bigint {
  if (!isInteger(v)) return false;
  const ms = (BigInt(v) * BigInt(msEach)) / perMs;
  return ms <= MAX_DATE_MS && ms >= -MAX_DATE_MS;
}

function isInteger(v: unknown): v is number | bigint {
  return typeof v === 'bigint' || (typeof v === 'number' && Number.isInteger(v));
}

/** `value` in units of 1/`perMs` ms since the epoch, as `YYYY-MM-DD HH:MM:SS[.fraction]` without trailing zeros. */
function timestampText(value: bigint, perMs: bigint): string {
  let ms = value / perMs;
  let sub = value % perMs;
  if (sub < 0n) {
    ms -= 1n;
    sub += perMs;
  }
  const iso = new Date(Number(ms)).toISOString();
  const t = iso.indexOf('T');
  const millis = Number(((ms % 1000n) + 1000n) % 1000n);
  let fraction = String(millis).padStart(3, '0') + (perMs === 1n ? '' : String(sub).padStart(3, '0'));
  fraction = fraction.replace(/0+$/, '');
  return `${iso.slice(0, t)} ${iso.slice(t + 1, t + 9)}${fraction === '' ? '' : `.${fraction}`}`;
}


/** A field's type without its `null` branch (a nullable column), resolved; `undefined` for a union of several others. */
function nonNull(type: AvroSchemaJson, namespace: string | undefined, named: Map<string, Record<string, unknown>>): Record<string, unknown> | undefined {
  const branches = Array.isArray(type) ? (type as AvroSchemaJson[]).filter((b) => b !== 'null') : [type];
  if (branches.length !== 1) return undefined;
  return resolve(branches[0]!, namespace, named);
}

/** A type as an object: `"long"` as `{type: "long"}`, a name reference as the named type. */
function resolve(type: AvroSchemaJson, namespace: string | undefined, named: Map<string, Record<string, unknown>>): Record<string, unknown> | undefined {
  if (typeof type === 'string') {
    return named.get(type) ?? (namespace === undefined ? undefined : named.get(`${namespace}.${type}`)) ?? { type };
  }
  if (Array.isArray(type)) return undefined;
  const object = type as Record<string, unknown>;
  // `{"type": {"type": "bytes", "logicalType": ...}}` nests a type.
  if (typeof object['type'] === 'object' && object['type'] !== null && object['logicalType'] === undefined) {
    return resolve(object['type'] as AvroSchemaJson, namespace, named);
  }
  return object;
}
