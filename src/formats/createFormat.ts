import { avroFormat } from './avroFormat.js';
import { protobufFormat } from './protobufFormat.js';
import { registryAvroFormat } from './registryAvroFormat.js';
import { registryJsonFormat } from './registryJsonFormat.js';
import type { SchemaRegistryOptions } from './SchemaRegistryClient.js';
import { canalJsonFormat } from './canalJsonFormat.js';
import { debeziumAvroFormat } from './debeziumAvroFormat.js';
import { debeziumJsonFormat } from './debeziumJsonFormat.js';
import { maxwellFormat } from './maxwellFormat.js';
import { upsertJsonFormat } from './upsertJsonFormat.js';
import { csvFormat } from './csvFormat.js';
import type { CsvEmpty } from './csvFormat.js';
import type { Format } from './Format.js';
import { jsonFormat } from './jsonFormat.js';
import type { JsonArrayMode } from './jsonFormat.js';

/** The options that read writer schemas from a Confluent-compatible schema registry. */
const REGISTRY_OPTIONS = ['schema.registry', 'schema.registry.username', 'schema.registry.password', 'schema.registry.subject'] as const;

/** Names `createFormat` understands. */
export const formatNames = ['json', 'csv', 'avro', 'protobuf', 'debezium_json', 'debezium_avro', 'maxwell', 'canal_json', 'upsert_json'] as const;

/** The string options each format understands (the spelling of SQL `ENCODE ... (key = 'value')`). */
export const formatOptions: Readonly<Record<(typeof formatNames)[number], readonly string[]>> = {
  json: ['json.array', 'schema.registry', 'schema.registry.username', 'schema.registry.password', 'schema.registry.subject'],
  csv: ['delimiter', 'header', 'quote', 'escape', 'empty'],
  avro: ['schema', 'schema.file', 'schema.registry.reader.id', ...REGISTRY_OPTIONS],
  protobuf: ['message', 'schema.file', ...REGISTRY_OPTIONS],
  debezium_json: ['ignore_key'],
  debezium_avro: ['schema', 'schema.file', ...REGISTRY_OPTIONS],
  maxwell: [],
  canal_json: [],
  upsert_json: [],
};

/**
 * Builds a format from its name and string options, as SQL and connector properties give them.
 * Names are case-insensitive. An unknown name or option, or a bad value, is an `Error` that lists
 * the valid ones.
 *
 * - `json`: `json.array` = `auto` (default) | `true` | `false` (see {@link jsonFormat}); with
 *   `schema.registry`, the Confluent wire format (see {@link registryJsonFormat}).
 * - `csv`: `delimiter` (`,`; `\t` or `tab` for a tab), `header` (`true`), `quote` (`"`),
 *   `escape` (the quote), `empty` = `null` (default: empty unquoted fields are NULL) | `empty`.
 *   `columns`: the declared column names (see {@link csvFormat}).
 * - `avro`: `schema` (writer schema JSON) or `schema.file` (a path), for messages; or
 *   `schema.registry` (the base URL of a Confluent-compatible registry's API, with
 *   `schema.registry.username`/`.password` and `schema.registry.subject`, the reader schema's
 *   subject): messages in the Confluent wire format (see {@link registryAvroFormat}).
 * - `protobuf`: `message` (the fully qualified type) and `schema.file` (a FileDescriptorSet or a
 *   `.proto` file), or the `schema.registry` options (see {@link protobufFormat}).
 * - change data, whose rows carry their operation (`OP`) for `toTable`: `debezium_json`
 *   (`ignore_key` = `true` | `false`), `maxwell`, `canal_json`, `upsert_json` (keyed by the
 *   message key), `debezium_avro` (`schema` or `schema.file`: the envelope's writer schema, as
 *   for `avro`). `columns`: the declared column names, which fields match case-insensitively.
 *
 * @example
 * const format = createFormat('csv', { delimiter: ';', header: 'false' }, ['id', 'name']);
 */
export function createFormat(name: string, options: Readonly<Record<string, string>> = {}, columns?: readonly string[]): Format {
  const key = name.toLowerCase();
  if (!isFormatName(key)) {
    throw new Error(`unknown format ${JSON.stringify(name)}: expected one of ${formatNames.join(', ')}`);
  }
  const known = formatOptions[key];
  for (const option of Object.keys(options)) {
    if (!known.includes(option)) {
      throw new Error(`unknown ${key} format option ${JSON.stringify(option)}: ${known.length === 0 ? 'it takes none' : `expected one of ${known.join(', ')}`}`);
    }
  }
  switch (key) {
    case 'json': {
      const json = jsonFormat({ array: options['json.array'] as JsonArrayMode | undefined });
      const url = options['schema.registry'];
      return url === undefined ? json : registryJsonFormat(json, registryOptions(options, url));
    }
    case 'csv':
      return csvFormat({
        delimiter: unescapeCharacter(options['delimiter']),
        header: parseBoolean('csv', 'header', options['header']),
        quote: options['quote'],
        escape: options['escape'],
        empty: options['empty'] as CsvEmpty | undefined,
        columns,
      });
    case 'avro': {
      const url = options['schema.registry'];
      if (url === undefined) return avroFormat({ schema: options['schema'], schemaFile: options['schema.file'] });
      if (options['schema'] !== undefined || options['schema.file'] !== undefined) {
        throw new Error("avro options 'schema.registry' and 'schema'/'schema.file' exclude each other: the registry gives the writer schemas");
      }
      const readerId = options['schema.registry.reader.id'];
      if (readerId !== undefined && !/^\d+$/.test(readerId)) throw new Error(`avro option 'schema.registry.reader.id' must be a schema id, got ${JSON.stringify(readerId)}`);
      return registryAvroFormat({
        registry: registryOptions(options, url),
        subject: options['schema.registry.subject'],
        ...(readerId === undefined ? {} : { readerSchemaId: Number(readerId) }),
      });
    }
    case 'protobuf': {
      const url = options['schema.registry'];
      return protobufFormat({
        ...(options['message'] === undefined ? {} : { message: options['message'] }),
        ...(options['schema.file'] === undefined ? {} : { schemaFile: options['schema.file'] }),
        ...(url === undefined ? {} : { registry: registryOptions(options, url) }),
      });
    }
    case 'debezium_json':
      return debeziumJsonFormat({ ignoreKey: parseBoolean('debezium_json', 'ignore_key', options['ignore_key']), columns });
    case 'debezium_avro': {
      const url = options['schema.registry'];
      const registry = url === undefined ? {} : { registry: registryOptions(options, url), subject: options['schema.registry.subject'] };
      return debeziumAvroFormat({ schema: options['schema'], schemaFile: options['schema.file'], columns, ...registry });
    }
    case 'maxwell':
      return maxwellFormat({ columns });
    case 'canal_json':
      return canalJsonFormat({ columns });
    case 'upsert_json':
      return upsertJsonFormat({ columns });
  }
}

function registryOptions(options: Readonly<Record<string, string>>, url: string): SchemaRegistryOptions {
  const username = options['schema.registry.username'];
  const password = options['schema.registry.password'];
  return { url, ...(username === undefined ? {} : { username }), ...(password === undefined ? {} : { password }) };
}

function isFormatName(name: string): name is (typeof formatNames)[number] {
  return (formatNames as readonly string[]).includes(name);
}

function parseBoolean(format: string, option: string, value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  const v = value.toLowerCase();
  if (v === 'true') return true;
  if (v === 'false') return false;
  throw new Error(`${format} option '${option}' must be true or false, got ${JSON.stringify(value)}`);
}

/** SQL strings cannot hold a tab easily: accept `\t` and `tab`. */
function unescapeCharacter(value: string | undefined): string | undefined {
  if (value === '\\t' || value?.toLowerCase() === 'tab') return '\t';
  return value;
}
