import type { Row } from './Format.js';
import type { ValuesConverter } from './ValuesConverter.js';

/**
 * Turns the fields of one CSV record into a row keyed by column name.
 *
 * Keys come from file headers, i.e. untrusted input, so rows are plain objects filled by
 * assignment, except that a `__proto__` column is defined as an own property (plain assignment
 * would replace the row's prototype). No code is generated from header text.
 */
export class CsvRowBuilder {
  private readonly keys: readonly string[];
  /** For each key, the index of its field; `null` when key i is field i. */
  private readonly positions: readonly number[] | null;
  private readonly unsafeKey: boolean;
  /** The number of fields every record must have; `null` when any count goes (`c1..cN`). */
  readonly width: number | null;

  /**
   * @param keys Row keys in output order.
   * @param width Fields a record must have (`null`: any, keys named `c1..cN` on demand).
   * @param positions Field index of each key, when they are not `0..keys.length-1`.
   * @param emptyAsNull Whether an empty unquoted field becomes `null` (otherwise `''`).
   */
  constructor(
    keys: readonly string[],
    width: number | null,
    positions: readonly number[] | null,
    private readonly emptyAsNull: boolean,
  ) {
    this.keys = keys;
    this.width = width;
    this.positions = positions;
    this.unsafeKey = keys.includes('__proto__');
  }

  /** The row, or an error message when the record has the wrong number of fields. */
  build(fields: readonly (string | null)[]): Row | string {
    const { width, emptyAsNull } = this;
    if (width !== null && fields.length !== width) {
      return `expected ${width} fields, found ${fields.length}`;
    }
    const row: Row = {};
    if (width === null) {
      for (let i = 0; i < fields.length; i++) {
        const v = fields[i] ?? null;
        row[`c${i + 1}`] = v === null && !emptyAsNull ? '' : v;
      }
      return row;
    }
    const { keys, positions } = this;
    if (this.unsafeKey) return this.buildSafely(fields);
    for (let i = 0; i < keys.length; i++) {
      const v = fields[positions === null ? i : (positions[i] as number)] ?? null;
      row[keys[i] as string] = v === null && !emptyAsNull ? '' : v;
    }
    return row;
  }

  /**
   * For `converter`: a function giving, from a record's fields, the values of the converter's
   * columns in its order, as {@link build} would put them in the row it reads (a column this
   * builder has no key for is `undefined`), or an error message when the field count is wrong.
   * When the converter's columns are this builder's fields in order (a header matching the
   * declared columns), the fields array itself is the values: nothing is built per record.
   * `undefined` without a fixed width (`c1..cN` keys): those rows keep the row path.
   */
  valuesFor(converter: ValuesConverter): ((fields: (string | null)[]) => readonly unknown[] | string) | undefined {
    const { width, emptyAsNull } = this;
    if (width === null) return undefined;
    const fieldOf = converter.columns.map((column) => {
      const key = this.keys.indexOf(column);
      return key === -1 ? -1 : this.positions === null ? key : (this.positions[key] as number);
    });
    const identity = fieldOf.length === width && fieldOf.every((field, i) => field === i);
    const wrong = (fields: readonly unknown[]): string | undefined => (fields.length === width ? undefined : `expected ${width} fields, found ${fields.length}`);
    if (identity && emptyAsNull) return (fields) => wrong(fields) ?? fields;
    return (fields) => {
      const error = wrong(fields);
      if (error !== undefined) return error;
      const values: unknown[] = new Array(fieldOf.length);
      for (let i = 0; i < fieldOf.length; i++) {
        const at = fieldOf[i]!;
        const v = at === -1 ? undefined : (fields[at] ?? null);
        values[i] = v === null && !emptyAsNull ? '' : v;
      }
      return values;
    };
  }

  private buildSafely(fields: readonly (string | null)[]): Row {
    const row: Row = {};
    this.keys.forEach((key, i) => {
      const v = fields[this.positions === null ? i : (this.positions[i] as number)] ?? null;
      Object.defineProperty(row, key, {
        value: v === null && !this.emptyAsNull ? '' : v,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    });
    return row;
  }
}
