import { withOp } from '../core/Changelog.js';
import { columnMatcher } from './columnMatcher.js';
import { changeEventLines } from './changeEventLines.js';
import type { Format, Row } from './Format.js';
import { describeJsonValue, parseJsonValue } from './parseJsonRow.js';
import { payloadText } from './payloadText.js';

/**
 * Canal's JSON change events (`FORMAT CANAL ENCODE JSON`, seed-era `ROW FORMAT CANAL_JSON`):
 * one message holds several rows, `{"type": ..., "data": [...], "old": [...], "isDdl": ...}`.
 * `INSERT` gives each `data` row as an `insert`; `UPDATE` gives each `data` row as an
 * `update_after`, which a table applies as an upsert by primary key (updates take `data`);
 * `DELETE` gives each `data` row as a `delete`.
 *
 * `old` is not turned into before images, on purpose: RisingWave's `canal_json` ignores it and
 * its e2e expects exactly that (`canal_json_double_field`: the update's rows join the table
 * beside the old keys), and a table needs no before image to apply an update by key. The cost,
 * the same as RisingWave's: an UPDATE that changes a primary key leaves the old key's row in
 * the table. DDL events (`isDdl: true`) give no row; any other type is a bad record, as is a
 * message whose `data` is not an array of objects. Field names match declared columns
 * case-insensitively. Canal writes every value as text: the schema's converter types them.
 * A file holds one event per line, tailable.
 *
 * @example
 * canalJsonFormat().decodeMessages?.(bytes('{"type":"DELETE","data":[{"v1":"5"},{"v1":"7"}],"isDdl":false}'), null);
 * // [{ v1: '5', [OP]: 'delete' }, { v1: '7', [OP]: 'delete' }]
 */
export function canalJsonFormat(options: { readonly columns?: readonly string[] } = {}): Format {
  const rename = columnMatcher(options.columns);
  const format: Format = {
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
        case 'UPDATE':
          for (const row of data) rows.push(withOp(rename(row), 'update_after'));
          return rows;
        case 'DELETE':
          for (const row of data) rows.push(withOp(rename(row), 'delete'));
          return rows;
        default:
          throw new Error(`unknown Canal event type ${JSON.stringify(type) ?? 'missing'}: expected INSERT, UPDATE or DELETE`);
      }
    },
  };
  return { ...format, tailable: true, openStream: changeEventLines('canal_json', (payload) => format.decodeMessages!(payload, null)) };
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
