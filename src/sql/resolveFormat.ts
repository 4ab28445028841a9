import { fileURLToPath } from 'node:url';
import { didYouMean } from './didYouMean.js';
import { quoted, SqlError } from './SqlError.js';
import type { FormatClause } from './Statement.js';

/** The formats a source can declare. */
export const FORMAT_NAMES: readonly string[] = ['json', 'csv', 'avro', 'protobuf'];

/** A format name and the options `createFormat` takes for it. */
export interface ResolvedFormat {
  readonly name: string;
  readonly options: Readonly<Record<string, string>>;
  /**
   * The change-data envelope (`debezium`, `maxwell`, `canal`, `upsert`), when the rows carry an
   * operation and so need a primary key to be applied by; absent for PLAIN.
   */
  readonly changelog?: ChangelogFormat;
}

/** RisingWave's change-data `FORMAT`s. */
export type ChangelogFormat = 'debezium' | 'maxwell' | 'canal' | 'upsert';

/**
 * The `createFormat` name of each change-data `FORMAT ... ENCODE JSON` (the names the formats
 * register under), and the `ENCODE JSON (...)` options each takes.
 */
const CHANGELOG_FORMATS: Readonly<Record<ChangelogFormat, { readonly name: string; readonly options: readonly string[] }>> = {
  debezium: { name: 'debezium_json', options: ['ignore_key'] },
  maxwell: { name: 'maxwell', options: [] },
  canal: { name: 'canal_json', options: [] },
  upsert: { name: 'upsert_json', options: [] },
};

function isChangelogFormat(format: string): format is ChangelogFormat {
  return Object.hasOwn(CHANGELOG_FORMATS, format);
}

/** The options of RisingWave's `ENCODE X (...)` clause, by encoding. */
const ENCODE_OPTIONS: Readonly<Record<string, readonly string[]>> = {
  json: ['json.array', 'schema.registry', 'schema.registry.username', 'schema.registry.password'],
  csv: ['delimiter', 'without_header', 'quote', 'escape', 'empty'],
  avro: ['schema.location', 'schema.registry', 'schema.registry.username', 'schema.registry.password'],
  protobuf: ['message', 'schema.location', 'schema.registry', 'schema.registry.username', 'schema.registry.password'],
};

/**
 * Turns a statement's format clause (and the format properties of its WITH clause) into a
 * `createFormat` name and options:
 *
 * - `ROW FORMAT 'csv'` with `'csv.delimiter' = '|'`, `'csv.header' = 'false'` → csv, `{ delimiter: '|', header: 'false' }`;
 * - `FORMAT PLAIN ENCODE CSV (delimiter = ',', without_header = 'true')` → csv, `{ delimiter: ',', header: 'false' }`;
 * - `FORMAT PLAIN ENCODE AVRO (schema.location = 'file:///s.avsc')` or `ROW FORMAT 'avro' ROW SCHEMA
 *   LOCATION 'file:///s.avsc'` → avro, `{ 'schema.file': '/s.avsc' }`.
 * - `FORMAT PLAIN ENCODE AVRO (schema.registry = 'http://r:8081', schema.registry.username = ...,
 *   schema.registry.password = ...)`, or the seed's `ROW FORMAT AVRO ROW SCHEMA LOCATION
 *   'http://r:8081'` (also `... LOCATION CONFLUENT SCHEMA REGISTRY 'http://r:8081'`) → avro,
 *   `{ 'schema.registry': 'http://r:8081', ... }`: the Confluent wire format.
 * - `FORMAT PLAIN ENCODE PROTOBUF (message = 'shop.Order', schema.location = 'file:///shop.pb')` →
 *   protobuf, `{ message: 'shop.Order', 'schema.file': '/shop.pb' }`; `schema.registry` as for Avro.
 *
 * - `FORMAT DEBEZIUM | MAXWELL | CANAL | UPSERT ENCODE JSON` (or the seed-era `ROW FORMAT DEBEZIUM_JSON |
 *   MAXWELL | CANAL_JSON | UPSERT_JSON`) → `debezium_json`, `maxwell`, `canal_json`, `upsert_json`,
 *   with `changelog` set: their rows carry an operation, applied by primary key (the session
 *   checks that one is declared). `ignore_key` is Debezium's one option.
 * - `FORMAT DEBEZIUM ENCODE AVRO (schema.location = 'file:///envelope.avsc')` → `debezium_avro`,
 *   `{ 'schema.file': '/envelope.avsc' }`, `changelog` set; `(schema.registry = 'http://...')` and the
 *   seed's `ROW FORMAT DEBEZIUM_AVRO ROW SCHEMA LOCATION CONFLUENT SCHEMA REGISTRY '...'` read the
 *   Confluent wire format with the registry's schemas.
 */
export function resolveFormat(
  sourceName: string,
  clause: FormatClause | undefined,
  withOptions: Readonly<Record<string, Readonly<Record<string, string>>>>,
): ResolvedFormat {
  const where = `source "${sourceName}"`;
  if (clause === undefined) {
    throw new SqlError(`${where}: no row format; add ROW FORMAT 'json' (or 'csv', 'avro'), or FORMAT PLAIN ENCODE JSON`);
  }
  const envelope = clause.format;
  const shown = clause.legacy === undefined ? `FORMAT ${envelope?.toUpperCase()} ENCODE ${clause.encode.toUpperCase()}` : `ROW FORMAT ${clause.legacy.toUpperCase()}`;
  if (envelope === 'debezium' && clause.encode === 'avro') return debeziumAvro(where, shown, clause, withOptions);
  if (envelope !== undefined && isChangelogFormat(envelope)) {
    if (clause.encode !== 'json') {
      throw new SqlError(`${where}: ${shown} is not supported; change data is read as ENCODE JSON (Debezium also as ENCODE AVRO)`, clause.position);
    }
    for (const [format] of Object.entries(withOptions)) {
      throw new SqlError(`${where}: ${format}.* properties do not apply to ${shown}`, clause.position);
    }
    const spec = CHANGELOG_FORMATS[envelope];
    const options: Record<string, string> = {};
    for (const option of clause.options) {
      if (!spec.options.includes(option.key)) {
        throw new SqlError(
          `${where}: unknown ${shown} option '${option.key}'` + (spec.options.length > 0 ? `; known: ${spec.options.join(', ')}` : '; it takes none'),
          option.position,
        );
      }
      const v = option.value.toLowerCase();
      if (v !== 'true' && v !== 'false') throw new SqlError(`${where}: ${option.key} must be 'true' or 'false', got ${quoted(option.value)}`, option.position);
      options[option.key] = v;
    }
    return { name: spec.name, options, changelog: envelope };
  }
  const name = clause.encode;
  if (!FORMAT_NAMES.includes(name)) {
    const hint = didYouMean(name, FORMAT_NAMES);
    throw new SqlError(
      `${where}: unknown row format '${name}'${hint === undefined ? '' : ` (did you mean '${hint}'?)`}; supported: ${FORMAT_NAMES.join(', ')}`,
      clause.position,
    );
  }
  if (envelope !== undefined && envelope !== 'plain') {
    throw new SqlError(`${where}: ${shown} is not supported; tributary reads FORMAT PLAIN, DEBEZIUM, MAXWELL, CANAL and UPSERT`, clause.position);
  }
  for (const [format] of Object.entries(withOptions)) {
    if (format !== name) throw new SqlError(`${where}: ${format}.* properties are given but the row format is ${name}`, clause.position);
  }
  const options: Record<string, string> = { ...(withOptions[name] ?? {}) };
  const allowed = ENCODE_OPTIONS[name] ?? [];
  for (const option of clause.options) {
    if (!allowed.includes(option.key)) {
      const hint = didYouMean(option.key, allowed);
      throw new SqlError(
        `${where}: unknown ENCODE ${name.toUpperCase()} option '${option.key}'${hint === undefined ? '' : ` (did you mean '${hint}'?)`}` +
          (allowed.length > 0 ? `; known: ${allowed.join(', ')}` : '; it takes none'),
        option.position,
      );
    }
    switch (option.key) {
      case 'without_header': {
        const v = option.value.toLowerCase();
        if (v !== 'true' && v !== 'false') throw new SqlError(`${where}: without_header must be 'true' or 'false', got ${quoted(option.value)}`, option.position);
        options.header = v === 'true' ? 'false' : 'true';
        break;
      }
      case 'schema.location':
        // The seed's `ROW FORMAT AVRO ROW SCHEMA LOCATION 'http://registry:8081'` names a schema registry.
        if (clause.format === undefined && /^https?:\/\//i.test(option.value)) options['schema.registry'] = option.value;
        else options['schema.file'] = schemaPath(where, option.value, option.position);
        break;
      default:
        options[option.key] = option.value;
    }
  }
  return { name, options };
}

const DEBEZIUM_AVRO_OPTIONS = ['schema.location', 'schema.registry', 'schema.registry.username', 'schema.registry.password'];

/**
 * `FORMAT DEBEZIUM ENCODE AVRO (schema.location = 'file://...')` → `debezium_avro` with the
 * envelope's writer schema from that file; `(schema.registry = 'http://...', ...)` or the seed's
 * `ROW FORMAT DEBEZIUM_AVRO ROW SCHEMA LOCATION [CONFLUENT SCHEMA REGISTRY] 'http://...'` → the
 * Confluent wire format with the envelope schemas from that registry.
 */
function debeziumAvro(
  where: string,
  shown: string,
  clause: FormatClause,
  withOptions: Readonly<Record<string, Readonly<Record<string, string>>>>,
): ResolvedFormat {
  for (const [format] of Object.entries(withOptions)) {
    throw new SqlError(`${where}: ${format}.* properties do not apply to ${shown}`, clause.position);
  }
  const options: Record<string, string> = {};
  for (const option of clause.options) {
    if (!DEBEZIUM_AVRO_OPTIONS.includes(option.key)) {
      const hint = didYouMean(option.key, DEBEZIUM_AVRO_OPTIONS);
      throw new SqlError(`${where}: unknown ${shown} option '${option.key}'${hint === undefined ? '' : ` (did you mean '${hint}'?)`}; known: ${DEBEZIUM_AVRO_OPTIONS.join(', ')}`, option.position);
    }
    if (option.key === 'schema.location') {
      // The seed's ROW SCHEMA LOCATION 'http://...' names the registry.
      if (clause.legacy !== undefined && /^https?:\/\//i.test(option.value)) options['schema.registry'] = option.value;
      else options['schema.file'] = schemaPath(where, option.value, option.position);
    } else {
      options[option.key] = option.value;
    }
  }
  if (options['schema.file'] !== undefined && options['schema.registry'] !== undefined) {
    throw new SqlError(`${where}: ${shown} takes schema.location or schema.registry, not both`, clause.position);
  }
  // From code (no position), the schema comes as createFormat's own options (schema, schema.file).
  if (options['schema.file'] === undefined && options['schema.registry'] === undefined && clause.position !== undefined) {
    throw new SqlError(
      `${where}: ${shown} needs the envelope's writer schema: add (schema.location = 'file:///path/envelope.avsc') or (schema.registry = 'http://host:8081') for the Confluent wire format`,
      clause.position,
    );
  }
  return { name: 'debezium_avro', options, changelog: 'debezium' };
}

function schemaPath(where: string, location: string, position: FormatClause['position']): string {
  if (location.startsWith('file://')) return fileURLToPath(location);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(location)) {
    throw new SqlError(`${where}: schema.location ${quoted(location)} is not supported: give a file:// URL or a path`, position);
  }
  return location;
}
