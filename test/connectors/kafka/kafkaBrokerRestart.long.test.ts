import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import type { SourceMessage } from '../../../src/core/SourceMessage.js';
import { createKafkaSource } from '../../../src/connectors/kafka/createKafkaSource.js';
import { kafkaRetryBudgetMs } from '../../../src/connectors/kafka/loadKafkaJs.js';
import type { KafkaOptions } from '../../../scripts/peers/kafka.mjs';
import { createTopic, produce, uniqueTopic, withAdmin } from '../../support/kafka.js';
import { freeBrokerPorts, needOwnKafka, type OwnKafka } from '../../support/kafkaOwnBroker.js';
import { bySplit } from '../../support/kafkaSource.js';

// A broker of this file's own (free ports, its own data dir), so that bouncing it cannot disturb
// tests that share the main one, nor another copy of this file. Started by the first test that
// needs it (ports chosen then), removed at the end.
let instance: Promise<KafkaOptions> | undefined;
const ownInstance = () => (instance ??= freeBrokerPorts().then((port) => ({ instance: `kafka-restart-${process.pid}`, port })));
let own: OwnKafka | undefined;
after(() => own?.clean());

test('the broker stopped and restarted mid-stream: reading resumes with nothing lost or repeated, and discovery goes on', { timeout: 240_000 }, async (t) => {
  own = await needOwnKafka(t, await ownInstance());
  if (own === undefined) return;
  const broker = own;
  const { brokers } = broker;
  const topic = uniqueTopic('bounce');
  await createTopic(brokers, topic, 2);
  const batch = (prefix: string) => Array.from({ length: 60 }, (_, i) => ({ partition: i % 2, value: `${prefix}-${i}` }));
  await produce(brokers, topic, batch('before'));
  const added = Array.from({ length: 5 }, (_, i) => ({ partition: 2, value: `added-${i}` }));

  const source = createKafkaSource({ name: 'bounce', topic, brokers, consumerGroup: false, partitionDiscoveryIntervalMs: 1000 });
  const received: SourceMessage[] = [];
  let phase: 'before' | 'bouncing' | 'after' = 'before';
  const bounced = new Promise<void>((resolve, reject) => {
    const subscription = source.subscribe({
      next: (event) => {
        if (event.type !== 'chunk') return;
        received.push(...event.records);
        if (phase === 'before' && received.length >= 60) {
          phase = 'bouncing';
          (async () => {
            const down = Date.now();
            await broker.stop();
            await broker.start();
            t.diagnostic(`broker away for ${Date.now() - down} ms`);
            await produce(brokers, topic, batch('after'));
            // Discovery polled (every second) while the broker was away: it still finds a partition added now.
            await withAdmin(brokers, (admin) => admin.createPartitions({ topicPartitions: [{ topic, count: 3 }] }));
            await produce(brokers, topic, added);
            phase = 'after';
          })().catch(reject);
        }
        if (received.length >= 125) {
          subscription.unsubscribe();
          resolve();
        }
      },
      error: reject,
    });
  });
  await bounced;
  await source.closed();
  assert.equal(phase, 'after');
  const values = (prefix: string, p: number) => batch(prefix).filter((m) => m.partition === p).map((m) => m.value);
  assert.deepEqual(
    bySplit(received),
    new Map([
      [`${topic}-0`, [...values('before', 0), ...values('after', 0)]],
      [`${topic}-1`, [...values('before', 1), ...values('after', 1)]],
      [`${topic}-2`, added.map((m) => m.value)],
    ]),
  );
});

// Last in the file: the broker does not come back.
test('the broker dies mid-run and never returns: the source fails within its retry budget, naming the endpoint', { timeout: 300_000 }, async (t) => {
  own = await needOwnKafka(t, await ownInstance());
  if (own === undefined) return;
  const broker = own;
  const { brokers } = broker;
  const topic = uniqueTopic('death');
  await createTopic(brokers, topic, 2);
  await produce(brokers, topic, Array.from({ length: 10 }, (_, i) => ({ partition: i % 2, value: `v${i}` })));
  // Discovery as often as the default allows it to matter: every 30 s.
  const source = createKafkaSource({ name: 'orphan', topic, brokers, consumerGroup: false });
  let killedAt = 0;
  const error = await new Promise<Error>((resolve, reject) => {
    let received = 0;
    source.subscribe({
      next: (event) => {
        if (event.type !== 'chunk') return;
        received += event.records.length;
        if (received === 10 && killedAt === 0) {
          killedAt = Date.now();
          broker.stop(0).catch(reject); // SIGTERM then SIGKILL at once
        }
      },
      error: resolve,
      complete: () => reject(new Error('completed')),
    });
  });
  const ms = Date.now() - killedAt;
  await source.closed();
  // The consumer gives up after one retry budget, is restarted once (a broker may be coming
  // back), and gives up for good after a second one; slack for a loaded machine.
  const bound = 2 * kafkaRetryBudgetMs() + 15_000;
  t.diagnostic(`failed ${ms} ms after the broker was killed (bound ${bound} ms): ${error.message}`);
  assert.ok(killedAt > 0);
  assert.ok(ms < bound, `failed after ${ms} ms, bound ${bound} ms`);
  assert.match(error.message, /^source 'orphan'/);
  assert.ok(error.message.includes(brokers), error.message);
  assert.match(error.message, /cannot reach Kafka brokers/);
});
