import assert from 'node:assert/strict';
import { test } from 'node:test';
import { commitEpochs } from '../../../src/core/commitEpochs.js';
import { createPulsarSource } from '../../../src/connectors/pulsar/createPulsarSource.js';
import { createFormat } from '../../../src/formats/createFormat.js';
import { addPartitions, createTopic, jsonMessages, needPulsar, partitionOf, produce, uniqueTopic } from '../../support/pulsar.js';
import { byPartition, concat, eventually, expected, readerAttached, readUntil } from './pulsarHelpers.js';

const json = () => createFormat('json');

test('a non-partitioned topic from earliest: one split, in order, with key, properties, publish and event time', async (t) => {
  const adminUrl = await needPulsar(t);
  if (adminUrl === undefined) return;
  const topic = uniqueTopic('plain');
  await createTopic(adminUrl, topic, 0);
  const eventTime = Date.UTC(2024, 0, 2, 3, 4, 5);
  const before = Date.now();
  await produce(adminUrl, topic, -1, [
    { value: JSON.stringify({ p: -1, i: 0, tag: 'm' }), key: 'first', properties: { origin: 'test', n: '0' }, eventTime },
    ...jsonMessages(-1, 19, 'm', 1),
  ]);
  const source = createPulsarSource({
    name: 'plain',
    topic,
    adminUrl,
    format: json(),
    include: [
      { field: 'key', column: 'k' },
      { field: 'properties', column: 'props' },
      { field: 'publish_time', column: 'published' },
      { field: 'event_time', column: 'event' },
      { field: 'message_id', column: 'id' },
      { field: 'partition', column: 'part' },
    ],
  });
  const rows = await readUntil(source, (r) => r.length >= 20);
  assert.deepEqual(byPartition(rows), expected([-1], 20));
  const first = rows[0]!;
  assert.equal(first['k'], 'first');
  assert.deepEqual(first['props'], { origin: 'test', n: '0' });
  assert.equal(first['event'], eventTime);
  assert.ok(typeof first['published'] === 'number' && first['published'] >= before - 1000 && first['published'] <= Date.now() + 1000, `publish time ${String(first['published'])}`);
  assert.equal(first['part'], -1);
  assert.equal(rows[1]!['event'], null, 'no event time set: null');
  assert.equal(rows[1]!['k'], 'k-1-1');
  assert.equal(new Set(rows.map((r) => r['id'])).size, 20, 'every message id differs');
});

test('a partitioned topic from earliest: one split per partition, each in order', async (t) => {
  const adminUrl = await needPulsar(t);
  if (adminUrl === undefined) return;
  const topic = uniqueTopic('parts');
  await createTopic(adminUrl, topic, 3);
  for (const p of [0, 1, 2]) await produce(adminUrl, topic, p, jsonMessages(p, 15));
  const source = createPulsarSource({ name: 'parts', topic, adminUrl, format: json() });
  const rows = await readUntil(source, (r) => r.length >= 45);
  assert.deepEqual(byPartition(rows), expected([0, 1, 2], 15));
  // Unsubscribed: every reader connection is closed, and the broker drops its readers.
  for (const p of [0, 1, 2]) await eventually(`no reader left on partition ${p}`, async () => !(await readerAttached(adminUrl, partitionOf(topic, p))));
});

test('splits are the partitions, named by their full topic names', async (t) => {
  const adminUrl = await needPulsar(t);
  if (adminUrl === undefined) return;
  const topic = uniqueTopic('ids');
  await createTopic(adminUrl, topic, 2);
  for (const p of [0, 1]) await produce(adminUrl, topic, p, jsonMessages(p, 3));
  const source = createPulsarSource({ name: 'ids', topic: `persistent://public/default/${topic}`, adminUrl, format: json() });
  const splits = new Map<string, number>();
  await new Promise<void>((resolve, reject) => {
    const subscription = source.subscribe({
      next: (event) => {
        if (event.type !== 'chunk') return;
        for (const row of event.records) splits.set(event.splitId, Number(row['p']));
        if ([...splits.keys()].length === 2) {
          subscription.unsubscribe();
          resolve();
        }
      },
      error: reject,
    });
  });
  assert.deepEqual(new Map([...splits].sort()), new Map([[partitionOf(topic, 0), 0], [partitionOf(topic, 1), 1]]));
});

for (const partitions of [0, 2]) {
  test(`from latest (${partitions === 0 ? 'non-partitioned' : 'partitioned'}): only messages published after the start are read`, async (t) => {
    const adminUrl = await needPulsar(t);
    if (adminUrl === undefined) return;
    const topic = uniqueTopic('latest');
    await createTopic(adminUrl, topic, partitions);
    const parts = partitions === 0 ? [-1] : [0, 1];
    for (const p of parts) await produce(adminUrl, topic, p, jsonMessages(p, 5, 'old'), true);
    const source = createPulsarSource({ name: 'latest', topic, adminUrl, format: json(), startupMode: 'latest' });
    const reading = readUntil(source, (r) => r.length >= 4 * parts.length);
    // The start is resolved when the partitions are listed; readers attach right after.
    for (const p of parts) await eventually(`a reader on ${partitionOf(topic, p)}`, () => readerAttached(adminUrl, partitionOf(topic, p)));
    for (const p of parts) await produce(adminUrl, topic, p, jsonMessages(p, 4, 'new'));
    const rows = await reading;
    assert.deepEqual(byPartition(rows), expected(parts, 4, 'new'));
  });
}

test('from a timestamp: the first message published at or after it (the batch entry before it, which the broker sends again, is skipped across takes)', async (t) => {
  const adminUrl = await needPulsar(t);
  if (adminUrl === undefined) return;
  const topic = uniqueTopic('ts');
  await createTopic(adminUrl, topic, 0);
  // Two full batch entries of five: the broker sends the whole entry before the timestamp's again
  // (a start id without a batch index), which with receiverQueueSize 2 spans several takes.
  await produce(adminUrl, topic, -1, jsonMessages(-1, 10, 'old'), true);
  await new Promise((r) => setTimeout(r, 50));
  const startAt = Date.now();
  await new Promise((r) => setTimeout(r, 50));
  await produce(adminUrl, topic, -1, jsonMessages(-1, 7, 'new'), true);
  const source = createPulsarSource({ name: 'ts', topic, adminUrl, format: json(), startupMode: 'timestamp', startupTimestampMs: startAt, receiverQueueSize: 2 });
  const { tap } = await import('rxjs');
  let emptyChunks = 0;
  const rows = await readUntil(source.pipe(tap((e) => (e.type === 'chunk' && e.records.length === 0 ? emptyChunks++ : undefined))), (r) => r.length >= 7);
  assert.deepEqual(byPartition(rows), expected([-1], 7, 'new'));
  // Skipped messages are no position: a checkpoint among them would resume past the timestamp's check.
  assert.equal(emptyChunks, 0, 'no chunk positions the split among the skipped messages');
});

test('partitions added while reading are discovered and read from their beginning', async (t) => {
  const adminUrl = await needPulsar(t);
  if (adminUrl === undefined) return;
  const topic = uniqueTopic('grow');
  await createTopic(adminUrl, topic, 2);
  for (const p of [0, 1]) await produce(adminUrl, topic, p, jsonMessages(p, 3));
  // `latest` must not apply to partitions that appear later: all their messages are new.
  const source = createPulsarSource({ name: 'grow', topic, adminUrl, format: json(), startupMode: 'latest', partitionDiscoveryIntervalMs: 200 });
  const reading = readUntil(source, (r) => r.length >= 4 + 6);
  for (const p of [0, 1]) await eventually('readers attached', () => readerAttached(adminUrl, partitionOf(topic, p)));
  for (const p of [0, 1]) await produce(adminUrl, topic, p, jsonMessages(p, 2, 'new'));
  await addPartitions(adminUrl, topic, 4);
  // Published before any reader of the new partitions exists: read all the same.
  for (const p of [2, 3]) await produce(adminUrl, topic, p, jsonMessages(p, 3, 'added'));
  const rows = await reading;
  assert.deepEqual(byPartition(rows), concat(expected([0, 1], 2, 'new'), expected([2, 3], 3, 'added')));
});

test('bounded mode latest: stops at the last message of each partition at the start, then completes', async (t) => {
  const adminUrl = await needPulsar(t);
  if (adminUrl === undefined) return;
  const topic = uniqueTopic('bounded');
  await createTopic(adminUrl, topic, 3);
  await produce(adminUrl, topic, 0, jsonMessages(0, 12), true); // ends inside batch entries
  await produce(adminUrl, topic, 1, jsonMessages(1, 4));
  // partition 2 stays empty
  const source = createPulsarSource({ name: 'bounded', topic, adminUrl, format: json(), bounded: true, receiverQueueSize: 3 });
  let completed = false;
  const rows: Record<string, unknown>[] = [];
  let late = false;
  await new Promise<void>((resolve, reject) => {
    source.pipe(commitEpochs(source)).subscribe({
      next: (event) => {
        if (event.type !== 'chunk') return;
        rows.push(...event.records);
        // Published after the start: beyond the bound, never read.
        if (!late) {
          late = true;
          produce(adminUrl, topic, 0, jsonMessages(0, 3, 'late')).catch(reject);
        }
      },
      error: reject,
      complete: () => {
        completed = true;
        resolve();
      },
    });
  });
  assert.ok(completed);
  assert.deepEqual(byPartition(rows), expected([0, 1], 12).set(1, expected([1], 4).get(1)!));
});

test('a restart resumes from the last committed epoch: nothing lost, nothing twice, across partitions', async (t) => {
  const adminUrl = await needPulsar(t);
  if (adminUrl === undefined) return;
  const { Subject } = await import('rxjs');
  const { MemoryStore } = await import('../../../src/state/MemoryStore.js');
  const topic = uniqueTopic('restart');
  await createTopic(adminUrl, topic, 3);
  for (const p of [0, 1, 2]) await produce(adminUrl, topic, p, jsonMessages(p, 10));
  const store = new MemoryStore();
  const barriers = new Subject<void>();
  const source = () => createPulsarSource({ name: 'restart', topic, adminUrl, format: json(), store, barriers, receiverQueueSize: 2 });

  const first = source();
  const delivered1: Record<string, unknown>[] = [];
  await new Promise<void>((resolve, reject) => {
    let pending: Record<string, unknown>[] = [];
    let requested = false;
    const subscription = first.pipe(commitEpochs(first)).subscribe({
      next: (event) => {
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
  assert.ok(delivered1.length >= 12 && delivered1.length < 30, `run 1 delivered ${delivered1.length}`);
  for (const p of [0, 1, 2]) await produce(adminUrl, topic, p, jsonMessages(p, 5, 'late'));

  const second = source();
  const delivered2 = await readUntil(second.pipe(commitEpochs(second)), (r) => delivered1.length + r.length >= 45);
  const all = [...delivered1, ...delivered2].map((r) => `${String(r['p'])}/${String(r['tag'])}:${String(r['i'])}`);
  assert.equal(new Set(all).size, all.length, 'no message delivered twice');
  assert.deepEqual(byPartition([...delivered1, ...delivered2]), concat(expected([0, 1, 2], 10), expected([0, 1, 2], 5, 'late')));
});

test('bad payloads: skipped and counted under `skip`; under `fail` the error names source, split and message id', async (t) => {
  const adminUrl = await needPulsar(t);
  if (adminUrl === undefined) return;
  const { SourceError } = await import('../../../src/core/SourceError.js');
  const topic = uniqueTopic('bad');
  await createTopic(adminUrl, topic, 0);
  const ids = await produce(adminUrl, topic, -1, [...jsonMessages(-1, 3), { value: '{"p": -1, "i": not json' }, ...jsonMessages(-1, 3, 'm', 3)]);
  const skipping = createPulsarSource({ name: 'bad-skip', topic, adminUrl, format: json(), badRecords: 'skip' });
  const rows = await readUntil(skipping, (r) => r.length >= 6);
  assert.deepEqual(byPartition(rows), expected([-1], 6));
  assert.equal(skipping.badRecordStats.skipped, 1);

  const failing = createPulsarSource({ name: 'bad-fail', topic, adminUrl, format: json() });
  const failure = await new Promise<unknown>((resolve) => failing.subscribe({ error: resolve, complete: () => resolve(new Error('completed')) }));
  assert.ok(failure instanceof SourceError, String(failure));
  assert.equal(failure.source, 'bad-fail');
  assert.equal(failure.split, partitionOf(topic, -1));
  // The position is the bad message's own id (the producer's and the reader's spelling of an id differ in optional fields).
  const { decodeMessageId } = await import('../../../src/connectors/pulsar/messageId.js');
  const at = decodeMessageId(failure.offset!);
  const bad = decodeMessageId(ids[3]!);
  assert.deepEqual([at.ledgerId, at.entryId], [bad.ledgerId, bad.entryId]);
});

test('bounded mode with startup latest: nothing to read, completes at once (does not wait for a message past the end)', async (t) => {
  const adminUrl = await needPulsar(t);
  if (adminUrl === undefined) return;
  const topic = uniqueTopic('bounded-latest');
  await createTopic(adminUrl, topic, 2);
  await produce(adminUrl, topic, 0, jsonMessages(0, 7), true);
  await produce(adminUrl, topic, 1, jsonMessages(1, 3));
  const source = createPulsarSource({ name: 'bounded-latest', topic, adminUrl, format: json(), bounded: true, startupMode: 'latest' });
  const rows = await readUntil(source.pipe(commitEpochs(source)), () => false, 20_000);
  assert.deepEqual(rows, []);
});
