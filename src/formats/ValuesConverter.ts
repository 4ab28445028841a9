import type { Row, RowConverter } from './Format.js';

/**
 * A {@link RowConverter} that can also take a record's values by position: a format that has
 * its fields in an array (CSV) hands them over without first building a row of raw strings that
 * the converter would only read once and drop (one object a record less, and no lookups by name).
 *
 * @example
 * const byPosition = valuesConverterOf(createRowConverter(columns, { textInput: true }));
 * byPosition?.convert(['7', 'bolt', '901.00']) // { id: 7, name: 'bolt', price: Decimal 901.00 }
 */
export interface ValuesConverter {
  /** The columns `convert` reads, in the order it takes their values. */
  readonly columns: readonly string[];
  /**
   * The same row, and the same errors, as the {@link RowConverter} on a row holding `values[i]`
   * under `columns[i]` (an `undefined` or `null` value: the column is missing or NULL).
   */
  convert(values: readonly unknown[]): Row;
}

const VALUES = Symbol('tributary.valuesConverter');

/** Attaches `values` to `convert`, for {@link valuesConverterOf}; returns `convert`. */
export function withValuesConverter(convert: RowConverter, values: ValuesConverter): RowConverter {
  Object.defineProperty(convert, VALUES, { value: values });
  return convert;
}

/** The {@link ValuesConverter} of a row converter, when it has one. */
export function valuesConverterOf(convert: RowConverter | undefined): ValuesConverter | undefined {
  return convert === undefined ? undefined : (convert as { [VALUES]?: ValuesConverter })[VALUES];
}
