import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { test } from 'node:test';
import type { Observable } from 'rxjs';
import type { SourceEvent } from '../../../src/core/SourceEvent.js';
import type { SourceMessage } from '../../../src/core/SourceMessage.js';
import { createKafkaSource, type KafkaSource } from '../../../src/connectors/kafka/createKafkaSource.js';
import { KAFKA_REQUEST_TIMEOUT_MS, kafkaRetryBudgetMs } from '../../../src/connectors/kafka/loadKafkaJs.js';
import { closedPort, createTopic, needKafka, produce, uniqueTopic, withAdmin } from '../../support/kafka.js';

/** Subscribes until the source errors; resolves the error and how long it took. Records and barriers are counted. */
function failure<T>(events: Observable<SourceEvent<T>>): Promise<{ error: Error; ms: number; records: number }> {
  const started = Date.now();
  let records = 0;
  return new Promise((resolve, reject) => {
    events.subscribe({
      next: (event) => {
        if (event.type === 'chunk') records += event.records.length;
      },
      error: (error: Error) => resolve({ error, ms: Date.now() - started, records }),
      complete: () => reject(new Error('the source completed instead of failing')),
    });
  });
}

// One retried operation (the enumerator's first metadata request) decides: its budget, plus
// slack for a loaded machine.
const bound = kafkaRetryBudgetMs() + 5_000;

test('a listener that accepts connections and never answers fails within the request timeout plus the retry budget', { timeout: 120_000 }, async (t) => {
  const sockets: Socket[] = [];
  const server = createServer((socket) => {
    sockets.push(socket);
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    for (const socket of sockets) socket.destroy();
    server.close();
  });
  const { port } = server.address() as { port: number };
  const source = createKafkaSource({ name: 'mute', topic: 'orders', brokers: `127.0.0.1:${port}`, consumerGroup: false });
  const { error, ms } = await failure(source);
  await source.closed();
  const limit = KAFKA_REQUEST_TIMEOUT_MS + kafkaRetryBudgetMs() + 5_000;
  t.diagnostic(`failed after ${ms} ms (bound ${limit} ms), ${sockets.length} connection(s): ${error.message}`);
  assert.ok(sockets.length > 0, 'the client connected');
  assert.ok(ms < limit, `failed after ${ms} ms, bound ${limit} ms`);
  assert.match(error.message, new RegExp(`^source 'mute': cannot reach Kafka brokers 127\\.0\\.0\\.1:${port}: connected, but no answer`));
});

// CREATE SOURCE on a closed port, through the CLI: kafkaSecrets.test.ts.
test('createKafkaSource on a closed port fails within the retry budget, naming the source and the endpoint', { timeout: bound + 30_000 }, async (t) => {
  const port = await closedPort();
  const source = createKafkaSource({ name: 'nowhere', topic: 'orders', brokers: `127.0.0.1:${port}`, consumerGroup: false });
  const { error, ms, records } = await failure(source);
  await source.closed();
  t.diagnostic(`failed after ${ms} ms (bound ${bound} ms)`);
  assert.ok(ms < bound, `failed after ${ms} ms, bound ${bound} ms`);
  assert.equal(records, 0);
  assert.match(error.message, /^source 'nowhere': /);
  assert.ok(error.message.includes(`127.0.0.1:${port}`), error.message);
  assert.match(error.message, /cannot reach/i);
});

test('a topic that does not exist fails within the retry budget, naming the topic and the source', { timeout: bound + 30_000 }, async (t) => {
  const brokers = await needKafka(t);
  if (brokers === undefined) return;
  const topic = uniqueTopic('missing');
  for (const boundedMode of ['unbounded', 'latest'] as const) {
    const source: KafkaSource<SourceMessage> = createKafkaSource({ name: 'missing', topic, brokers, boundedMode, consumerGroup: false });
    const { error, ms } = await failure(source);
    await source.closed();
    t.diagnostic(`${boundedMode}: failed after ${ms} ms`);
    assert.ok(ms < bound, `failed after ${ms} ms, bound ${bound} ms`);
    assert.match(error.message, new RegExp(`^source 'missing': topic '${topic}' does not exist`));
    assert.ok(error.message.includes(brokers), error.message);
  }
});

test('a topic deleted while being read fails the source, naming the topic and the partition', { timeout: 60_000 }, async (t) => {
  const brokers = await needKafka(t);
  if (brokers === undefined) return;
  const topic = uniqueTopic('deleted');
  await createTopic(brokers, topic, 1);
  await produce(brokers, topic, [{ value: 'a' }, { value: 'b' }]);
  // Discovery off: the reader itself must notice (with discovery on, the next poll reports the missing topic).
  const source = createKafkaSource({ name: 'gone', topic, brokers, consumerGroup: false, partitionDiscoveryIntervalMs: 0, retries: 2 });
  let deletedAt = 0;
  const error = await new Promise<Error>((resolve, reject) => {
    source.subscribe({
      next: (event) => {
        if (event.type !== 'chunk' || event.records.length === 0 || deletedAt !== 0) return;
        deletedAt = Date.now();
        withAdmin(brokers, (admin) => admin.deleteTopics({ topics: [topic] })).catch(reject);
      },
      error: resolve,
      complete: () => reject(new Error('completed')),
    });
  });
  const ms = Date.now() - deletedAt;
  await source.closed();
  // The consumer gives up after one budget, is restarted once, gives up again.
  const limit = 2 * kafkaRetryBudgetMs(2) + 10_000;
  t.diagnostic(`failed ${ms} ms after the deletion (bound ${limit} ms): ${error.message}`);
  assert.ok(ms < limit, `failed after ${ms} ms, bound ${limit} ms`);
  assert.match(error.message, new RegExp(`^source 'gone', split '${topic}-0', offset 2: topic '${topic}' \\(partition 0\\) does not exist any more`));
});
