import { createRequire } from 'node:module';
import protobuf from 'protobufjs';

// A .proto schema and messages for the protobuf tests (format and real broker).

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

export const parsed = (): protobuf.Root => {
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

