import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { Subject, takeWhile } from 'rxjs';
import { checkpointKeys } from '../../../src/core/Checkpoint.js';
import { commitEpochs } from '../../../src/core/commitEpochs.js';
import type { Snapshot } from '../../../src/core/Checkpoint.js';
import type { SourceEvent } from '../../../src/core/SourceEvent.js';
import type { SourceMessage } from '../../../src/core/SourceMessage.js';
import type { SourceWarning } from '../../../src/core/SourceWarning.js';
import { createKafkaSource } from '../../../src/connectors/kafka/createKafkaSource.js';
import type { KafkaSplit } from '../../../src/connectors/kafka/KafkaSplit.js';
import { MemoryStore } from '../../../src/state/MemoryStore.js';
import type { StateStore } from '../../../src/state/StateStore.js';
import { createTopic, needKafka, produce, uniqueTopic, withAdmin } from '../../support/kafka.js';
import { readAll } from '../../support/kafkaSource.js';

// Lag monitoring through the checkpoint-complete hook: what the consumer group holds, read back
// with an admin client, against what the checkpoints say.

/** The group's committed offsets by partition (`-1`: none). */
async function groupOffsets(brokers: string, groupId: string, topic: string): Promise<Map<number, string>> {
  const [found] = await withAdmin(brokers, (admin) => admin.fetchOffsets({ groupId, topics: [topic] }));
  return new Map((found?.partitions ?? []).map((p) => [p.partition, p.offset] as const));
}

/** The positions a stored snapshot holds, by partition, read from the split objects. */
function snapshotOffsets(store: MemoryStore, source: string, epoch: number): Map<number, string> {
  const snapshot = store.get(checkpointKeys.snapshot(source, epoch)) as unknown as Snapshot<KafkaSplit> | undefined;
  assert.ok(snapshot !== undefined, `snapshot of epoch ${epoch} is in the store`);
  return new Map(Object.values(snapshot.splits).map((p) => [p.split.partition, p.offset ?? '-1'] as const));
}

const messages = (partitions: number, perPartition: number) =>
  Array.from({ length: partitions * perPartition }, (_, n) => ({ partition: n % partitions, value: `m${n}` }));

/** A fresh topic of `partitions` partitions holding `perPartition` records each, and a fresh group name; `undefined` when skipped. */
async function filledTopic(t: TestContext, prefix: string, partitions: number, perPartition: number) {
  const brokers = await needKafka(t);
  if (brokers === undefined) return undefined;
  const topic = uniqueTopic(prefix);
  await createTopic(brokers, topic, partitions);
  await produce(brokers, topic, messages(partitions, perPartition));
  return { brokers, topic, group: uniqueTopic(`${prefix}-group`) };
}

test('the group holds the last committed epoch\'s positions, never those of a barrier that did not reach commitEpochs', async (t) => {
  const peer = await filledTopic(t, 'kafka-lag', 3, 10);
  if (peer === undefined) return;
  const { brokers, topic, group } = peer;
  const store = new MemoryStore();
  const barriers = new Subject<void>();
  // Small fetches, so that reading goes on in several chunks after the first barrier.
  const source = createKafkaSource({ name: 'kafka-lag', topic, brokers, store, barriers, consumerGroup: group, maxPartitionFetchBytes: 64 });
  const warnings: SourceWarning[] = [];
  source.warnings$?.subscribe((w) => warnings.push(w));

  let records = 0;
  let asked = 0;
  await new Promise<void>((resolve, reject) => {
    source
      .pipe(
        // Epoch 2's barrier is written to the store but dropped here, before commitEpochs: as
        // when a sink fails with the barrier in flight. Its positions must not reach the group.
        takeWhile((event: SourceEvent<SourceMessage>) => event.type === 'chunk' || event.epoch === 1),
        commitEpochs(source),
      )
      .subscribe({
        next: (event) => {
          if (event.type === 'barrier') return;
          records += event.records.length;
          if (records >= 5 && asked === 0) {
            asked = 1;
            barriers.next();
          } else if (records >= 25 && asked === 1) {
            asked = 2;
            barriers.next();
          }
        },
        error: reject,
        complete: resolve,
      });
  });
  await source.closed();

  assert.equal(store.get(checkpointKeys.committed('kafka-lag')), 1);
  const epoch1 = snapshotOffsets(store, 'kafka-lag', 1);
  const epoch2 = snapshotOffsets(store, 'kafka-lag', 2);
  assert.notDeepEqual(epoch2, epoch1, 'the source read on after epoch 1 (else the test could not tell the two apart)');
  assert.deepEqual(await groupOffsets(brokers, group, topic), epoch1);
  assert.deepEqual(warnings, []);
  // The lag member left with the run: nothing holds the group.
  const [described] = (await withAdmin(brokers, (admin) => admin.describeGroups([group]))).groups;
  assert.deepEqual(described?.members, []);
});

test('a bounded source\'s final epoch, committed after its readers completed, still reaches the group; then the member leaves', async (t) => {
  const peer = await filledTopic(t, 'kafka-lag-bounded', 2, 7);
  if (peer === undefined) return;
  const { brokers, topic, group } = peer;
  // Commit writes that take a while, as a durable store's do: the final epoch then commits after
  // the last reader's subscription has ended, so the hook runs with no partition being read.
  const memory = new MemoryStore();
  const store: StateStore = {
    get: (key) => memory.get(key),
    setMany: (entries) => memory.setMany(entries),
    del: (key) => memory.del(key),
    delMany: (keys) => memory.delMany(keys),
    entries: () => memory.entries(),
    set: (key, value) => new Promise<void>((resolve) => setTimeout(() => resolve(memory.set(key, value)), 100)),
  };
  const source = createKafkaSource({ name: 'kafka-lag-bounded', topic, brokers, store, boundedMode: 'latest', consumerGroup: group, barriers: new Subject() });
  const events = await readAll(source.pipe(commitEpochs(source)));
  await source.closed();
  // The only barrier is the final one: the hook ran with every reader already finished.
  const barriers = events.filter((e) => e.type === 'barrier');
  assert.equal(barriers.length, 1);
  assert.deepEqual(await groupOffsets(brokers, group, topic), new Map([[0, '7'], [1, '7']]));
  const [described] = (await withAdmin(brokers, (admin) => admin.describeGroups([group]))).groups;
  assert.deepEqual(described?.members, []);
});

test('with consumerGroup: false nothing is committed anywhere', async (t) => {
  const peer = await filledTopic(t, 'kafka-lag-off', 1, 3);
  if (peer === undefined) return;
  const { brokers, topic } = peer;
  const source = createKafkaSource({ name: 'kafka-lag-off', topic, brokers, boundedMode: 'latest', consumerGroup: false });
  await readAll(source.pipe(commitEpochs(source)));
  await source.closed();
  const groups = await withAdmin(brokers, (admin) => admin.listGroups());
  assert.deepEqual(
    groups.groups.filter((g) => g.groupId.includes('kafka-lag-off') && !g.groupId.includes('-fetch-')).map((g) => g.groupId),
    [],
  );
});
