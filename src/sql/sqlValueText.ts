import { Decimal } from './Decimal.js';
import { MicroDate } from '../core/MicroDate.js';

/**
 * A value's text form, as PostgreSQL casts it to TEXT: `true`, `12.50`, `\x0a1b` for bytes,
 * `2024-01-31 13:45:00+00` for an instant, JSON text for JSONB values.
 */
export function sqlValueText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  if (value instanceof Decimal) return value.toString();
  if (value instanceof MicroDate) return `${value.toISOString().replace('T', ' ').replace(/\.?0*Z$/, '')}+00`;
  if (value instanceof Date) return `${value.toISOString().replace('T', ' ').replace(/\.000Z$|Z$/, '')}+00`;
  if (value instanceof Uint8Array) return `\\x${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex')}`;
  return JSON.stringify(value) ?? 'null';
}
