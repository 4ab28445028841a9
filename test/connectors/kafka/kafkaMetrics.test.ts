import assert from 'node:assert/strict';
import { test } from 'node:test';
import { tap } from 'rxjs';
import { commitEpochs } from '../../../src/core/commitEpochs.js';
import type { SourceMetrics } from '../../../src/core/SourceMetrics.js';
import { createKafkaSource } from '../../../src/connectors/kafka/createKafkaSource.js';
import { createTopic, needKafka, uniqueTopic, withProducer } from '../../support/kafka.js';
import { readUntil, text } from '../../support/kafkaSource.js';

const value = (i: number): string => `metrics-${i}`.padEnd(30, '.');

/**
 * Produces `count` records to `partition` in producer batches of 20: a fetch returns at least
 * one whole producer batch, so this is what keeps chunks small.
 */
async function produceSmallBatches(brokers: string, topic: string, partition: number, count: number, first = 0): Promise<void> {
  await withProducer(brokers, async (producer) => {
    for (let at = 0; at < count; at += 20) {
      const size = Math.min(20, count - at);
      await producer.send({ topic, messages: Array.from({ length: size }, (_, i) => ({ partition, value: value(first + at + i) })) });
    }
  });
}

test('Kafka lag per partition is the high watermark minus the position of each chunk; bytes are the payloads read', async (t) => {
  const brokers = await needKafka(t);
  if (brokers === undefined) return;
  const topic = uniqueTopic('metrics-lag');
  await createTopic(brokers, topic, 2);
  await produceSmallBatches(brokers, topic, 0, 600);
  await produceSmallBatches(brokers, topic, 1, 300, 1000);
  // Small fetches: the first chunk of partition 0 sees almost all of its 600 records ahead.
  const source = createKafkaSource({ name: 'metrics-lag', topic, brokers, maxPartitionFetchBytes: 1024, fetchMaxWaitMs: 100, consumerGroup: false });
  const lagPlusNext: number[] = [];
  let firstLag = -1;
  const records = await readUntil(
    source.pipe(
      // The chunk goes out synchronously from the fetch that measured the lag (MemoryStore writes
      // never hold output back), so lag + the chunk's nextOffset is the high watermark: 600 or 300.
      tap((event) => {
        if (event.type !== 'chunk' || event.records.length === 0) return;
        const split = source.metrics().splits.find((s) => s.split === event.splitId);
        assert.equal(split?.lag?.unit, 'records');
        if (firstLag < 0 && event.splitId.endsWith('-0')) firstLag = split?.lag?.value ?? -1;
        lagPlusNext.push((split?.lag?.value ?? NaN) + Number(event.nextOffset));
      }),
      commitEpochs(source),
    ),
    (got) => got.length >= 900,
  );
  assert.equal(records.length, 900);
  const ends = new Set(lagPlusNext);
  assert.deepEqual([...ends].sort((a, b) => a - b), [300, 600], `lag + position is always a partition's end: ${[...ends].join(', ')}`);
  assert.ok(firstLag > 500, `the first chunk of partition 0 sees most of the partition ahead (lag ${firstLag})`);
  const metrics = source.metrics();
  assert.equal(metrics.rows, 900);
  assert.equal(metrics.bytes, records.reduce((sum, r) => sum + (r.payload?.length ?? 0), 0));
  assert.equal(metrics.bytes, 900 * 30);
  assert.deepEqual(metrics.splits.map((s) => [s.rows, s.lag?.value]).sort(), [[300, 0], [600, 0]]);
  await source.closed();
});

test('Kafka under a rate limit: paced at the limit, raised while running, nothing lost or repeated, lag visible while held back', async (t) => {
  const brokers = await needKafka(t);
  if (brokers === undefined) return;
  const topic = uniqueTopic('metrics-rate');
  await createTopic(brokers, topic, 1);
  await produceSmallBatches(brokers, topic, 0, 1200);
  const source = createKafkaSource({ name: 'metrics-rate', topic, brokers, maxPartitionFetchBytes: 2048, fetchMaxWaitMs: 100, consumerGroup: false, rateLimit: 400 });
  const started = Date.now();
  let raisedAt = 0;
  let rowsAtRaise = 0;
  let lagWhileLimited: SourceMetrics | undefined;
  const records = await readUntil(
    source.pipe(
      tap((event) => {
        if (event.type !== 'chunk') return;
        const m = source.metrics();
        if (raisedAt === 0 && m.rows >= 400) {
          lagWhileLimited = m;
          raisedAt = Date.now();
          rowsAtRaise = m.rows;
          source.setRateLimit(null);
        }
      }),
      commitEpochs(source),
    ),
    (got) => got.length >= 1200,
  );
  const ended = Date.now();
  await source.closed();
  const texts = records.map(text);
  assert.equal(texts.length, 1200);
  assert.deepEqual(texts, Array.from({ length: 1200 }, (_, i) => value(i)), 'every record once, in order');
  const limitedMs = raisedAt - started;
  const restMs = ended - raisedAt;
  t.diagnostic(`first ${rowsAtRaise} rows at 400 rows/s took ${limitedMs} ms; the other ${1200 - rowsAtRaise} unlimited took ${restMs} ms`);
  // 400 rows at 400/s from an empty bucket: about a second less one chunk (~20-60 records).
  assert.ok(limitedMs >= 700, `the limit held the first rows back (${limitedMs} ms)`);
  assert.ok(restMs < limitedMs, `lifting the limit sped the rest up (${restMs} ms vs ${limitedMs} ms)`);
  const lag = lagWhileLimited?.splits[0]?.lag?.value ?? 0;
  assert.ok(lag > 0, `while limited the partition shows lag (${lag})`);
  assert.equal(lagWhileLimited?.rateLimit, 400);
});
