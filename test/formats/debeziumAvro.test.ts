import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type * as Avsc from 'avsc';
import { UNCHANGED, opOf, type ChangeOp, type ChangeRow } from '../../src/core/Changelog.js';
import { TableState } from '../../src/core/TableState.js';
import { avroFingerprint64 } from '../../src/formats/avroFingerprint.js';
import { avroType, requireAvsc } from '../../src/formats/avroRuntime.js';
import { createFormat } from '../../src/formats/createFormat.js';
import { debeziumAvroFormat } from '../../src/formats/debeziumAvroFormat.js';
import type { Format, Row } from '../../src/formats/Format.js';
import { ORDERS_ENVELOPE, mysqlSource } from './debeziumAvroEnvelope.js';

const schemaText = JSON.stringify(ORDERS_ENVELOPE);
const avsc = requireAvsc();
/** The schema as the format reads it (its canonical form gives the single-object fingerprint). */
const type = avroType(avsc, ORDERS_ENVELOPE as unknown as Avsc.Schema);
/**
 * The writer's side, independent of the format's decoding type: avsc with a `long` taking
 * bigints or safe integers (avsc picks a union branch by a value's `typeof`, and takes a long
 * for a number, so a nullable long is written from a number here).
 */
const writerLong = avsc.types.LongType.__with({
      fromBuffer: (buf: Buffer) => buf.readBigInt64LE(),
      toBuffer: (n: bigint | number) => {
        const buf = Buffer.alloc(8);
        buf.writeBigInt64LE(BigInt(n));
        return buf;
      },
      fromJSON: (n: number) => BigInt(n),
      toJSON: (n: bigint) => Number(n),
      isValid: (n: unknown) => typeof n === 'bigint' || Number.isSafeInteger(n),
      compare: (a: bigint, b: bigint) => (a === b ? 0 : a < b ? -1 : 1),
});
// Also for longs written as objects (`{"type": "long", "connect.name": ...}`), which avsc does not look up in the registry.
const writer = avsc.Type.forSchema(ORDERS_ENVELOPE as unknown as Avsc.Schema, {
  registry: { long: writerLong },
  typeHook: (schema) => (typeof schema === 'object' && schema !== null && (schema as { type?: unknown }).type === 'long' ? writerLong : undefined),
});

/** The bare Avro datum of an envelope. */
const bare = (envelope: Record<string, unknown>): Buffer => writer.toBuffer(envelope);

/** Avro single-object encoding: C3 01, the CRC-64-AVRO fingerprint of the canonical schema (LE), the datum. */
function singleObject(envelope: Record<string, unknown>): Buffer {
  const fingerprint = Buffer.alloc(8);
  fingerprint.writeBigUInt64LE(avroFingerprint64(JSON.stringify(type.schema())));
  return Buffer.concat([Buffer.from([0xc3, 0x01]), fingerprint, bare(envelope)]);
}

const envelope = (op: string, before: Record<string, unknown> | null, after: Record<string, unknown> | null, pos = 4): Record<string, unknown> => ({
  before,
  after,
  source: mysqlSource(pos, op === 'r' ? 'true' : 'false'),
  op,
  ts_ms: 1_700_000_000_500,
  transaction: null,
});

/** A full row of the Value record, as a producer writes it (raw Avro values). */
const raw = (id: number, overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
  id,
  big: 2n ** 62n + 1n,
  name: 'Anne',
  doc: 'a long text',
  blob: Buffer.from([1, 2, 3]),
  tags: ['a', 'b'],
  born: 19_000,
  created: 1_700_000_000_123_456n,
  // Beyond 2^53: exact only if the long is read as a bigint.
  nanos: 1_700_000_000_123_456_789n,
  updated: 1_700_000_000_123,
  at: 3_723_000_000_001,
  zoned: '2023-11-14T22:13:20Z',
  price: Buffer.from([0x30, 0x39]), // 12345, scale 2
  ratio: { scale: 3, value: Buffer.from([0xfb, 0x2e]) }, // -1234, scale 3
  shipped: 19_001,
  ...overrides,
});

/** The same row as the format gives it: logical types as the text the SQL types read. */
const converted = (id: number, overrides: Record<string, unknown> = {}): Row => ({
  id,
  big: 2n ** 62n + 1n,
  name: 'Anne',
  doc: 'a long text',
  blob: Buffer.from([1, 2, 3]),
  tags: ['a', 'b'],
  born: '2022-01-08',
  created: '2023-11-14 22:13:20.123456',
  nanos: '2023-11-14 22:13:20.123456789',
  updated: '2023-11-14 22:13:20.123',
  at: '01:02:03.000000001',
  zoned: '2023-11-14T22:13:20Z',
  price: '123.45',
  ratio: '-1.234',
  shipped: '2022-01-09',
  ...overrides,
});

function ops(rows: readonly Row[]): Array<[ChangeOp, Row]> {
  return rows.map((row) => [opOf(row), Object.fromEntries(Object.entries(row))]);
}

const decode = (format: Format, payload: Uint8Array | null): Array<[ChangeOp, Row]> => ops(format.decodeMessages!(payload, null));

test('debezium_avro: snapshot, create, update and delete envelopes, single-object encoded or bare, with Kafka Connect logical types', () => {
  const format = debeziumAvroFormat({ schema: schemaText });
  assert.equal(format.name, 'debezium_avro');
  assert.deepEqual(decode(format, singleObject(envelope('r', null, raw(1)))), [['insert', converted(1)]]);
  assert.deepEqual(decode(format, bare(envelope('c', null, raw(2)))), [['insert', converted(2)]]);
  assert.deepEqual(decode(format, bare(envelope('u', raw(1), raw(1, { name: 'Annie', price: Buffer.from([0xff]) })))), [
    ['update_before', converted(1)],
    // 0xff is -1 in two's complement: -0.01.
    ['update_after', converted(1, { name: 'Annie', price: '-0.01' })],
  ]);
  // An update without its before image (Postgres without REPLICA IDENTITY FULL sends none).
  assert.deepEqual(decode(format, bare(envelope('u', null, raw(2, { name: null })))), [['update_after', converted(2, { name: null })]]);
  assert.deepEqual(decode(format, singleObject(envelope('d', raw(2), null))), [['delete', converted(2)]]);
  // Nullable logical columns stay null.
  assert.deepEqual(decode(format, bare(envelope('c', null, raw(3, { born: null, updated: null, price: null, ratio: null, shipped: null })))), [
    ['insert', converted(3, { born: null, updated: null, price: null, ratio: null, shipped: null })],
  ]);
});

test('debezium_avro: tombstones give no row; malformed events, truncate and unknown ops are refused naming the problem', () => {
  const format = debeziumAvroFormat({ schema: schemaText });
  assert.deepEqual(decode(format, null), []);
  assert.deepEqual(decode(format, new Uint8Array(0)), []);
  assert.throws(() => format.decodeMessages!(bare(envelope('c', null, null)), null), /a Debezium 'c' event without an 'after' image/);
  assert.throws(() => format.decodeMessages!(bare(envelope('d', null, null)), null), /'d' event without a 'before' image: the deleted key is unknown/);
  assert.throws(() => format.decodeMessages!(bare(envelope('t', null, null)), null), /op 't' \(truncate\) cannot be applied row by row/);
  assert.throws(() => format.decodeMessages!(bare(envelope('x', null, raw(1))), null), /not a Debezium change event: op is "x"/);
  // A message cut short, and one with bytes after the datum.
  const whole = bare(envelope('c', null, raw(1)));
  assert.throws(() => format.decodeMessages!(whole.subarray(0, whole.length - 3), null));
  assert.throws(() => format.decodeMessages!(Buffer.concat([whole, Buffer.from([1, 2])]), null));
  // The Confluent Schema Registry framing: magic byte 0 and a 4-byte schema id before the datum.
  const confluent = Buffer.concat([Buffer.from([0, 0, 0, 0, 42]), bare(envelope('u', raw(1), raw(1)))]);
  assert.throws(() => format.decodeMessages!(confluent, null), /Confluent Schema Registry framing, schema id 42: reading it needs the registry, which is issue 19/);
  // Another schema's fingerprint.
  const other = singleObject(envelope('c', null, raw(1)));
  other[4] = (other[4] as number) ^ 0xff;
  assert.throws(() => format.decodeMessages!(other, null), /single-object encoding with schema fingerprint/);
});

test('debezium_avro: __debezium_unavailable_value (text, bytes, array) is UNCHANGED, and a table keeps the stored values', () => {
  const format = debeziumAvroFormat({ schema: schemaText });
  const placeholder = '__debezium_unavailable_value';
  const toasted = raw(1, { name: 'Anna', doc: placeholder, blob: Buffer.from(placeholder), tags: [placeholder] });
  const rows = format.decodeMessages!(bare(envelope('u', null, toasted)), null);
  assert.deepEqual(ops(rows), [['update_after', converted(1, { name: 'Anna', doc: UNCHANGED, blob: UNCHANGED, tags: UNCHANGED })]]);
  const table = new TableState<Row>(['id']);
  const out: ChangeRow<Row>[] = [];
  table.apply(format.decodeMessages!(bare(envelope('r', null, raw(1))), null), out);
  table.apply(rows, out);
  assert.deepEqual(ops(out), [
    ['insert', converted(1)],
    ['update_before', converted(1)],
    ['update_after', converted(1, { name: 'Anna' })],
  ]);
  // A text that merely contains the placeholder is data.
  assert.deepEqual(decode(format, bare(envelope('c', null, raw(4, { doc: `${placeholder}!` })))), [['insert', converted(4, { doc: `${placeholder}!` })]]);
});

test('debezium_avro: from createFormat with schema.file, columns matched case-insensitively; schemas that are not envelopes refused up front', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cdc2-avsc-'));
  const file = join(dir, 'orders-value.avsc');
  writeFileSync(file, schemaText);
  const format = createFormat('debezium_avro', { 'schema.file': file }, ['ID', 'Name']);
  const [row] = format.decodeMessages!(bare(envelope('c', null, raw(5))), null);
  assert.equal(row!['ID'], 5);
  assert.equal(row!['Name'], 'Anne');
  assert.throws(() => createFormat('debezium_avro'), /needs the envelope's writer schema: set the option 'schema' or 'schema.file' \(reading it from a schema registry is issue 19\)/);
  assert.throws(() => createFormat('debezium_avro', { 'schema.registry': 'http://localhost:8081' }), /unknown debezium_avro format option "schema.registry"/);
  assert.throws(
    () => debeziumAvroFormat({ schema: JSON.stringify({ type: 'record', name: 'Row', fields: [{ name: 'id', type: 'int' }] }) }),
    /not a Debezium envelope: expected a record with fields before, after and op, got fields id/,
  );
  assert.throws(
    () =>
      debeziumAvroFormat({
        schema: JSON.stringify({ type: 'record', name: 'E', fields: [{ name: 'before', type: ['null', 'string'] }, { name: 'after', type: 'string' }, { name: 'op', type: 'string' }] }),
      }),
    /the envelope's 'before' must be a record or a union of null and one record/,
  );
  assert.throws(() => debeziumAvroFormat({ schema: '{"type":' }), /avro option 'schema' is not valid JSON/);
});
