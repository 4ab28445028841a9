import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { lastValueFrom, toArray } from 'rxjs';
import type { Row } from '../../../src/formats/Format.js';
import { Session } from '../../../src/sql/Session.js';
import { fixture } from '../../support/fixtures.js';
import { readFixture, type FixtureMessage } from '../../support/kafkaFixtures.js';
import { createTopic, needPulsar, produce, uniqueTopic } from '../../support/pulsar.js';

// RisingWave's Kafka test topics (../shared/fixtures/risingwave), loaded into the real Pulsar
// broker with the same partition spread and key/value split as the Kafka tests use, and read back
// through CREATE SOURCE in both property styles, with the schema and format RisingWave's e2e
// tests declare for them.

async function loadTopic(t: TestContext, file: string): Promise<{ adminUrl: string; topic: string; messages: FixtureMessage[] } | undefined> {
  const adminUrl = await needPulsar(t);
  if (adminUrl === undefined) return undefined;
  const path = fixture(t, 'risingwave', file);
  if (path === undefined) return undefined;
  const { partitions, messages } = readFixture(path);
  // Pulsar reserves '-partition-' for the partitions of a partitioned topic.
  const topic = uniqueTopic(`sql-${file.slice(0, file.indexOf('.')).replaceAll('_', '-').replaceAll('partition', 'part')}`);
  // A `.1` file becomes a non-partitioned topic (one split), the others partitioned topics.
  await createTopic(adminUrl, topic, partitions === 1 ? 0 : partitions);
  for (let p = 0; p < partitions; p++) {
    const mine = messages.filter((m) => m.partition === p);
    await produce(adminUrl, topic, partitions === 1 ? -1 : p, mine.map((m) => ({ value: m.value, ...(m.key !== null ? { key: m.key.toString('utf8') } : {}) })), true);
  }
  return { adminUrl, topic, messages };
}

const query = (session: Session, sql: string): Promise<Row[]> => lastValueFrom(session.query(sql).rows.pipe(toArray()));
const byV1 = (a: Row, b: Row) => Number(a['v1']) - Number(b['v1']);

test('kafka_4_partition_topic.4 through the seed CREATE SOURCE form (upstream.source, pulsar.*), JSON', async (t) => {
  const loaded = await loadTopic(t, 'kafka_4_partition_topic.4');
  if (loaded === undefined) return;
  const session = new Session({ checkpointIntervalMs: 100 });
  session.execute(`
    create source s1 (v1 int, v2 varchar, part int) with (
      'upstream.source' = 'pulsar',
      'pulsar.topic' = '${loaded.topic}',
      'pulsar.service.url' = 'pulsar://127.0.0.1:6650',
      'pulsar.admin.url' = '${loaded.adminUrl}',
      'pulsar.scan.startup.mode' = 'earliest',
      'pulsar.scan.bounded.mode' = 'latest',
      'pulsar.include' = 'partition as part'
    ) row format 'json'`);
  // RisingWave's e2e expectation: (1,1) (2,22) (3,333) (4,4444); one per partition here.
  assert.deepEqual((await query(session, 'select v1, v2, part from s1')).sort(byV1), [
    { v1: 1, v2: '1', part: 0 },
    { v1: 2, v2: '22', part: 1 },
    { v1: 3, v2: '333', part: 2 },
    { v1: 4, v2: '4444', part: 3 },
  ]);
});

test('kafka_4_partition_topic_with_100_message.4 through the RisingWave form (connector, topic, service.url, admin.url), FORMAT PLAIN ENCODE JSON', async (t) => {
  const loaded = await loadTopic(t, 'kafka_4_partition_topic_with_100_message.4');
  if (loaded === undefined) return;
  const session = new Session({ checkpointIntervalMs: 100 });
  session.execute(`
    CREATE SOURCE s2 (v1 INT NOT NULL, v2 VARCHAR, v3 JSONB, v4 JSONB)
    WITH (connector = 'pulsar', topic = 'persistent://public/default/${loaded.topic}',
          service.url = 'pulsar://127.0.0.1:6650', admin.url = '${loaded.adminUrl}',
          scan.startup.mode = 'earliest', scan.bounded.mode = 'latest')
    FORMAT PLAIN ENCODE JSON`);
  const rows = await query(session, 'select v1, v2, v3, v4 from s2');
  // RisingWave's e2e test counts 100 rows; every message comes back once, whatever its partition.
  assert.equal(rows.length, 100);
  const expected = loaded.messages.map((m) => JSON.parse(m.value.toString()) as Row);
  const shape = (r: Row) => [r['v1'], r['v2'], JSON.stringify(r['v3']), JSON.stringify(r['v4'])];
  assert.deepEqual([...rows].sort(byV1).map(shape), [...expected].sort(byV1).map(shape));
});

test('json_c.1: nested JSON arrives intact through CREATE SOURCE', async (t) => {
  const loaded = await loadTopic(t, 'json_c.1');
  if (loaded === undefined) return;
  const session = new Session({ checkpointIntervalMs: 100 });
  session.execute(`
    CREATE SOURCE s3 (id INT, code VARCHAR, "timestamp" BIGINT, xfas JSONB, contacts JSONB, jsonb JSONB)
    WITH (connector = 'pulsar', topic = '${loaded.topic}', service.url = '${loaded.adminUrl}',
          scan.startup.mode = 'earliest', scan.bounded.mode = 'latest')
    FORMAT PLAIN ENCODE JSON`);
  const rows = await query(session, 'select id, code, xfas, contacts, jsonb from s3');
  const source = JSON.parse(loaded.messages[0]!.value.toString()) as Row;
  assert.equal(rows.length, 1);
  assert.equal(rows[0]!['id'], 100);
  assert.equal(rows[0]!['code'], 'abc');
  assert.deepEqual(rows[0]!['xfas'], source['xfas']);
  assert.deepEqual(rows[0]!['contacts'], source['contacts']);
  assert.deepEqual(rows[0]!['jsonb'], { blockNumber: 16938734 });
});

test('upsert_json.1: message keys come through as a column; the zero-length delete values make no row', async (t) => {
  const loaded = await loadTopic(t, 'upsert_json.1');
  if (loaded === undefined) return;
  const session = new Session({ checkpointIntervalMs: 100 });
  session.execute(`
    CREATE SOURCE s4 ("ID" INT, "firstName" VARCHAR, k VARCHAR)
    WITH (connector = 'pulsar', topic = '${loaded.topic}', service.url = 'pulsar://127.0.0.1:6650', admin.url = '${loaded.adminUrl}',
          scan.startup.mode = 'earliest', scan.bounded.mode = 'latest', pulsar.include = 'key as k')
    FORMAT PLAIN ENCODE JSON`);
  const rows = await query(session, 'select k, "ID", "firstName" from s4');
  const withValue = loaded.messages.filter((m) => m.value.length > 0);
  assert.equal(loaded.messages.length - withValue.length, 2, 'two delete lines in the file');
  assert.deepEqual(
    rows.map((r) => [JSON.parse(String(r['k'])).ID, r['ID'], r['firstName']]),
    withValue.map((m) => {
      const row = JSON.parse(m.value.toString()) as Row;
      return [JSON.parse(m.key!.toString()).ID, row['ID'], row['firstName']];
    }),
  );
});

test('kafka_1_csv_topic.1: formats apply to the payload (CSV without a header)', async (t) => {
  const loaded = await loadTopic(t, 'kafka_1_csv_topic.1');
  if (loaded === undefined) return;
  const session = new Session({ checkpointIntervalMs: 100 });
  session.execute(`
    create source s5 (v1 int, v2 varchar,) with (
      'upstream.source' = 'pulsar', 'pulsar.topic' = '${loaded.topic}', 'pulsar.service.url' = '${loaded.adminUrl}',
      'pulsar.scan.bounded.mode' = 'latest', 'csv.header' = 'false'
    ) row format 'csv'`);
  assert.deepEqual(await query(session, 'select v1, v2 from s5'), [
    { v1: 1, v2: '1' },
    { v1: 2, v2: '22' },
    { v1: 3, v2: '333' },
    { v1: 4, v2: '4444' },
  ]);
});

test('Debezium files (nation.1, region.1, supplier.1) read back message for message as JSON', async (t) => {
  for (const [file, count] of [['nation.1', 62], ['region.1', 5], ['supplier.1', 200]] as const) {
    const loaded = await loadTopic(t, file);
    if (loaded === undefined) return;
    const session = new Session({ checkpointIntervalMs: 100 });
    session.execute(`
      CREATE SOURCE d (schema JSONB, payload JSONB)
      WITH (connector = 'pulsar', topic = '${loaded.topic}', service.url = '${loaded.adminUrl}', scan.bounded.mode = 'latest')
      FORMAT PLAIN ENCODE JSON`);
    const rows = await query(session, 'select payload from d');
    assert.equal(rows.length, count, file);
    assert.deepEqual(
      rows.map((r) => r['payload']),
      loaded.messages.map((m) => (JSON.parse(m.value.toString()) as Row)['payload']),
      file,
    );
  }
});
