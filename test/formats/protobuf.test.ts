import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createFormat } from '../../src/formats/createFormat.js';
import { needRegistry, registerSchema, uniqueSubject, wireFormat } from '../support/registry.js';
import { SHOP_PROTO, descriptorSet, encodeOrder, expected, order, parsed } from './protobufFixtures.js';

test('protobuf with a FileDescriptorSet or a .proto file: int64 exact, enums by name, bytes, nested, repeated, Timestamp as text, defaults for unset fields', () => {
  const dir = mkdtempSync(join(tmpdir(), 'registry-protobuf-'));
  writeFileSync(join(dir, 'shop.pb'), descriptorSet());
  writeFileSync(join(dir, 'shop.proto'), SHOP_PROTO);
  for (const file of ['shop.pb', 'shop.proto']) {
    const format = createFormat('protobuf', { message: 'shop.Order', 'schema.file': join(dir, file) });
    const row = format.decodeMessage!(encodeOrder(order(1)));
    assert.deepEqual({ ...row }, expected(1), file);
    // proto3: unset fields read as their defaults.
    assert.deepEqual({ ...format.decodeMessage!(encodeOrder({ id: 5 })) }, { id: 5n, name: '', status: 'NEW', blob: Buffer.alloc(0), at: null, line: null, tags: [], big: 0n });
    assert.throws(() => format.decodeMessage!(Buffer.from([0x0a, 0xff, 0xff])), /index out of range|invalid/i);
  }
  assert.throws(() => createFormat('protobuf', { message: 'shop.Nope', 'schema.file': join(dir, 'shop.pb') }), /has no message shop.Nope/);
  assert.throws(() => createFormat('protobuf', { 'schema.file': join(dir, 'shop.pb') }), /needs the message type/);
  assert.throws(() => createFormat('protobuf', { message: 'shop.Order' }), /needs the schema/);
  writeFileSync(join(dir, 'bad.pb'), 'not a descriptor');
  assert.throws(() => createFormat('protobuf', { message: 'shop.Order', 'schema.file': join(dir, 'bad.pb') }), /is not a FileDescriptorSet/);
});

test('protobuf from the registry: .proto schemas by id, message indexes pick the type (nested too), unknown id and a message of another type are errors', async (t) => {
  const url = await needRegistry(t);
  if (url === undefined) return;
  const id = await registerSchema(url, uniqueSubject('protobuf'), SHOP_PROTO, 'PROTOBUF');
  const format = createFormat('protobuf', { 'schema.registry': url });
  // Confluent's message indexes, zig-zag varints: a lone 0 is [0] (Order, the first message);
  // 4 2 0 is count 2, path [1, 0]: Refund (the second message; enums do not count), its first nested message.
  const first = wireFormat(id, Buffer.concat([Buffer.from([0]), encodeOrder(order(2))]));
  const reasonType = parsed().lookupType('shop.Refund.Reason');
  const reason = wireFormat(id, Buffer.concat([Buffer.from([4, 2, 0]), Buffer.from(reasonType.encode(reasonType.fromObject({ text: 'late' })).finish())]));
  const unknown = wireFormat(1_999_999_998, Buffer.from([0]));
  await format.prefetch!([first, reason, unknown]);
  assert.equal(format.prefetch!([first]), undefined);
  assert.deepEqual({ ...format.decodeMessage!(first) }, expected(2));
  assert.deepEqual({ ...format.decodeMessage!(reason) }, { text: 'late' });
  assert.throws(() => format.decodeMessage!(unknown), /schema id 1999999998 is not in the schema registry/);
  assert.throws(() => format.decodeMessage!(wireFormat(id, Buffer.from([2, 18]))), /has no message at index path 9/);
  const declared = createFormat('protobuf', { 'schema.registry': url, message: 'shop.Order' });
  await declared.prefetch!([reason]);
  assert.throws(() => declared.decodeMessage!(reason), /is a shop.Refund.Reason \(schema id \d+\), not the declared shop.Order/);
  assert.throws(() => declared.decodeMessage!(Buffer.from('{}')), /magic byte is 0x7b/);
});
