import { OP, UNCHANGED, isRetraction, opOf } from '../core/Changelog.js';
import type { Row, RowConverter } from '../formats/Format.js';
import type { Column } from './Column.js';
import { convertValue, type ConvertOptions } from './convertValue.js';
import { formatSqlType } from './SqlType.js';

/**
 * Builds the {@link RowConverter} a connector hands its format: each decoded row becomes a row
 * with exactly the declared columns, in declared order, each value checked and converted to its
 * column's type (see `convertValue`). Fields the schema does not declare are dropped; declared
 * columns missing from the row are NULL.
 *
 * Throws an `Error` naming the column on a violation (a NOT NULL column without a value, a
 * string too long, an integer out of range, digits beyond a NUMERIC's precision); the format
 * turns it into a bad record at the row's offset.
 *
 * Field names match column names exactly; unquoted SQL names are lower case, so a JSON field
 * `"Name"` needs the column to be declared as `"Name"`.
 *
 * @example
 * const convert = createRowConverter([{ name: 'id', type: { name: 'bigint' }, notNull: true }]);
 * convert({ id: '9007199254740993' }) // { id: 9007199254740993n }
 */
export function createRowConverter(columns: readonly Column[], options: ConvertOptions = {}): RowConverter {
  const plan = columns.map((column) => ({ ...column, described: `column "${column.name}" (${formatSqlType(column.type)})` }));
  return (row: Row): Row => {
    const out: Row = {};
    // A changelog row keeps its operation; a retraction (an upsert's delete may carry only the
    // key) is not held to NOT NULL: it names a row to remove, not one to store.
    const op = opOf(row);
    // A TRUNCATE has no columns: there is nothing to convert, and NULLs would make it a row.
    if (op === 'truncate') return row;
    const retraction = isRetraction(op);
    if ((row as { [OP]?: unknown })[OP] !== undefined) (out as { [OP]?: unknown })[OP] = op;
    for (const column of plan) {
      const raw = row[column.name];
      // Debezium's unavailable TOASTed value: the table keeps the previous value.
      if (raw === UNCHANGED) {
        out[column.name] = UNCHANGED;
        continue;
      }
      let value;
      try {
        value = convertValue(raw, column.type, options);
      } catch (err) {
        throw new Error(`${column.described}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
      }
      if (value === null && column.notNull && !retraction) throw new Error(`${column.described} is NOT NULL but the value is missing or null`);
      out[column.name] = value;
    }
    return out;
  };
}
