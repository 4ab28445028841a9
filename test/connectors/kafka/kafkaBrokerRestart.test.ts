import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import type { SourceMessage } from '../../../src/core/SourceMessage.js';
import { createKafkaSource } from '../../../src/connectors/kafka/createKafkaSource.js';
import { cleanKafka, startKafka, stopKafka, upKafka, type KafkaOptions } from '../../../scripts/peers/kafka.mjs';
import { createTopic, needKafka, produce, uniqueTopic } from '../../support/kafka.js';
import { bySplit } from '../../support/kafkaSource.js';

// A broker of this test's own (other ports, other data dir), so that bouncing it cannot disturb
// tests that share the main one.
const instance: KafkaOptions = { instance: 'kafka-restart-test', port: 19192, quiet: true };

const javaAvailable = spawnSync('java', ['-version']).status === 0;

test('the broker stopped and restarted mid-stream: reading resumes with nothing lost or repeated', async (t) => {
  // Needs what `npm run peers:up` needs (Java, the jar cache); the shared broker tells us it ran.
  if ((await needKafka(t)) === undefined) return;
  if (!javaAvailable) {
    t.skip('java is not installed');
    return;
  }
  t.after(() => cleanKafka(instance));
  const { brokers } = await upKafka(instance);
  const topic = uniqueTopic('bounce');
  await createTopic(brokers, topic, 2);
  const batch = (prefix: string) => Array.from({ length: 60 }, (_, i) => ({ partition: i % 2, value: `${prefix}-${i}` }));
  await produce(brokers, topic, batch('before'));

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
            await stopKafka(instance);
            await startKafka(instance);
            await produce(brokers, topic, batch('after'));
            phase = 'after';
          })().catch(reject);
        }
        if (received.length >= 120) {
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
    ]),
  );
});
