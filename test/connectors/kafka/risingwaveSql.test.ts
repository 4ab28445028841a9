import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { lastValueFrom, toArray } from 'rxjs';
import { Session } from '../../../src/sql/Session.js';
import type { Row } from '../../../src/formats/Format.js';
import { fixture } from '../../support/fixtures.js';
import { createTopic, needKafka, produce, uniqueTopic } from '../../support/kafka.js';
import { readFixture, toProducerMessages, type FixtureMessage } from '../../support/kafkaFixtures.js';

// RisingWave's own Kafka test topics, loaded into a real broker and read back through CREATE
// SOURCE with the schema and format RisingWave's e2e tests declare for them.

async function loadTopic(t: TestContext, file: string): Promise<{ brokers: string; topic: string; messages: FixtureMessage[] } | undefined> {
  const brokers = await needKafka(t);
  if (brokers === undefined) return undefined;
  const path = fixture(t, 'risingwave', file);
  if (path === undefined) return undefined;
  const { partitions, messages } = readFixture(path);
  const topic = uniqueTopic(`sql-${file.slice(0, file.indexOf('.')).replaceAll('_', '-')}`);
  await createTopic(brokers, topic, partitions);
  await produce(brokers, topic, toProducerMessages(messages));
  return { brokers, topic, messages };
}

const query = (session: Session, sql: string): Promise<Row[]> => lastValueFrom(session.query(sql).rows.pipe(toArray()));

test('kafka_1_csv_topic.1 through the seed CREATE SOURCE form, row format csv without a header', async (t) => {
  const loaded = await loadTopic(t, 'kafka_1_csv_topic.1');
  if (loaded === undefined) return;
  const session = new Session({ checkpointIntervalMs: 100 });
  session.execute(`
    create source s1 (v1 int, v2 varchar,) with (
      'upstream.source' = 'kafka',
      'kafka.topic' = '${loaded.topic}',
      'kafka.bootstrap.servers' = '${loaded.brokers}',
      'kafka.scan.startup.mode' = 'earliest',
      'kafka.scan.bounded.mode' = 'latest',
      'kafka.commit.offsets' = 'false',
      'csv.header' = 'false'
    ) row format 'csv'`);
  // RisingWave's e2e expectation for this topic: (1,1) (2,22) (3,333) (4,4444).
  assert.deepEqual(await query(session, 'select v1, v2 from s1'), [
    { v1: 1, v2: '1' },
    { v1: 2, v2: '22' },
    { v1: 3, v2: '333' },
    { v1: 4, v2: '4444' },
  ]);
});

test('kafka_4_partition_topic_with_100_message.4 through the RisingWave form, FORMAT PLAIN ENCODE JSON', async (t) => {
  const loaded = await loadTopic(t, 'kafka_4_partition_topic_with_100_message.4');
  if (loaded === undefined) return;
  const session = new Session({ checkpointIntervalMs: 100 });
  session.execute(`
    CREATE SOURCE s2 (v1 INT NOT NULL, v2 VARCHAR, v3 JSONB, v4 JSONB)
    WITH (connector = 'kafka', topic = '${loaded.topic}', properties.bootstrap.server = '${loaded.brokers}',
          scan.startup.mode = 'earliest', scan.bounded.mode = 'latest', kafka.commit.offsets = 'false')
    FORMAT PLAIN ENCODE JSON`);
  const rows = await query(session, 'select v1, v2, v3, v4 from s2');
  // RisingWave's e2e test counts 100 rows; every message comes back once, whatever its partition.
  assert.equal(rows.length, 100);
  const expected = loaded.messages.map((m) => JSON.parse(m.value.toString()) as Row);
  const byV1 = (a: Row, b: Row) => Number(a['v1']) - Number(b['v1']);
  assert.deepEqual(
    [...rows].sort(byV1).map((r) => [r['v1'], r['v2'], JSON.stringify(r['v3']), JSON.stringify(r['v4'])]),
    [...expected].sort(byV1).map((r) => [r['v1'], r['v2'], JSON.stringify(r['v3']), JSON.stringify(r['v4'])]),
  );
});
