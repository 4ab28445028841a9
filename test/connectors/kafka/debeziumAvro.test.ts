import assert from 'node:assert/strict';
import { test } from 'node:test';
import { lastValueFrom, takeUntil, takeWhile, tap, timer, toArray } from 'rxjs';
import { UNCHANGED, opOf, type ChangeOp } from '../../../src/core/Changelog.js';
import { commitEpochs } from '../../../src/core/commitEpochs.js';
import type { SourceEvent } from '../../../src/core/SourceEvent.js';
import { restoreTable } from '../../../src/core/TableCheckpoint.js';
import { defaultTableRowCodec } from '../../../src/core/TableRowCodec.js';
import { TableState } from '../../../src/core/TableState.js';
import { toTable } from '../../../src/core/toTable.js';
import { createKafkaSource } from '../../../src/connectors/kafka/createKafkaSource.js';
import { createFormat } from '../../../src/formats/createFormat.js';
import type { Row } from '../../../src/formats/Format.js';
import { MemoryStore } from '../../../src/state/MemoryStore.js';
import { createTopic, needKafka, produce, uniqueTopic } from '../../support/kafka.js';
import { bare, converted, envelope, raw, schemaText, singleObject } from '../../formats/debeziumAvroEnvelope.js';

type Change = [ChangeOp, Row];

const key = (id: number): Buffer => Buffer.from(JSON.stringify({ id }));
/** A row's columns (without its operation). Bytes stay Buffers through the checkpoint: deepStrictEqual checks the class. */
const asDecoded = (row: Row): Row => Object.fromEntries(Object.entries(row));

test('debezium_avro on a real broker: createKafkaSource + toTable builds the table; a bad record is skipped; killed at a barrier, a restart resumes table and offsets together', async (t) => {
  const brokers = await needKafka(t);
  if (brokers === undefined) return;
  const topic = uniqueTopic('cdc2-debezium-avro');
  await createTopic(brokers, topic, 2);
  // Debezium keys by primary key, so one key's events stay in one partition, in order.
  const at = (id: number) => ({ key: key(id), partition: id % 2 });
  await produce(brokers, topic, [
    { ...at(1), value: bare(envelope('r', null, raw(1))) },
    { ...at(2), value: bare(envelope('r', null, raw(2))) },
    { ...at(3), value: singleObject(envelope('r', null, raw(3))) },
    { ...at(1), value: bare(envelope('u', raw(1), raw(1, { name: 'Annie' }))) },
    // An unchanged TOASTed doc, blob and tags: the table keeps the snapshot's.
    { ...at(2), value: bare(envelope('u', null, raw(2, { name: 'Bo', doc: '__debezium_unavailable_value', blob: Buffer.from('__debezium_unavailable_value'), tags: ['__debezium_unavailable_value'] }))) },
    // A delete and its tombstone.
    { ...at(3), value: bare(envelope('d', raw(3), null)) },
    { ...at(3), value: null },
    // Not Avro of this schema: a bad record, skipped and counted.
    { ...at(4), value: Buffer.from('{"op":"c"}') },
    { ...at(4), value: singleObject(envelope('c', null, raw(4, { price: null }))) },
  ]);
  const store = new MemoryStore();
  const format = createFormat('debezium_avro', { schema: schemaText });
  /**
   * One run, unbounded, stopped (unsubscribed, as a kill) at the first barrier after `changes`
   * changes: what that barrier committed is what the next run starts from.
   */
  const run = async (changes: number) => {
    const source = createKafkaSource({
      name: 'cdc2-dbz-avro',
      topic,
      brokers,
      format,
      store,
      badRecords: 'skip',
      startupMode: 'earliest',
      consumerGroup: false,
      checkpointIntervalMs: 50,
    });
    let seen = 0;
    const events = await lastValueFrom(
      source.pipe(
        toTable<Row>(source, { primaryKey: ['id'] }),
        commitEpochs(source),
        tap((e) => {
          if (e.type === 'chunk') seen += e.records.length;
        }),
        takeWhile((e) => !(e.type === 'barrier' && seen >= changes), true),
        // A bound on the whole run: a hang fails the test instead of the CI run.
        takeUntil(timer(30_000)),
        toArray(),
      ),
    );
    await source.closed();
    const emitted = events.flatMap((e: SourceEvent<Row>) => (e.type === 'chunk' ? e.records.map((r): Change => [opOf(r), asDecoded(r)]) : []));
    const restored = new TableState<Row>(['id']);
    restoreTable(store, source.name, 'table', restored, defaultTableRowCodec).subscribe({ error: (err: unknown) => assert.fail(String(err)) });
    const table = [...restored.rows.values()].map(asDecoded).sort((a, b) => Number(a['id']) - Number(b['id']));
    return { changes: emitted, table, skipped: source.badRecordStats.skipped };
  };

  // 3 + 3 + 2 + 1 changes: then killed at the next (committed) barrier.
  const first = await run(9);
  const bo = converted(2, { name: 'Bo' });
  assert.deepEqual(first.table, [converted(1, { name: 'Annie' }), bo, converted(4, { price: null })]);
  // Per key, in order (partitions interleave): the changelog the table emitted.
  const byKey = (changes: Change[], id: number) => changes.filter(([, r]) => r['id'] === id);
  assert.deepEqual(byKey(first.changes, 1), [['insert', converted(1)], ['update_before', converted(1)], ['update_after', converted(1, { name: 'Annie' })]]);
  assert.deepEqual(byKey(first.changes, 2), [['insert', converted(2)], ['update_before', converted(2)], ['update_after', bo]]);
  assert.deepEqual(byKey(first.changes, 3), [['insert', converted(3)], ['delete', converted(3)]]);
  assert.ok(!first.changes.some(([, r]) => Object.values(r).includes(UNCHANGED)), 'no UNCHANGED reaches the changelog');
  assert.equal(first.skipped, 1, 'the one bad record');

  // More events; a second run on the same store starts from the committed table and offsets.
  await produce(brokers, topic, [
    { ...at(1), value: bare(envelope('d', raw(1, { name: 'Annie' }), null)) },
    { ...at(4), value: bare(envelope('u', raw(4, { price: null }), raw(4, { price: Buffer.from([0x01, 0x00]) }))) },
  ]);
  // Unbounded again: a split keeps the bound of the run that first created it (KafkaSplit.stopOffset).
  const second = await run(3);
  assert.deepEqual(byKey(second.changes, 1), [['delete', converted(1, { name: 'Annie' })]]);
  assert.deepEqual(byKey(second.changes, 4), [['update_before', converted(4, { price: null })], ['update_after', converted(4, { price: '2.56' })]]);
  assert.equal(second.changes.length, 3, 'nothing of the first run applied again');
  assert.deepEqual(second.table, [bo, converted(4, { price: '2.56' })]);
  assert.equal(second.skipped, 0, 'the bad record is behind the committed offsets');
});
