import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { UNCHANGED, opOf, type ChangeOp, type ChangeRow } from '../../src/core/Changelog.js';
import { TableState } from '../../src/core/TableState.js';
import { createFormat } from '../../src/formats/createFormat.js';
import { debeziumAvroFormat } from '../../src/formats/debeziumAvroFormat.js';
import type { Format, Row } from '../../src/formats/Format.js';
import { bare, converted, envelope, raw, schemaText, singleObject } from './debeziumAvroEnvelope.js';

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

test('debezium_avro: tombstones give no row; a truncate is one truncate row; malformed events and unknown ops are refused naming the problem', () => {
  const format = debeziumAvroFormat({ schema: schemaText });
  assert.deepEqual(decode(format, null), []);
  assert.deepEqual(decode(format, new Uint8Array(0)), []);
  assert.throws(() => format.decodeMessages!(bare(envelope('c', null, null)), null), /a Debezium 'c' event without an 'after' image/);
  assert.throws(() => format.decodeMessages!(bare(envelope('d', null, null)), null), /'d' event without a 'before' image: the deleted key is unknown/);
  assert.deepEqual(decode(format, bare(envelope('t', null, null))), [['truncate', {}]]);
  assert.throws(() => format.decodeMessages!(bare(envelope('x', null, raw(1))), null), /not a Debezium change event: op is "x"/);
  // A message cut short, and one with bytes after the datum.
  const whole = bare(envelope('c', null, raw(1)));
  assert.throws(() => format.decodeMessages!(whole.subarray(0, whole.length - 3), null));
  assert.throws(() => format.decodeMessages!(Buffer.concat([whole, Buffer.from([1, 2])]), null));
  // The Confluent Schema Registry framing: magic byte 0 and a 4-byte schema id before the datum.
  const confluent = Buffer.concat([Buffer.from([0, 0, 0, 0, 42]), bare(envelope('u', raw(1), raw(1)))]);
  assert.throws(() => format.decodeMessages!(confluent, null), /Confluent Schema Registry framing, schema id 42: read it with the option 'schema.registry'/);
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
  assert.throws(() => createFormat('debezium_avro'), /needs the envelope's writer schema: set the option 'schema' or 'schema.file', or 'schema.registry'/);
  assert.throws(() => createFormat('debezium_avro', { 'schema.registry': 'http://localhost:8081', schema: schemaText }), /exclude each other/);
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
