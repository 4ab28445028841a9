import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { BadRecordError } from '../../src/core/SourceError.js';
import type { Row } from '../../src/formats/Format.js';
import { jsonFormat } from '../../src/formats/jsonFormat.js';
import { parseJsonRow } from '../../src/formats/parseJsonRow.js';
import { fixture } from '../support/fixtures.js';
import { assertChunkingInvariant, assertResumesEverywhere, type Chunking, context, decode, memoryInput, RecordingHandler, utf8 } from './support.js';

const json = jsonFormat();

test('NDJSON: one object per line, offsets are byte positions of lines, the last line without newline comes at end()', async (t) => {
  const path = fixture(t, 'risingwave', 'kafka_4_partition_topic_with_100_message.4');
  if (path === undefined) return;
  const bytes = readFileSync(path);
  assert.notEqual(bytes[bytes.length - 1], 10, 'the fixture has no final newline');
  const expected = bytes
    .toString('utf8')
    .split('\n')
    .map((line) => JSON.parse(line) as Row);
  const { rows, nextOffset } = await assertChunkingInvariant(json, bytes, assert.deepEqual, [5]);
  assert.equal(rows.length, 100);
  assert.deepEqual(rows, expected);
  assert.equal(nextOffset, String(bytes.length));
  const { offsets } = await decode(json, bytes, null, 'bytes');
  const lineStarts = [0];
  for (let i = 0; i < bytes.length; i++) if (bytes[i] === 10) lineStarts.push(i + 1);
  assert.deepEqual(offsets, lineStarts.map(String));
  assert.equal(json.tailable, true);
});

test('NDJSON: blank lines, CRLF, a BOM and multi-byte UTF-8 split anywhere', async () => {
  const bytes = utf8('\uFEFF{"a":"é"}\r\n\r\n  \n{"a":"𝄞"}\n\n{"a":3}');
  const expected = [{ a: 'é' }, { a: '𝄞' }, { a: 3 }];
  assert.deepEqual((await assertChunkingInvariant(json, bytes, assert.deepEqual)).rows, expected);
  const { offsets } = await decode(json, bytes, null, 'bytes');
  assert.deepEqual(offsets, ['0', String(utf8('\uFEFF{"a":"é"}\r\n\r\n  \n').length), String(utf8('\uFEFF{"a":"é"}\r\n\r\n  \n{"a":"𝄞"}\n\n').length)]);
  assert.equal(await assertResumesEverywhere(json, bytes, assert.deepEqual), 3);
});

test('NDJSON: while tailing, a line without its newline is not emitted and nextOffset stays before it', async () => {
  const decoder = await json.openStream!(memoryInput(utf8('{"a":1}\n')), null, context());
  const first = decoder.push(utf8('{"a":1}\n{"a":'));
  assert.deepEqual(first.rows, [{ a: 1 }]);
  assert.equal(first.nextOffset, '8');
  assert.deepEqual(decoder.push(utf8('2')).rows, []);
  const second = decoder.push(utf8('}\n'));
  assert.deepEqual(second.rows, [{ a: 2 }]);
  assert.equal(second.offset, '8');
  assert.equal(second.nextOffset, '16');
});

test('NDJSON: resume at every line offset yields exactly the rest', async () => {
  const lines = Array.from({ length: 25 }, (_, i) => JSON.stringify({ i, s: 'x'.repeat(i % 7), u: i % 4 === 0 ? 'ü' : null }));
  const bytes = utf8(`${lines.join('\n')}\n`);
  assert.equal(await assertResumesEverywhere(json, bytes, assert.deepEqual), 25);
});

const badLines = '{"a":1}\n{"a":\n[1,2]\n"str"\n{"a":5}\n';

test('NDJSON: malformed lines and non-objects are bad records at their offsets, under each policy', async () => {
  const skip = new RecordingHandler('skip');
  const { rows } = await decode(json, utf8(badLines), null, 'bytes', context(skip));
  assert.deepEqual(rows, [{ a: 1 }, { a: 5 }]);
  assert.deepEqual(
    skip.errors.map((e) => e.offset),
    ['8', '14', '20'],
  );
  assert.ok(skip.errors.every((e) => e instanceof BadRecordError && e.source === 'test-source' && e.split === 'split-1'));
  assert.match(skip.errors[0]?.message ?? '', /offset 8, line 2: malformed JSON line/);
  assert.match(skip.errors[1]?.message ?? '', /expected a JSON object, got an array/);
  assert.match(skip.errors[2]?.message ?? '', /expected a JSON object, got a string/);
  assert.deepEqual(
    skip.raws.map((r) => Buffer.from(r as Uint8Array).toString()),
    ['{"a":\n', '[1,2]\n', '"str"\n'],
  );
  const dead = new RecordingHandler('dead-letter');
  await decode(json, utf8(badLines), null, { seed: 4 }, context(dead));
  assert.equal(dead.deadLetters.length, 3);
  await assert.rejects(decode(json, utf8(badLines), null, 'whole', context(new RecordingHandler('fail'))), (err: Error) => {
    assert.ok(err instanceof BadRecordError);
    assert.equal(err.offset, '8');
    return true;
  });
});

test('NDJSON: context.convert errors are bad records at the row offset', async () => {
  const skip = new RecordingHandler('skip');
  const convert = (row: Row): Row => {
    if (typeof row['a'] !== 'number') throw new Error('column a: expected a number');
    return row;
  };
  const { rows } = await decode(json, utf8('{"a":1}\n{"a":"x"}\n{"a":3}\n'), null, 'whole', context(skip, convert));
  assert.deepEqual(rows, [{ a: 1 }, { a: 3 }]);
  assert.equal(skip.errors[0]?.offset, '8');
  assert.match(skip.errors[0]?.message ?? '', /column a: expected a number/);
});

const arrayFile = ' \n[ {"id": 1, "s": "]},[\\"{"},\n  {"id": 2, "nested": [[1], {"x": [2]}]} ,{"id":3,"u":"ü𝄞"}\n]\n';

test('JSON array file: detected by its leading [, decoded element by element, whatever the chunking', async () => {
  const expected = [{ id: 1, s: ']},["{' }, { id: 2, nested: [[1], { x: [2] }] }, { id: 3, u: 'ü𝄞' }];
  const bytes = utf8(arrayFile);
  assert.deepEqual((await assertChunkingInvariant(json, bytes, assert.deepEqual, [3, 9])).rows, expected);
  const forced = jsonFormat({ array: 'true' });
  assert.deepEqual((await decode(forced, bytes)).rows, expected);
  assert.equal(forced.tailable, false);
  // Forcing NDJSON on the same bytes reads lines, none of which is an object.
  const skip = new RecordingHandler('skip');
  assert.deepEqual((await decode(jsonFormat({ array: 'false' }), bytes, null, 'whole', context(skip))).rows, []);
  assert.equal(skip.errors.length, 3);
});

test('JSON array file: resume at every element offset yields exactly the rest', async () => {
  assert.equal(await assertResumesEverywhere(json, utf8(arrayFile), assert.deepEqual), 3);
  const many = utf8(JSON.stringify(Array.from({ length: 30 }, (_, i) => ({ i, t: `"${i}"`, a: [i, [i]] })), null, 2));
  assert.equal(await assertResumesEverywhere(json, many, assert.deepEqual), 30);
});

test('JSON array file: bad elements and a truncated file are bad records', async () => {
  const skip = new RecordingHandler('skip');
  const bytes = utf8('[{"a":1}, 42, {"a":}, "s", {"a":2}, {"a":3');
  const { rows } = await decode(json, bytes, null, 'bytes', context(skip));
  assert.deepEqual(rows, [{ a: 1 }, { a: 2 }]);
  assert.deepEqual(
    skip.errors.map((e) => e.message.replace(/^.*?offset \d+, line \d+: /, '')),
    [
      'malformed JSON array element: expected a JSON object, got a number',
      expect(skip.errors[1]?.message, /malformed JSON array element: /),
      'malformed JSON array element: expected a JSON object, got a string',
      'json: the file ends inside a JSON array element',
    ],
  );
  assert.deepEqual(
    skip.errors.map((e) => e.offset),
    ['8', '12', '20', '34'],
  );
  await assert.rejects(decode(json, utf8('[{"a":1} x'), null, 'whole', context(new RecordingHandler('fail'))), BadRecordError);
  const unclosed = new RecordingHandler('skip');
  assert.deepEqual((await decode(json, utf8('[{"a":1}'), null, 'whole', context(unclosed))).rows, [{ a: 1 }]);
  assert.match(unclosed.errors[0]?.message ?? '', /ends before the JSON array's closing/);
});

/** Returns the actual message when it matches, so that a list comparison can include it. */
function expect(message: string | undefined, pattern: RegExp): string {
  assert.match(message ?? '', pattern);
  return (message ?? '').replace(/^.*?offset \d+, line \d+: /, '');
}

test('decodeMessage: one JSON object per payload (RisingWave json_c)', async (t) => {
  const path = fixture(t, 'risingwave', 'json_c.1');
  if (path === undefined) return;
  const row = json.decodeMessage?.(readFileSync(path));
  assert.equal(row?.['id'], 100);
  assert.deepEqual(row?.['contacts'], { phones: ['1xxx', '2xxx'], emails: ['1xxx', '2xxx'] });
  assert.equal(json.decodeMessage?.(new Uint8Array(0)), null);
  assert.throws(() => json.decodeMessage?.(utf8('[{"v1":1}]')), /expected a JSON object, got an array/);
  assert.throws(() => json.decodeMessage?.(utf8('{"v1":')), SyntaxError);
});

test('an invalid json.array value or stored offset is an error', async () => {
  assert.throws(() => jsonFormat({ array: 'yes' as 'true' }), /'json.array' must be one of auto, true, false/);
  await assert.rejects(decode(json, utf8('{}\n'), '-1'), /invalid offset "-1"/);
});

test('NDJSON: the decoder keeps no reference to pushed buffers, offsets stay exact with multi-byte UTF-8', async () => {
  const lines = Array.from({ length: 40 }, (_, i) => JSON.stringify({ i, s: i % 3 === 0 ? 'ü𝄞'.repeat(i % 5) : 'plain', n: null }));
  const bytes = Buffer.from(utf8(`${lines.join('\n')}\n\n${JSON.stringify({ last: 'é' })}`));
  const expected = [...lines.map((line) => JSON.parse(line) as Row), { last: 'é' }];
  const lineStarts = [0];
  for (let i = 0; i < bytes.length; i++) if (bytes[i] === 10 && bytes[i + 1] !== 10) lineStarts.push(i + 1);
  for (const size of [1, 5, 33, 4096]) {
    const decoder = await json.openStream!(memoryInput(bytes), null, context());
    const scratch = Buffer.alloc(size);
    const rows: Row[] = [];
    const offsets: string[] = [];
    const collect = (batch: { rows: Row[]; offset: string }): void => {
      if (batch.rows.length > 0) offsets.push(batch.offset);
      rows.push(...batch.rows);
    };
    for (let i = 0; i < bytes.length; i += size) {
      const n = bytes.copy(scratch, 0, i, Math.min(i + size, bytes.length));
      collect(decoder.push(scratch.subarray(0, n)));
      scratch.fill(0x7b);
    }
    collect(decoder.end());
    assert.deepEqual(rows, expected, `pushes of ${size} bytes`);
    // Each batch starts at a line start (one byte at a time: one line per batch, every start).
    for (const offset of offsets) assert.ok(lineStarts.includes(Number(offset)), `offset ${offset} (pushes of ${size})`);
    if (size === 1) assert.deepEqual(offsets, lineStarts.map(String));
  }
});

test('NDJSON: reads larger than a decoding window, a line longer than one: rows and exact byte offsets', async () => {
  const lines: string[] = [];
  for (let i = 0; i < 3000; i++) {
    const s = i === 1500 ? 'long '.repeat(60_000) : i % 5 === 0 ? `é${'ü'.repeat(i % 9)}𝄞` : `plain ${i}`;
    lines.push(JSON.stringify({ i, s }));
  }
  const bytes = Buffer.from(utf8(`${lines.join('\n')}\n`));
  assert.ok(bytes.length > 4 * 64 * 1024);
  const starts: number[] = [];
  for (let i = 0, at = 0; i < lines.length; i++) {
    starts.push(at);
    at += Buffer.byteLength(lines[i] as string) + 1;
  }
  // A converter rejecting some rows makes bad records, which carry each row's exact offset.
  const rejected = (i: number): boolean => i % 97 === 0 || i === 1500 || i === 1501;
  const convert = (row: Row): Row => {
    if (rejected(row.i as number)) throw new Error(`row ${String(row.i)} rejected`);
    return row;
  };
  for (const chunking of ['whole', { seed: 9 }] as const) {
    const handler = new RecordingHandler('skip');
    const { rows, batchStarts } = await decode(json, bytes, null, chunking, context(handler, convert));
    const kept = lines.map((line) => JSON.parse(line) as Row).filter((row) => !rejected(row.i as number));
    assert.deepEqual(rows, kept, JSON.stringify(chunking));
    const expectedBad = starts.filter((_, i) => rejected(i)).map(String);
    assert.deepEqual(handler.errors.map((e) => e.offset), expectedBad, JSON.stringify(chunking));
    for (const { index, offset } of batchStarts) assert.equal(offset, String(starts[(rows[index] as { i: number }).i]));
  }
});

/** Lines a hostile or careless writer produces, all ASCII (the `split` path's input). */
const hostileAsciiLines = [
  '{"a":1}',
  '',
  '   ',
  '\t\r',
  '{"b":2}\r',
  '  {"c":3}  ',
  '[1,2]',
  '"s"',
  '12345678901234567890',
  'null',
  '{"d":',
  '{"e":1}{"f":2}',
  '{"h":1},{"i":2}',
  '}{',
  '{"big":123456789012345678901,"neg":-9007199254740993,"x":[18446744073709551616]}',
  '{"__proto__":{"x":1}}',
  '{}',
  `{"deep":${'['.repeat(1001)}${']'.repeat(1001)}}`,
  '{"g":"\\u00e9\\n"}',
];

test('NDJSON: an ASCII window (cut with one split) decodes hostile lines exactly as a window holding a non-ASCII byte (cut line by line), whatever the chunking', async () => {
  const body = `${hostileAsciiLines.join('\n')}\n`;
  // The reference: each line on its own, through parseJsonRow, at its byte offset.
  const expectedRows: Row[] = [];
  const expectedErrors: string[] = [];
  let at = 0;
  hostileAsciiLines.forEach((line, i) => {
    if (!/^[ \t\r]*$/.test(line)) {
      try {
        expectedRows.push(parseJsonRow(line));
      } catch (err) {
        expectedErrors.push(`offset ${at}, line ${i + 1}: malformed JSON line: ${(err as Error).message}`);
      }
    }
    at += line.length + 1;
  });
  assert.equal(expectedRows.length, 7);
  assert.equal(expectedErrors.length, 9);
  assert.ok(expectedErrors.some((e) => e.includes('expected a JSON object, got a bigint')));
  assert.ok(expectedErrors.some((e) => e.includes('nest')));
  const decodeAll = async (text: string, chunking: Chunking): Promise<{ rows: Row[]; errors: string[]; raws: string[] }> => {
    const handler = new RecordingHandler('skip');
    const { rows } = await decode(json, utf8(text), null, chunking, context(handler));
    // The last line (the tail) decides the window's kind; it is not compared.
    return { rows: rows.slice(0, -1), errors: handler.errors.map((e) => e.message), raws: handler.raws.map((r) => Buffer.from(r as Uint8Array).toString('latin1')) };
  };
  // One non-ASCII byte in the last line: the whole window (the input, pushed whole) is cut line by line.
  const wide = await decodeAll(`${body}{"z":"é"}\n`, 'whole');
  assert.deepEqual(wide.rows, expectedRows);
  assert.equal(wide.errors.length, expectedErrors.length);
  wide.errors.forEach((message, i) => assert.ok(message.endsWith(expectedErrors[i] as string), `${message}\n  does not end with\n${expectedErrors[i]}`));
  for (const chunking of ['whole', 'bytes', { seed: 3 }, { seed: 11 }] as const) {
    const ascii = await decodeAll(`${body}{"z":"e"}\n`, chunking);
    assert.deepEqual(ascii.rows, wide.rows, JSON.stringify(chunking));
    assert.deepEqual(ascii.errors, wide.errors, JSON.stringify(chunking));
    assert.deepEqual(ascii.raws, wide.raws, JSON.stringify(chunking));
  }
  // Under `fail`, the first bad line stops decoding at its offset and line, in either window.
  for (const tail of ['{"z":"e"}\n', '{"z":"é"}\n']) {
    await assert.rejects(decode(json, utf8(body + tail), null, 'whole', context(new RecordingHandler('fail'))), (err: Error) => {
      assert.ok(err instanceof BadRecordError);
      assert.ok(err.message.endsWith(expectedErrors[0] as string), err.message);
      return true;
    });
  }
});

test('JSON array: a stray closing brace between elements is one bad element, not an endless loop (found by the fuzzer)', async () => {
  const handler = new RecordingHandler('skip');
  const { rows } = await decode(json, utf8('[{"a":1},\n"big":9007199254740993},\n{"b":2}]'), null, 'whole', context(handler));
  assert.deepEqual(rows, [{ a: 1 }, { b: 2 }]);
  assert.ok(handler.errors.length >= 1 && handler.errors.length <= 4, `${handler.errors.length} errors`);
  assert.ok(handler.errors.every((e) => e.line === 2));
});

test('JSON array: data after the closing bracket is one bad record with all its bytes, however it is cut (found by the fuzzer)', async () => {
  const text = '[{"a":1}]\n{"b":2}\n{"c":3}\n';
  for (const chunking of ['whole', 'bytes', { seed: 2 }] as const) {
    const handler = new RecordingHandler('skip');
    const { rows, nextOffset } = await decode(json, utf8(text), null, chunking, context(handler));
    assert.deepEqual(rows, [{ a: 1 }]);
    assert.equal(handler.errors.length, 1, JSON.stringify(chunking));
    assert.equal(handler.errors[0]?.offset, String(text.indexOf('{"b"')));
    assert.equal(handler.errors[0]?.bytes, text.length - text.indexOf('{"b"'));
    assert.equal(handler.errors[0]?.line, 2);
    assert.equal(nextOffset, String(text.length));
  }
});

test('integers beyond ±(2^53 - 1) are exact bigints at any depth, in arrays and objects; floats and safe integers stay numbers', () => {
  const row = parseJsonRow('{"a":[1,{"b":9007199254740993}],"c":{"d":[-9007199254740993,[18446744073709551615]]},"e":1e300,"f":9007199254740991,"g":"9007199254740993"}');
  assert.deepStrictEqual(row, {
    a: [1, { b: 9007199254740993n }],
    c: { d: [-9007199254740993n, [18446744073709551615n]] },
    e: 1e300,
    f: 9007199254740991,
    g: '9007199254740993',
  });
  // The only huge number at the top, inside an array, inside an object inside an array: each is found.
  assert.deepStrictEqual(parseJsonRow('{"x":"a","y":-18446744073709551616}'), { x: 'a', y: -18446744073709551616n });
  assert.deepStrictEqual(parseJsonRow('{"x":[1,2,9007199254740993]}'), { x: [1, 2, 9007199254740993n] });
  assert.deepStrictEqual(parseJsonRow('{"x":[1,{"b":9007199254740993}]}'), { x: [1, { b: 9007199254740993n }] });
  assert.deepStrictEqual(parseJsonRow('{"x":{"y":{"z":9007199254740993}}}'), { x: { y: { z: 9007199254740993n } } });
});

test('auto layout from the start: found in the bytes being decoded, the file is not read first; a resume reads its start first', async () => {
  const bytes = utf8('{"a":1}\n{"a":2}\n');
  const input = memoryInput(bytes);
  const decoder = await json.openStream!(input, null, context());
  assert.deepEqual(input.streams, [], 'opening from the start reads nothing');
  assert.deepEqual(decoder.push(bytes).rows, [{ a: 1 }, { a: 2 }]);
  const resumed = memoryInput(bytes);
  await json.openStream!(resumed, '8', context());
  assert.deepEqual(resumed.streams, [0], 'a resume looks at the start to learn the layout');
});

test('auto layout from the start: bytes pushed before the layout is known are kept, whatever the caller does with its buffer after', async () => {
  const decoder = await json.openStream!(memoryInput(utf8('')), null, context());
  // The first line has not ended: NDJSON or pretty-printed is not known yet.
  const buffer = Buffer.from('{"a": "x", "b":');
  const first = decoder.push(buffer);
  assert.deepEqual([first.rows, first.nextOffset], [[], '0']);
  buffer.fill(0x7d); // the caller reuses its read buffer
  const second = decoder.push(utf8(' [1]}\n{"a": "y"}\n{"a": "z"}'));
  assert.deepEqual([second.rows, second.offset, second.nextOffset], [[{ a: 'x', b: [1] }, { a: 'y' }], '0', '32']);
  assert.deepEqual(decoder.end().rows, [{ a: 'z' }]);
});

test('auto layout from the start: input that ends before its first line does is NDJSON, decoded at end()', async () => {
  for (const [text, rows] of [
    ['{"a":1}', [{ a: 1 }]],
    ['  \r\n\t', []],
    ['', []],
  ] as const) {
    const decoder = await json.openStream!(memoryInput(utf8(text)), null, context());
    const pushed = decoder.push(utf8(text));
    assert.deepEqual(pushed.rows, [], `nothing before the end (${JSON.stringify(text)})`);
    const end = decoder.end();
    assert.deepEqual([end.rows, end.nextOffset], [rows, String(utf8(text).length)], JSON.stringify(text));
  }
  // Pretty-printed once the first line ends inside its object, even one byte at a time.
  const pretty = utf8('{\n  "a": 1\n}\n{\n  "a": 2\n}');
  const decoder = await json.openStream!(memoryInput(pretty), null, context());
  const rows: Row[] = [];
  for (const byte of pretty) rows.push(...decoder.push(Uint8Array.of(byte)).rows);
  rows.push(...decoder.end().rows);
  assert.deepEqual(rows, [{ a: 1 }, { a: 2 }]);
});

test('auto layout from the start: what is held while undecided stays under the first line’s limit, blanks before the first character included', async () => {
  for (const lead of ['\n', ' ', '{"s":"']) {
    const decoder = await json.openStream!(memoryInput(utf8('')), null, context(new RecordingHandler('skip')));
    const piece = utf8(lead.repeat((64 * 1024) / lead.length));
    for (let pushed = 0; pushed < 2 * 1024 * 1024; pushed += piece.length) decoder.push(piece);
    // Past 1 MiB undecided it is NDJSON: the held bytes went to the NDJSON decoder, which keeps
    // only an unfinished line (a blank line passes; one long line stays pending, as ever).
    const held = (decoder as unknown as { held: Uint8Array[] }).held;
    assert.equal(held.length, 0, `nothing held as undecided after 2 MiB of ${JSON.stringify(lead)}`);
  }
});
