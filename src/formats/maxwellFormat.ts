import { withOp } from '../core/Changelog.js';
import { columnMatcher } from './columnMatcher.js';
import type { Format, Row } from './Format.js';
import { describeJsonValue, parseJsonValue } from './parseJsonRow.js';
import { payloadText } from './payloadText.js';

/** Maxwell event types that carry no row (bootstrap markers, schema changes): skipped. */
const NO_ROW = /^(bootstrap-start|bootstrap-complete|table-|database-|heartbeat)/;

/**
 * Maxwell's JSON change events (`FORMAT MAXWELL ENCODE JSON`, seed-era `ROW FORMAT MAXWELL`):
 * `{"type": ..., "data": {...}, "old": {...}}`. `insert` and `bootstrap-insert` give `data` as
 * an `insert`; `update` gives the before image (`data` overlaid with `old`, which holds only the
 * changed columns) as `update_before`, then `data` as `update_after`; `delete` gives `data` as a
 * `delete`. Bootstrap markers and schema changes (`bootstrap-start`, `table-create`, ...) give no
 * row; any other type is a bad record. Field names match declared columns case-insensitively.
 *
 * @example
 * maxwellFormat().decodeMessages?.(bytes('{"type":"update","data":{"id":2,"name":"chi"},"old":{"name":"alex"}}'), null);
 * // [{ id: 2, name: 'alex', [OP]: 'update_before' }, { id: 2, name: 'chi', [OP]: 'update_after' }]
 */
export function maxwellFormat(options: { readonly columns?: readonly string[] } = {}): Format {
  const rename = columnMatcher(options.columns);
  return {
    name: 'maxwell',
    decodeMessages(payload: Uint8Array | null): Row[] {
      if (payload === null || payload.length === 0) return [];
      const event = parseJsonValue(payloadText(payload));
      if (!isObject(event)) throw new Error(`a Maxwell event must be a JSON object, got ${describeJsonValue(event)}`);
      const type = event['type'];
      if (typeof type === 'string' && NO_ROW.test(type)) return [];
      const data = event['data'];
      if (!isObject(data)) throw new Error(`a Maxwell '${String(type)}' event needs a 'data' object, got ${describeJsonValue(data)}`);
      switch (type) {
        case 'insert':
        case 'bootstrap-insert':
          return [withOp(rename(data), 'insert')];
        case 'update': {
          const old = event['old'];
          const after = rename(data);
          if (!isObject(old)) return [withOp(after, 'update_after')];
          return [withOp(rename({ ...data, ...old }), 'update_before'), withOp(after, 'update_after')];
        }
        case 'delete':
          return [withOp(rename(data), 'delete')];
        default:
          throw new Error(`unknown Maxwell event type ${JSON.stringify(type) ?? 'missing'}: expected insert, update, delete or bootstrap-insert`);
      }
    },
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
