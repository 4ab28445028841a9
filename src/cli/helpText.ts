import type { ConnectorFactory, PropertySpec } from '../connectors/ConnectorFactory.js';
import { FORMAT_PROPERTIES, SOURCE_PROPERTIES } from '../sql/commonProperties.js';

/**
 * `tributary --help`: commands, options, then every connector and its properties as the
 * factories declare them, the source-wide properties and the formats. Generated, so it cannot
 * drift from what `CREATE SOURCE` accepts.
 */
export function helpText(connectors: readonly ConnectorFactory[]): string {
  const lines = [
    'tributary: run SQL over reactive source connectors, with barrier-driven checkpoints.',
    '',
    'Usage:',
    '  tributary run <file.sql> [options]   Run the statements of a file; write the rows of its last',
    '                                       SELECT (or, without one, of its last source) to stdout as',
    '                                       NDJSON, one JSON object per line.',
    '  tributary check <file.sql>           Parse and validate the file (connectors, properties,',
    '                                       columns) without reading anything.',
    '  tributary --help | --version',
    '',
    'Options of run:',
    '  --state <dir>                  Keep checkpoints in <dir> (created if absent). A later run with',
    '                                 the same <dir> resumes after the last successful checkpoint;',
    '                                 a finished bounded source emits nothing new.',
    '  --state postgres://user:password@host:port/db[?table=name]',
    '                                 Keep checkpoints in a PostgreSQL table (default',
    '                                 tributary_state; needs npm pg). The password is never printed.',
    '  --share                        With a postgres:// --state: processes running the same source',
    '                                 names share their splits (leases in <table>_leases): each split',
    '                                 is read by one process, taken over when its holder dies.',
    '  --lease-ms <ms>                Lease time of --share (default 15000): how soon a dead or',
    '                                 stopped process\'s splits move to the others.',
    '  --checkpoint-interval <ms>     Default checkpoint interval (default 1000; a source\'s',
    "                                 'checkpoint.interval.ms' property wins).",
    '  --bad-records <policy>         fail (default) | skip | dead-letter, unless a source sets',
    "                                 'bad.records'. dead-letter needs --dead-letter.",
    '  --dead-letter <file>           Append bad records to <file> as NDJSON: {"source", "split",',
    '                                 "position", "error", "raw" (bytes in base64, or null)}, synced',
    '                                 before the checkpoint that skips them. Alone, it implies',
    '                                 --bad-records dead-letter; with skip or fail it is an error.',
    '  -q, --quiet                    No summary line at the end of the run, and no progress line.',
    '  --metrics-port [host:]<port>   Serve the sources\' metrics for Prometheus at',
    '                                 http://host:port/metrics while running (rows, bytes, lag, checkpoint',
    '                                 time and size; host 127.0.0.1 unless given, port 0 picks one).',
    '                                 Needs the prom-client package (npm install prom-client).',
    '',
    'Behaviour:',
    '  A bounded query (files, a bounded scan, a LIMIT) exits 0 when done. An unbounded one runs',
    '  until SIGINT/SIGTERM, then writes a final checkpoint and exits 0 (a second signal exits at',
    '  once). BIGINT and NUMERIC values are printed as JSON numbers with every digit; TIMESTAMPTZ',
    '  as ISO 8601 strings; BYTEA as "\\x..." strings. A LIMIT stops reading without a final',
    '  checkpoint. A checkpoint commits only rows stdout has taken (in the pipe for its reader,',
    '  or synced to the file): a slow reader slows the sources, and a kill loses no committed',
    '  row. An error in the query or the output exits 1 without committing past the row, so a',
    '  rerun meets it again. With stderr on a terminal, a progress line shows rows, bytes, rate and',
    '  lag (where the source knows it), left in place at the end. Every run ends with one line on',
    '  stderr: rows, bad records, elapsed time, rows/s and the last epoch committed (--quiet: none).',
    '  A query whose result changes (a CREATE TABLE, a change-data format, an aggregate) or is',
    '  ordered prints, over a bounded input, its final result (ordered, limited) at the end;',
    '  over an unbounded one, each change as it happens, the line saying its operation in "__op":',
    '  insert, delete, update_before, update_after (an update is two lines, before then after).',
    '  Exit codes: 0 done; 1 runtime error (one line on stderr); 2 usage or SQL error.',
    '',
    'SQL:',
    '  CREATE {SOURCE | TABLE | MATERIALIZED SOURCE} [IF NOT EXISTS] name (col TYPE [NOT NULL | PRIMARY KEY], ...',
    '    [, PRIMARY KEY (col, ...)]) [INCLUDE KEY | PARTITION | OFFSET | TIMESTAMP | HEADER [AS col]] [APPEND ONLY]',
    "    WITH ('upstream.source' = 'fs', 'fs.path' = 'data', ...)   -- or connector = 'fs'",
    "    ROW FORMAT 'csv'                                          -- or FORMAT PLAIN ENCODE CSV (...)",
    '    Change data: FORMAT DEBEZIUM | MAXWELL | CANAL | UPSERT ENCODE JSON, or ROW FORMAT DEBEZIUM_JSON |',
    '    MAXWELL | CANAL_JSON | UPSERT_JSON; needs a PRIMARY KEY (UPSERT: the INCLUDE KEY column).',
    '  SELECT expr [AS alias], ... | * FROM name [WHERE cond] [GROUP BY expr, ...]',
    '    [ORDER BY col | n | expr [ASC | DESC] [NULLS FIRST | LAST], ...] [LIMIT n]',
    '  Aggregates: count(*), count, sum, min, max, avg; maintained incrementally, checkpointed.',
    '  ALTER SOURCE name SET source_rate_limit = n | DEFAULT   -- rows/s (0 pauses); applies at once.',
    '  Types: SMALLINT, INTEGER, BIGINT, REAL, DOUBLE PRECISION, NUMERIC(p,s), BOOLEAN, VARCHAR(n),',
    '    CHAR(n), TEXT, DATE, TIME, TIMESTAMP, TIMESTAMPTZ, BYTEA, JSONB, STRUCT<f TYPE, ...>, TYPE[].',
    '  Expressions: + - * / %, ||, = <> < <= > >=, AND OR NOT, IS [NOT] NULL, [NOT] LIKE/ILIKE,',
    '    IN (...), BETWEEN, CASE, CAST(x AS type) and x::type, lower, upper, length, trim, substr,',
    '    concat, coalesce, nullif, abs, round, floor, ceil.',
    '',
    'Connectors (select one with upstream.source or connector = <name>):',
  ];
  for (const factory of connectors) {
    lines.push('', `  ${factory.connectorNames.join(' | ')}: ${factory.description}`);
    for (const spec of factory.properties) lines.push(...describeProperty(spec));
  }
  lines.push('', 'Properties of every source:');
  for (const spec of SOURCE_PROPERTIES) lines.push(...describeProperty(spec));
  lines.push(
    '',
    "Formats (ROW FORMAT 'x', or FORMAT PLAIN ENCODE X (...)):",
    '  json   One JSON object per message; files are NDJSON or one JSON array of objects:',
  );
  for (const spec of FORMAT_PROPERTIES.filter((s) => s.format === 'json')) lines.push(...describeProperty(spec));
  lines.push(
    '  csv    RFC 4180. ENCODE CSV (delimiter = \',\', without_header = \'true\'), or WITH properties:',
  );
  for (const spec of FORMAT_PROPERTIES.filter((s) => s.format === 'csv')) lines.push(...describeProperty(spec));
  lines.push("  avro   Object container files, or messages with a given schema: ENCODE AVRO (schema.location = 'file:///s.avsc'), or:");
  for (const spec of FORMAT_PROPERTIES.filter((s) => s.format === 'avro')) lines.push(...describeProperty(spec));
  lines.push(
    "         Confluent wire format with a schema registry: ENCODE AVRO (schema.registry = 'http://host:8081', schema.registry.username/password = ...)",
    "         (also ENCODE JSON (schema.registry = ...), FORMAT DEBEZIUM ENCODE AVRO (schema.registry = ...))",
    "  protobuf  ENCODE PROTOBUF (message = 'pkg.Type', schema.location = 'file:///x.pb' (a FileDescriptorSet or .proto)), or (schema.registry = ...)",
    '',
    'Example:',
    '  tributary run examples/part.sql',
    '  tributary run pipeline.sql --state ./checkpoints | jq .',
  );
  return `${lines.join('\n')}\n`;
}

function describeProperty(spec: PropertySpec): string[] {
  const facts: string[] = [spec.type === 'enum' ? (spec.values ?? []).join('|') : spec.type];
  if (spec.required === true) facts.push('required');
  if (spec.default !== undefined) facts.push(`default '${spec.default}'`);
  if (spec.secret === true) facts.push('secret');
  const names = [spec.name, ...(spec.aliases ?? [])].join(', ');
  return [`    ${names} (${facts.join(', ')})`, `        ${spec.description}`];
}
