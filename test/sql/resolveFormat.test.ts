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
