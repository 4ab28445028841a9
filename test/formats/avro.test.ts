import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { deflateRawSync } from 'node:zlib';
import type * as Avsc from 'avsc';
import snappy from 'snappyjs';
import { BadRecordTracker } from '../../src/core/BadRecordTracker.js';
import { BadRecordError, SourceError } from '../../src/core/SourceError.js';
import { avroFormat } from '../../src/formats/avroFormat.js';
import { crc32 } from '../../src/formats/avroCodec.js';
import { parseAvroContainerHeader } from '../../src/formats/AvroContainerHeader.js';
import { avroFingerprint64 } from '../../src/formats/avroFingerprint.js';
import { avroType, loadAvsc } from '../../src/formats/avroRuntime.js';
import type { Row } from '../../src/formats/Format.js';
import { fixture } from '../support/fixtures.js';
import { assertChunkingInvariant, assertResumesEverywhere, context, decode, memoryInput, RecordingHandler } from './support.js';

const avro = avroFormat();

/** weather.json's rows, with the schema's `long` field as the bigint the format yields. */
function weatherRows(dir: string): Row[] {
  return readFileSync(join(dir, 'weather.json'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => {
      const row = JSON.parse(line) as { station: string; time: number; temp: number };
      return { station: row.station, time: BigInt(row.time), temp: row.temp };
    });
}

test("Apache Avro's weather files (null, deflate, snappy, zstandard codecs) decode to weather.json", async (t) => {
  const dir = fixture(t, 'avro');
  if (dir === undefined) return;
  const expected = weatherRows(dir);
  assert.equal(expected.length, 5);
  for (const name of ['weather.avro', 'weather-deflate.avro', 'weather-snappy.avro', 'weather-zstd.avro']) {
    const bytes = readFileSync(join(dir, name));
    const { rows } = await assertChunkingInvariant(avro, bytes, assert.deepEqual, [11]);
    assert.deepEqual(rows, expected, name);
    await assertResumesEverywhere(avro, bytes, assert.deepEqual);
  }
});

test('weather-sorted.avro holds the same records sorted by time, then temp', async (t) => {
  const dir = fixture(t, 'avro');
  if (dir === undefined) return;
  const sorted = weatherRows(dir).sort((a, b) => Number((a['time'] as bigint) - (b['time'] as bigint)) || (a['temp'] as number) - (b['temp'] as number));
  const { rows } = await decode(avro, readFileSync(join(dir, 'weather-sorted.avro')), null, 'bytes');
  assert.deepEqual(rows, sorted);
});

test('messageV1: single-object encoding with the writer schema from schema.file, and the bare datum', async (t) => {
  const dir = fixture(t, 'avro', 'messageV1');
  if (dir === undefined) return;
  const schemaFile = join(dir, 'test_schema.avsc');
  const message = readFileSync(join(dir, 'test_message.bin'));
  const format = avroFormat({ schemaFile });
  const expected = { id: 42n, name: 'Bill', tags: ['dog_lover', 'cat_hater'] };
  assert.deepEqual(format.decodeMessage?.(message), expected);
  assert.deepEqual(format.decodeMessage?.(message.subarray(10)), expected);
  assert.deepEqual(avroFormat({ schema: readFileSync(schemaFile, 'utf8') }).decodeMessage?.(message), expected);
  // The header's fingerprint is the CRC-64-AVRO of the schema's Parsing Canonical Form.
  const avsc = await loadAvsc();
  const canonical = JSON.stringify(avroType(avsc, JSON.parse(readFileSync(schemaFile, 'utf8')) as Avsc.Schema).schema());
  assert.equal(avroFingerprint64(canonical), message.readBigUInt64LE(2));
  const tampered = Buffer.from(message);
  tampered[5] = (tampered[5] as number) ^ 0xff;
  assert.throws(() => format.decodeMessage?.(tampered), /single-object encoding with schema fingerprint .* but the writer schema's is/);
  assert.throws(() => avroFormat().decodeMessage?.(message), /needs the writer schema: set the option 'schema' or 'schema.file'/);
  assert.throws(() => avroFormat({ schema: '{"type":' }), /avro option 'schema' is not valid JSON/);
  assert.throws(() => avroFormat({ schemaFile: join(dir, 'missing.avsc') }), /cannot read the avro schema file/);
});

const readingSchema = {
  type: 'record',
  name: 'Reading',
  fields: [
    { name: 'id', type: 'int' },
    { name: 'big', type: 'long' },
    { name: 'label', type: 'string' },
    { name: 'where', type: { type: 'record', name: 'Place', fields: [{ name: 'x', type: ['null', 'double'] }] } },
  ],
} as const;

function readings(n: number): Row[] {
  return Array.from({ length: n }, (_, i) => ({
    id: i,
    big: 2n ** 62n + BigInt(i) * 9_007_199_254_740_993n * (i % 2 === 0 ? 1n : -1n),
    label: `reading ${i} ${'ü'.repeat(i % 3)}`,
    where: { x: i % 4 === 0 ? null : i / 2 },
  }));
}

/** Writes records as an Avro container file with small blocks (several per file). */
async function writeAvro(records: Row[], codec: string, blockSize = 120, schema: object = readingSchema): Promise<Buffer> {
  const avsc = await loadAvsc();
  const type = avroType(avsc, schema as Avsc.Schema);
  const codecs = {
    null: (buf: Buffer, cb: (err: Error | null, out?: Buffer) => void) => cb(null, buf),
    deflate: (buf: Buffer, cb: (err: Error | null, out?: Buffer) => void) => cb(null, deflateRawSync(buf)),
    snappy: (buf: Buffer, cb: (err: Error | null, out?: Buffer) => void) => {
      const crc = Buffer.alloc(4);
      crc.writeUInt32BE(crc32(buf));
      cb(null, Buffer.concat([Buffer.from(snappy.compress(buf)), crc]));
    },
    bzip2: (buf: Buffer, cb: (err: Error | null, out?: Buffer) => void) => cb(null, buf),
  };
  const encoder = new avsc.streams.BlockEncoder(type as unknown as Avsc.Schema, { codec, codecs, blockSize } as never);
  const chunks: Buffer[] = [];
  encoder.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise((resolve, reject) => {
    encoder.on('end', resolve);
    encoder.on('error', reject);
  });
  for (const record of records) encoder.write(record);
  encoder.end();
  await done;
  return Buffer.concat(chunks);
}

test('multi-block files: longs beyond 2^53 stay exact, nested records are plain objects, resume at every record offset', async () => {
  const expected = readings(40);
  for (const codec of ['null', 'deflate', 'snappy']) {
    const bytes = await writeAvro(expected, codec);
    const full = await assertChunkingInvariant(avro, bytes, assert.deepEqual, [21, 22]);
    assert.deepEqual(full.rows, expected, codec);
    const blocks = new Set(full.offsets.map((o) => o.split(':')[0]));
    assert.ok(blocks.size >= 4, `${codec}: ${blocks.size} blocks`);
    assert.equal(await assertResumesEverywhere(avro, bytes, assert.deepEqual), 40);
    assert.equal(full.nextOffset, `${bytes.length}:0`);
  }
});

/** The byte ranges of the blocks of a container file, found by decoding it a byte at a time. */
async function blockStarts(bytes: Buffer): Promise<number[]> {
  const { offsets } = await decode(avro, bytes, null, 'bytes');
  return [...new Set(offsets.map((o) => Number(o.split(':')[0])))];
}

test('a corrupt sync marker is a bad record at the block, counting its records and bytes; skip and dead-letter go on at the next block, fail throws', async () => {
  const records = readings(40);
  const bytes = await writeAvro(records, 'null');
  const starts = await blockStarts(bytes);
  const corrupt = Buffer.from(bytes);
  // The last byte before block 2's start is the end of block 1's sync marker.
  const b1 = starts[1] as number;
  const b2 = starts[2] as number;
  corrupt[b2 - 1] = (corrupt[b2 - 1] as number) ^ 0xff;
  const rowsBefore = (await decode(avro, bytes.subarray(0, b1), null, 'whole', context(new RecordingHandler('skip')))).rows.length;
  const rowsOf = async (from: number): Promise<Row[]> => (await decode(avro, bytes, `${from}:0`)).rows;
  const inBlock1 = (await decode(avro, bytes.subarray(0, b2), `${b1}:0`)).rows.length;
  for (const policy of ['skip', 'dead-letter'] as const) {
    const handler = new RecordingHandler(policy);
    const { rows } = await decode(avro, corrupt, null, 'bytes', context(handler));
    // Block 1 (bad marker) is lost; block 2, which starts where block 1's header says, is checked and read.
    assert.deepEqual(rows, [...records.slice(0, rowsBefore), ...(await rowsOf(b2))]);
    assert.equal(handler.errors.length, 1);
    const error = handler.errors[0] as BadRecordError;
    assert.ok(error instanceof BadRecordError);
    assert.equal(error.records, inBlock1);
    assert.equal(error.bytes, b2 - b1);
    const tracker = new BadRecordTracker(policy);
    await decode(avro, corrupt, null, { seed: 4 }, context(tracker));
    const stats = tracker.stats;
    assert.equal(policy === 'skip' ? stats.skipped : stats.deadLettered, records.length - rows.length);
    assert.equal(stats.bytes, b2 - b1);
    assert.equal(error.offset, `${b1}:0`);
    assert.match(error.message, /source 'test-source', split 'split-1', offset \d+:0: avro: sync marker mismatch/);
    assert.deepEqual(Buffer.from(handler.raws[0] as Uint8Array), corrupt.subarray(b1, b2));
    if (policy === 'dead-letter') assert.equal(handler.deadLetters.length, 1);
  }
  await assert.rejects(decode(avro, corrupt, null, { seed: 2 }, context(new RecordingHandler('fail'))), (err: Error) => {
    assert.ok(err instanceof BadRecordError);
    assert.equal(err.offset, `${b1}:0`);
    return true;
  });
});

test('a block that does not decompress is skipped as one bad record; a truncated file ends in one', async () => {
  const records = readings(40);
  const bytes = await writeAvro(records, 'deflate');
  const starts = await blockStarts(bytes);
  const b1 = starts[1] as number;
  const corrupt = Buffer.from(bytes);
  // Garble the compressed data in the middle of block 1, keeping its size and sync marker.
  for (let i = b1 + 4; i < b1 + 12; i++) corrupt[i] = 0xff;
  const handler = new RecordingHandler('skip');
  const { rows } = await decode(avro, corrupt, null, 'bytes', context(handler));
  const inBlock1 = (await decode(avro, bytes.subarray(0, starts[2]), `${b1}:0`, 'whole', context(new RecordingHandler('skip')))).rows;
  assert.equal(rows.length, records.length - inBlock1.length);
  assert.equal(handler.errors[0]?.offset, `${b1}:0`);
  assert.match(handler.errors[0]?.message ?? '', /cannot decompress block/);
  assert.equal(handler.errors[0]?.records, inBlock1.length);
  assert.equal(handler.errors[0]?.bytes, (starts[2] as number) - b1);

  const truncated = new RecordingHandler('skip');
  const cut = (starts[3] as number) + 7;
  const partial = await decode(avro, bytes.subarray(0, cut), null, 'bytes', context(truncated));
  assert.deepEqual(partial.rows, (await decode(avro, bytes.subarray(0, starts[3]))).rows);
  assert.equal(truncated.errors[0]?.offset, `${starts[3]}:0`);
  assert.match(truncated.errors[0]?.message ?? '', /ends inside a block/);
  const inBlock3 = (await decode(avro, bytes.subarray(0, starts[4]), `${starts[3]}:0`)).rows.length;
  assert.equal(truncated.errors[0]?.records, inBlock3);
  assert.equal(truncated.errors[0]?.bytes, 7);
});

test('a corrupt block size: the bytes to the next sync marker are counted, with the block header\'s records as a lower bound', async () => {
  const records = readings(40);
  const bytes = await writeAvro(records, 'null');
  const starts = await blockStarts(bytes);
  const b1 = starts[1] as number;
  const b2 = starts[2] as number;
  const corrupt = Buffer.from(bytes);
  // Block 1's count is one varint byte (a few records); its size follows: make it far too large.
  corrupt[b1 + 1] = 0xfe;
  corrupt.writeUInt8(0x7f, b1 + 2);
  const tracker = new BadRecordTracker('skip');
  const { rows } = await decode(avro, corrupt, null, { seed: 6 }, context(tracker));
  const stats = tracker.stats;
  assert.equal(stats.errors, 1);
  // Resynchronised at block 1's own sync marker: exactly block 1 is lost.
  assert.equal(stats.bytes, b2 - b1);
  assert.equal(stats.skipped, records.length - rows.length);
  assert.match(stats.samples[0]?.message ?? '', /corrupt block header/);
});

test('context.convert errors are bad records at block:index', async () => {
  const records = readings(12);
  const bytes = await writeAvro(records, 'null', 60);
  const handler = new RecordingHandler('skip');
  const convert = (row: Row): Row => {
    if (row['id'] === 5) throw new Error('column id: 5 is not allowed');
    return { id: row['id'] };
  };
  const full = await decode(avro, bytes, null, 'bytes');
  const { rows } = await decode(avro, bytes, null, 'whole', context(handler, convert));
  assert.deepEqual(rows, records.filter((r) => r['id'] !== 5).map((r) => ({ id: r['id'] })));
  assert.equal(handler.errors[0]?.offset, full.offsets[5]);
  assert.match(handler.errors[0]?.message ?? '', /column id: 5 is not allowed/);
});

test('an unsupported codec, a file that is not Avro, a bad offset: clear errors', async () => {
  const bzip2 = await writeAvro(readings(3), 'bzip2');
  await assert.rejects(decode(avro, bzip2), (err: Error) => {
    assert.ok(err instanceof SourceError);
    assert.match(err.message, /avro codec 'bzip2' is not supported \(supported: null, deflate, snappy, zstandard\)/);
    return true;
  });
  await assert.rejects(decode(avro, Buffer.from('{"not":"avro"}\n')), /not an Avro object container file/);
  await assert.rejects(decode(avro, Buffer.from('Obj')), /ends inside the container header/);
  const bytes = await writeAvro(readings(3), 'null');
  await assert.rejects(decode(avro, bytes, '12'), /invalid offset "12", expected "<block byte>:<record index>"/);
  await assert.rejects(decode(avro, bytes, '3:0'), /inside the file header/);
  const header = parseAvroContainerHeader(bytes);
  assert.equal(header?.metadata.get('avro.codec')?.toString(), 'null');
});

/** Longs around every varint length (7 bits a byte) and the limits of 64 bits, both signs. */
const edgeLongs: bigint[] = [0n, 1n, -1n, 63n, -64n, 64n, 2n ** 53n + 1n, -(2n ** 53n) - 1n, 2n ** 63n - 1n, -(2n ** 63n)];
for (let bits = 6n; bits <= 62n; bits += 7n) {
  for (const n of [2n ** bits - 1n, 2n ** bits, 2n ** bits + 1n]) edgeLongs.push(n, -n);
}

test('flat records with several long fields are plain objects, longs exact at every varint length', async () => {
  const schema = {
    type: 'record',
    name: 'Longs',
    fields: [
      { name: 'a', type: 'long' },
      { name: 'b', type: 'long' },
      { name: 'n', type: 'int' },
      { name: 'c', type: ['null', 'long'] },
    ],
  };
  const expected: Row[] = edgeLongs.map((a, i) => ({ a, b: a === -(2n ** 63n) ? a : -a, n: i, c: i % 3 === 0 ? null : a ^ 0x5555n }));
  const bytes = await writeAvro(expected, 'null', 200, schema);
  const full = await assertChunkingInvariant(avro, bytes, assert.deepEqual, [3]);
  assert.deepEqual(full.rows, expected);
  for (const row of full.rows) assert.equal(Object.getPrototypeOf(row), Object.prototype);
  // Single messages decode the same values.
  const avsc = await loadAvsc();
  const type = avroType(avsc, schema as Avsc.Schema);
  const format = avroFormat({ schema: JSON.stringify(schema) });
  for (const row of expected) assert.deepEqual(format.decodeMessage?.(type.toBuffer(row)), row);
});

test('records nested in fields, arrays, maps, unions and recursive schemas are plain objects', async () => {
  const schema = {
    type: 'record',
    name: 'Outer',
    fields: [
      { name: 'id', type: 'long' },
      { name: 'point', type: { type: 'record', name: 'Point', fields: [{ name: 'x', type: 'long' }] } },
      { name: 'points', type: { type: 'array', items: 'Point' } },
      { name: 'named', type: { type: 'map', values: 'Point' } },
      { name: 'maybe', type: ['null', 'Point'] },
      { name: 'list', type: ['null', { type: 'record', name: 'Node', fields: [{ name: 'v', type: 'long' }, { name: 'next', type: ['null', 'Node'] }] }] },
      { name: 'tags', type: { type: 'array', items: 'string' } },
    ],
  };
  const expected: Row[] = Array.from({ length: 12 }, (_, i) => ({
    id: BigInt(i) * 2n ** 58n,
    point: { x: BigInt(-i) },
    points: Array.from({ length: i % 3 }, (_, j) => ({ x: BigInt(j) })),
    named: i % 2 === 0 ? {} : { a: { x: 1n }, b: { x: 2n ** 63n - 1n } },
    maybe: i % 2 === 0 ? null : { x: 7n },
    list: i % 4 === 0 ? null : { v: 1n, next: { v: 2n, next: i % 3 === 0 ? null : { v: 3n, next: null } } },
    tags: ['t', `${i}`],
  }));
  const bytes = await writeAvro(expected, 'deflate', 150, schema);
  const full = await assertChunkingInvariant(avro, bytes, assert.deepEqual, [4]);
  // assert/strict's deepEqual compares prototypes: avsc record instances would not match.
  assert.deepEqual(full.rows, expected);
});

test('the decoder keeps no reference to pushed buffers (the caller may reuse them)', async () => {
  const expected = readings(30);
  const bytes = await writeAvro(expected, 'null', 90);
  for (const size of [7, 64, 1000]) {
    const decoder = await avro.openStream!(memoryInput(bytes), null, context());
    const scratch = Buffer.alloc(size);
    const rows: Row[] = [];
    for (let i = decoder.startByte; i < bytes.length; i += size) {
      const n = bytes.copy(scratch, 0, i, Math.min(i + size, bytes.length));
      rows.push(...decoder.push(scratch.subarray(0, n)).rows);
      scratch.fill(0xff);
    }
    rows.push(...decoder.end().rows);
    assert.deepEqual(rows, expected, `pushes of ${size} bytes`);
  }
});

test('a long written as an object (Kafka Connect attributes, a logicalType) is still read as an exact bigint, and the fingerprint is unchanged', async () => {
  const avsc = await loadAvsc();
  const schema = {
    type: 'record',
    name: 'T',
    fields: [
      { name: 'nanos', type: { type: 'long', 'connect.name': 'io.debezium.time.NanoTimestamp' } },
      { name: 'micros', type: { type: 'long', logicalType: 'timestamp-micros' } },
      { name: 'list', type: { type: 'array', items: { type: 'long', 'connect.version': 1 } } },
    ],
  };
  const plain = { type: 'record', name: 'T', fields: [{ name: 'nanos', type: 'long' }, { name: 'micros', type: 'long' }, { name: 'list', type: { type: 'array', items: 'long' } }] };
  const value = { nanos: 2n ** 62n + 7n, micros: 1709210096789012n, list: [2n ** 55n + 3n] };
  const bytes = avroType(avsc, plain as Avsc.Schema).toBuffer(value);
  // Avro's own logical type is converted (to the text a TIMESTAMP column reads), Kafka Connect's left to debezium_avro.
  assert.deepEqual(avroFormat({ schema: JSON.stringify(schema) }).decodeMessage?.(bytes), { ...value, micros: '2024-02-29 12:34:56.789012' });
  // Beyond what a Date holds, the exact number stays.
  const far = avroType(avsc, plain as Avsc.Schema).toBuffer({ ...value, micros: 2n ** 63n - 1n });
  assert.equal(avroFormat({ schema: JSON.stringify(schema) }).decodeMessage?.(far)?.['micros'], 2n ** 63n - 1n);
  assert.equal(JSON.stringify(avroType(avsc, schema as Avsc.Schema).schema()), JSON.stringify(avroType(avsc, plain as Avsc.Schema).schema()));
});

test("container files: Avro's logical types become what SQL reads (decimal exact, timestamps with micros, date), resumable as before", async () => {
  const schema = {
    type: 'record',
    name: 'L',
    fields: [
      { name: 'id', type: 'long' },
      { name: 'price', type: { type: 'bytes', logicalType: 'decimal', precision: 20, scale: 2 } },
      { name: 'at', type: ['null', { type: 'long', logicalType: 'timestamp-micros' }] },
      { name: 'day', type: { type: 'int', logicalType: 'date' } },
    ],
  };
  // 12345678901234567.89 + i/100: beyond what a double holds.
  const unscaled = (i: number): bigint => 1234567890123456789n + BigInt(i);
  const records = Array.from({ length: 12 }, (_, i) => ({
    id: i,
    price: Buffer.from(unscaled(i).toString(16).padStart(16, '0'), 'hex'),
    at: i % 2 === 0 ? null : 1709210096789012 + i,
    day: 19782 + i,
  }));
  // Written by avsc as a producer would (writeAvro's type drops the logicalType attributes from the header).
  const avsc = await loadAvsc();
  const encoder = new avsc.streams.BlockEncoder(schema as Avsc.Schema, { blockSize: 60 } as never);
  const chunks: Buffer[] = [];
  encoder.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise((resolve) => encoder.on('end', resolve));
  for (const record of records) encoder.write(record);
  encoder.end();
  await done;
  const bytes = Buffer.concat(chunks);
  const expected = records.map((r, i) => ({
    id: BigInt(r.id),
    price: `${unscaled(i)}`.replace(/(\d{2})$/, '.$1'),
    at: r.at === null ? null : `2024-02-29 12:34:56.789${String(12 + i).padStart(3, '0')}`,
    // 2024-02-29 is day 19782.
    day: ['2024-02-29', '2024-03-01', '2024-03-02', '2024-03-03', '2024-03-04', '2024-03-05', '2024-03-06', '2024-03-07', '2024-03-08', '2024-03-09', '2024-03-10', '2024-03-11'][i],
  }));
  const full = await assertChunkingInvariant(avro, bytes, assert.deepEqual, [5]);
  assert.deepEqual(full.rows, expected);
  assert.equal(await assertResumesEverywhere(avro, bytes, assert.deepEqual), 12);
});
