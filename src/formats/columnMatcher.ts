import type { Row } from './Format.js';

/**
 * Renames a decoded row's fields to the declared column names, matching case-insensitively
 * (an exact match first): change-data producers write `L_ORDERKEY` where SQL declares
 * `l_orderkey`. Fields no column matches keep their names. Without declared columns, rows pass
 * through untouched. Answers are cached per field name, so a row costs one map lookup a field.
 *
 * @example
 * columnMatcher(['id', 'Name'])({ ID: 1, name: 'x' }); // { id: 1, Name: 'x' }
 */
export function columnMatcher(columns: readonly string[] | undefined): (row: Row) => Row {
  if (columns === undefined || columns.length === 0) return (row) => row;
  const exact = new Set(columns);
  const lower = new Map<string, string>();
  for (const column of columns) if (!lower.has(column.toLowerCase())) lower.set(column.toLowerCase(), column);
  const cache = new Map<string, string>();
  const nameOf = (field: string): string => {
    let name = cache.get(field);
    if (name === undefined) {
      name = exact.has(field) ? field : (lower.get(field.toLowerCase()) ?? field);
      if (cache.size < 10_000) cache.set(field, name);
    }
    return name;
  };
  return (row) => {
    let renamed = false;
    for (const field in row) {
      if (nameOf(field) !== field) {
        renamed = true;
        break;
      }
    }
    if (!renamed) return row;
    const out: Row = {};
    for (const field in row) out[nameOf(field)] = row[field];
    return out;
  };
}
