import assert from 'node:assert/strict';
import { test } from 'node:test';
import { builtinConnectors } from '../../src/sql/builtinConnectors.js';
import { parseSql } from '../../src/sql/parseSql.js';
import { resolveConnector } from '../../src/sql/resolveConnector.js';
import { Session } from '../../src/sql/Session.js';
import { SqlError, SqlSyntaxError } from '../../src/sql/SqlError.js';
import type { CreateSourceStatement } from '../../src/sql/Statement.js';

// RisingWave's DDL for change data, as its e2e tests write it (e2e_test/source_legacy/basic/kafka.slt
// at f217edde107f, and the seed-era e2e_test/source/basic/kafka.slt at eea0cd6f145), accepted as
// written; and the statements RisingWave refuses, refused with a message that says why.

const KAFKA = `connector = 'kafka', topic = 't', properties.bootstrap.server = '127.0.0.1:9'`;

function create(sql: string): CreateSourceStatement {
  const [statement] = parseSql(sql);
  assert.equal(statement?.kind, 'create source');
  return statement as CreateSourceStatement;
}

function syntaxError(sql: string): string {
  try {
    parseSql(sql);
  } catch (err) {
    assert.ok(err instanceof SqlSyntaxError, String(err));
    return err.message;
  }
  assert.fail(`expected ${JSON.stringify(sql)} not to parse`);
}

/** Executes a statement in a fresh session and returns its error message. */
function refused(sql: string): string {
  try {
    new Session().execute(sql);
  } catch (err) {
    assert.ok(err instanceof SqlError, String(err));
    return err.message;
  }
  assert.fail(`expected ${JSON.stringify(sql)} to be refused`);
}

test('CREATE TABLE ... PRIMARY KEY (a, b) ... FORMAT DEBEZIUM ENCODE JSON, as RisingWave writes it', () => {
  const s = create(`CREATE TABLE dbz_ignore_case_json (
   L_ORDERKEY BIGINT,
   L_LINENUMBER BIGINT,
   L_QUANTITY DECIMAL,
   L_SHIPDATE DATE,
   PRIMARY KEY(L_ORDERKEY, L_LINENUMBER)
) WITH (
    connector = 'kafka',
    properties.bootstrap.server = 'message_queue:29092',
    topic = 'debezium_ignore_case_json'
) FORMAT DEBEZIUM ENCODE JSON`);
  assert.equal(s.object, 'table');
  assert.deepEqual(s.primaryKey, ['l_orderkey', 'l_linenumber']);
  assert.deepEqual(s.columns.map((c) => c.name), ['l_orderkey', 'l_linenumber', 'l_quantity', 'l_shipdate']);
  assert.deepEqual({ format: s.format?.format, encode: s.format?.encode }, { format: 'debezium', encode: 'json' });
  const session = new Session();
  const [result] = session.execute(`CREATE TABLE d (a BIGINT, b BIGINT, PRIMARY KEY (a, b)) WITH (${KAFKA}) FORMAT DEBEZIUM ENCODE JSON`);
  assert.ok(result?.kind === 'create source');
  assert.deepEqual(result.source.primaryKey, ['a', 'b']);
  assert.equal(result.source.changelog, true);
  assert.equal(result.source.format, 'debezium_json');
});

test('a column declared PRIMARY KEY, FORMAT MAXWELL / CANAL, and ENCODE JSON (ignore_key = ...)', () => {
  const session = new Session();
  for (const [sql, format] of [
    [`create table a (id integer primary key, name varchar) with (${KAFKA}) FORMAT MAXWELL ENCODE JSON`, 'maxwell'],
    [`create table b (v1 int, v2 int, PRIMARY KEY (v1)) with (${KAFKA}) FORMAT CANAL ENCODE JSON`, 'canal_json'],
    [`CREATE TABLE c (order_id int primary key) with (connector = 'kafka', topic = 'x', kafka.brokers = '127.0.0.1:9', kafka.scan.startup.mode = 'earliest') FORMAT DEBEZIUM ENCODE JSON (ignore_key = 'true')`, 'debezium_json'],
  ] as const) {
    const [result] = session.execute(sql);
    assert.ok(result?.kind === 'create source');
    assert.equal(result.source.format, format, sql);
    assert.equal(result.source.primaryKey.length, 1);
  }
  assert.deepEqual(create(`create table a (id integer primary key) with (${KAFKA}) FORMAT MAXWELL ENCODE JSON`).primaryKey, ['id']);
  assert.match(refused(`create table c (id int primary key) with (${KAFKA}) FORMAT DEBEZIUM ENCODE JSON (ignore_key = 'maybe')`), /ignore_key must be 'true' or 'false'/);
  assert.match(refused(`create table c (id int primary key) with (${KAFKA}) FORMAT MAXWELL ENCODE JSON (ignore_key = 'true')`), /unknown FORMAT MAXWELL ENCODE JSON option 'ignore_key'; it takes none/);
  assert.match(refused(`create table c (id int primary key) with (${KAFKA}) FORMAT DEBEZIUM ENCODE AVRO`), /FORMAT DEBEZIUM ENCODE AVRO needs the envelope's writer schema: add \(schema.location = /);
  assert.match(refused(`create table c (id int primary key) with (${KAFKA}) FORMAT MAXWELL ENCODE AVRO`), /FORMAT MAXWELL ENCODE AVRO is not supported; change data is read as ENCODE JSON/);
});

test('seed-era ROW FORMAT DEBEZIUM_JSON | MAXWELL | CANAL_JSON | UPSERT_JSON and CREATE MATERIALIZED SOURCE', () => {
  const expected = { debezium_json: 'debezium', maxwell: 'maxwell', canal_json: 'canal', upsert_json: 'upsert', CANAL_JSON: 'canal' } as const;
  for (const [written, format] of Object.entries(expected)) {
    const s = create(`create materialized source s8 (id integer, first_name varchar, PRIMARY KEY (id)) with (${KAFKA}) row format ${written};`);
    assert.equal(s.object, 'materialized source');
    assert.equal(s.format?.format, format);
    assert.equal(s.format?.legacy, written.toLowerCase());
    const [result] = new Session().execute(`create materialized source s8 (id integer, first_name varchar, PRIMARY KEY (id)) with (${KAFKA}) row format ${written}`);
    assert.ok(result?.kind === 'create source' && result.source.changelog);
  }
  // The seed-era upsert keyed by a declared column (no INCLUDE KEY then).
  const [upsert] = new Session().execute(`create table u ("ID" INT, "firstName" VARCHAR, PRIMARY KEY ("ID")) with (${KAFKA}) ROW FORMAT UPSERT_JSON`);
  assert.ok(upsert?.kind === 'create source');
  assert.deepEqual(upsert.source.primaryKey, ['ID']);
  assert.equal(create(`create materialized source s1 (v1 int, v2 varchar) with (${KAFKA}) row format json`).object, 'materialized source');
  assert.match(refused(`create table m (a int primary key) with (${KAFKA}) row format debezium_mongo_json`), /ROW FORMAT DEBEZIUM_MONGO_JSON is not supported/);
});

test('a change-data format without a primary key is an error that says so', () => {
  for (const format of ['FORMAT DEBEZIUM ENCODE JSON', 'FORMAT MAXWELL ENCODE JSON', 'FORMAT CANAL ENCODE JSON', 'ROW FORMAT DEBEZIUM_JSON', 'ROW FORMAT MAXWELL', 'ROW FORMAT CANAL_JSON', 'ROW FORMAT UPSERT_JSON']) {
    const message = refused(`create table s8 (id integer, first_name varchar) with (${KAFKA}) ${format}`);
    assert.match(message, new RegExp(`table "s8": a primary key must be specified for ${format}: its rows update and delete by key; add PRIMARY KEY`), message);
  }
});

test('FORMAT UPSERT: INCLUDE KEY AS rw_key as the primary key, as RisingWave requires', () => {
  const sql = `CREATE TABLE upsert_students ("ID" INT, "firstName" VARCHAR, age INT, primary key (rw_key)) INCLUDE KEY AS rw_key WITH (${KAFKA}) FORMAT UPSERT ENCODE JSON`;
  const s = create(sql);
  assert.deepEqual(s.includes.map(({ field, column }) => ({ field, column })), [{ field: 'key', column: 'rw_key' }]);
  const [result] = new Session().execute(sql);
  assert.ok(result?.kind === 'create source');
  assert.deepEqual(result.source.columns?.map((c) => `${c.name} ${c.type.name}`), ['ID integer', 'firstName varchar', 'age integer', 'rw_key varchar']);
  assert.deepEqual(result.source.primaryKey, ['rw_key']);
  assert.match(refused(`CREATE TABLE u ("ID" INT, primary key ("ID")) WITH (${KAFKA}) FORMAT UPSERT ENCODE JSON`), /INCLUDE KEY clause not set/);
  assert.match(refused(`CREATE TABLE u ("ID" INT, primary key ("ID")) INCLUDE KEY AS k WITH (${KAFKA}) FORMAT UPSERT ENCODE JSON`), /only "k" can be used as primary key for FORMAT UPSERT ENCODE JSON/);
  assert.match(refused(`CREATE TABLE u ("ID" INT) INCLUDE KEY AS k WITH (${KAFKA}) FORMAT UPSERT ENCODE JSON`), /a primary key must be specified to k for FORMAT UPSERT ENCODE JSON: add PRIMARY KEY \(k\)/);
});

test('INCLUDE key, partition, offset, timestamp, header: default names, AS, and the columns they add', () => {
  const s = create(`create source k (v int) include key include partition as p include offset as o include timestamp include header as h with (${KAFKA}) format plain encode json`);
  assert.deepEqual(s.includes.map(({ field, column }) => `${field}:${column}`), ['key:_rw_kafka_key', 'partition:p', 'offset:o', 'timestamp:_rw_kafka_timestamp', 'header:h']);
  const [result] = new Session().execute(`create source k (v int) include key include partition as p include offset as o include timestamp include header as h with (${KAFKA}) format plain encode json`);
  assert.ok(result?.kind === 'create source');
  assert.deepEqual(result.source.columns?.map((c) => `${c.name} ${c.type.name}`), ['v integer', '_rw_kafka_key varchar', 'p integer', 'o varchar', '_rw_kafka_timestamp timestamptz', 'h jsonb']);
  assert.match(syntaxError(`create source k (v int) include payload with (${KAFKA}) format plain encode json`), /INCLUDE PAYLOAD is not supported/);
  // One header by name (RisingWave: bytea unless VARCHAR is given), quotes doubled in the name.
  const one = create(`create source k (v int) include header 'trace' include header 'it''s' varchar as q with (${KAFKA}) format plain encode json`);
  assert.deepEqual(one.includes.map(({ field, column, header, headerType }) => ({ field, column, header, headerType })), [
    { field: 'header', column: '_rw_kafka_header_trace', header: 'trace', headerType: undefined },
    { field: 'header', column: 'q', header: "it's", headerType: 'varchar' },
  ]);
  const [named] = new Session().execute(`create source k (v int) include header 'trace' include header 'it''s' varchar as q with (${KAFKA}) format plain encode json`);
  assert.ok(named?.kind === 'create source');
  assert.deepEqual(named.source.columns?.map((c) => `${c.name} ${c.type.name}`), ['v integer', '_rw_kafka_header_trace bytea', 'q varchar']);
  assert.match(syntaxError(`create source k (v int) include header 'a' include header 'a' as b with (${KAFKA})`), /INCLUDE HEADER 'a' is given twice/);
  assert.match(syntaxError(`create source k (v int) include key include key as k2 with (${KAFKA})`), /INCLUDE KEY is given twice/);
  assert.match(syntaxError(`create source k (v int) include nonsense`), /expected KEY, PARTITION, OFFSET, TIMESTAMP or HEADER after INCLUDE/);
  assert.match(refused(`create source f (v int) include key with (connector = 'fs', fs.path = '/x') format plain encode json`), /INCLUDE KEY needs a connector with message metadata \(kafka\); connector fs has none/);
  assert.match(refused(`create table d (id int primary key) include partition with (${KAFKA}) format debezium encode json`), /FORMAT DEBEZIUM ENCODE JSON forbids additional columns, but got INCLUDE PARTITION/);
});

test('APPEND ONLY and appendonly', () => {
  const s = create(`create table s5 (v1 int, v2 varchar, v3 int[], v4 struct<v5 int, v6 int>) append only with (${KAFKA}, scan.startup.mode = 'earliest',) FORMAT PLAIN ENCODE JSON`);
  assert.equal(s.appendOnly, true);
  const [plain] = new Session().execute(`create table s5 (v1 int) append only with (${KAFKA}) FORMAT PLAIN ENCODE JSON`);
  assert.ok(plain?.kind === 'create source' && !plain.source.changelog);
  const [legacy] = new Session().execute(`create table s6 (v1 int) with (${KAFKA}, appendonly = 'true') FORMAT PLAIN ENCODE JSON`);
  assert.ok(legacy?.kind === 'create source' && !legacy.source.changelog);
  assert.match(refused(`create table s6 (v1 int) with (${KAFKA}, appendonly = 'maybe') FORMAT PLAIN ENCODE JSON`), /appendonly must be 'true' or 'false'/);
  assert.match(refused(`create table s7 (v1 int, primary key (v1)) append only with (${KAFKA}) FORMAT PLAIN ENCODE JSON`), /an APPEND ONLY table has no primary key/);
  assert.match(refused(`create table s7 (v1 int, primary key (v1)) with (${KAFKA}, appendonly = 'true') FORMAT PLAIN ENCODE JSON`), /an APPEND ONLY table has no primary key/);
  assert.match(refused(`create table s8 (v1 int, primary key (v1)) append only with (${KAFKA}) FORMAT DEBEZIUM ENCODE JSON`), /an APPEND ONLY table does not support FORMAT DEBEZIUM ENCODE JSON: its rows update and delete/);
});

test('primary keys: a table keeps rows by key; a source, a missing column or two keys are refused', () => {
  const [table] = new Session().execute(`create table t (id int, v varchar, primary key (id)) with (${KAFKA}) format plain encode json`);
  assert.ok(table?.kind === 'create source' && table.source.changelog);
  assert.match(refused(`create source s (id int, primary key (id)) with (${KAFKA}) format plain encode json`), /a source does not support PRIMARY KEY; use CREATE TABLE/);
  assert.match(refused(`create table t (id int, primary key (idd)) with (${KAFKA}) format debezium encode json`), /primary key column "idd" is not a column of "t"/);
  assert.match(syntaxError(`create table t (id int primary key, v int, primary key (v))`), /multiple primary keys for "t" are not allowed/);
  assert.match(syntaxError(`create table t (id int, primary key (id, id))`), /column "id" appears twice in the primary key/);
  assert.match(syntaxError(`create table t (id int, primary key ())`), /PRIMARY KEY needs at least one column/);
  assert.match(syntaxError(`create materialized view v as select 1`), /expected SOURCE or TABLE \(materialized views belong to the engine downstream\)/);
});

test('nested types STRUCT<a INT, b VARCHAR> and T[], as in the json_c table', () => {
  const s = create(`CREATE TABLE s12(
    id int,
    code string,
    timestamp bigint,
    xfas struct<device_model_id int, device_make_id int, ip string>[],
    contacts struct<emails string[], phones string[]>,
    jsonb jsonb)
WITH (${KAFKA}, scan.startup.mode = 'earliest')
FORMAT PLAIN ENCODE JSON;`);
  const types = Object.fromEntries(s.columns.map((c) => [c.name, c.type]));
  assert.deepEqual(types['xfas'], {
    name: 'array',
    element: { name: 'struct', fields: [{ name: 'device_model_id', type: { name: 'integer' } }, { name: 'device_make_id', type: { name: 'integer' } }, { name: 'ip', type: { name: 'text' } }] },
  });
  assert.deepEqual(types['contacts'], { name: 'struct', fields: [{ name: 'emails', type: { name: 'array', element: { name: 'text' } } }, { name: 'phones', type: { name: 'array', element: { name: 'text' } } }] });
  assert.deepEqual(create(`create source a (m int[][]) with (${KAFKA})`).columns[0]!.type, { name: 'array', element: { name: 'array', element: { name: 'integer' } } });
  assert.match(syntaxError(`create source a (s struct<>)`), /a STRUCT needs at least one field/);
  assert.match(syntaxError(`create source a (s struct< >)`), /expected a field name, found ">"/);
  assert.match(syntaxError(`create source a (s struct<a int, a text>)`), /field "a" is declared twice in the STRUCT/);
  assert.match(syntaxError(`create source a (s struct<a intt>)`), /unknown column type "intt"/);
  assert.match(syntaxError(`create source a (s struct<a int)`), /expected "," or ">"/);
  assert.match(syntaxError(`create source a (s int[)`), /expected "\]"/);
});

test("seed-era ROW FORMAT CSV WITHOUT HEADER DELIMITED BY ','; CSV with a header on Kafka is refused as RisingWave refuses it", () => {
  const s = create(`create source c (v1 int, v2 varchar) with (${KAFKA}) row format csv without header delimited by ','`);
  assert.deepEqual(s.format?.options.map((o) => `${o.key}=${o.value}`), ['without_header=true', 'delimiter=,']);
  new Session().execute(`create source c (v1 int, v2 varchar) with (${KAFKA}) row format csv without header delimited by ','`);
  new Session().execute(`create table t0 (v1 int, v2 varchar) with (${KAFKA}, scan.startup.mode = 'earliest') FORMAT PLAIN ENCODE CSV (delimiter = ',', without_header = true)`);
  // RisingWave: "CSV HEADER is not supported when creating table with Kafka connector".
  for (const sql of [
    `create table s0 (v1 int, v2 varchar) with (${KAFKA}, scan.startup.mode = 'earliest') FORMAT PLAIN ENCODE CSV (delimiter = ',')`,
    `create source s0 (v1 int) with (${KAFKA}) row format csv delimited by ','`,
    `create source s0 (v1 int) with (${KAFKA}) FORMAT PLAIN ENCODE CSV (without_header = 'false')`,
  ]) {
    assert.match(refused(sql), /CSV HEADER is not supported with the Kafka connector \(every message is one record\): add without_header = 'true'/, sql);
  }
  // Files keep their header.
  new Session().execute(`create source f (v1 int) with (connector = 'fs', fs.path = '/x') FORMAT PLAIN ENCODE CSV (delimiter = ',')`);
  assert.match(syntaxError(`create source c (v int) row format csv delimited by ;`), /expected a delimiter string after DELIMITED BY/);
});

test("RisingWave's property names and aliases select and configure the kafka connector", () => {
  for (const given of [
    { connector: 'kafka', topic: 't', 'properties.bootstrap.server': 'b:1', 'scan.startup.mode': 'earliest' },
    { connector: 'kafka', topic: 't', 'kafka.brokers': 'b:1', 'kafka.scan.startup.mode': 'earliest' },
    { connector: 'kafka', 'kafka.topic': 't', 'kafka.bootstrap.servers': 'b:1', 'scan.startup.mode': 'earliest' },
  ]) {
    const resolved = resolveConnector('s', Object.entries(given).map(([key, value]) => ({ key, value })), builtinConnectors);
    assert.equal(resolved.factory.name, 'kafka');
    assert.equal(resolved.properties['kafka.topic'], 't');
    assert.equal(resolved.properties['kafka.bootstrap.servers'], 'b:1');
    assert.equal(resolved.properties['kafka.scan.startup.mode'], 'earliest');
  }
  assert.match(refused(`create source s (v int) with (connector = 'kafka', topic = 't', kafka.brokers = 'a:1', properties.bootstrap.server = 'b:1') format plain encode json`), /given twice/);
});

test('bounded or not, as the CLI needs to know: fs bounded by default, kafka with scan.bounded.mode', () => {
  const session = new Session();
  session.execute(`create source a (v int) with (connector = 'fs', fs.path = '/x') format plain encode json;
    create source b (v int) with (connector = 'fs', fs.path = '/x', fs.scan.mode = 'unbounded') format plain encode json;
    create source c (v int) with (${KAFKA}) format plain encode json;
    create source d (v int) with (${KAFKA}, scan.bounded.mode = 'latest') format plain encode json;`);
  assert.deepEqual(['a', 'b', 'c', 'd'].map((n) => session.sources.get(n)?.bounded), [true, false, false, true]);
});

test('CREATE TABLE ... FORMAT DEBEZIUM ENCODE AVRO (schema.location = file://...) makes a debezium_avro changelog table', async () => {
  const { mkdtempSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { pathToFileURL } = await import('node:url');
  const { schemaText } = await import('../formats/debeziumAvroEnvelope.js');
  const file = join(mkdtempSync(join(tmpdir(), 'cdc2-sql-')), 'orders-value.avsc');
  writeFileSync(file, schemaText);
  const session = new Session();
  const [result] = session.execute(`CREATE TABLE orders (id INT, name VARCHAR, PRIMARY KEY (id)) WITH (${KAFKA}) FORMAT DEBEZIUM ENCODE AVRO (schema.location = '${pathToFileURL(file).href}')`);
  assert.ok(result?.kind === 'create source');
  assert.equal(result.source.format, 'debezium_avro');
  assert.equal(result.source.changelog, true);
  assert.deepEqual(result.source.primaryKey, ['id']);
  assert.throws(() => new Session().execute(`CREATE TABLE o (id INT) WITH (${KAFKA}) FORMAT DEBEZIUM ENCODE AVRO (schema.location = '${pathToFileURL(file).href}')`), /primary key/i);
  const [registry] = new Session().execute(`CREATE TABLE o (id INT PRIMARY KEY) WITH (${KAFKA}) FORMAT DEBEZIUM ENCODE AVRO (schema.registry = 'http://r:8081')`);
  assert.ok(registry?.kind === 'create source' && registry.source.format === 'debezium_avro' && registry.source.changelog);
});
