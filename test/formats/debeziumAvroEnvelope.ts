import type * as Avsc from 'avsc';
import { avroFingerprint64 } from '../../src/formats/avroFingerprint.js';
import { avroType, requireAvsc } from '../../src/formats/avroRuntime.js';
import type { Row } from '../../src/formats/Format.js';

// A Debezium change-event value schema as Debezium's Avro converter registers it, written from
// Debezium's documented envelope (MySQL connector, "Change event values": the `Envelope` record
// of `before`/`after` as `["null", Value]`, the connector's `Source` block, `op`, `ts_ms` and the
// `transaction` block) and Kafka Connect's AvroData mapping of logical types (`connect.name`,
// `connect.parameters`, `connect.version`; `logicalType` where Avro has one). Not a captured
// file: the shape follows the documentation; the values the tests encode are the test's own.

/** The `Value` record of a `shop.orders` table with one column of each logical type the format converts. */
const value = {
  type: 'record',
  name: 'Value',
  fields: [
    { name: 'id', type: 'int' },
    { name: 'big', type: 'long' },
    { name: 'name', type: ['null', 'string'], default: null },
    { name: 'doc', type: ['null', 'string'], default: null },
    { name: 'blob', type: ['null', 'bytes'], default: null },
    { name: 'tags', type: ['null', { type: 'array', items: 'string' }], default: null },
    { name: 'born', type: ['null', { type: 'int', 'connect.version': 1, 'connect.name': 'io.debezium.time.Date' }], default: null },
    { name: 'created', type: { type: 'long', 'connect.version': 1, 'connect.name': 'io.debezium.time.MicroTimestamp' } },
    { name: 'nanos', type: { type: 'long', 'connect.version': 1, 'connect.name': 'io.debezium.time.NanoTimestamp' } },
    { name: 'updated', type: ['null', { type: 'long', 'connect.version': 1, 'connect.name': 'io.debezium.time.Timestamp' }], default: null },
    { name: 'at', type: ['null', { type: 'long', 'connect.version': 1, 'connect.name': 'io.debezium.time.NanoTime' }], default: null },
    { name: 'zoned', type: ['null', { type: 'string', 'connect.version': 1, 'connect.name': 'io.debezium.time.ZonedTimestamp' }], default: null },
    {
      name: 'price',
      type: [
        'null',
        {
          type: 'bytes',
          scale: 2,
          precision: 10,
          'connect.version': 1,
          'connect.parameters': { scale: '2', 'connect.decimal.precision': '10' },
          'connect.name': 'org.apache.kafka.connect.data.Decimal',
          logicalType: 'decimal',
        },
      ],
      default: null,
    },
    {
      name: 'ratio',
      type: [
        'null',
        {
          type: 'record',
          name: 'VariableScaleDecimal',
          namespace: 'io.debezium.data',
          fields: [
            { name: 'scale', type: 'int' },
            { name: 'value', type: 'bytes' },
          ],
          'connect.doc': 'Variable scaled decimal',
          'connect.version': 1,
          'connect.name': 'io.debezium.data.VariableScaleDecimal',
        },
      ],
      default: null,
    },
    // Avro's own logical type, without connect.name (another producer's converter).
    { name: 'shipped', type: ['null', { type: 'int', logicalType: 'date' }], default: null },
  ],
  'connect.name': 'dbserver1.shop.orders.Value',
};

/** The envelope: `after` refers to `Value` by name, as Debezium's schemas do. */
export const ORDERS_ENVELOPE = {
  type: 'record',
  name: 'Envelope',
  namespace: 'dbserver1.shop.orders',
  fields: [
    { name: 'before', type: ['null', value], default: null },
    { name: 'after', type: ['null', 'Value'], default: null },
    {
      name: 'source',
      type: {
        type: 'record',
        name: 'Source',
        namespace: 'io.debezium.connector.mysql',
        fields: [
          { name: 'version', type: 'string' },
          { name: 'connector', type: 'string' },
          { name: 'name', type: 'string' },
          { name: 'ts_ms', type: 'long' },
          {
            name: 'snapshot',
            type: [
              { type: 'string', 'connect.version': 1, 'connect.parameters': { allowed: 'true,last,false,incremental' }, 'connect.default': 'false', 'connect.name': 'io.debezium.data.Enum' },
              'null',
            ],
            default: 'false',
          },
          { name: 'db', type: 'string' },
          { name: 'sequence', type: ['null', 'string'], default: null },
          { name: 'table', type: ['null', 'string'], default: null },
          { name: 'server_id', type: 'long' },
          { name: 'gtid', type: ['null', 'string'], default: null },
          { name: 'file', type: 'string' },
          { name: 'pos', type: 'long' },
          { name: 'row', type: 'int' },
          { name: 'thread', type: ['null', 'long'], default: null },
          { name: 'query', type: ['null', 'string'], default: null },
        ],
        'connect.name': 'io.debezium.connector.mysql.Source',
      },
    },
    { name: 'op', type: 'string' },
    { name: 'ts_ms', type: ['null', 'long'], default: null },
    {
      name: 'transaction',
      type: [
        'null',
        {
          type: 'record',
          name: 'block',
          namespace: 'event',
          fields: [
            { name: 'id', type: 'string' },
            { name: 'total_order', type: 'long' },
            { name: 'data_collection_order', type: 'long' },
          ],
          'connect.version': 1,
          'connect.name': 'event.block',
        },
      ],
      default: null,
    },
  ],
  'connect.version': 1,
  'connect.name': 'dbserver1.shop.orders.Envelope',
};

/** A `Source` block as the MySQL connector fills it (nullable longs as numbers: see the writer in debeziumAvro.test.ts). */
export function mysqlSource(pos: number, snapshot: 'true' | 'false' = 'false'): Record<string, unknown> {
  return {
    version: '2.5.0.Final',
    connector: 'mysql',
    name: 'dbserver1',
    ts_ms: 1_700_000_000_000n,
    snapshot,
    db: 'shop',
    sequence: null,
    table: 'orders',
    server_id: 223344n,
    gtid: null,
    file: 'mysql-bin.000003',
    pos: BigInt(pos),
    row: 0,
    thread: 7,
    query: null,
  };
}

export const schemaText = JSON.stringify(ORDERS_ENVELOPE);
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
export const bare = (envelope: Record<string, unknown>): Buffer => writer.toBuffer(envelope);

/** Avro single-object encoding: C3 01, the CRC-64-AVRO fingerprint of the canonical schema (LE), the datum. */
export function singleObject(envelope: Record<string, unknown>): Buffer {
  const fingerprint = Buffer.alloc(8);
  fingerprint.writeBigUInt64LE(avroFingerprint64(JSON.stringify(type.schema())));
  return Buffer.concat([Buffer.from([0xc3, 0x01]), fingerprint, bare(envelope)]);
}

export const envelope = (op: string, before: Record<string, unknown> | null, after: Record<string, unknown> | null, pos = 4): Record<string, unknown> => ({
  before,
  after,
  source: mysqlSource(pos, op === 'r' ? 'true' : 'false'),
  op,
  ts_ms: 1_700_000_000_500,
  transaction: null,
});

/** A full row of the Value record, as a producer writes it (raw Avro values). */
export const raw = (id: number, overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
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
export const converted = (id: number, overrides: Record<string, unknown> = {}): Row => ({
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

