import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Subject } from 'rxjs';
import { commitEpochs } from '../../../src/core/commitEpochs.js';
import type { SourceEvent } from '../../../src/core/SourceEvent.js';
import type { SourceMessage } from '../../../src/core/SourceMessage.js';
import { createKafkaSource } from '../../../src/connectors/kafka/createKafkaSource.js';
import type { KafkaOffsetOutOfRange } from '../../../src/connectors/kafka/KafkaSourceOptions.js';
import { MemoryStore } from '../../../src/state/MemoryStore.js';
import { createTopic, needKafka, produce, uniqueTopic, withAdmin, withProducer } from '../../support/kafka.js';
import { readUntil, text } from '../../support/kafkaSource.js';

const values = (prefix: string, from: number, to: number): string[] => Array.from({ length: to - from }, (_, i) => `${prefix}-${from + i}`);

/** Deletes the records of partition 0 below `before` (as retention would). */
async function deleteBefore(brokers: string, topic: string, before: number): Promise<void> {
  await withAdmin(brokers, async (admin) => {
    await admin.fetchTopicMetadata({ topics: [topic] }); // deleteTopicRecords needs it loaded
    await admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: String(before) }] });
  });
}

interface MidRun {
  /** Records of partition 0 (whose records are deleted under the reader), in arrival order. */
  readonly received: string[];
  /** Records of partition 1 (untouched), in arrival order. */
  readonly other: string[];
  /** How many records of partition 0 had arrived when the records were deleted (its position then). */
  readonly before: number;
  readonly error: Error | undefined;
}

/**
 * Out of range **while reading**: 30 records in each of two partitions (one producer batch each,
 * so one per fetch), readers held by flow control (high-water mark 0, nothing acknowledged)
 * after the first chunk, records 0..19 of partition 0 deleted under them, then flow control
 * releases them: partition 0's next fetch is out of range, partition 1 reads on.
 * `afterReset` runs once partition 0's reset position is pinned (an empty chunk at `resetTo`);
 * the run is over when `done` holds.
 */
async function outOfRangeWhileReading(
  brokers: string,
  policy: KafkaOffsetOutOfRange | undefined,
  done: (received: readonly string[], other: readonly string[]) => boolean,
  resetTo?: string,
  afterReset?: (topic: string) => Promise<void>,
): Promise<MidRun> {
  const topic = uniqueTopic(`oor-${policy ?? 'default'}`);
  await createTopic(brokers, topic, 2);
  await withProducer(brokers, async (producer) => {
    for (let i = 0; i < 30; i++) {
      await producer.send({ topic, messages: [{ partition: 0, value: `m-${i}` }] });
      await producer.send({ topic, messages: [{ partition: 1, value: `n-${i}` }] });
    }
  });
  const source = createKafkaSource({
    name: `oor-${policy ?? 'default'}`,
    topic,
    brokers,
    highWaterMark: 0,
    maxPartitionFetchBytes: 64,
    fetchMaxWaitMs: 100,
    consumerGroup: false,
    ...(policy !== undefined ? { offsetOutOfRange: policy } : {}),
  });
  const received: string[] = [];
  const other: string[] = [];
  let before = -1;
  let held = false;
  let error: Error | undefined;
  let flowing = false;
  let resetSeen = false;
  await new Promise<void>((resolve, reject) => {
    const subscription = source.subscribe({
      next: (event: SourceEvent<SourceMessage>) => {
        if (event.type !== 'chunk') return;
        const zero = event.splitId === `${topic}-0`;
        (zero ? received : other).push(...event.records.map(text));
        if (flowing) source.acknowledge(event.records.length);
        if (!held && event.records.length > 0) {
          // Paused now (records in flight > high-water mark 0). Delete under the readers, then release them.
          held = true;
          deleteBefore(brokers, topic, 20)
            .then(() => {
              before = received.length;
              flowing = true;
              source.acknowledge(received.length + other.length);
            })
            .catch(reject);
        }
        if (flowing && zero && !resetSeen && resetTo !== undefined && event.records.length === 0 && event.nextOffset === resetTo) {
          resetSeen = true;
          afterReset?.(topic).catch(reject);
        }
        if (flowing && done(received, other)) {
          subscription.unsubscribe();
          resolve();
        }
      },
      error: (err: Error) => {
        error = err;
        resolve();
      },
    });
  });
  await source.closed();
  assert.ok(before >= 0 && before < 20, `the reader was held before the deleted range (${before} records of partition 0 read)`);
  return { received, other, before, error };
}

test('out of range while reading, default policy: fails naming source, split and offset; nothing past the gap arrives', { timeout: 60_000 }, async (t) => {
  const brokers = await needKafka(t);
  if (brokers === undefined) return;
  const run = await outOfRangeWhileReading(brokers, undefined, () => false);
  assert.ok(run.error !== undefined, 'the source failed');
  assert.deepEqual(run.received, values('m', 0, run.before));
  assert.deepEqual(run.other, values('n', 0, run.other.length), 'partition 1: a prefix, in order, nothing twice');
  const topicSplit = /split '([^']+)'/.exec(run.error.message)?.[1];
  assert.match(topicSplit ?? '', /^oor-default-.+-0$/);
  assert.match(run.error.message, new RegExp(`^source 'oor-default', split '${topicSplit}', offset ${run.before}: `));
  assert.match(run.error.message, /out of range while reading/);
  assert.match(run.error.message, /offsets 20 to 30/);
  assert.match(run.error.message, /kafka\.offset\.out\.of\.range/);
});

test("out of range while reading, 'earliest': skips to the first record that still exists and reads on; the other partition is untouched", { timeout: 60_000 }, async (t) => {
  const brokers = await needKafka(t);
  if (brokers === undefined) return;
  const run = await outOfRangeWhileReading(brokers, 'earliest', (r, o) => r.at(-1) === 'm-29' && o.at(-1) === 'n-29', '20');
  assert.equal(run.error, undefined);
  assert.deepEqual(run.received, [...values('m', 0, run.before), ...values('m', 20, 30)]);
  assert.deepEqual(run.other, values('n', 0, 30));
});

test("out of range while reading, 'latest': skips to the end; only records produced after the reset arrive; the other partition is untouched", { timeout: 60_000 }, async (t) => {
  const brokers = await needKafka(t);
  if (brokers === undefined) return;
  const run = await outOfRangeWhileReading(brokers, 'latest', (r, o) => r.at(-1) === 'late-4' && o.at(-1) === 'n-29', '30', (topic) =>
    produce(brokers, topic, values('late', 0, 5).map((value) => ({ partition: 0, value }))),
  );
  assert.equal(run.error, undefined);
  assert.deepEqual(run.received, [...values('m', 0, run.before), ...values('late', 0, 5)]);
  assert.deepEqual(run.other, values('n', 0, 30));
});

test('a stored position deleted between runs: fails clearly by default, or skips to earliest / latest when told to', { timeout: 90_000 }, async (t) => {
  const brokers = await needKafka(t);
  if (brokers === undefined) return;
  const topic = uniqueTopic('expired');
  await createTopic(brokers, topic, 1);
  await produce(brokers, topic, values('m', 0, 10).map((value) => ({ partition: 0, value })));
  const store = new MemoryStore();
  const barriers = new Subject<void>();
  const options = { name: 'expired', topic, brokers, store, barriers, consumerGroup: false } as const;
  // Run 1 commits position 10.
  const first = createKafkaSource(options);
  await new Promise<void>((resolve, reject) => {
    let seen = 0;
    const subscription = first.pipe(commitEpochs(first)).subscribe({
      next: (event) => {
        if (event.type === 'chunk') {
          seen += event.records.length;
          if (seen >= 10) barriers.next();
          return;
        }
        subscription.unsubscribe();
        resolve();
      },
      error: reject,
    });
  });
  await first.closed();
  // While it is down, records 10..19 arrive and 0..14 are deleted: position 10 no longer exists.
  await produce(brokers, topic, values('x', 10, 20).map((value) => ({ partition: 0, value })));
  await deleteBefore(brokers, topic, 15);

  const failing = createKafkaSource(options);
  await assert.rejects(readUntil(failing, () => false), (err: Error) => {
    assert.match(err.message, new RegExp(`^source 'expired', split '${topic}-0', offset 10: `));
    assert.match(err.message, /out of range.*15 to 20.*deleted/);
    assert.match(err.message, /kafka\.offset\.out\.of\.range/);
    return true;
  });
  await failing.closed();

  // The failed runs committed nothing: each policy starts from the same stored position 10.
  const skipping = createKafkaSource({ ...options, offsetOutOfRange: 'earliest' });
  const rest = await readUntil(skipping, (r) => r.length >= 5);
  await skipping.closed();
  assert.deepEqual(rest.map(text), values('x', 15, 20));

  const latest = createKafkaSource({ ...options, offsetOutOfRange: 'latest' });
  const late = await new Promise<string[]>((resolve, reject) => {
    const received: string[] = [];
    const subscription = latest.subscribe({
      next: (event) => {
        if (event.type !== 'chunk') return;
        received.push(...event.records.map(text));
        // The reset to the end is pinned with an empty chunk: only then is 'after' produced.
        if (event.records.length === 0 && event.nextOffset === '20') {
          produce(brokers, topic, values('after', 0, 3).map((value) => ({ partition: 0, value }))).catch(reject);
        }
        if (received.at(-1) === 'after-2') {
          subscription.unsubscribe();
          resolve(received);
        }
      },
      error: reject,
    });
  });
  await latest.closed();
  assert.deepEqual(late, values('after', 0, 3));
});
