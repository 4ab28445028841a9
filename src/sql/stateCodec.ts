import type { JsonValue } from '../core/Json.js';
import { Decimal } from './Decimal.js';
import { setField } from './setField.js';
import { MicroDate } from '../core/MicroDate.js';

/**
 * SQL values to JSON and back, for query state in a checkpoint: JSON has no bigint, no exact
 * decimal, no instant, no bytes and no NaN. Every value that is not a plain JSON scalar becomes
 * a tagged pair `[tag, payload]`, and so does every array and object (so that a user's array
 * can never be mistaken for a tag).
 *
 * @example
 * decodeValue(encodeValue(9007199254740993n)) // 9007199254740993n
 */
export function encodeValue(value: unknown): JsonValue {
  if (value === null || value === undefined) return null;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value) ? value : ['n', String(value)];
    case 'bigint':
      return ['b', value.toString()];
  }
  if (value instanceof Decimal) return ['d', value.toString()];
  if (value instanceof MicroDate) return ['tu', value.epochMicros().toString()];
  if (value instanceof Date) return ['t', value.getTime()];
  if (value instanceof Uint8Array) return ['x', Buffer.from(value).toString('base64')];
  if (Array.isArray(value)) return ['a', value.map(encodeValue)];
  if (typeof value === 'object') {
    const out: { [key: string]: JsonValue } = {};
    for (const [k, v] of Object.entries(value)) setField(out, k, encodeValue(v));
    return ['o', out];
  }
  throw new TypeError(`cannot checkpoint a ${typeof value} value`);
}

/** The inverse of {@link encodeValue}. */
export function decodeValue(json: JsonValue): unknown {
  if (!Array.isArray(json)) {
    if (typeof json === 'object' && json !== null) throw new TypeError('corrupt query state: an untagged object');
    return json;
  }
  const [tag, payload] = json;
  switch (tag) {
    case 'n':
      return Number(payload);
    case 'b':
      return BigInt(payload as string);
    case 'd':
      return Decimal.parse(payload as string);
    case 't':
      return new Date(payload as number);
    case 'tu':
      return MicroDate.fromEpochMicros(BigInt(payload as string));
    case 'x':
      return new Uint8Array(Buffer.from(payload as string, 'base64'));
    case 'a':
      return (payload as JsonValue[]).map(decodeValue);
    case 'o': {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(payload as Record<string, JsonValue>)) setField(out, k, decodeValue(v));
      return out;
    }
  }
  throw new TypeError(`corrupt query state: unknown tag ${JSON.stringify(tag)}`);
}
