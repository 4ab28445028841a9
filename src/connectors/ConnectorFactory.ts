import type { Source } from '../core/Source.js';
import type { Format, Row, RowConverter } from '../formats/Format.js';
import type { SourceOptions } from '../core/SourceOptions.js';
import type { FormatSpec } from '../parallel/FormatSpec.js';

/** The declared type of a connector property; values always arrive as strings. */
export type PropertyType = 'string' | 'integer' | 'boolean' | 'enum' | 'list';

/** One property a connector factory understands. */
export interface PropertySpec {
  /** Canonical name, e.g. `kafka.topic`. */
  readonly name: string;
  /** Other spellings that mean the same (RisingWave's names: `topic`, `properties.bootstrap.server`). */
  readonly aliases?: readonly string[];
  readonly type: PropertyType;
  /** For `enum`: the allowed values. */
  readonly values?: readonly string[];
  readonly required?: boolean;
  readonly default?: string;
  /**
   * For `integer`: the smallest and largest value accepted. Without them, a property named
   * `*.ms` / `*_ms` is a timer delay (0 to 2^31-1 ms, the most `setTimeout` takes) and one named
   * `*.sec` / `*_sec` the same in seconds.
   */
  readonly min?: number;
  readonly max?: number;
  /** Secret values never appear in errors or logs. */
  readonly secret?: boolean;
  /** One line, shown in errors and `tributary --help`. */
  readonly description: string;
}

/** The options every source takes are core's (src/core/SourceOptions.ts); re-exported for connectors. */
export type { SourceOptions } from '../core/SourceOptions.js';

/** What a factory gets to build a source from SQL or from code. */
export interface ConnectorContext extends SourceOptions {
  /**
   * Validated properties under their canonical names, defaults filled in. Secrets included:
   * never put these values in an error message.
   */
  readonly properties: Readonly<Record<string, string>>;
  /** The row format (`ROW FORMAT 'json'`, `ENCODE CSV (...)`). */
  readonly format: Format;
  /** Schema check and conversion for decoded rows, when a schema was declared. */
  readonly convert?: RowConverter;
  /** `format` as data (`createFormat(name, options, columns)`), when it was built that way: lets worker threads build it too. */
  readonly formatSpec?: FormatSpec;
  /** The declared columns' names, when a schema was declared (a change-data connector checks columns added upstream against them). */
  readonly columns?: readonly string[];
}

/**
 * A connector as SQL sees it: a name, the property values that select it, the properties it
 * declares, and a way to build a source. Factories are selected by properties: exactly one must
 * match a statement's `WITH (...)`.
 */
export interface ConnectorFactory {
  /** e.g. `kafka`. */
  readonly name: string;
  /** Values of `upstream.source` / `connector` that select this factory, e.g. `['kafka']`. */
  readonly connectorNames: readonly string[];
  /** Every property this connector understands (beyond `upstream.source`/`connector`). */
  readonly properties: readonly PropertySpec[];
  /** One line, for help and errors. */
  readonly description: string;
  /**
   * The connector's rows carry their operation whatever the format (a change-data connector
   * such as postgres-cdc): SQL treats its sources as changelogs (deletes are retractions, the
   * CLI prints each line's operation) and its tables need a primary key.
   */
  readonly changelog?: boolean;
  /**
   * The upstream tables a change-data connector reads with these properties (one split each):
   * a SQL table keyed by primary key holds one of them (a TRUNCATE empties the whole table).
   */
  tablesOf?(properties: Readonly<Record<string, string>>): readonly string[];
  create(context: ConnectorContext): Source<Row>;
}
