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
import { KafkaLagCommitter, type LagOffset } from '../../../src/connectors/kafka/KafkaLagCommitter.js';
import { resolveKafkaConfig } from '../../../src/connectors/kafka/KafkaSourceConfig.js';
import { createTopic, needKafka, produce, testKafka, uniqueTopic, withAdmin } from '../../support/kafka.js';
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

/** `memory` with its own `set` (the write that commits an epoch) replaced by `set`. */
function withCommitWrite(memory: MemoryStore, set: StateStore['set']): StateStore {
  return {
    get: (key) => memory.get(key),
    setMany: (entries) => memory.setMany(entries),
    del: (key) => memory.del(key),
    delMany: (keys) => memory.delMany(keys),
    entries: () => memory.entries(),
    set,
  };
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
  // The committer never joins the group: it has no member, during the run or after.
  const [described] = (await withAdmin(brokers, (admin) => admin.describeGroups([group]))).groups;
  assert.deepEqual(described?.members, []);
});

test('a bounded source\'s final epoch, committed after its readers completed, still reaches the group, which has no member', async (t) => {
  const peer = await filledTopic(t, 'kafka-lag-bounded', 2, 7);
  if (peer === undefined) return;
  const { brokers, topic, group } = peer;
  // Commit writes that take a while, as a durable store's do: the final epoch then commits after
  // the last reader's subscription has ended, so the hook runs with no partition being read.
  const memory = new MemoryStore();
  const store = withCommitWrite(memory, (key, value) => new Promise<void>((resolve) => setTimeout(() => resolve(memory.set(key, value)), 100)));
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

/** Polls the group until `expected` is what it holds (at most `ms`); what it held last. */
async function groupReaches(brokers: string, group: string, topic: string, expected: Map<number, string>, ms = 15_000): Promise<Map<number, string>> {
  const until = Date.now() + ms;
  for (;;) {
    const held = await groupOffsets(brokers, group, topic);
    if (Date.now() > until || JSON.stringify([...held]) === JSON.stringify([...expected])) return held;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

test('an epoch reaches the group only once its commit is durable in the store, not when its barrier passes', async (t) => {
  const peer = await filledTopic(t, 'kafka-lag-durable', 2, 20);
  if (peer === undefined) return;
  const { brokers, topic, group } = peer;
  const memory = new MemoryStore();
  // The commit write of epoch 2 (`set` of the committed epoch) waits for the test to let it go.
  let release: (() => void) | undefined;
  let held: (() => void) | undefined;
  const holding = new Promise<void>((resolve) => (held = resolve));
  const store = withCommitWrite(memory, (key, value) => {
    if (value !== 2) return memory.set(key, value);
    held?.();
    return new Promise<void>((resolve) => (release = () => resolve(memory.set(key, value))));
  });
  const barriers = new Subject<void>();
  const source = createKafkaSource({ name: 'kafka-lag-durable', topic, brokers, store, barriers, consumerGroup: group, maxPartitionFetchBytes: 64 });
  const warnings: SourceWarning[] = [];
  source.warnings$?.subscribe((w) => warnings.push(w));
  let records = 0;
  let asked = 0;
  const subscription = source.pipe(commitEpochs(source)).subscribe({
    next: (event) => {
      if (event.type === 'barrier') return;
      records += event.records.length;
      if ((records >= 5 && asked === 0) || (records >= 25 && asked === 1)) {
        asked++;
        barriers.next();
      }
    },
  });
  try {
    // Epoch 1 commits at once: the committer connects and commits (so from here on a commit
    // takes milliseconds, and an early one could not hide in the wait below).
    const epoch1 = await groupReaches(brokers, group, topic, await waitForSnapshot(memory, 'kafka-lag-durable', 1));
    assert.deepEqual(epoch1, snapshotOffsets(memory, 'kafka-lag-durable', 1));
    await holding;
    const epoch2 = snapshotOffsets(memory, 'kafka-lag-durable', 2);
    assert.notDeepEqual(epoch2, epoch1);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.deepEqual(await groupOffsets(brokers, group, topic), epoch1, "epoch 2's barrier passed, its commit is not durable: the group still holds epoch 1");
    release!();
    assert.deepEqual(await groupReaches(brokers, group, topic, epoch2), epoch2);
  } finally {
    release?.();
    subscription.unsubscribe();
    await source.closed();
  }
  assert.deepEqual(warnings, []);
});

/** Waits until the snapshot of `epoch` is in the store; its positions. */
async function waitForSnapshot(store: MemoryStore, source: string, epoch: number): Promise<Map<number, string>> {
  for (let i = 0; i < 200 && store.get(checkpointKeys.snapshot(source, epoch)) === undefined; i++) await new Promise((resolve) => setTimeout(resolve, 50));
  return snapshotOffsets(store, source, epoch);
}

test('committers sharing a group (processes sharing a source) commit side by side: every commit is taken, the group never has a member', async (t) => {
  const peer = await filledTopic(t, 'kafka-lag-side', 4, 1);
  if (peer === undefined) return;
  const { brokers, topic, group } = peer;
  const config = { ...resolveKafkaConfig({ name: 'kafka-lag-side', topic, brokers }), consumerGroup: group };
  const clients = [testKafka(brokers), testKafka(brokers)];
  // Each holds two partitions, as two processes sharing the source would. Committing as group
  // members, each one's joining or leaving refused the other's commits (REBALANCE_IN_PROGRESS).
  const committers = clients.map((kafka) => new KafkaLagCommitter(config, { client: () => Promise.resolve(kafka) }));
  const members: number[] = [];
  for (let round = 1; round <= 10; round++) {
    await Promise.all(
      committers.map((c, k) => c.commit([0, 1].map((i): LagOffset => ({ topic, partition: 2 * k + i, offset: String(round * 10 + 2 * k + i) })))),
    );
    // A committer closed and another opened mid-way: what a process leaving and one joining does.
    if (round === 5) {
      await committers[0]!.idle();
      committers[0] = new KafkaLagCommitter(config, { client: () => Promise.resolve(clients[0]!) });
    }
    const [described] = (await withAdmin(brokers, (admin) => admin.describeGroups([group]))).groups;
    members.push(described?.members.length ?? -1);
  }
  await Promise.all(committers.map((c) => c.idle()));
  assert.deepEqual(await groupOffsets(brokers, group, topic), new Map([[0, '100'], [1, '101'], [2, '102'], [3, '103']]));
  assert.deepEqual(members, Array(10).fill(0));
});

test('a lag group that has a member of its own (another consumer uses it): a warning naming the group and what to do, once; reading goes on', async (t) => {
  const peer = await filledTopic(t, 'kafka-lag-taken', 2, 5);
  if (peer === undefined) return;
  const { brokers, topic, group } = peer;
  const other = testKafka(brokers).consumer({ groupId: group });
  await other.connect();
  t.after(() => other.disconnect());
  await other.subscribe({ topic });
  let joined: () => void;
  const joining = new Promise<void>((resolve) => (joined = resolve));
  other.on(other.events.GROUP_JOIN, () => joined());
  await other.run({ autoCommit: false, eachMessage: () => new Promise(() => undefined) });
  await joining;
  const store = new MemoryStore();
  const barriers = new Subject<void>();
  const source = createKafkaSource({ name: 'kafka-lag-taken', topic, brokers, store, barriers, consumerGroup: group, boundedMode: 'latest', maxPartitionFetchBytes: 64 });
  const warnings: SourceWarning[] = [];
  source.warnings$?.subscribe((w) => warnings.push(w));
  let records = 0;
  await new Promise<void>((resolve, reject) => {
    source.pipe(commitEpochs(source)).subscribe({
      next: (event) => {
        if (event.type === 'barrier') return;
        records += event.records.length;
        barriers.next();
      },
      error: reject,
      complete: resolve,
    });
  });
  await source.closed();
  assert.equal(records, 10);
  assert.equal(warnings.length, 1, warnings.map((w) => w.message).join('\n'));
  assert.match(warnings[0]!.message, new RegExp(`consumer group '${group}'.*the group has members: another consumer uses it; give the source a group of its own, kafka\\.consumer\\.group`));
  // Nothing reached the group: its member's offsets (none) are what it holds.
  assert.deepEqual(await groupOffsets(brokers, group, topic), new Map([[0, '-1'], [1, '-1']]));
});
