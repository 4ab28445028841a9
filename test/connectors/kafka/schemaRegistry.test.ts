import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import avsc from 'avsc';
import { lastValueFrom, takeUntil, timer, toArray } from 'rxjs';
import { opOf } from '../../../src/core/Changelog.js';
import { createKafkaSource } from '../../../src/connectors/kafka/createKafkaSource.js';
import { createFormat } from '../../../src/formats/createFormat.js';
import type { Row } from '../../../src/formats/Format.js';
import { Decimal } from '../../../src/sql/Decimal.js';
import { Session } from '../../../src/sql/Session.js';
import { MemoryStore } from '../../../src/state/MemoryStore.js';
import { closedPort, createTopic, needKafka, produce, uniqueTopic } from '../../support/kafka.js';
import { needRegistry, registerSchema, wireFormat } from '../../support/registry.js';
import { bare, converted, envelope, raw, schemaText } from '../../formats/debeziumAvroEnvelope.js';
import { SHOP_PROTO, descriptorSet, encodeOrder, order as pbOrder } from '../../formats/protobufFixtures.js';

// Producers serialize through the real registry (Apicurio's Confluent API): each schema is
// registered over HTTP and its id framed into the message, as Confluent's KafkaAvroSerializer
// does; tributary reads them back from the real broker.

const decimalSchema = { type: 'bytes', logicalType: 'decimal', precision: 20, scale: 2 };
const v1 = {
  type: 'record',
  name: 'Order',
  namespace: 'tributary.registry',
  fields: [
    { name: 'id', type: 'long' },
    { name: 'name', type: 'string' },
    { name: 'price', type: decimalSchema },
    { name: 'at', type: { type: 'long', logicalType: 'timestamp-micros' } },
    { name: 'at_ms', type: ['null', { type: 'long', logicalType: 'timestamp-millis' }], default: null },
    { name: 'day', type: { type: 'int', logicalType: 'date' } },
    { name: 'uid', type: { type: 'string', logicalType: 'uuid' } },
  ],
};
/** v1 plus a field with a default: messages written with v1 read it as the default. */
const v2 = { ...v1, fields: [...v1.fields, { name: 'note', type: 'string', default: 'none' }] };

/** Big-endian two's complement, as Avro encodes a decimal's unscaled value. */
function unscaledBytes(n: bigint): Buffer {
  let hex = BigInt.asUintN(128, n).toString(16).padStart(32, '0');
  // Drop leading bytes that only repeat the sign.
  while (hex.length > 2 && ((hex.startsWith('00') && parseInt(hex[2]!, 16) < 8) || (hex.startsWith('ff') && parseInt(hex[2]!, 16) >= 8))) hex = hex.slice(2);
  return Buffer.from(hex, 'hex');
}

const order = (id: number, extra: Record<string, unknown> = {}) => ({
  id,
  name: `order ${id}`,
  // 12345678901234567.89 + id: beyond a double's 15-17 significant digits.
  price: unscaledBytes(1234567890123456789n + BigInt(id)),
  // 2024-02-29 12:34:56.789012 UTC, in micros.
  at: 1709210096789012 + id,
  at_ms: { long: 1709210096789 },
  // 2024-02-29 is day 19782.
  day: 19782 + id,
  uid: `00000000-0000-4000-8000-00000000000${id}`,
  ...extra,
});

/** Encodes `value` with `schema` in the Confluent wire format under `id`. */
const encode = (schema: unknown, id: number, value: unknown): Buffer =>
  wireFormat(id, avsc.Type.forSchema(schema as avsc.Schema, { wrapUnions: true }).toBuffer(value));

const readAll = async (session: Session, sql: string): Promise<Row[]> => lastValueFrom(session.query(sql).rows.pipe(takeUntil(timer(60_000)), toArray()));

test('registry avro on the real broker: schemas registered over the registry API, an evolved schema (field added with a default), logical types; columns from the latest schema and declared ones, both SQL syntaxes', async (t) => {
  const brokers = await needKafka(t);
  const registry = await needRegistry(t);
  if (brokers === undefined || registry === undefined) return;
  const topic = uniqueTopic('registry-orders');
  await createTopic(brokers, topic, 2);
  const id1 = await registerSchema(registry, `${topic}-value`, v1);
  await produce(brokers, topic, [
    { key: '1', partition: 0, value: encode(v1, id1, order(1)) },
    { key: '2', partition: 1, value: encode(v1, id1, order(2, { at_ms: null })) },
  ]);
  // The schema evolves; older messages stay in the topic.
  const id2 = await registerSchema(registry, `${topic}-value`, v2);
  assert.notEqual(id1, id2);
  await produce(brokers, topic, [{ key: '3', partition: 0, value: encode(v2, id2, order(3, { note: 'gift' })) }]);

  const session = new Session({ checkpointIntervalMs: 100 });
  const props = `connector = 'kafka', topic = '${topic}', properties.bootstrap.server = '${brokers}',
    scan.startup.mode = 'earliest', scan.bounded.mode = 'latest', kafka.commit.offsets = 'false'`;
  // No columns: they come from the subject's latest version (v2).
  session.execute(`CREATE SOURCE derived WITH (${props}) FORMAT PLAIN ENCODE AVRO (schema.registry = '${registry}')`);
  const derived = (await readAll(session, 'SELECT id, name, price, at, at_ms, day, uid, note FROM derived')).sort((a, b) => Number(a['id']) - Number(b['id']));
  assert.deepEqual(
    derived.map((r) => [r['id'], r['price'], r['at'], r['at_ms'], r['day'], r['uid'], r['note']]),
    [
      [1n, '12345678901234567.90', '2024-02-29 12:34:56.789013', '2024-02-29 12:34:56.789', '2024-03-01', '00000000-0000-4000-8000-000000000001', 'none'],
      [2n, '12345678901234567.91', '2024-02-29 12:34:56.789014', null, '2024-03-02', '00000000-0000-4000-8000-000000000002', 'none'],
      [3n, '12345678901234567.92', '2024-02-29 12:34:56.789015', '2024-02-29 12:34:56.789', '2024-03-03', '00000000-0000-4000-8000-000000000003', 'gift'],
    ],
  );

  // Declared columns and the seed's syntax; the credentials in the URL are never shown.
  const withUser = registry.replace('http://', 'http://tributary:registry-secret-pw@');
  session.execute(`CREATE SOURCE declared (id BIGINT, price NUMERIC, at TIMESTAMP, day DATE, note VARCHAR) WITH (
      'upstream.source' = 'kafka', 'kafka.topic' = '${topic}', 'kafka.bootstrap.servers' = '${brokers}',
      'kafka.scan.startup.mode' = 'earliest', 'kafka.scan.bounded.mode' = 'latest', 'kafka.commit.offsets' = 'false'
    ) ROW FORMAT AVRO ROW SCHEMA LOCATION '${withUser}'`);
  const declared = (await readAll(session, 'SELECT id, price, day, note FROM declared')).sort((a, b) => Number(a['id']) - Number(b['id']));
  assert.equal(declared.length, 3);
  assert.ok(declared[0]!['price'] instanceof Decimal, 'NUMERIC holds an exact Decimal');
  assert.deepEqual(
    declared.map((r) => [r['id'], String(r['price']), r['note']]),
    [
      [1n, '12345678901234567.90', 'none'],
      [2n, '12345678901234567.91', 'none'],
      [3n, '12345678901234567.92', 'gift'],
    ],
  );
  assert.ok(!session.redact(`x ${withUser} y`).includes('registry-secret-pw'), 'the URL password is a session secret');
});

/** A Kafka source reading `topic` bounded with a registry format at `url`. */
const source = (name: string, topic: string, brokers: string, url: string, badRecords: 'fail' | 'skip') =>
  createKafkaSource({
    name,
    topic,
    brokers,
    format: createFormat('avro', { 'schema.registry': url }),
    store: new MemoryStore(),
    badRecords,
    startupMode: 'earliest',
    boundedMode: 'latest',
    consumerGroup: false,
    checkpointIntervalMs: 50,
  });

const rowsOf = async (s: ReturnType<typeof source>): Promise<Row[]> => {
  try {
    const events = await lastValueFrom(s.pipe(takeUntil(timer(60_000)), toArray()));
    return events.flatMap((e) => (e.type === 'chunk' ? e.records : []));
  } finally {
    await s.closed();
  }
};

test('registry avro, hostile input on the real broker: an unknown schema id and a wrong magic byte are bad records naming source, split and offset; under fail the source stops at the first', async (t) => {
  const brokers = await needKafka(t);
  const registry = await needRegistry(t);
  if (brokers === undefined || registry === undefined) return;
  const topic = uniqueTopic('registry-hostile');
  await createTopic(brokers, topic, 1);
  const id = await registerSchema(registry, `${topic}-value`, v1);
  await produce(brokers, topic, [
    { value: encode(v1, id, order(1)) },
    // An id nobody registered.
    { value: encode(v1, 2_000_000_000, order(2)) },
    // JSON where Avro was expected.
    { value: Buffer.from('{"id": 3}') },
    // The right id, a truncated datum.
    { value: encode(v1, id, order(4)).subarray(0, 12) },
    { value: encode(v1, id, order(5)) },
  ]);
  const skipping = source('registry-hostile-skip', topic, brokers, registry, 'skip');
  const rows = await rowsOf(skipping);
  assert.deepEqual(rows.map((r) => r['id']), [1n, 5n]);
  const samples = skipping.badRecordStats.samples.map((e) => e.message);
  assert.equal(samples.length, 3, samples.join('\n'));
  assert.match(samples[0]!, new RegExp(`source 'registry-hostile-skip', split '${topic}-0', offset 1: .*schema id 2000000000 is not in the schema registry`));
  assert.match(samples[1]!, new RegExp(`split '${topic}-0', offset 2: .*magic byte is 0x7b, expected 0x00 \\(it looks like JSON\\)`));
  assert.match(samples[2]!, new RegExp(`split '${topic}-0', offset 3: .*`));

  const failing = source('registry-hostile-fail', topic, brokers, registry, 'fail');
  await assert.rejects(rowsOf(failing), (err: Error) => {
    assert.match(err.message, new RegExp(`source 'registry-hostile-fail', split '${topic}-0', offset 1: .*schema id 2000000000`));
    return true;
  });
});

test('registry avro with the registry down: the source fails naming source, split, position and the registry, never its password', async (t) => {
  const brokers = await needKafka(t);
  const registry = await needRegistry(t);
  if (brokers === undefined || registry === undefined) return;
  const topic = uniqueTopic('registry-down');
  await createTopic(brokers, topic, 1);
  const id = await registerSchema(registry, `${topic}-value`, v1);
  await produce(brokers, topic, [{ value: encode(v1, id, order(1)) }]);
  const down = `http://reader:down-secret-pw@127.0.0.1:${await closedPort()}/apis/ccompat/v7`;
  const s = source('registry-down', topic, brokers, down, 'skip');
  await assert.rejects(rowsOf(s), (err: Error) => {
    assert.match(err.message, new RegExp(`source 'registry-down', split '${topic}-0', offset 0: schema registry http://127\\.0\\.0\\.1:\\d+/apis/ccompat/v7 is unreachable fetching schema id ${id}`));
    assert.ok(!err.message.includes('down-secret-pw') && !err.message.includes('reader:'), err.message);
    return true;
  });
});

test('debezium_avro from the registry on the real broker: Debezium envelopes in the Confluent wire format become a table through CREATE TABLE ... FORMAT DEBEZIUM ENCODE AVRO (schema.registry = ...)', async (t) => {
  const brokers = await needKafka(t);
  const registry = await needRegistry(t);
  if (brokers === undefined || registry === undefined) return;
  const topic = uniqueTopic('registry-dbz');
  await createTopic(brokers, topic, 1);
  const id = await registerSchema(registry, `${topic}-value`, schemaText);
  const framed = (e: Record<string, unknown>): Buffer => wireFormat(id, bare(e));
  await produce(brokers, topic, [
    { value: framed(envelope('r', null, raw(1))) },
    { value: framed(envelope('r', null, raw(2))) },
    { value: framed(envelope('u', raw(1), raw(1, { name: 'Annie' }))) },
    { value: framed(envelope('d', raw(2), null)) },
    { value: null },
  ]);
  const session = new Session({ checkpointIntervalMs: 100 });
  session.execute(`CREATE TABLE dbz (id INT, name VARCHAR, PRIMARY KEY (id)) WITH (connector = 'kafka', topic = '${topic}',
      properties.bootstrap.server = '${brokers}', scan.startup.mode = 'earliest', scan.bounded.mode = 'latest', kafka.commit.offsets = 'false')
    FORMAT DEBEZIUM ENCODE AVRO (schema.registry = '${registry}')`);
  const rows = await readAll(session, 'SELECT id, name FROM dbz');
  // The table's changelog: the snapshot, the update as its two halves, the delete.
  assert.deepEqual(
    rows.map((r) => [opOf(r), r['id'], r['name']]),
    [['insert', 1, 'Anne'], ['insert', 2, 'Anne'], ['update_before', 1, 'Anne'], ['update_after', 1, 'Annie'], ['delete', 2, 'Anne']],
  );
  // The same through the format directly, with the envelope's logical types converted.
  const format = createFormat('debezium_avro', { 'schema.registry': registry, 'schema.registry.subject': `${topic}-value` });
  const message = framed(envelope('c', null, raw(3)));
  await format.prefetch!([message]);
  const [row] = format.decodeMessages!(message, null);
  assert.equal(opOf(row!), 'insert');
  assert.deepEqual(Object.fromEntries(Object.entries(row!)), converted(3));
});

test('protobuf on the real broker through SQL: ENCODE PROTOBUF with a descriptor file, and with the registry (wire format)', async (t) => {
  const brokers = await needKafka(t);
  const registry = await needRegistry(t);
  if (brokers === undefined || registry === undefined) return;
  const plainTopic = uniqueTopic('registry-pb-file');
  const framedTopic = uniqueTopic('registry-pb-registry');
  await createTopic(brokers, plainTopic, 1);
  await createTopic(brokers, framedTopic, 1);
  const dir = mkdtempSync(join(tmpdir(), 'registry-pb-'));
  const descriptor = join(dir, 'shop.pb');
  writeFileSync(descriptor, descriptorSet());
  const id = await registerSchema(registry, `${framedTopic}-value`, SHOP_PROTO, 'PROTOBUF');
  await produce(brokers, plainTopic, [{ value: encodeOrder(pbOrder(1)) }, { value: encodeOrder(pbOrder(2)) }]);
  await produce(brokers, framedTopic, [
    { value: wireFormat(id, Buffer.concat([Buffer.from([0]), encodeOrder(pbOrder(3))])) },
    // Not in the wire format: skipped, counted.
    { value: encodeOrder(pbOrder(4)) },
    { value: wireFormat(id, Buffer.concat([Buffer.from([2, 0]), encodeOrder(pbOrder(5))])) },
  ]);
  const session = new Session({ checkpointIntervalMs: 100, badRecords: 'skip' });
  const props = (topic: string) => `connector = 'kafka', topic = '${topic}', properties.bootstrap.server = '${brokers}',
    scan.startup.mode = 'earliest', scan.bounded.mode = 'latest', kafka.commit.offsets = 'false'`;
  session.execute(`CREATE SOURCE pb_file (id BIGINT, name VARCHAR, status VARCHAR, at TIMESTAMP, big NUMERIC) WITH (${props(plainTopic)})
    FORMAT PLAIN ENCODE PROTOBUF (message = 'shop.Order', schema.location = '${pathToFileURL(descriptor).href}')`);
  session.execute(`CREATE SOURCE pb_registry WITH (${props(framedTopic)}) FORMAT PLAIN ENCODE PROTOBUF (message = 'shop.Order', schema.registry = '${registry}')`);
  const file = await readAll(session, 'SELECT id, name, status, at, big FROM pb_file');
  assert.deepEqual(
    file.map((r) => [r['id'], r['name'], r['status'], String(r['big'])]),
    [
      [10_000_000_000_000_000n, 'order 1', 'PAID', '18446744073709551615'],
      [20_000_000_000_000_000n, 'order 2', 'PAID', '18446744073709551615'],
    ],
  );
  const framed = await readAll(session, 'SELECT id, at, tags FROM pb_registry');
  assert.deepEqual(framed.map((r) => [r['id'], r['at'], r['tags']]), [
    [30_000_000_000_000_000n, '2024-02-29 12:34:56.789012', ['a', 'b']],
    [50_000_000_000_000_000n, '2024-02-29 12:34:56.789012', ['a', 'b']],
  ]);
});

test('json from the registry on the real broker: ENCODE JSON (schema.registry = ...) reads the Confluent wire format of a registered JSON Schema; an unknown id or an Avro id is a bad record', async (t) => {
  const brokers = await needKafka(t);
  const registry = await needRegistry(t);
  if (brokers === undefined || registry === undefined) return;
  const topic = uniqueTopic('registry-json');
  await createTopic(brokers, topic, 1);
  const jsonSchema = JSON.stringify({ type: 'object', properties: { id: { type: 'integer' }, name: { type: 'string' } } });
  const res = await fetch(`${registry}/subjects/${topic}-value/versions`, {
    method: 'POST',
    headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
    body: JSON.stringify({ schemaType: 'JSON', schema: jsonSchema }),
  });
  assert.ok(res.ok, await res.clone().text());
  const id = ((await res.json()) as { id: number }).id;
  const avroId = await registerSchema(registry, `${topic}-other`, v1);
  const text = (value: string) => Buffer.from(value);
  await produce(brokers, topic, [
    { value: wireFormat(id, text('{"id": 12345678901234567890, "name": "a"}')) },
    { value: wireFormat(1_999_999_997, text('{"id": 2}')) },
    { value: wireFormat(avroId, text('{"id": 3}')) },
    { value: text('{"id": 4}') },
    { value: wireFormat(id, text('[{"id": 5, "name": "e"}, {"id": 6}]')) },
  ]);
  const session = new Session({ checkpointIntervalMs: 100, badRecords: 'skip' });
  session.execute(`CREATE SOURCE j (id NUMERIC, name VARCHAR) WITH (connector = 'kafka', topic = '${topic}', properties.bootstrap.server = '${brokers}',
      scan.startup.mode = 'earliest', scan.bounded.mode = 'latest', kafka.commit.offsets = 'false')
    FORMAT PLAIN ENCODE JSON (schema.registry = '${registry}')`);
  const rows = await readAll(session, 'SELECT id, name FROM j');
  assert.deepEqual(rows.map((r) => [String(r['id']), r['name']]), [['12345678901234567890', 'a'], ['5', 'e'], ['6', null]]);
});
