import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseSql } from '../../src/sql/parseSql.js';
import { resolveFormat } from '../../src/sql/resolveFormat.js';
import type { CreateSourceStatement } from '../../src/sql/Statement.js';

const formatOf = (sql: string, withOptions: Record<string, Record<string, string>> = {}) =>
  resolveFormat('s', (parseSql(sql)[0] as CreateSourceStatement).format, withOptions);

test("the seed's ROW FORMAT takes csv.* WITH properties as options", () => {
  assert.deepEqual(formatOf(`create source s (a int) row format 'csv'`, { csv: { delimiter: '|', header: 'false' } }), {
    name: 'csv',
    options: { delimiter: '|', header: 'false' },
  });
  assert.deepEqual(formatOf(`create source s (a int) row format 'JSON'`), { name: 'json', options: {} });
});

test("RisingWave's ENCODE options map to createFormat options", () => {
  assert.deepEqual(formatOf(`create source s (a int) format plain encode csv (delimiter = ';', without_header = 'true')`), {
    name: 'csv',
    options: { delimiter: ';', header: 'false' },
  });
  assert.deepEqual(formatOf(`create source s (a int) format plain encode csv (without_header = 'false')`).options, { header: 'true' });
  assert.deepEqual(formatOf(`create source s format plain encode avro (schema.location = 'file:///schemas/s.avsc')`), {
    name: 'avro',
    options: { 'schema.file': '/schemas/s.avsc' },
  });
  assert.deepEqual(formatOf(`create source s row format 'avro' row schema location 'file:///x/y.avsc'`).options, { 'schema.file': '/x/y.avsc' });
  assert.throws(() => formatOf(`create source s format plain encode avro (schema.location = 'http://registry/s')`), /not supported: give a file:\/\/ URL/);
  assert.throws(() => formatOf(`create source s format plain encode csv (without_header = 'maybe')`), /without_header must be 'true' or 'false'/);
  assert.throws(() => formatOf(`create source s format plain encode json (delimiter = ',')`), /unknown ENCODE JSON option 'delimiter'; known: json.array/);
});

test('change-data formats: FORMAT X ENCODE JSON and the seed-era ROW FORMAT names map to the registered formats', () => {
  const cases: [string, string, string][] = [
    ['format debezium encode json', 'debezium_json', 'debezium'],
    ['FORMAT MAXWELL ENCODE JSON', 'maxwell', 'maxwell'],
    ['format canal encode json', 'canal_json', 'canal'],
    ['format upsert encode json', 'upsert_json', 'upsert'],
    ['row format debezium_json', 'debezium_json', 'debezium'],
    ['row format MAXWELL', 'maxwell', 'maxwell'],
    ['row format canal_json', 'canal_json', 'canal'],
    ['row format upsert_json', 'upsert_json', 'upsert'],
  ];
  for (const [clause, name, changelog] of cases) {
    assert.deepEqual(formatOf(`create table t (a int primary key) ${clause}`), { name, options: {}, changelog }, clause);
  }
  assert.deepEqual(formatOf(`create table t (a int primary key) format debezium encode json (ignore_key = 'TRUE')`), { name: 'debezium_json', options: { ignore_key: 'true' }, changelog: 'debezium' });
  assert.throws(() => formatOf(`create table t (a int primary key) row format debezium_json`, { json: { 'json.array': 'true' } }), /json\.\* properties do not apply to ROW FORMAT DEBEZIUM_JSON/);
  assert.throws(() => formatOf(`create table t (a int primary key) format upsert encode avro`), /FORMAT UPSERT ENCODE AVRO is not supported; change data is read as ENCODE JSON/);
  assert.throws(() => formatOf(`create table t (a int primary key) format native encode json`), /FORMAT NATIVE ENCODE JSON is not supported; tributary reads FORMAT PLAIN, DEBEZIUM, MAXWELL, CANAL and UPSERT/);
  // PLAIN stays as it was: no changelog.
  assert.deepEqual(formatOf(`create table t (a int) format plain encode json`), { name: 'json', options: {} });
});

test('FORMAT DEBEZIUM ENCODE AVRO (schema.location = file://...) is debezium_avro; the schema-registry forms read the Confluent wire format', () => {
  assert.deepEqual(formatOf(`create table t (id int primary key) format debezium encode avro (schema.location = 'file:///schemas/orders-value.avsc')`), {
    name: 'debezium_avro',
    options: { 'schema.file': '/schemas/orders-value.avsc' },
    changelog: 'debezium',
  });
  assert.deepEqual(formatOf(`create table t (id int primary key) FORMAT DEBEZIUM ENCODE AVRO (schema.location = 'rel/e.avsc')`).options, { 'schema.file': 'rel/e.avsc' });
  assert.deepEqual(formatOf(`create table t (id int primary key) format debezium encode avro (schema.registry = 'http://registry:8081', schema.registry.username = 'u', schema.registry.password = 'p')`), {
    name: 'debezium_avro',
    options: { 'schema.registry': 'http://registry:8081', 'schema.registry.username': 'u', 'schema.registry.password': 'p' },
    changelog: 'debezium',
  });
  assert.throws(
    () => formatOf(`create table t (id int primary key) format debezium encode avro (schema.registry = 'http://r:8081', schema.location = 'file:///e.avsc')`),
    /takes schema.location or schema.registry, not both/,
  );
  assert.throws(() => formatOf(`create table t (id int primary key) format debezium encode avro`), /needs the envelope's writer schema: add \(schema.location = /);
  assert.throws(() => formatOf(`create table t (id int primary key) format debezium encode avro (schema.locaton = 'file:///x')`), /unknown FORMAT DEBEZIUM ENCODE AVRO option 'schema.locaton' \(did you mean 'schema.location'\?\)/);
  assert.throws(() => formatOf(`create table t (id int primary key) format debezium encode avro (schema.location = 'https://x/e.avsc')`), /not supported: give a file:\/\/ URL/);
  assert.throws(
    () => formatOf(`create table t (id int primary key) format debezium encode avro (schema.location = 'file:///e.avsc')`, { avro: { 'schema.file': '/x' } }),
    /avro\.\* properties do not apply to FORMAT DEBEZIUM ENCODE AVRO/,
  );
  // The seed's form names a registry.
  assert.deepEqual(
    formatOf(`create materialized source s (id int primary key) row format debezium_avro row schema location confluent schema registry 'http://127.0.0.1:8081'`),
    { name: 'debezium_avro', options: { 'schema.registry': 'http://127.0.0.1:8081' }, changelog: 'debezium' },
  );
  // Plain Avro: the same two syntaxes.
  assert.deepEqual(formatOf(`create source s (a int) format plain encode avro (schema.registry = 'http://r:8081')`), { name: 'avro', options: { 'schema.registry': 'http://r:8081' } });
  assert.deepEqual(formatOf(`create source s (a int) row format avro row schema location 'http://r:8081'`), { name: 'avro', options: { 'schema.registry': 'http://r:8081' } });
  assert.deepEqual(formatOf(`create source s (a int) row format avro row schema location confluent schema registry 'http://r:8081'`), { name: 'avro', options: { 'schema.registry': 'http://r:8081' } });
  // Other change-data formats in Avro stay refused.
  assert.throws(() => formatOf(`create table t (id int primary key) format upsert encode avro (schema.location = 'file:///e.avsc')`), /change data is read as ENCODE JSON/);
});
