import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Subject, map } from 'rxjs';
import { commitEpochs } from '../../../src/core/commitEpochs.js';
import { runWithCheckpoints } from '../../../src/core/runWithCheckpoints.js';
import type { SourceEvent } from '../../../src/core/SourceEvent.js';
import type { SourceMessage } from '../../../src/core/SourceMessage.js';
import { createKafkaSource } from '../../../src/connectors/kafka/createKafkaSource.js';
import { MemoryStore } from '../../../src/state/MemoryStore.js';
import { createTopic, needKafka, produce, uniqueTopic, withAdmin, withProducer } from '../../support/kafka.js';
import { bySplit, readUntil, text } from '../../support/kafkaSource.js';

const expected = (topic: string, partitions: number, perPartition: number, prefix = 'm'): Map<string, string[]> =>
  new Map(Array.from({ length: partitions }, (_, p) => [`${topic}-${p}`, Array.from({ length: perPartition }, (_, i) => `${prefix}${p}-${i}`)]));

const messagesFor = (partitions: number, perPartition: number, prefix = 'm') =>
  Array.from({ length: partitions * perPartition }, (_, n) => {
    const p = n % partitions;
    const i = Math.floor(n / partitions);
    return { partition: p, key: `k${p}`, value: `${prefix}${p}-${i}` };
  });

test('reads every partition of a topic from earliest, in order within each partition', async (t) => {
  const brokers = await needKafka(t);
  if (brokers === undefined) return;
  const topic = uniqueTopic('earliest');
  await createTopic(brokers, topic, 3);
  await produce(brokers, topic, messagesFor(3, 20));
  const source = createKafkaSource({ name: 'earliest', topic, brokers, consumerGroup: false });
  const messages = await readUntil(source, (r) => r.length >= 60);
  await source.closed();
  assert.deepEqual(bySplit(messages), expected(topic, 3, 20));
  const first = messages.find((m) => text(m) === 'm1-0')!;
  assert.equal(first.splitId, `${topic}-1`);
  assert.equal(first.offset, '0');
  assert.equal(Buffer.from(first.key!).toString(), 'k1');
  assert.equal(typeof first.timestamp, 'number');
});

test('from latest: only records produced after the start are read', async (t) => {
  const brokers = await needKafka(t);
  if (brokers === undefined) return;
  const topic = uniqueTopic('latest');
  await createTopic(brokers, topic, 2);
  await produce(brokers, topic, messagesFor(2, 5, 'old'));
  const source = createKafkaSource({ name: 'latest', topic, brokers, startupMode: 'latest', consumerGroup: false });
  const pinned = new Set<string>();
  const records: SourceMessage[] = [];
  await new Promise<void>((resolve, reject) => {
    const subscription = source.subscribe({
      next: (event) => {
        if (event.type !== 'chunk') return;
        // Each partition's start position is resolved (and pinned by an empty chunk) first.
        if (!pinned.has(event.splitId)) {
          assert.equal(event.records.length, 0);
          assert.equal(event.nextOffset, '5');
          pinned.add(event.splitId);
          if (pinned.size === 2) produce(brokers, topic, messagesFor(2, 4, 'new')).catch(reject);
          return;
        }
        records.push(...event.records);
        if (records.length >= 8) {
          subscription.unsubscribe();
          resolve();
        }
      },
      error: reject,
    });
  });
  await source.closed();
  assert.deepEqual(bySplit(records), expected(topic, 2, 4, 'new'));
});

test('partitions added while reading are discovered and read from their beginning', async (t) => {
  const brokers = await needKafka(t);
  if (brokers === undefined) return;
  const topic = uniqueTopic('grow');
  await createTopic(brokers, topic, 2);
  await produce(brokers, topic, messagesFor(2, 3));
  // `latest` must not apply to partitions that appear later: all their records are new.
  const source = createKafkaSource({ name: 'grow', topic, brokers, startupMode: 'earliest', partitionDiscoveryIntervalMs: 200, consumerGroup: false });
  let grown = false;
  const messages = await readUntil(source, (r) => {
    if (!grown && r.length >= 6) {
      grown = true;
      void withAdmin(brokers, (admin) => admin.createPartitions({ topicPartitions: [{ topic, count: 4 }] })).then(() =>
        produce(brokers, topic, messagesFor(4, 3).filter((m) => m.partition >= 2)),
      );
    }
    return r.length >= 12;
  });
  await source.closed();
  assert.deepEqual(bySplit(messages), expected(topic, 4, 3));
});

test('a restart resumes from the last committed epoch: nothing lost, nothing twice', async (t) => {
  const brokers = await needKafka(t);
  if (brokers === undefined) return;
  const topic = uniqueTopic('restart');
  const group = uniqueTopic('lag');
  await createTopic(brokers, topic, 3);
  await produce(brokers, topic, messagesFor(3, 10));
  const store = new MemoryStore();
  const barriers = new Subject<void>();
  const source = () => createKafkaSource({ name: 'restart', topic, brokers, store, barriers, consumerGroup: group });

  // Run 1: what counts as delivered is what lies before a committed barrier; the rest would be
  // rolled back, so it is dropped here exactly as a failing pipeline would drop it.
  const first = source();
  const delivered1: SourceMessage[] = [];
  await new Promise<void>((resolve, reject) => {
    let pending: SourceMessage[] = [];
    let requested = false;
    const subscription = first.pipe(commitEpochs(first)).subscribe({
      next: (event: SourceEvent<SourceMessage>) => {
        if (event.type === 'chunk') {
          pending.push(...event.records);
          if (!requested && delivered1.length + pending.length >= 12) {
            requested = true;
            barriers.next();
          }
          return;
        }
        delivered1.push(...pending);
        pending = [];
        subscription.unsubscribe();
        resolve();
      },
      error: reject,
    });
  });
  await first.closed();
  assert.ok(delivered1.length >= 12 && delivered1.length < 30, `run 1 delivered ${delivered1.length}`);
  await produce(brokers, topic, messagesFor(3, 5, 'late'));

  // Run 2 resumes from the checkpoint.
  const second = source();
  const delivered2 = await readUntil(second.pipe(commitEpochs(second)), (r) => delivered1.length + r.length >= 45);
  await second.closed();
  const all = [...delivered1, ...delivered2].map((m) => `${m.splitId}@${m.offset}=${text(m)}`);
  assert.equal(new Set(all).size, all.length, 'no record delivered twice');
  const produced = new Map([...expected(topic, 3, 10)].map(([split, values]) => [split, [...values, ...expected(topic, 3, 5, 'late').get(split)!]]));
  assert.deepEqual(bySplit([...delivered1, ...delivered2]), produced);

  // Lag monitoring: the committed epoch's positions reached the consumer group.
  const committed = await withAdmin(brokers, (admin) => admin.fetchOffsets({ groupId: group, topics: [topic] }));
  const offsets = committed[0]!.partitions.map((p) => Number(p.offset)).reduce((a, b) => a + b, 0);
  assert.equal(offsets, delivered1.length);
});

test('startup at a timestamp, with specific offsets overriding it for listed partitions', async (t) => {
  const brokers = await needKafka(t);
  if (brokers === undefined) return;
  const topic = uniqueTopic('startup');
  await createTopic(brokers, topic, 2);
  const base = Date.now() - 60_000;
  await produce(
    brokers,
    topic,
    Array.from({ length: 10 }, (_, n) => ({ partition: n % 2, value: `m${n % 2}-${Math.floor(n / 2)}`, timestamp: String(base + Math.floor(n / 2) * 1000) })),
  );
  const source = createKafkaSource({
    name: 'startup',
    topic,
    brokers,
    startupTimestampMillis: base + 2500,
    startupOffsets: { 0: 1 },
    consumerGroup: false,
  });
  const messages = await readUntil(source, (r) => r.length >= 6);
  await source.closed();
  assert.deepEqual(
    bySplit(messages),
    new Map([
      [`${topic}-0`, ['m0-1', 'm0-2', 'm0-3', 'm0-4']],
      [`${topic}-1`, ['m1-3', 'm1-4']],
    ]),
  );
  assert.deepEqual(
    messages.filter((m) => m.splitId === `${topic}-1`).map((m) => m.timestamp),
    [base + 3000, base + 4000],
  );
});

test('under runWithCheckpoints, a pipeline error rolls back to the last checkpoint and reads on from exactly there', async (t) => {
  const brokers = await needKafka(t);
  if (brokers === undefined) return;
  const topic = uniqueTopic('rollback');
  await createTopic(brokers, topic, 1);
  // One producer batch (and so one chunk, with a small fetch size) per record.
  await withProducer(brokers, async (producer) => {
    for (const message of messagesFor(1, 30)) await producer.send({ topic, messages: [message] });
  });
  const barriers = new Subject<void>();
  const source = createKafkaSource({ name: 'rollback', topic, brokers, store: new MemoryStore(), barriers, consumerGroup: false, maxPartitionFetchBytes: 64 });
  let failed = false;
  let seen = 0;
  let checkpointAt: number | undefined;
  const output: string[] = [];
  await new Promise<void>((resolve, reject) => {
    const subscription = runWithCheckpoints(
      source,
      map((event: SourceEvent<SourceMessage>) => {
        if (event.type === 'barrier') {
          checkpointAt ??= seen;
          return event;
        }
        for (const m of event.records) {
          seen++;
          if (seen === 10) barriers.next();
          if (!failed && m.offset === '20') {
            failed = true;
            throw new Error('pipeline failure at offset 20');
          }
        }
        return event;
      }),
      { retries: 1, backoffMs: 0 },
    ).subscribe({
      next: (event) => {
        if (event.type !== 'chunk') return;
        output.push(...event.records.map((m) => `${m.offset}:${text(m)}`));
        if (output.at(-1)?.startsWith('29:')) {
          subscription.unsubscribe();
          resolve();
        }
      },
      error: reject,
    });
  });
  await source.closed();
  assert.ok(failed);
  assert.ok(checkpointAt !== undefined && checkpointAt >= 10 && checkpointAt < 20, `checkpoint after ${checkpointAt} records`);
  // Before the failure: 0..19 minus the failing chunk; after it: exactly from the checkpoint on.
  const restartIndex = output.findIndex((line, i) => i > 0 && Number(line.split(':')[0]) <= Number(output[i - 1]!.split(':')[0]));
  const afterRestart = output.slice(restartIndex === -1 ? 0 : restartIndex);
  assert.equal(afterRestart[0], `${checkpointAt}:m0-${checkpointAt}`);
  assert.deepEqual(new Set(output), new Set(Array.from({ length: 30 }, (_, i) => `${i}:m0-${i}`)));
});

test('an immediate resubscription of the same source reads everything again', { timeout: 30_000 }, async (t) => {
  const brokers = await needKafka(t);
  if (brokers === undefined) return;
  const topic = uniqueTopic('resubscribe');
  await createTopic(brokers, topic, 2);
  await produce(brokers, topic, messagesFor(2, 5));
  const source = createKafkaSource({ name: 'resubscribe', topic, brokers, consumerGroup: false });
  const again = await new Promise<SourceMessage[]>((resolve, reject) => {
    const first = source.subscribe({
      next: (event) => {
        if (event.type !== 'chunk' || event.records.length === 0) return;
        // Unsubscribe and subscribe again in the same tick: the readers detach and re-attach
        // before the shared consumer has reacted to either.
        queueMicrotask(() => {
          first.unsubscribe();
          readUntil(source, (r) => r.length >= 10).then(resolve, reject);
        });
      },
      error: reject,
    });
  });
  await source.closed();
  assert.deepEqual(bySplit(again), expected(topic, 2, 5));
});
