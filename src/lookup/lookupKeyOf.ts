import type { Row } from '../formats/Format.js';
import type { LookupKey } from './LookupTable.js';

/**
 * The key of a lookup table's rows, as its options spell it: a column name, or a function of the
 * row. Keys compare like `Map` keys (`1` is not `'1'`); a row whose key is `null` or missing is
 * not indexed, and a column holding anything but a string, number, bigint or boolean is an error
 * that asks for a key function.
 *
 * @example
 * new LookupTable({ name: 'customers', scan, version, keyOf: lookupKeyOf<string>('id') });
 */
export function lookupKeyOf<K extends LookupKey>(key: string | ((row: Row) => K | null | undefined)): (row: Row) => K | null | undefined {
  if (typeof key === 'function') return key;
  return (row) => {
    const value = row[key];
    if (value === null || value === undefined) return undefined;
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return value as K;
    throw new Error(`key column '${key}' holds a ${typeof value}, not a string, number, bigint or boolean: pass a key function`);
  };
}
