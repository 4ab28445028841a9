import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { createFormat, formatNames } from '../../src/formats/createFormat.js';
import { fixture } from '../support/fixtures.js';
import { decode, utf8 } from './support.js';

test('createFormat builds json, csv and avro by name, case-insensitively', () => {
  assert.deepEqual([...formatNames], ['json', 'csv', 'avro', 'protobuf', 'debezium_json', 'debezium_avro', 'maxwell', 'canal_json', 'upsert_json']);
  assert.equal(createFormat('json').name, 'json');
  assert.equal(createFormat('CSV').name, 'csv');
  assert.equal(createFormat('Avro').name, 'avro');
});

test('an unknown format name or option is an error listing the valid ones', () => {
  assert.throws(() => createFormat('parquet'), /unknown format "parquet": expected one of json, csv, avro/);
  assert.throws(() => createFormat('csv', { separator: ';' }), /unknown csv format option "separator": expected one of delimiter, header, quote, escape, empty/);
  assert.throws(() => createFormat('json', { array: 'true' }), /unknown json format option "array": expected one of json.array/);
  assert.throws(() => createFormat('avro', { 'schema.registy': 'x' }), /expected one of schema, schema.file, schema.registry/);
  assert.throws(() => createFormat('avro', { 'schema.registry': 'x' }), /schema registry URL is not a URL/);
  assert.throws(() => createFormat('csv', { header: 'yes' }), /csv option 'header' must be true or false, got "yes"/);
  assert.throws(() => createFormat('csv', { empty: 'blank' }), /'empty' must be one of null, empty/);
  assert.throws(() => createFormat('avro', { schema: '"int"', 'schema.file': 'x.avsc' }), /exclude each other/);
});

test('csv string options: header=false with columns, a tab delimiter spelled \\t or tab, empty=empty', async () => {
  const format = createFormat('csv', { header: 'false', delimiter: '\\t', empty: 'empty' }, ['a', 'b']);
  assert.deepEqual((await decode(format, utf8('1\t\n2\t"x"\n'))).rows, [
    { a: '1', b: '' },
    { a: '2', b: 'x' },
  ]);
  const tab = createFormat('csv', { delimiter: 'TAB', header: 'TRUE' });
  assert.deepEqual((await decode(tab, utf8('a\tb\n1\t2\n'))).rows, [{ a: '1', b: '2' }]);
});

test('json.array and avro schema.file reach their formats', async (t) => {
  const format = createFormat('json', { 'json.array': 'true' });
  assert.equal(format.tailable, false);
  assert.deepEqual((await decode(format, utf8('[{"a":1}]'))).rows, [{ a: 1 }]);
  const dir = fixture(t, 'avro', 'messageV1');
  if (dir === undefined) return;
  const avro = createFormat('avro', { 'schema.file': join(dir, 'test_schema.avsc') });
  assert.ok(avro.decodeMessage !== undefined);
});

test('importing the formats loads no optional peer dependency (avsc, csv-parse, snappyjs, fzstd, protobufjs)', () => {
  const script = `
    await import(${JSON.stringify(new URL('../../src/formats/index.ts', import.meta.url).href)});
    const { createRequire } = await import('node:module');
    const cache = Object.keys(createRequire(import.meta.url).cache);
    console.log(JSON.stringify(cache.filter((p) => /node_modules\\/(avsc|csv-parse|snappyjs|fzstd|protobufjs)\\//.test(p))));
  `;
  const result = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  assert.deepEqual(JSON.parse(result.stdout.trim().split('\n').pop() as string), []);
  // And the check can fail: once a format uses avsc, it is in the cache.
  const after = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--input-type=module', '-e', script.replace('const cache', `(await import(${JSON.stringify(new URL('../../src/formats/avroRuntime.ts', import.meta.url).href)})).requireAvsc(); const cache`)],
    { encoding: 'utf8' },
  );
  assert.equal(after.status, 0, after.stderr);
  assert.notDeepEqual(JSON.parse(after.stdout.trim().split('\n').pop() as string), []);
});
