import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BadRecordTracker } from '../../src/core/BadRecordTracker.js';
import { BadRecordError } from '../../src/core/SourceError.js';
import { csvFormat } from '../../src/formats/csvFormat.js';
import type { Format } from '../../src/formats/Format.js';
import { jsonFormat } from '../../src/formats/jsonFormat.js';
import { JSON_MAX_NESTING_DEPTH } from '../../src/formats/parseJsonRow.js';
import { context, decode, RecordingHandler, utf8 } from './support.js';

const csv = csvFormat();
const json = jsonFormat();
const ndjson = jsonFormat({ array: 'false' });

/** `text` with the byte sequence `bad` spliced in where `@` stands. */
function withBytes(text: string, bad: number[]): Buffer {
  const [before, after] = text.split('@') as [string, string];
  return Buffer.concat([Buffer.from(before, 'utf8'), Buffer.from(bad), Buffer.from(after, 'utf8')]);
}

const cases: { name: string; format: Format; text: string; good: number; badLine: number }[] = [
  { name: 'csv', format: csv, text: 'id,name\n1,Zoë\n2,a@b\n3,c\n', good: 2, badLine: 3 },
  { name: 'csv, quoted field', format: csv, text: 'id,name\n1,Zoë\n2,"a\n@b"\n3,c\n', good: 2, badLine: 3 },
  { name: 'ndjson', format: ndjson, text: '{"id":1,"n":"Zoë"}\n\n{"id":2,"n":"a@b"}\n{"id":3}\n', good: 2, badLine: 3 },
  { name: 'json array', format: json, text: '[{"id":1,"n":"Zoë"},\n{"id":2,"n":"a@b"},\n{"id":3}]\n', good: 2, badLine: 2 },
];

for (const { name, format, text, good, badLine } of cases) {
  for (const bad of [[0xff], [0xc3], [0xed, 0xa0, 0x80], [0xe2, 0x82]]) {
    test(`${name}: invalid UTF-8 ${Buffer.from(bad).toString('hex')} is a bad record with offset and line, never U+FFFD`, async () => {
      const bytes = withBytes(text, bad);
      const badRecordStart = bytes.lastIndexOf(10, Buffer.byteLength(text.split('@')[0] as string)) + 1;
      await assert.rejects(decode(format, bytes, null, 'whole', context(new RecordingHandler('fail'))), (err: Error) => {
        assert.ok(err instanceof BadRecordError, String(err));
        assert.match(err.message, /invalid UTF-8/);
        assert.equal(err.line, badLine);
        assert.match(err.message, new RegExp(`split 'split-1', offset \\d+, line ${badLine}:`));
        return true;
      });
      for (const chunking of ['whole', 'bytes', { seed: 3 }] as const) {
        const handler = new RecordingHandler('skip');
        const { rows } = await decode(format, bytes, null, chunking, context(handler));
        assert.equal(rows.length, good, JSON.stringify(chunking));
        assert.ok(!JSON.stringify(rows).includes('\uFFFD'));
        assert.equal(handler.errors.length, 1);
        assert.ok(Number(handler.errors[0]?.offset) <= badRecordStart + 1, `${handler.errors[0]?.offset} vs ${badRecordStart}`);
      }
    });
  }
}

test('message payloads with invalid UTF-8 are rejected (json and csv decodeMessage)', () => {
  assert.throws(() => json.decodeMessage?.(withBytes('{"a":"x@"}', [0xff])), /invalid UTF-8 at byte 7 \(0xff\)/);
  assert.throws(() => csvFormat({ header: false, columns: ['a'] }).decodeMessage?.(withBytes('x@', [0xc3])), /invalid UTF-8/);
  assert.deepEqual(json.decodeMessage?.(utf8('{"a":"Zoë"}')), { a: 'Zoë' });
});

test('line numbers: absolute from the start of the file, counted from the resume position otherwise', async () => {
  const bytes = Buffer.from('a,b\n1,2\n"x\ny",3\n\n4\n5,6\n');
  const handler = new RecordingHandler('skip');
  await decode(csv, bytes, null, { seed: 4 }, context(handler));
  assert.deepEqual(handler.errors.map((e) => [e.offset, e.line]), [[String(bytes.indexOf('4\n')), 6]]);
  const resumedAt = bytes.indexOf('"x');
  const resumed = new RecordingHandler('skip');
  await decode(csv, bytes, String(resumedAt), 'bytes', context(resumed));
  assert.equal(resumed.errors[0]?.line, 4);
  assert.match(resumed.errors[0]?.message ?? '', new RegExp(`line 4 counted from byte ${resumedAt} \\(where reading resumed\\)`));

  const nd = utf8('{"a":1}\n\n{"a":\n{"a":3}\n');
  const ndHandler = new RecordingHandler('skip');
  await decode(ndjson, nd, null, 'whole', context(ndHandler));
  assert.equal(ndHandler.errors[0]?.line, 3);
  const convert = new RecordingHandler('skip');
  await decode(ndjson, nd, null, 'whole', context(convert, (row) => {
    if (row['a'] === 3) throw new Error('column a: no threes');
    return row;
  }));
  assert.deepEqual(convert.errors.map((e) => e.line), [3, 4]);
});

test(`JSON nesting deeper than ${JSON_MAX_NESTING_DEPTH} is a bad record (NDJSON, array, message), not a stack overflow later`, async () => {
  const deep = (n: number): string => `{"a":${'['.repeat(n)}${']'.repeat(n)}}`;
  // The limit counts the row object itself: depth n + 1.
  const ok = deep(JSON_MAX_NESTING_DEPTH - 1);
  const tooDeep = deep(100_000);
  const text = `${ok}\n${tooDeep}\n{"b":"[[[[\\"${'['.repeat(2000)}"}\n`;
  const handler = new RecordingHandler('skip');
  const { rows } = await decode(ndjson, utf8(text), null, 'whole', context(handler));
  assert.equal(rows.length, 2, 'brackets inside a string do not count');
  assert.equal(handler.errors.length, 1);
  assert.match(handler.errors[0]?.message ?? '', new RegExp(`nesting deeper than ${JSON_MAX_NESTING_DEPTH}`));
  assert.equal(handler.errors[0]?.line, 2);
  const arr = new RecordingHandler('skip');
  await decode(json, utf8(`[${ok},${tooDeep}]`), null, 'whole', context(arr));
  assert.equal(arr.errors.length, 1);
  assert.throws(() => json.decodeMessage?.(utf8(tooDeep)), /nesting deeper than/);
});

test('integers beyond 2^53 in schemaless JSON are exact bigints; floats and strings stay as they are', async () => {
  const text =
    '{"a":9007199254740993,"b":-12345678901234567890,"c":9007199254740991,"d":"12345678901234567890","e":1.2345678901234567e30,"f":[18446744073709551615],"g":1700000000000000}\n';
  const { rows } = await decode(ndjson, utf8(text));
  assert.deepEqual(rows, [
    { a: 9007199254740993n, b: -12345678901234567890n, c: 9007199254740991, d: '12345678901234567890', e: 1.2345678901234567e30, f: [18446744073709551615n], g: 1700000000000000 },
  ]);
  assert.deepEqual(json.decodeMessage?.(utf8('{"id": 123456789012345678901}')), { id: 123456789012345678901n });
  const arr = await decode(json, utf8('[{"id": 99999999999999999}]'));
  assert.deepEqual(arr.rows, [{ id: 99999999999999999n }]);
});

test('an unterminated quote loses its line, not the rest of the file; the stats say how much was lost', async () => {
  const lines = ['id,name', ...Array.from({ length: 1000 }, (_, i) => (i === 10 ? `${i},"broken` : `${i},n${i}`))];
  const bytes = utf8(`${lines.join('\n')}\n`);
  for (const chunking of ['whole', { seed: 9 }] as const) {
    const tracker = new BadRecordTracker('skip');
    const { rows } = await decode(csv, bytes, null, chunking, context(tracker));
    assert.equal(rows.length, 999, JSON.stringify(chunking));
    const stats = tracker.stats;
    assert.equal(stats.skipped, 1);
    assert.equal(stats.bytes, utf8('10,"broken\n').length);
    assert.equal(stats.samples[0]?.line, 12);
    assert.match(stats.samples[0]?.message ?? '', /unterminated quoted field/);
  }
});

test('a quoted field longer than maxRecordBytes is cut at its first line, so memory stays bounded', async () => {
  const small = csvFormat({ maxRecordBytes: 1000 });
  const bytes = utf8(`id,name\n1,"${'x\n'.repeat(2000)}"\n2,b\n`);
  const tracker = new BadRecordTracker('skip');
  const { rows } = await decode(small, bytes, null, { seed: 5 }, context(tracker));
  // The 2000 'x' lines are read as one-field records: each is a bad record of its own, counted.
  assert.deepEqual(rows.at(-1), { id: '2', name: 'b' });
  assert.ok(tracker.stats.skipped >= 2);
  assert.match(tracker.stats.samples[0]?.message ?? '', /longer than 1000 bytes/);
  // A legitimate multi-line quoted field under the limit is one record.
  const ok = await decode(small, utf8(`id,name\n1,"${'x\n'.repeat(100)}"\n`));
  assert.equal(ok.rows.length, 1);
});

test('two stray quotes lines apart lose their two lines, not the lines between them', async () => {
  const lines = ['id,name', ...Array.from({ length: 1000 }, (_, i) => (i === 10 ? `${i},"broken` : i === 500 ? `${i},"also broken` : `${i},n${i}`))];
  const bytes = utf8(`${lines.join('\n')}\n`);
  for (const chunking of ['whole', { seed: 11 }] as const) {
    const tracker = new BadRecordTracker('skip');
    const { rows } = await decode(csv, bytes, null, chunking, context(tracker));
    assert.equal(rows.length, 998, JSON.stringify(chunking));
    assert.equal(tracker.stats.skipped, 2);
    assert.deepEqual(tracker.stats.samples.map((e) => e.line), [12, 502]);
    assert.equal(tracker.stats.bytes, utf8('10,"broken\n500,"also broken\n').length);
  }
});

test('a stray quote closed lines later, making a record of the wrong field count, loses its first line only', async () => {
  const bytes = utf8('a,b,c\n1,"broken,x\n2,y,z\n3,u"\n4,v,w\n');
  const tracker = new BadRecordTracker('skip');
  const { rows } = await decode(csv, bytes, null, { seed: 12 }, context(tracker));
  assert.deepEqual(rows, [
    { a: '2', b: 'y', c: 'z' },
    { a: '4', b: 'v', c: 'w' },
  ]);
  // `1,"broken,x` and `3,u"` (a record of 2 fields and an unterminated one): two lines lost.
  assert.deepEqual(tracker.stats.samples.map((e) => e.line), [2, 4]);
  assert.equal(tracker.stats.bytes, utf8('1,"broken,x\n3,u"\n').length);
});

test('text after a closing quote on a last line without a line break ends the input (found by the fuzzer: it looped)', async () => {
  const tracker = new BadRecordTracker('skip');
  const { rows } = await decode(csvFormat({ header: false }), utf8('1,2\n3,"x"y'), null, 'whole', context(tracker));
  assert.deepEqual(rows, [{ c1: '1', c2: '2' }]);
  assert.equal(tracker.stats.skipped, 1);
  assert.equal(tracker.stats.bytes, 6);
});
