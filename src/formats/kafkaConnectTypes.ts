import { decimalText, unscaledBytes } from './decimalBytes.js';

/**
 * Kafka Connect logical types, as Debezium's JSON converter writes them when the message has
 * its `schema` part, turned into the text forms the SQL types read (`convertValue`): dates as
 * `YYYY-MM-DD`, timestamps as `YYYY-MM-DD HH:MM:SS[.fraction]` (UTC, which is what Debezium's
 * epoch-based values mean), times as `HH:MM:SS[.fraction]`, decimals as exact decimal text.
 * Without a schema the values stay as they came (epoch numbers, base64 text): nothing says
 * what they are.
 */

/** A field of a Kafka Connect schema (the JSON converter's `schema` part). */
export interface ConnectField {
  readonly type?: string;
  readonly field?: string;
  readonly name?: string;
  readonly parameters?: Readonly<Record<string, string>>;
  readonly fields?: readonly ConnectField[];
}

/** A value converter for one field. */
export type FieldConversion = (value: unknown) => unknown;

const MS_PER_DAY = 86_400_000;

/** The conversion of a field's logical type, or `undefined` when it has none to apply. */
export function logicalConversion(field: ConnectField): FieldConversion | undefined {
  switch (field.name) {
    case 'io.debezium.time.Date':
    case 'org.apache.kafka.connect.data.Date':
      return (v) => (isInteger(v) ? dateText(Number(v)) : v);
    case 'io.debezium.time.Timestamp':
    case 'org.apache.kafka.connect.data.Timestamp':
      return (v) => (isInteger(v) ? timestampText(BigInt(v), 1n) : v);
    case 'io.debezium.time.MicroTimestamp':
      return (v) => (isInteger(v) ? timestampText(BigInt(v), 1_000n) : v);
    case 'io.debezium.time.NanoTimestamp':
      return (v) => (isInteger(v) ? timestampText(BigInt(v), 1_000_000n) : v);
    case 'io.debezium.time.Time':
    case 'org.apache.kafka.connect.data.Time':
      return (v) => (isInteger(v) ? timestampText(BigInt(v), 1n).slice(11) : v);
    case 'io.debezium.time.MicroTime':
      return (v) => (isInteger(v) ? timestampText(BigInt(v), 1_000n).slice(11) : v);
    case 'io.debezium.time.NanoTime':
      return (v) => (isInteger(v) ? timestampText(BigInt(v), 1_000_000n).slice(11) : v);
    case 'org.apache.kafka.connect.data.Decimal': {
      const scale = Number(field.parameters?.['scale'] ?? '0');
      return (v) => (typeof v === 'string' ? decimalText(unscaledOf(v), scale) : v);
    }
    case 'io.debezium.data.VariableScaleDecimal':
      return (v) => {
        if (typeof v !== 'object' || v === null) return v;
        const { scale, value } = v as { scale?: unknown; value?: unknown };
        return typeof value === 'string' && typeof scale === 'number' ? decimalText(unscaledOf(value), scale) : v;
      };
    default:
      return undefined;
  }
}

/**
 * The conversions of a struct's fields (the `before`/`after` of a Debezium envelope), by field
 * name; `undefined` when none of its fields has a logical type to convert.
 */
export function structConversions(struct: ConnectField | undefined): Map<string, FieldConversion> | undefined {
  let conversions: Map<string, FieldConversion> | undefined;
  for (const field of struct?.fields ?? []) {
    const conversion = field.field === undefined ? undefined : logicalConversion(field);
    if (conversion !== undefined) (conversions ??= new Map()).set(field.field!, conversion);
  }
  return conversions;
}

function isInteger(v: unknown): v is number | bigint {
  return typeof v === 'bigint' || (typeof v === 'number' && Number.isInteger(v));
}

function dateText(days: number): string {
  return isoParts(days * MS_PER_DAY).date;
}

function isoParts(ms: number): { date: string; time: string } {
  const iso = new Date(ms).toISOString(); // 2024-01-31T13:45:00.123Z, or +275760-... beyond year 9999
  const t = iso.indexOf('T');
  return { date: iso.slice(0, t), time: iso.slice(t + 1, t + 9) };
}

/** `value` in units of 1/`perMs` ms since the epoch, as `YYYY-MM-DD HH:MM:SS[.fraction]` without trailing zeros. */
function timestampText(value: bigint, perMs: bigint): string {
  let ms = value / perMs;
  let sub = value % perMs;
  if (sub < 0n) {
    ms -= 1n;
    sub += perMs;
  }
  const { date, time } = isoParts(Number(ms));
  const millis = Number(((ms % 1000n) + 1000n) % 1000n);
  const digits = perMs === 1n ? 0 : perMs === 1_000n ? 3 : 6;
  let fraction = String(millis).padStart(3, '0') + (digits === 0 ? '' : String(sub).padStart(digits, '0'));
  fraction = fraction.replace(/0+$/, '');
  return `${date} ${time}${fraction === '' ? '' : `.${fraction}`}`;
}

/** The unscaled value of a Connect decimal: big-endian two's complement bytes, in base64. */
function unscaledOf(base64: string): bigint {
  return unscaledBytes(Buffer.from(base64, 'base64'));
}
