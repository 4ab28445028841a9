import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import protobuf from 'protobufjs';
import { createFormat } from '../../src/formats/createFormat.js';
import { needRegistry, registerSchema, uniqueSubject, wireFormat } from '../support/registry.js';

export const SHOP_PROTO = `syntax = "proto3";
package shop;
import "google/protobuf/timestamp.proto";

message Order {
  int64 id = 1;
  string name = 2;
  Status status = 3;
  bytes blob = 4;
  google.protobuf.Timestamp at = 5;
  Line line = 6;
  repeated string tags = 7;
  uint64 big = 8;
  message Line { int32 qty = 1; }
}
enum Status { NEW = 0; PAID = 1; }
message Refund {
  int64 order_id = 1;
  message Reason { string text = 1; }
}
`;

const parsed = (): protobuf.Root => {
  const { root } = protobuf.parse(SHOP_PROTO, { keepCase: true });
  root.addJSON((protobuf.common as unknown as { get(f: string): { nested: protobuf.INamespace['nested'] & object } }).get('google/protobuf/timestamp.proto').nested);
  root.resolveAll();
  return root;
};

/** The schema as `protoc --include_imports --descriptor_set_out` writes it (made with protobufjs: protoc is not needed). */
export function descriptorSet(): Buffer {
  const require = createRequire(import.meta.url);
  const descriptor = require('protobufjs/ext/descriptor') as { FileDescriptorSet: { encode(m: unknown): { finish(): Uint8Array } } };
  const set = (parsed() as unknown as { toDescriptor(edition: string): unknown }).toDescriptor('proto3');
  return Buffer.from(descriptor.FileDescriptorSet.encode(set).finish());
}

export const order = (id: number) => ({
  id: BigInt(id) * 10_000_000_000_000_000n,
  name: `order ${id}`,
  status: 1,
  blob: Buffer.from([id, 0xff]),
  at: { seconds: 1709210096, nanos: 789012345 },
  line: { qty: id },
  tags: ['a', 'b'],
  big: '18446744073709551615',
});

export const encodeOrder = (value: Record<string, unknown>): Buffer => {
  const type = parsed().lookupType('shop.Order');
  return Buffer.from(type.encode(type.fromObject(value)).finish());
};

export const expected = (id: number) => ({
  id: BigInt(id) * 10_000_000_000_000_000n,
  name: `order ${id}`,
  status: 'PAID',
  blob: Buffer.from([id, 0xff]),
  at: '2024-02-29 12:34:56.789012',
  line: { qty: id },
  tags: ['a', 'b'],
  big: 18446744073709551615n,
});

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
