import assert from 'node:assert/strict';
import { test } from 'node:test';
import { commitEpochs } from '../../../src/core/commitEpochs.js';
import type { Chunk } from '../../../src/core/SourceEvent.js';
import type { SourceMessage } from '../../../src/core/SourceMessage.js';
import { createKafkaSource } from '../../../src/connectors/kafka/createKafkaSource.js';
import { MemoryStore } from '../../../src/state/MemoryStore.js';
import { createTopic, needKafka, produce, uniqueTopic, waitForStableEnds, withProducer } from '../../support/kafka.js';
import { readAll, text } from '../../support/kafkaSource.js';

test('bounded mode stops at the end offsets seen at start: idle partitions and transaction markers included', async (t) => {
  const brokers = await needKafka(t);
  if (brokers === undefined) return;
  const topic = uniqueTopic('bounded');
  await createTopic(brokers, topic, 4);
  // p0: empty. p1: plain records. p2: one committed transaction (ends with a commit marker).
  // p3: an aborted transaction, then a committed one (aborted records and both markers are
  // offsets the consumer never sees).
  await produce(brokers, topic, [0, 1, 2, 3, 4].map((i) => ({ partition: 1, value: `plain-${i}` })));
  await withProducer(
    brokers,
    async (producer) => {
      const committed = await producer.transaction();
      await committed.send({ topic, messages: [0, 1, 2].map((i) => ({ partition: 2, value: `tx-${i}` })) });
      await committed.commit();
      const aborted = await producer.transaction();
      await aborted.send({ topic, messages: [0, 1].map((i) => ({ partition: 3, value: `aborted-${i}` })) });
      await aborted.abort();
      const after = await producer.transaction();
      await after.send({ topic, messages: [0, 1].map((i) => ({ partition: 3, value: `after-${i}` })) });
      await after.commit();
    },
    uniqueTopic('txn'),
  );
  await waitForStableEnds(brokers, topic, { 1: 5, 2: 4, 3: 6 });

  const store = new MemoryStore();
  const options = { name: 'bounded', topic, brokers, store, boundedMode: 'latest', consumerGroup: false } as const;
  const source = createKafkaSource(options);
  const events = await readAll(source.pipe(commitEpochs(source)));
  await source.closed();
  const chunks = events.filter((e): e is Chunk<SourceMessage> => e.type === 'chunk');
  const values = (p: number) => chunks.filter((c) => c.splitId === `${topic}-${p}`).flatMap((c) => c.records.map(text));
  assert.deepEqual(values(0), []);
  assert.deepEqual(values(1), ['plain-0', 'plain-1', 'plain-2', 'plain-3', 'plain-4']);
  assert.deepEqual(values(2), ['tx-0', 'tx-1', 'tx-2']);
  assert.deepEqual(values(3), ['after-0', 'after-1']);
  const last = (p: number) => chunks.filter((c) => c.splitId === `${topic}-${p}`).at(-1)?.nextOffset;
  assert.equal(last(2), '4', 'p2: 3 records + commit marker');
  assert.equal(last(3), '6', 'p3: 2 aborted + abort marker + 2 records + commit marker');
  const final = events.at(-1);
  assert.equal(final?.type, 'barrier');
  assert.equal(final?.type === 'barrier' && final.final, true);

  // The stop offsets are part of the checkpoint: a re-run reads nothing new even though the
  // partitions grew in between.
  await produce(brokers, topic, [{ partition: 1, value: 'later' }, { partition: 0, value: 'later' }]);
  const again = createKafkaSource(options);
  const rerun = await readAll(again.pipe(commitEpochs(again)));
  await again.closed();
  assert.deepEqual(
    rerun.filter((e) => e.type === 'chunk').flatMap((e) => (e.type === 'chunk' ? e.records.map(text) : [])),
    [],
  );
});

test('bounded mode does not read records produced after the start', async (t) => {
  const brokers = await needKafka(t);
  if (brokers === undefined) return;
  const topic = uniqueTopic('bounded-late');
  await createTopic(brokers, topic, 1);
  await produce(brokers, topic, Array.from({ length: 200 }, (_, i) => ({ value: `early-${i}` })));
  const source = createKafkaSource({
    name: 'bounded-late',
    topic,
    brokers,
    boundedMode: 'latest',
    consumerGroup: false,
    maxPartitionFetchBytes: 512,
  });
  const values: string[] = [];
  let produced: Promise<void> | undefined;
  await new Promise<void>((resolve, reject) => {
    source.subscribe({
      next: (event) => {
        if (event.type !== 'chunk') return;
        // Reading has begun, so the end offsets were taken: these are past the end.
        produced ??= produce(brokers, topic, [{ value: 'late-0' }, { value: 'late-1' }]);
        values.push(...event.records.map(text));
      },
      error: reject,
      complete: resolve,
    });
  });
  await produced;
  await source.closed();
  assert.deepEqual(values, Array.from({ length: 200 }, (_, i) => `early-${i}`));
});
