import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { NEVER, lastValueFrom, toArray } from 'rxjs';
import { opOf } from '../../src/core/Changelog.js';
import { commitEpochs } from '../../src/core/commitEpochs.js';
import { toTable } from '../../src/core/toTable.js';
import { createFsSource } from '../../src/connectors/fs/createFsSource.js';
import { createFormat } from '../../src/formats/createFormat.js';
import { jsonFormat } from '../../src/formats/jsonFormat.js';
import type { Row } from '../../src/formats/Format.js';
import { readAll, tempDir } from '../connectors/fs/helpers.js';
import { fixture } from '../support/fixtures.js';
import { RecordingHandler, assertChunkingInvariant, assertResumesEverywhere, context, decode, utf8 } from './support.js';

const rows: Row[] = [
  { id: 1, s: '{\n not a brace', nested: { a: [1, { b: '}' }] } },
  { id: 2, u: 'ü𝄞', e: 'quote \\" and }' },
  { id: 3, empty: {} },
];
const pretty = rows.map((r) => JSON.stringify(r, null, 2)).join('\n');

test('pretty-printed JSON: objects over several lines are detected and decoded, whatever the chunking', async () => {
  const json = jsonFormat();
  const result = await assertChunkingInvariant(json, utf8(pretty), assert.deepEqual, [3, 9, 27]);
  assert.deepEqual(result.rows, rows);
  // Also with a BOM, leading blank lines and objects back to back on one line.
  const packed = `\ufeff\n\n${JSON.stringify(rows[0], null, 4)}${JSON.stringify(rows[1])}  ${JSON.stringify(rows[2], null, '\t')}\n`;
  assert.deepEqual((await decode(json, utf8(packed))).rows, rows);
  assert.equal(json.tailable, true);
});

test('pretty-printed JSON: resume at every object offset yields exactly the rest', async () => {
  assert.equal(await assertResumesEverywhere(jsonFormat(), utf8(pretty), assert.deepEqual), 3);
});

test('pretty-printed JSON: a bad object, a stray character and a truncated last object are bad records; the rest still comes', async () => {
  const skip = new RecordingHandler('skip');
  const text = `{\n  "a": 1\n}\n{\n  "a": \n}\n,\n42\n{\n  "a": 2\n}\n{\n  "a": 3`;
  const { rows: got } = await decode(jsonFormat(), utf8(text), null, 'bytes', context(skip));
  assert.deepEqual(got, [{ a: 1 }, { a: 2 }]);
  assert.equal(skip.errors.length, 4, skip.errors.map((e) => e.message).join('\n'));
  assert.match(skip.errors.at(-1)!.message, /ends inside/);
});

test('NDJSON stays NDJSON: a first object that ends on its line, and json.array = false, read lines', async () => {
  const ndjson = rows.map((r) => JSON.stringify(r)).join('\n');
  assert.deepEqual((await decode(jsonFormat(), utf8(ndjson))).rows, rows);
  // Forced NDJSON over pretty-printed text: every line is a bad record.
  const skip = new RecordingHandler('skip');
  assert.deepEqual((await decode(jsonFormat({ array: 'false' }), utf8(pretty), null, 'whole', context(skip))).rows, []);
  assert.ok(skip.errors.length > 3);
});

test("pretty-printed JSON through the fs connector: Debezium's pretty-printed examples, and several objects in one file", async (t) => {
  const without = fixture(t, 'debezium', 'serde-without-schema.json');
  const withSchema = fixture(t, 'debezium', 'serde-with-schema.json');
  if (without === undefined || withSchema === undefined) return;
  const dir = await tempDir(t);
  await writeFile(join(dir, 'events.json'), `${readFileSync(without, 'utf8')}\n${readFileSync(withSchema, 'utf8')}`);
  await writeFile(join(dir, 'three.json'), pretty);
  const read = (pattern: string) => readAll(createFsSource({ name: 'pretty', path: dir, pattern, format: createFormat('json'), barriers: NEVER }));
  // The payload's ts_ns is beyond 2^53: JSON.parse rounds it, the format keeps it exact.
  const second = JSON.parse(readFileSync(withSchema, 'utf8')) as { payload: Record<string, unknown> };
  assert.match(readFileSync(withSchema, 'utf8'), /"ts_ns": 1465491411815000000\b/);
  second.payload['ts_ns'] = 1465491411815000000n;
  assert.deepEqual(await read('events.json'), [JSON.parse(readFileSync(without, 'utf8')), second]);
  assert.deepEqual(await read('three.json'), rows);
});

test('change-data files, one event per line, through the fs connector and toTable: Maxwell, Canal and Debezium fixtures in place', async (t) => {
  const dir = fixture(t, 'risingwave');
  if (dir === undefined) return;
  const tableOf = async (pattern: string, format: string, primaryKey: string[]) => {
    const source = createFsSource({ name: `files-${format}`, path: dir, pattern, format: createFormat(format), barriers: NEVER });
    const events = await lastValueFrom(source.pipe(toTable<Row>(source, { primaryKey }), commitEpochs(source), toArray()));
    const table = new Map<unknown, Row>();
    for (const e of events) {
      if (e.type !== 'chunk') continue;
      for (const row of e.records) {
        const op = opOf(row);
        if (op === 'insert' || op === 'update_after') table.set(row[primaryKey[0]!], Object.fromEntries(Object.entries(row)));
        else table.delete(row[primaryKey[0]!]);
      }
    }
    return [...table.values()];
  };
  assert.deepEqual(await tableOf('maxwell_json.1', 'maxwell', ['id']), [
    { id: 1, name: 'tom', is_adult: 0, birthday: '2017-12-31 16:00:01' },
    { id: 2, name: 'chi', is_adult: 1, birthday: '1999-12-31 16:00:01' },
  ]);
  // Updates take `data` and ignore `old` (RisingWave's semantics, count 2 in its e2e): 1 and 3
  // stay, the update's 5 and 7 come and go with the delete.
  assert.deepEqual(await tableOf('canal_json_double_field.1', 'canal_json', ['v1']), [
    { v1: '1', v2: '2' },
    { v1: '3', v2: '4' },
  ]);
  assert.deepEqual(await tableOf('debezium_log_schemaless.1', 'debezium_json', ['id']), [
    { id: 2, name: 'chi', is_adult: true, email: 'yyy@risingwave-labs.com' },
    { id: 3, name: 'mike', is_adult: true, email: 'aaa@risingwave-labs.com' },
  ]);
});

test('a change-data file: a bad line is a bad record at its byte offset; a resume mid-file reads the rest', async () => {
  const lines = ['{"type":"insert","data":{"id":1}}', '{"type":"oops","data":{"id":2}}', '{"type":"update","data":{"id":1,"v":2},"old":{"v":1}}', ''].join('\n');
  const skip = new RecordingHandler('skip');
  const format = createFormat('maxwell');
  const all = await decode(format, utf8(lines), null, { seed: 5 }, context(skip));
  assert.deepEqual(all.rows.map((r) => [opOf(r), Object.fromEntries(Object.entries(r))]), [
    ['insert', { id: 1 }],
    ['update_before', { id: 1, v: 1 }],
    ['update_after', { id: 1, v: 2 }],
  ]);
  assert.equal(skip.errors.length, 1);
  assert.equal(skip.errors[0]!.offset, String(lines.indexOf('{"type":"oops"')));
  const resumed = await decode(format, utf8(lines), String(lines.indexOf('{"type":"update"')));
  assert.deepEqual(resumed.rows.map((r) => opOf(r)), ['update_before', 'update_after']);
  // The converter of a schema keeps the operations.
  const converted = await decode(format, utf8(lines), null, 'whole', context(new RecordingHandler('skip'), (row) => ({ id: String(row['id']) })));
  assert.deepEqual(converted.rows.map((r) => [opOf(r), r['id']]), [['insert', '1'], ['update_before', '1'], ['update_after', '1']]);
});
