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
