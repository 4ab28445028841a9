import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { kafkaConnector } from '../../../src/connectors/kafka/kafkaConnector.js';
import { createFormat } from '../../../src/formats/createFormat.js';
import type { Format, Row } from '../../../src/formats/Format.js';
import { fixture } from '../../support/fixtures.js';
import { createTopic, needKafka, produce, uniqueTopic } from '../../support/kafka.js';
import { readFixture, toProducerMessages, type FixtureMessage } from '../../support/kafkaFixtures.js';
import { readAll } from '../../support/kafkaSource.js';

/** Loads a fixture into a fresh topic and reads it back, bounded, through the connector factory. */
async function loadAndRead(t: TestContext, file: string, format: Format, include = ''): Promise<{ rows: Row[]; messages: FixtureMessage[] } | undefined> {
  const brokers = await needKafka(t);
  if (brokers === undefined) return undefined;
  const path = fixture(t, 'risingwave', file);
  if (path === undefined) return undefined;
  const { partitions, messages } = readFixture(path);
  const topic = uniqueTopic(file.slice(0, file.indexOf('.')).replaceAll('_', '-'));
  await createTopic(brokers, topic, partitions);
  await produce(brokers, topic, toProducerMessages(messages));
  const source = kafkaConnector.create({
    name: `rw-${file}`,
    format,
    badRecords: 'fail',
    properties: {
      connector: 'kafka',
      topic,
      'properties.bootstrap.server': brokers,
      'scan.startup.mode': 'earliest',
      'scan.bounded.mode': 'latest',
      'kafka.commit.offsets': 'false',
      ...(include ? { 'kafka.include': include } : {}),
    },
  });
  const rows = (await readAll(source)).flatMap((e) => (e.type === 'chunk' ? e.records : []));
  return { rows, messages };
}

const byV1 = (a: Row, b: Row) => Number(a.v1) - Number(b.v1);

test('kafka_1_csv_topic.1 as CSV without header (RisingWave: 4 rows)', async (t) => {
  const result = await loadAndRead(t, 'kafka_1_csv_topic.1', createFormat('csv', { header: 'false' }, ['v1', 'v2']));
  if (result === undefined) return;
  assert.deepEqual(result.rows, [
    { v1: '1', v2: '1' },
    { v1: '2', v2: '22' },
    { v1: '3', v2: '333' },
    { v1: '4', v2: '4444' },
  ]);
});

test('kafka_4_partition_topic.4 as JSON over 4 partitions (RisingWave: 4 rows)', async (t) => {
  const result = await loadAndRead(t, 'kafka_4_partition_topic.4', createFormat('json'), 'partition');
  if (result === undefined) return;
  assert.deepEqual(
    result.rows.sort(byV1).map((r) => [r.v1, r.v2, r._kafka_partition]),
    [
      [1, '1', 0],
      [2, '22', 1],
      [3, '333', 2],
      [4, '4444', 3],
    ],
  );
});

test('kafka_4_partition_topic_with_100_message.4 as JSON (RisingWave: count 100), order kept per partition', async (t) => {
  const result = await loadAndRead(t, 'kafka_4_partition_topic_with_100_message.4', createFormat('json'), 'partition, offset');
  if (result === undefined) return;
  assert.equal(result.rows.length, 100);
  assert.deepEqual(
    [...result.rows].sort(byV1),
    result.messages.map((m) => JSON.parse(m.value.toString()) as Row).map((row, i) => ({ ...row, _kafka_partition: i % 4, _kafka_offset: String(Math.floor(i / 4)) })).sort(byV1),
  );
  for (let p = 0; p < 4; p++) {
    const offsets: number[] = result.rows.filter((r) => r._kafka_partition === p).map((r) => Number(r._kafka_offset));
    assert.deepEqual(offsets, [...offsets].sort((a, b) => a - b), `partition ${p} in offset order`);
  }
});

test('json_c.1: nested JSON arrives intact', async (t) => {
  const result = await loadAndRead(t, 'json_c.1', createFormat('json'));
  if (result === undefined) return;
  assert.equal(result.rows.length, 1);
  assert.deepEqual(result.rows[0], JSON.parse(result.messages[0]!.value.toString()));
  assert.deepEqual((result.rows[0]!.contacts as { phones: string[] }).phones, ['1xxx', '2xxx']);
});

test('upsert_json.1: keys come through; `key^` is a zero-length value and yields no row', async (t) => {
  const result = await loadAndRead(t, 'upsert_json.1', createFormat('json'), 'key as k');
  if (result === undefined) return;
  const withValue = result.messages.filter((m) => m.value.length > 0);
  assert.equal(result.messages.length - withValue.length, 2, 'two delete lines in the file');
  assert.deepEqual(
    result.rows.map((r) => [JSON.parse(r.k as string).ID, r.ID, r.firstName]),
    withValue.map((m) => {
      const row = JSON.parse(m.value.toString()) as Row;
      return [JSON.parse(m.key!.toString()).ID, row.ID, row.firstName];
    }),
  );
});

test('Debezium files (nation.1, region.1, supplier.1, debezium_mess_key.1) read back message for message as JSON', async (t) => {
  for (const [file, count] of [['nation.1', 62], ['region.1', 5], ['supplier.1', 200], ['debezium_mess_key.1', 4]] as const) {
    const result = await loadAndRead(t, file, createFormat('json'), 'key');
    if (result === undefined) return;
    assert.equal(result.rows.length, count, file);
    assert.deepEqual(
      result.rows.map(({ _kafka_key, ...row }) => [_kafka_key, row]),
      result.messages.map((m) => [m.key === null ? null : m.key.toString(), JSON.parse(m.value.toString())]),
      file,
    );
  }
});
