import { withOp } from '../core/Changelog.js';
import { columnMatcher } from './columnMatcher.js';
import type { Format, Row } from './Format.js';
import { describeJsonValue, parseJsonValue } from './parseJsonRow.js';
import { payloadText } from './payloadText.js';

/**
 * Upserts keyed by the message key (`FORMAT UPSERT ENCODE JSON`, seed-era `ROW FORMAT
 * UPSERT_JSON`): a value that is a JSON object is an `insert`, which a table keyed by the
 * primary key applies as an overwrite; an empty value (zero bytes, as `kcat -K` sends for
 * `key^`) or a tombstone (no value) is a `delete` of the key. The delete row is the key itself
 * when it is a JSON object (`{"ID": 7}` deletes the row whose `ID` is 7), else an empty row to
 * which the connector adds its `INCLUDE KEY` column. A delete without a key is a bad record.
 * Field names match declared columns case-insensitively.
 *
 * @example
 * const format = upsertJsonFormat();
 * format.decodeMessages?.(new Uint8Array(0), bytes('{"ID": 7}')); // [{ ID: 7, [OP]: 'delete' }]
 */
export function upsertJsonFormat(options: { readonly columns?: readonly string[] } = {}): Format {
  const rename = columnMatcher(options.columns);
  return {
    name: 'upsert_json',
    decodeMessages(payload: Uint8Array | null, key: Uint8Array | null): Row[] {
      if (payload === null || payload.length === 0) {
        if (key === null) throw new Error('an upsert delete (an empty value) without a message key: nothing says which row to delete');
        let keyRow: unknown;
        try {
          keyRow = parseJsonValue(payloadText(key));
        } catch {
          keyRow = undefined;
        }
        return [withOp(isObject(keyRow) ? rename(keyRow) : {}, 'delete')];
      }
      const value = parseJsonValue(payloadText(payload));
      if (!isObject(value)) throw new Error(`an upsert value must be a JSON object, got ${describeJsonValue(value)}`);
      return [withOp(rename(value), 'insert')];
    },
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
