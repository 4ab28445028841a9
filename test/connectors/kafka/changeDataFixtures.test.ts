import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test, type TestContext } from 'node:test';
import { Subject, lastValueFrom, toArray } from 'rxjs';
import { opOf, type ChangeOp } from '../../../src/core/Changelog.js';
import { commitEpochs } from '../../../src/core/commitEpochs.js';
import type { SourceEvent } from '../../../src/core/SourceEvent.js';
import { restoreTable } from '../../../src/core/TableCheckpoint.js';
import { defaultTableRowCodec } from '../../../src/core/TableRowCodec.js';
import { TableState } from '../../../src/core/TableState.js';
import { toTable } from '../../../src/core/toTable.js';
import { createKafkaSource } from '../../../src/connectors/kafka/createKafkaSource.js';
import { createFormat } from '../../../src/formats/createFormat.js';
import type { Format, Row } from '../../../src/formats/Format.js';
import { MemoryStore } from '../../../src/state/MemoryStore.js';
import type { StateStore } from '../../../src/state/StateStore.js';
import { fixture } from '../../support/fixtures.js';
import { createTopic, needKafka, produce, uniqueTopic } from '../../support/kafka.js';
import { readFixture, toProducerMessages, type FixtureMessage } from '../../support/kafkaFixtures.js';

// Change data from RisingWave's and Debezium's own test data, through a real broker,
// createKafkaSource and toTable. Every expected table below is written out from the fixture's
// text and the format's documented semantics, not computed by the code under test.

/** Loads fixture messages (plus `extra`) into a fresh `cdc-` topic; answers the brokers, topic and messages. */
async function load(t: TestContext, parts: string[], extra: FixtureMessage[] = []) {
  const brokers = await needKafka(t);
  if (brokers === undefined) return undefined;
  const path = fixture(t, ...parts);
  if (path === undefined) return undefined;
  const { partitions, messages } = readFixture(path);
  const file = parts.at(-1)!;
  const topic = uniqueTopic(`cdc-${file.slice(0, file.indexOf('.')).replaceAll('_', '-')}`);
  await createTopic(brokers, topic, partitions);
  await produce(brokers, topic, toProducerMessages([...messages, ...extra]));
  return { brokers, topic, messages };
}

type Change = [ChangeOp, Row];

/**
 * Reads the topic to its end through toTable and answers the changes and the table they build.
 * The table is materialized here from the changes alone, checking each retraction against the
 * row it retracts, so an inconsistent changelog fails the test.
 */
async function readTable(brokers: string, topic: string, format: Format, primaryKey: string[], store: StateStore = new MemoryStore(), badRecords: 'fail' | 'skip' = 'fail') {
  const source = createKafkaSource({ name: `cdc-${topic}`, topic, brokers, format, store, badRecords, startupMode: 'earliest', boundedMode: 'latest', consumerGroup: false, checkpointIntervalMs: 50 });
  const events = await lastValueFrom(source.pipe(toTable<Row>(source, { primaryKey }), commitEpochs(source), toArray()));
  await source.closed();
  const changes: Change[] = events.flatMap((e: SourceEvent<Row>) => (e.type === 'chunk' ? e.records.map((r): Change => [opOf(r), Object.fromEntries(Object.entries(r))]) : []));
  const table = materialize(changes, primaryKey);
  // What the checkpoint holds is the same table.
  const restored = new TableState<Row>(primaryKey);
  restoreTable(store, source.name, 'table', restored, defaultTableRowCodec).subscribe({ error: (err: unknown) => assert.fail(String(err)) });
  assert.deepEqual(sortRows([...restored.rows.values()].map((r) => Object.fromEntries(Object.entries(r))), primaryKey), table, 'the committed table state');
  return { changes, table, source };
}

function keyOf(row: Row, primaryKey: string[]): string {
  return JSON.stringify(primaryKey.map((c) => String(row[c])));
}

function materialize(changes: readonly Change[], primaryKey: string[]): Row[] {
  const table = new Map<string, Row>();
  for (const [op, row] of changes) {
    const key = keyOf(row, primaryKey);
    if (op === 'insert' || op === 'update_after') {
      assert.ok(op === 'update_after' || !table.has(key), `insert of a present key ${key}`);
      table.set(key, row);
    } else {
      assert.deepEqual(table.get(key), row, `a ${op} retracts the stored row of ${key}`);
      table.delete(key);
    }
  }
  return sortRows([...table.values()], primaryKey);
}

function sortRows(rows: Row[], primaryKey: string[]): Row[] {
  return rows.sort((a, b) => (keyOf(a, primaryKey) < keyOf(b, primaryKey) ? -1 : 1));
}

test('maxwell_json.1: two inserts and an update of id 2 (alex -> chi)', async (t) => {
  const loaded = await load(t, ['risingwave', 'maxwell_json.1']);
  if (loaded === undefined) return;
  const { changes, table } = await readTable(loaded.brokers, loaded.topic, createFormat('maxwell'), ['id']);
  assert.deepEqual(table, [
    { id: 1, name: 'tom', is_adult: 0, birthday: '2017-12-31 16:00:01' },
    { id: 2, name: 'chi', is_adult: 1, birthday: '1999-12-31 16:00:01' },
  ]);
  assert.deepEqual(changes.map(([op, row]) => [op, row.id, row.name]), [
    ['insert', 1, 'tom'],
    ['insert', 2, 'alex'],
    ['update_before', 2, 'alex'],
    ['update_after', 2, 'chi'],
  ]);
});

test('canal_json_double_field.1: two rows inserted, an update whose data upserts two more, those two deleted (RisingWave: count 2)', async (t) => {
  const loaded = await load(t, ['risingwave', 'canal_json_double_field.1']);
  if (loaded === undefined) return;
  const { changes, table } = await readTable(loaded.brokers, loaded.topic, createFormat('canal_json'), ['v1']);
  // Updates take data (old is ignored, as RisingWave does): 5 and 7 are upserted beside 1 and
  // 3, then deleted; 1 and 3 remain, the two rows RisingWave's e2e counts.
  assert.deepEqual(table, [
    { v1: '1', v2: '2' },
    { v1: '3', v2: '4' },
  ]);
  assert.deepEqual(changes, [
    ['insert', { v1: '1', v2: '2' }],
    ['insert', { v1: '3', v2: '4' }],
    ['insert', { v1: '5', v2: '6' }],
    ['insert', { v1: '7', v2: '8' }],
    ['delete', { v1: '5', v2: '6' }],
    ['delete', { v1: '7', v2: '8' }],
  ]);
});

const upsertFinal = [
  { ID: 1, firstName: 'Ethan', lastName: 'Martinez', age: 18, height: 6.1, weight: 180 },
  { ID: 2, firstName: 'Emily', lastName: 'Jackson', age: 19, height: 5.4, weight: 110 },
  { ID: 3, firstName: 'Noah', lastName: 'Thompson', age: 21, height: 6.3, weight: 195 },
  { ID: 4, firstName: 'Emma', lastName: 'Brown', age: 20, height: 5.3, weight: 130 },
  { ID: 5, firstName: 'Michael', lastName: 'Williams', age: 22, height: 6.2, weight: 190 },
  { ID: 6, firstName: 'Leah', lastName: 'Davis', age: 18, height: 5.7, weight: 140 },
  { ID: 9, firstName: 'Jacob', lastName: 'Anderson', age: 20, height: 5.8, weight: 155 },
];

test('upsert_json.1: later values overwrite (1 twice, 2, 3), `{"ID": 7}^` and `{"ID": 8}^` delete; a real tombstone deletes too', async (t) => {
  // A null value (a compaction tombstone), which kcat cannot send: it deletes ID 9.
  const loaded = await load(t, ['risingwave', 'upsert_json.1'], [{ partition: 0, key: Buffer.from('{"ID": 9}'), value: null as unknown as Buffer }]);
  if (loaded === undefined) return;
  const { changes, table } = await readTable(loaded.brokers, loaded.topic, createFormat('upsert_json'), ['ID']);
  assert.deepEqual(table, upsertFinal.filter((r) => r.ID !== 9));
  assert.equal(changes.filter(([op]) => op === 'delete').length, 3);
  assert.equal(changes.filter(([op]) => op === 'update_before').length, 4);
});

test('upsert_json.1: killed after a committed epoch, a restart with the same store ends at the same table, nothing applied twice', { timeout: 60_000 }, async (t) => {
  const brokers = await needKafka(t);
  const path = fixture(t, 'risingwave', 'upsert_json.1');
  if (brokers === undefined || path === undefined) return;
  const messages = toProducerMessages(readFixture(path).messages);
  const topic = uniqueTopic('cdc-upsert-restart');
  await createTopic(brokers, topic, 1);
  // The first 8 messages now, the rest (overwrites and deletes of keys read before) after the kill.
  await produce(brokers, topic, messages.slice(0, 8));
  const store = new MemoryStore();
  // First run (unbounded): one barrier after the first chunk with changes, committed, then the subscription dies.
  const barriers = new Subject<void>();
  const first = createKafkaSource({ name: 'cdc-restart', topic, brokers, format: createFormat('upsert_json'), store, startupMode: 'earliest', consumerGroup: false, barriers });
  const seen: SourceEvent<Row>[] = [];
  let requested = false;
  await new Promise<void>((resolve, reject) => {
    const subscription = first.pipe(toTable<Row>(first, { primaryKey: ['ID'] }), commitEpochs(first)).subscribe({
      next: (e) => {
        seen.push(e);
        // A barrier after the first chunk with changes (a first, empty chunk may only pin the start).
        if (e.type === 'chunk' && e.records.length > 0 && !requested) {
          requested = true;
          barriers.next();
        }
        if (e.type === 'barrier') {
          queueMicrotask(() => subscription.unsubscribe());
          resolve();
        }
      },
      error: reject,
    });
    setTimeout(() => reject(new Error('no barrier within 20 s')), 20_000).unref();
  });
  await first.closed();
  const committed = seen.findIndex((e) => e.type === 'barrier');
  const firstChanges = seen.slice(0, committed).flatMap((e) => (e.type === 'chunk' ? e.records.map((r): Change => [opOf(r), Object.fromEntries(Object.entries(r))]) : []));
  assert.ok(firstChanges.length > 0 && firstChanges.length < 19, `${firstChanges.length} changes before the kill`);
  await produce(brokers, topic, messages.slice(8));
  // Second run (unbounded too: a bounded run restored from an unbounded checkpoint has no stop
  // offsets) until the changes are all there and one more barrier committed. It resumes after
  // the committed epoch with the table as of it: a table restored empty would re-insert present
  // keys (materialize refuses), offsets from 0 would repeat changes.
  const second = createKafkaSource({ name: 'cdc-restart', topic, brokers, format: createFormat('upsert_json'), store, startupMode: 'earliest', consumerGroup: false, checkpointIntervalMs: 50 });
  const changes: Change[] = [];
  await new Promise<void>((resolve, reject) => {
    let barriersAfter = 0;
    const subscription = second.pipe(toTable<Row>(second, { primaryKey: ['ID'] }), commitEpochs(second)).subscribe({
      next: (e) => {
        if (e.type === 'chunk') changes.push(...e.records.map((r): Change => [opOf(r), Object.fromEntries(Object.entries(r))]));
        else if (firstChanges.length + changes.length >= 19 && ++barriersAfter === 2) {
          queueMicrotask(() => subscription.unsubscribe());
          resolve();
        }
      },
      error: reject,
    });
    setTimeout(() => reject(new Error(`only ${changes.length} changes after the restart within 20 s`)), 20_000).unref();
  });
  await second.closed();
  // 15 messages: 9 inserts, 4 overwrites (2 changes each), 2 deletes.
  assert.equal(firstChanges.length + changes.length, 19);
  assert.deepEqual(materialize([...firstChanges, ...changes], ['ID']), upsertFinal);
});

test('debezium_mess_key.1: a key that is not JSON (****), snapshot reads, then an update without a before image', async (t) => {
  const loaded = await load(t, ['risingwave', 'debezium_mess_key.1']);
  if (loaded === undefined) return;
  for (const ignoreKey of ['true', 'false']) {
    const { changes, table } = await readTable(loaded.brokers, loaded.topic, createFormat('debezium_json', { ignore_key: ignoreKey }), ['order_id']);
    const order = (order_id: number, order_date: number, customer_name: string, product_id: number) => ({ order_id, order_date, customer_name, price: null, product_id, order_status: 1 });
    assert.deepEqual(table, [order(1, 1558430840000, 'Bob', 3), order(2, 1558430840001, 'Alice', 2), order(3, 1558430840002, 'Alice', 2)]);
    assert.deepEqual(changes.map(([op, r]) => [op, r.order_id]), [['insert', 1], ['insert', 2], ['insert', 3], ['update_before', 1], ['update_after', 1]]);
  }
});

test('debezium_ignore_case_json.1: upper-case fields land in lower-case declared columns', async (t) => {
  const loaded = await load(t, ['risingwave', 'debezium_ignore_case_json.1']);
  if (loaded === undefined) return;
  const columns = ['l_orderkey', 'l_partkey', 'l_suppkey', 'l_linenumber', 'l_quantity', 'l_extendedprice', 'l_discount', 'l_tax', 'l_returnflag', 'l_linestatus', 'l_shipdate', 'l_commitdate', 'l_receiptdate', 'l_shipinstruct', 'l_shipmode', 'l_comment'];
  const { table } = await readTable(loaded.brokers, loaded.topic, createFormat('debezium_json', {}, columns), ['l_orderkey', 'l_linenumber']);
  assert.deepEqual(
    table.map((r) => [r.l_orderkey, r.l_linenumber, r.l_partkey, r.l_shipmode, r.l_comment]),
    [
      [56165, 1, 39492, 'RAIL', 's. packages sleep s'],
      [56166, 1, 148713, 'FOB', 'cial requests cajole slyly regular tithes.'],
      [56166, 2, 10056, 'REG AIR', 'ly ironic theodol'],
    ],
  );
  assert.deepEqual(Object.keys(table[0]!), columns);
});

test('debezium_log_schemaless.1: c, c, u, d, c leave ids 2 (chi) and 3; a tombstone after the delete changes nothing', async (t) => {
  const loaded = await load(t, ['risingwave', 'debezium_log_schemaless.1'], [{ partition: 0, key: Buffer.from('{"id":1}'), value: null as unknown as Buffer }]);
  if (loaded === undefined) return;
  const { changes, table } = await readTable(loaded.brokers, loaded.topic, createFormat('debezium_json'), ['id']);
  assert.deepEqual(table, [
    { id: 2, name: 'chi', is_adult: true, email: 'yyy@risingwave-labs.com' },
    { id: 3, name: 'mike', is_adult: true, email: 'aaa@risingwave-labs.com' },
  ]);
  assert.deepEqual(changes.map(([op, r]) => [op, r.id, r.name]), [
    ['insert', 1, 'tom'],
    ['insert', 2, 'alex'],
    ['update_before', 2, 'alex'],
    ['update_after', 2, 'chi'],
    ['delete', 1, 'tom'],
    ['insert', 3, 'mike'],
  ]);
});

test('debezium_timestamp.1: Kafka Connect Timestamp, Date and Time with the schema become their SQL text', async (t) => {
  const loaded = await load(t, ['risingwave', 'debezium_timestamp.1']);
  if (loaded === undefined) return;
  const { table } = await readTable(loaded.brokers, loaded.topic, createFormat('debezium_json'), ['id']);
  // ts 1666147762800 ms = 19284 days (d) + 10162.8 s (t) after the epoch, UTC.
  assert.deepEqual(table, [{ id: 1, ts: '2022-10-19 02:49:22.8', ts2: '2022-10-19 02:49:22.813', d: '2022-10-19', t: '02:49:22.8', t2: '02:49:22.813' }]);
});

test('CH-benCHmark Debezium files (nation.1, region.1, supplier.1): every create lands, one row per key', async (t) => {
  for (const [file, key] of [['nation.1', 'n_nationkey'], ['region.1', 'r_regionkey'], ['supplier.1', 'su_suppkey']] as const) {
    const loaded = await load(t, ['risingwave', file]);
    if (loaded === undefined) return;
    const { table } = await readTable(loaded.brokers, loaded.topic, createFormat('debezium_json'), [key]);
    const expected = loaded.messages.map((m) => (JSON.parse(m.value.toString()) as { payload: { after: Row } }).payload.after);
    assert.equal(table.length, { 'nation.1': 62, 'region.1': 5, 'supplier.1': 200 }[file], file);
    assert.deepEqual(table, sortRows(expected, [key]), file);
  }
});

test("Debezium's own examples on a topic: serde c and u events, a snapshot read, the docs' invalid events skipped as bad records", async (t) => {
  const brokers = await needKafka(t);
  if (brokers === undefined) return;
  const read = (name: string) => {
    const path = fixture(t, 'debezium', name);
    return path === undefined ? undefined : readFileSync(path);
  };
  const files = ['tutorial-customers-1004-snapshot-r.value.json', 'serde-update.json', 'tutorial-customers-1004-update-u.value.NOT-VALID-JSON.txt', 'serde-with-schema.json', 'tutorial-customers-1004-delete-d.value.NOT-VALID-JSON.txt'];
  const values = files.map(read);
  const key = read('tutorial-customers-1004-update-u.key.json');
  if (values.some((v) => v === undefined) || key === undefined) return;
  const topic = uniqueTopic('cdc-debezium-examples');
  await createTopic(brokers, topic, 1);
  // Pretty-printed JSON, as the files are: a message is one object, whatever its layout.
  await produce(brokers, topic, [...values.map((value) => ({ partition: 0, key, value: value! })), { partition: 0, key, value: null }]);
  const { changes, table, source } = await readTable(brokers, topic, createFormat('debezium_json'), ['id'], new MemoryStore(), 'skip');
  assert.equal(source.badRecordStats.skipped, 2);
  const anne = { id: 1004, first_name: 'Anne', last_name: 'Kretchmar', email: 'annek@noanswer.org' };
  assert.deepEqual(table, [anne]);
  // r inserts Anne; serde-update (before Anne-Marie) overwrites it: the before image retracted is the stored Anne.
  assert.deepEqual(changes.map(([op, r]) => [op, r.first_name]), [['insert', 'Anne'], ['update_before', 'Anne'], ['update_after', 'Anne'], ['update_before', 'Anne'], ['update_after', 'Anne']]);
});

test('JSON array messages (the array-flattening variants) and json_c.1 through toTable', async (t) => {
  const four = await load(t, ['risingwave', 'variants', 'array-flattening-7c844d9f25e', 'kafka_4_partition_topic.4']);
  if (four === undefined) return;
  const { table } = await readTable(four.brokers, four.topic, createFormat('json'), ['v1']);
  assert.deepEqual(table, [{ v1: 1, v2: '1' }, { v1: 2, v2: '22' }, { v1: 3, v2: '333' }, { v1: 4, v2: '4444' }]);
  const hundred = await load(t, ['risingwave', 'variants', 'array-flattening-7c844d9f25e', 'kafka_4_partition_topic_with_100_message.4']);
  if (hundred === undefined) return;
  assert.equal(hundred.messages.length, 97);
  const many = await readTable(hundred.brokers, hundred.topic, createFormat('json'), ['v1']);
  // RisingWave: count(*) = 100; v1 runs 0..99 with v3 = [v1, v1, v1].
  assert.equal(many.table.length, 100);
  assert.deepEqual(many.table.map((r) => r.v1).sort((a, b) => Number(a) - Number(b)), Array.from({ length: 100 }, (_, i) => i));
  for (const row of many.table) assert.deepEqual(row.v3, [row.v1, row.v1, row.v1]);
  const jsonC = await load(t, ['risingwave', 'json_c.1']);
  if (jsonC === undefined) return;
  const c = await readTable(jsonC.brokers, jsonC.topic, createFormat('json'), ['id']);
  assert.deepEqual(c.table, [
    {
      id: 100,
      code: 'abc',
      timestamp: 1473305798,
      xfas: [
        { device_model_id: 0, device_make_id: 200, ip: '10.0.0.1' },
        { device_model_id: 1, device_make_id: 400, ip: '10.0.0.2' },
      ],
      contacts: { phones: ['1xxx', '2xxx'], emails: ['1xxx', '2xxx'] },
      jsonb: { blockNumber: 16938734 },
    },
  ]);
});
