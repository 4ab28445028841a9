import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Subject } from 'rxjs';
import { commitEpochs } from '../../../src/core/commitEpochs.js';
import type { Chunk } from '../../../src/core/SourceEvent.js';
import type { SourceMessage } from '../../../src/core/SourceMessage.js';
import { createKafkaSource } from '../../../src/connectors/kafka/createKafkaSource.js';
import { MemoryStore } from '../../../src/state/MemoryStore.js';
import { createTopic, needKafka, produce, uniqueTopic, waitForStableEnds, withAdmin, withProducer } from '../../support/kafka.js';
import { readAll, readUntil, text } from '../../support/kafkaSource.js';

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

/** `promise`, or a rejection naming `what` after `ms`: a run that never completes fails the test instead of hanging it. */
function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not complete within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

test('the bound belongs to the run: bounded after unbounded completes at the new end (partitions added since included), unbounded after bounded reads on past the old bound', async (t) => {
  const brokers = await needKafka(t);
  if (brokers === undefined) return;
  const topic = uniqueTopic('cdc3-rebound');
  await createTopic(brokers, topic, 2);
  const batch = (tag: string, partitions: number, each: number) =>
    Array.from({ length: partitions * each }, (_, n) => ({ partition: n % partitions, value: `${tag}-${n % partitions}-${Math.floor(n / partitions)}` }));
  await produce(brokers, topic, batch('a', 2, 5));
  const store = new MemoryStore();
  const source = (extra: { boundedMode?: 'latest'; barriers?: Subject<void> } = {}) =>
    createKafkaSource({ name: 'cdc3-rebound', topic, brokers, store, consumerGroup: false, partitionDiscoveryIntervalMs: 0, ...extra });
  const values = (records: readonly SourceMessage[]) => records.map(text).sort();

  // Run 1, unbounded: what lies before a committed barrier is delivered; then it is stopped.
  const barriers = new Subject<void>();
  const first = source({ barriers });
  const delivered: SourceMessage[] = [];
  await within(
    30_000,
    'the unbounded run',
    new Promise<void>((resolve, reject) => {
      let pending: SourceMessage[] = [];
      let requested = false;
      const subscription = first.pipe(commitEpochs(first)).subscribe({
        next: (event) => {
          if (event.type === 'chunk') {
            pending.push(...event.records);
            if (!requested && pending.length >= 4) {
              requested = true;
              barriers.next();
            }
            return;
          }
          delivered.push(...pending);
          pending = [];
          subscription.unsubscribe();
          resolve();
        },
        error: reject,
      });
    }),
  );
  await first.closed();
  assert.ok(delivered.length >= 4 && delivered.length <= 10, `run 1 delivered ${delivered.length}`);

  // More records, and a partition added while nothing ran.
  await produce(brokers, topic, batch('b', 2, 3));
  await withAdmin(brokers, (admin) => admin.createPartitions({ topicPartitions: [{ topic, count: 3 }] }));
  await produce(brokers, topic, [{ partition: 2, value: 'c-2-0' }, { partition: 2, value: 'c-2-1' }]);
  await waitForStableEnds(brokers, topic, { 0: 8, 1: 8, 2: 2 });

  // Run 2, bounded, from run 1's checkpoint (no stop offsets in it): completes at today's ends.
  const second = source({ boundedMode: 'latest' });
  const run2 = await within(30_000, 'the bounded run after an unbounded one', readAll(second.pipe(commitEpochs(second))));
  await second.closed();
  const read2 = run2.flatMap((e) => (e.type === 'chunk' ? e.records : []));
  const everything = [...batch('a', 2, 5), ...batch('b', 2, 3)].map((m) => m.value).concat(['c-2-0', 'c-2-1']).sort();
  assert.deepEqual(values([...delivered, ...read2]), everything, 'runs 1 and 2 read everything once');
  const last = run2.at(-1);
  assert.ok(last?.type === 'barrier' && last.final === true, 'run 2 ends with its final barrier');

  // Run 3, unbounded, from the bounded run's checkpoint (every partition finished at its stop
  // offset): records produced after run 2 are read; the old bound does not hold it back.
  await produce(brokers, topic, batch('d', 3, 2));
  const third = source();
  const read3 = await within(30_000, 'the unbounded run after a bounded one', readUntil(third.pipe(commitEpochs(third)), (r) => r.length >= 6));
  await third.closed();
  assert.deepEqual(values(read3), batch('d', 3, 2).map((m) => m.value).sort());
});
