import type { PropertySpec } from '../connectors/ConnectorFactory.js';
import { MAX_TIMER_DELAY_MS } from '../connectors/checkPropertyValue.js';
import { DEFAULT_BAD_RECORD_POLICY, DEFAULT_CHECKPOINT_INTERVAL_MS } from '../core/SourceOptions.js';

export { MAX_TIMER_DELAY_MS };

/** Property names that name the connector: the seed's `upstream.source`, RisingWave's `connector`. */
export const CONNECTOR_SELECTORS: readonly string[] = ['upstream.source', 'connector'];

/**
 * Properties every source takes, whichever its connector: how bad records are handled and how
 * often checkpoints are taken. They map to `SourceOptions`.
 */
export const SOURCE_PROPERTIES: readonly PropertySpec[] = [
  {
    name: 'bad.records',
    type: 'enum',
    values: ['fail', 'skip', 'dead-letter'],
    default: DEFAULT_BAD_RECORD_POLICY,
    description: 'What a record that cannot be decoded or breaks the schema does: fail the source, be skipped (counted), or go to the dead-letter stream.',
  },
  {
    name: 'checkpoint.interval.ms',
    type: 'integer',
    min: 1,
    max: MAX_TIMER_DELAY_MS,
    default: String(DEFAULT_CHECKPOINT_INTERVAL_MS),
    description: 'Milliseconds between checkpoint barriers.',
  },
  {
    name: 'source_rate_limit',
    type: 'integer',
    min: 0,
    description:
      "Rows per second the source emits at most (RisingWave's source_rate_limit): 0 pauses it; absent, no limit. Change it while running with ALTER SOURCE name SET source_rate_limit = n (or DEFAULT).",
  },
];

/** A format property of the WITH clause and the `createFormat` option it sets. */
export interface FormatPropertySpec extends PropertySpec {
  /** The format it applies to. */
  readonly format: string;
  /** The `createFormat` option name. */
  readonly option: string;
}

/**
 * Format options given as WITH properties, the seed's style (`'csv.delimiter' = '|'`). With
 * RisingWave's syntax they go in the `ENCODE CSV (...)` clause instead.
 */
export const FORMAT_PROPERTIES: readonly FormatPropertySpec[] = [
  { name: 'csv.delimiter', format: 'csv', option: 'delimiter', type: 'string', default: ',', description: 'CSV field separator, one character.' },
  { name: 'csv.header', format: 'csv', option: 'header', type: 'boolean', default: 'true', description: 'Whether the first line of each file names the columns.' },
  { name: 'csv.quote', format: 'csv', option: 'quote', type: 'string', default: '"', description: 'CSV quote character.' },
  { name: 'csv.escape', format: 'csv', option: 'escape', type: 'string', description: 'Escape character inside quoted CSV fields (default: the quote, as in RFC 4180).' },
  {
    name: 'csv.empty',
    format: 'csv',
    option: 'empty',
    type: 'enum',
    values: ['null', 'empty'],
    default: 'null',
    description: "An empty unquoted CSV field is NULL ('null') or the empty string ('empty').",
  },
  {
    name: 'json.array',
    format: 'json',
    option: 'json.array',
    type: 'enum',
    values: ['auto', 'true', 'false'],
    default: 'auto',
    description: 'Files: one JSON array of objects (true), NDJSON (false), or decided by the first character (auto).',
  },
  { name: 'avro.schema', format: 'avro', option: 'schema', type: 'string', description: 'The Avro writer schema, as JSON text (for messages without an embedded schema).' },
  { name: 'avro.schema.file', format: 'avro', option: 'schema.file', type: 'string', description: 'Path of a file holding the Avro writer schema.' },
];
