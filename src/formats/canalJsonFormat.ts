import { withOp } from '../core/Changelog.js';
import { columnMatcher } from './columnMatcher.js';
import type { Format, Row } from './Format.js';
import { describeJsonValue, parseJsonValue } from './parseJsonRow.js';
import { payloadText } from './payloadText.js';

/**
 * Canal's JSON change events (`FORMAT CANAL ENCODE JSON`, seed-era `ROW FORMAT CANAL_JSON`):
 * one message holds several rows, `{"type": ..., "data": [...], "old": [...], "isDdl": ...}`.
 * `INSERT` gives each `data` row as an `insert`; `UPDATE` gives, for each row, the before image
 * (`data[i]` overlaid with `old[i]`, which holds only the changed columns) as `update_before`,
 * then `data[i]` as `update_after` (updates take `data`); `DELETE` gives each `data` row as a
 * `delete`. DDL events (`isDdl: true`) give no row; any other type is a bad record, as is a
 * message whose `data` is not an array of objects. Field names match declared columns
 * case-insensitively. Canal writes every value as text: the schema's converter types them.
 *
 * @example
 * canalJsonFormat().decodeMessages?.(bytes('{"type":"DELETE","data":[{"v1":"5"},{"v1":"7"}],"isDdl":false}'), null);
 * // [{ v1: '5', [OP]: 'delete' }, { v1: '7', [OP]: 'delete' }]
 */
export function canalJsonFormat(options: { readonly columns?: readonly string[] } = {}): Format {
  const rename = columnMatcher(options.columns);
  return {
    name: 'canal_json',
    decodeMessages(payload: Uint8Array | null): Row[] {
      if (payload === null || payload.length === 0) return [];
      const event = parseJsonValue(payloadText(payload));
      if (!isObject(event)) throw new Error(`a Canal event must be a JSON object, got ${describeJsonValue(event)}`);
      if (event['isDdl'] === true) return [];
      const type = event['type'];
      const data = rowsOf(event['data'], 'data');
      const rows: Row[] = [];
      switch (type) {
        case 'INSERT':
          for (const row of data) rows.push(withOp(rename(row), 'insert'));
          return rows;
        case 'UPDATE': {
          const old = event['old'] === null || event['old'] === undefined ? [] : rowsOf(event['old'], 'old');
          for (let i = 0; i < data.length; i++) {
            const row = data[i]!;
            const changed = old[i];
            if (changed !== undefined) rows.push(withOp(rename({ ...row, ...changed }), 'update_before'));
            rows.push(withOp(rename(row), 'update_after'));
          }
          return rows;
        }
        case 'DELETE':
          for (const row of data) rows.push(withOp(rename(row), 'delete'));
          return rows;
        default:
          throw new Error(`unknown Canal event type ${JSON.stringify(type) ?? 'missing'}: expected INSERT, UPDATE or DELETE`);
      }
    },
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function rowsOf(value: unknown, name: string): Record<string, unknown>[] {
  if (!Array.isArray(value)) throw new Error(`a Canal event's '${name}' must be an array of rows, got ${describeJsonValue(value)}`);
  for (let i = 0; i < value.length; i++) {
    if (!isObject(value[i])) throw new Error(`row ${i} of a Canal event's '${name}' is ${describeJsonValue(value[i])}, not an object`);
  }
  return value as Record<string, unknown>[];
}
