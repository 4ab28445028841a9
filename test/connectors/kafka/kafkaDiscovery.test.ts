import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NEVER } from 'rxjs';
import type { ITopicMetadata } from 'kafkajs';
import { AdminPartitionListing, type DiscoveryAdmin, type KafkaAdminProvider } from '../../../src/connectors/kafka/AdminPartitionListing.js';
import { KafkaEnumerator, MAX_DISCOVERY_FAILURES } from '../../../src/connectors/kafka/KafkaEnumerator.js';
import type { KafkaSplit } from '../../../src/connectors/kafka/KafkaSplit.js';
import { resolveKafkaConfig } from '../../../src/connectors/kafka/KafkaSourceConfig.js';
import type { EnumeratorContext } from '../../../src/core/Enumerator.js';
import { SourceError } from '../../../src/core/SourceError.js';

// Unit tests of the enumerator's retry logic, with a fake admin whose answers are scripted: what
// a broker refusing metadata now and then looks like after kafkajs' own retries. The real-broker
// side (discovery through a broker restart) is in kafkaBrokerRestart.long.test.ts.

/** A kafkajs-like error of the kind kafkajs throws when its retries are used up. */
function refused(): Error {
  const err = new Error('Connection error: connect ECONNREFUSED 127.0.0.1:9');
  err.name = 'KafkaJSNumberOfRetriesExceeded';
  err.cause = Object.assign(new Error('Connection error: connect ECONNREFUSED 127.0.0.1:9'), { name: 'KafkaJSConnectionError' });
  return err;
}

/** Each metadata request takes the next answer: a partition count, or an error. */
function provider(answers: (number | Error)[]): { hub: KafkaAdminProvider; requests: () => number } {
  let requests = 0;
  const admin: DiscoveryAdmin = {
    connect: () => Promise.resolve(),
    disconnect: () => Promise.resolve(),
    fetchTopicOffsets: () => Promise.reject(new Error('not used')),
    fetchTopicMetadata: ({ topics } = { topics: [] }) => {
      const answer = answers[Math.min(requests++, answers.length - 1)]!;
      if (answer instanceof Error) return Promise.reject(answer);
      const metadata: ITopicMetadata[] = (topics ?? []).map((name) => ({
        name,
        partitions: Array.from({ length: answer }, (_, partitionId) => ({ partitionId, partitionErrorCode: 0, leader: 1, replicas: [1], isr: [1] })),
      }));
      return Promise.resolve({ topics: metadata });
    },
  };
  return { hub: { client: () => Promise.resolve({ admin: () => admin }), track: () => undefined }, requests: () => requests };
}

const context: EnumeratorContext<KafkaSplit> = {
  source: 'disc',
  restoredState: undefined,
  restoredSplits: new Map(),
  saveState: () => undefined,
  finished$: NEVER,
};

const config = resolveKafkaConfig({ name: 'disc', topic: 'orders', brokers: '127.0.0.1:9', partitionDiscoveryIntervalMs: 5 });

test(`discovery rides out up to ${MAX_DISCOVERY_FAILURES - 1} failed polls in a row and finds the partitions added meanwhile`, async () => {
  const refusals = Array.from({ length: MAX_DISCOVERY_FAILURES - 1 }, refused);
  // Start: 1 partition; a good poll; then a run of refusals; then 1 more, 1 good poll, the same
  // run again (the count starts over after a success), then 3 partitions.
  const { hub, requests } = provider([1, 1, ...refusals, 2, ...refusals, 3]);
  const sets = await new Promise<number[][]>((resolve, reject) => {
    const seen: number[][] = [];
    const subscription = new KafkaEnumerator(config, () => new AdminPartitionListing(config, hub)).splits(context).subscribe({
      next: (splits) => {
        seen.push(splits.map((s) => s.partition));
        if (splits.length === 3) {
          subscription.unsubscribe();
          resolve(seen);
        }
      },
      error: reject,
    });
  });
  assert.deepEqual(sets, [[0], [0, 1], [0, 1, 2]]);
  assert.equal(requests(), 4 + 2 * refusals.length, "every scripted answer was asked for, none twice");
});

test(`${MAX_DISCOVERY_FAILURES} failed polls in a row fail the source, naming topic, source and brokers`, async () => {
  const { hub, requests } = provider([2, ...Array.from({ length: MAX_DISCOVERY_FAILURES }, refused), 5]);
  const error = await new Promise<Error>((resolve, reject) => {
    new KafkaEnumerator(config, () => new AdminPartitionListing(config, hub)).splits(context).subscribe({ error: resolve, complete: () => reject(new Error('completed')) });
  });
  assert.ok(error instanceof SourceError);
  assert.equal(requests(), 1 + MAX_DISCOVERY_FAILURES);
  assert.equal(
    error.message,
    `source 'disc': partition discovery of topic 'orders' failed ${MAX_DISCOVERY_FAILURES} times in a row: ` +
      'cannot reach Kafka brokers 127.0.0.1:9: Connection error: connect ECONNREFUSED 127.0.0.1:9',
  );
});

test('the first metadata request failing fails at once (no partitions to read meanwhile)', async () => {
  const { hub } = provider([refused()]);
  const error = await new Promise<Error>((resolve, reject) => {
    new KafkaEnumerator(config, () => new AdminPartitionListing(config, hub)).splits(context).subscribe({ error: resolve, complete: () => reject(new Error('completed')) });
  });
  assert.equal(error.message, "source 'disc': cannot reach Kafka brokers 127.0.0.1:9: Connection error: connect ECONNREFUSED 127.0.0.1:9");
});
