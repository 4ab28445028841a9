import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { NEVER } from 'rxjs';
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
