/**
 * A format described by data, so that a worker thread can build the same format the main thread
 * has: `createFormat(name, options, columns)`. A `Format` object is closures and cannot cross
 * threads; its description can.
 *
 * @example
 * const spec: FormatSpec = { name: 'csv', options: { delimiter: ';' }, columns: ['id', 'name'] };
 */
export interface FormatSpec {
  /** A name `createFormat` understands (`json`, `csv`). */
  readonly name: string;
  /** The format's string options, as SQL's `ENCODE ... (key = 'value')` gives them. */
  readonly options: Readonly<Record<string, string>>;
  /** Declared column names, when a schema was declared. */
  readonly columns?: readonly string[];
}
