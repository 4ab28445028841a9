import assert from 'node:assert/strict';
import { test } from 'node:test';
import { concatMap, map, tap, timer } from 'rxjs';
import { commitEpochs } from '../../../src/core/commitEpochs.js';
import type { SourceEvent } from '../../../src/core/SourceEvent.js';
import type { SourceMessage } from '../../../src/core/SourceMessage.js';
import { createKafkaSource } from '../../../src/connectors/kafka/createKafkaSource.js';
import { createTopic, needKafka, uniqueTopic, withProducer } from '../../support/kafka.js';
import { text } from '../../support/kafkaSource.js';

test('a slow subscriber pauses fetching: records in flight stay near the high-water mark', async (t) => {
  const brokers = await needKafka(t);
  if (brokers === undefined) return;
  const topic = uniqueTopic('slow');
  await createTopic(brokers, topic, 2);
  // Many small producer batches: a fetch returns at least one whole producer batch, so batch
  // size bounds chunk size.
  const total = 2 * 40 * 25;
  await withProducer(brokers, async (producer) => {
    for (let b = 0; b < 40; b++) {
      await producer.send({
        topic,
        messages: Array.from({ length: 50 }, (_, i) => ({ partition: i % 2, value: `v${b * 50 + i}`.padEnd(40, '.') })),
      });
    }
  });
  const highWaterMark = 100;
  const source = createKafkaSource({ name: 'slow', topic, brokers, highWaterMark, maxPartitionFetchBytes: 1024, fetchMaxWaitMs: 100, consumerGroup: false });
  let emitted = 0;
  let acknowledged = 0;
  let maxInFlight = 0;
  let maxChunk = 0;
  const received: string[] = [];
  await new Promise<void>((resolve, reject) => {
    const subscription = source
      .pipe(
        tap((event) => {
          if (event.type !== 'chunk') return;
          emitted += event.records.length;
          maxChunk = Math.max(maxChunk, event.records.length);
          maxInFlight = Math.max(maxInFlight, emitted - acknowledged);
        }),
        // The slow part: every chunk takes a while; concatMap queues what waits (the buffer
        // that flow control must keep small).
        concatMap((event: SourceEvent<SourceMessage>) => timer(event.type === 'chunk' && event.records.length > 0 ? 15 : 0).pipe(map(() => event))),
        commitEpochs(source),
        tap((event) => {
          if (event.type !== 'chunk') return;
          acknowledged += event.records.length;
          received.push(...event.records.map(text));
        }),
      )
      .subscribe({
        next: () => {
          if (received.length >= total) {
            subscription.unsubscribe();
            resolve();
          }
        },
        error: reject,
      });
  });
  await source.closed();
  t.diagnostic(`largest chunk ${maxChunk}, most records in flight ${maxInFlight}`);
  assert.equal(received.length, total);
  assert.equal(new Set(received).size, total);
  // Pausing acts between fetches: once over the mark, at most the fetches already under way
  // (one chunk per partition) arrive.
  assert.ok(maxChunk <= 60, `chunks are bounded by the fetch size (largest: ${maxChunk})`);
  assert.ok(maxInFlight <= highWaterMark + 3 * maxChunk, `in flight at most ${maxInFlight}, high-water mark ${highWaterMark}, chunk ${maxChunk}`);
});
