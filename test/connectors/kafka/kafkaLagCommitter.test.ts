import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Kafka } from 'kafkajs';
import { KafkaLagCommitter } from '../../../src/connectors/kafka/KafkaLagCommitter.js';
import { resolveKafkaConfig } from '../../../src/connectors/kafka/KafkaSourceConfig.js';

// How the committer reports failures, with a client that cannot be had (a unit test of the
// reporting logic; commits against a real broker are in kafkaLagCommit.test.ts).

const config = { ...resolveKafkaConfig({ name: 's', topic: 't', brokers: '127.0.0.1:9' }), consumerGroup: 'lag-group' };
const unreachable = (message: string) => ({
  client: (): Promise<Kafka> => Promise.reject(Object.assign(new Error(message), { name: 'KafkaJSConnectionError' })),
});
const offsets = [{ topic: 't', partition: 0, offset: '5' }];

test('a failed commit rejects naming the group and saying reading goes on; the same failure again stays quiet, a new kind is told', async () => {
  let message = 'Connection error: connect ECONNREFUSED 127.0.0.1:9';
  const committer = new KafkaLagCommitter(config, { client: () => unreachable(message).client() });
  await assert.rejects(committer.commit(offsets), (err: Error) => {
    assert.match(err.message, /^could not commit offsets to consumer group 'lag-group' \(lag monitoring only, reading goes on\): /);
    assert.match(err.message, /ECONNREFUSED 127\.0\.0\.1:9/);
    return true;
  });
  await committer.commit(offsets);
  message = 'Connection error: getaddrinfo ENOTFOUND nowhere';
  await assert.rejects(committer.commit(offsets), /ENOTFOUND nowhere/);
  await committer.close();
});

test('after close, commits are ignored (nothing is reconnected)', async () => {
  let asked = 0;
  const committer = new KafkaLagCommitter(config, {
    client: () => {
      asked++;
      return Promise.reject(new Error('no client'));
    },
  });
  await committer.close();
  await committer.commit(offsets);
  assert.equal(asked, 0);
});

/** A kafkajs client whose lag member's commits fail with `failures` in turn, then succeed; it records what it committed. */
function scriptedClient(failures: Error[]) {
  const committed: unknown[] = [];
  let disconnected = false;
  const consumer = {
    connect: () => Promise.resolve(),
    subscribe: () => Promise.resolve(),
    run: () => Promise.resolve(),
    commitOffsets: (offsets: unknown) => {
      const failure = failures.shift();
      if (failure !== undefined) return Promise.reject(failure);
      committed.push(offsets);
      return Promise.resolve();
    },
    disconnect: () => {
      disconnected = true;
      return Promise.resolve();
    },
  };
  const kafka = { consumer: () => consumer } as unknown as Kafka;
  return { provider: { client: () => Promise.resolve(kafka) }, committed, disconnected: () => disconnected };
}
const protocolError = (type: string) => Object.assign(new Error(`group says ${type}`), { name: 'KafkaJSProtocolError', type });

test('a last commit refused by a rebalance is retried at close until the group takes it; then the member leaves', async () => {
  const client = scriptedClient([protocolError('REBALANCE_IN_PROGRESS'), protocolError('ILLEGAL_GENERATION')]);
  const committer = new KafkaLagCommitter(config, client.provider);
  await assert.rejects(committer.commit(offsets), /REBALANCE_IN_PROGRESS/);
  const started = Date.now();
  await committer.close();
  assert.deepEqual(client.committed, [[{ topic: 't', partition: 0, offset: '5' }]]);
  assert.ok(client.disconnected());
  assert.ok(Date.now() - started >= 900, 'two retries, half a second apart');
});

test('a commit refused for another reason is not retried at close, nor one a newer commit superseded', async () => {
  const other = scriptedClient([protocolError('GROUP_AUTHORIZATION_FAILED')]);
  const committer = new KafkaLagCommitter(config, other.provider);
  await assert.rejects(committer.commit(offsets), /GROUP_AUTHORIZATION_FAILED/);
  const started = Date.now();
  await committer.close();
  assert.ok(Date.now() - started < 400, 'close did not wait');
  assert.deepEqual(other.committed, []);

  const superseded = scriptedClient([protocolError('REBALANCE_IN_PROGRESS')]);
  const second = new KafkaLagCommitter(config, superseded.provider);
  await assert.rejects(second.commit(offsets), /REBALANCE_IN_PROGRESS/);
  await second.commit([{ topic: 't', partition: 0, offset: '9' }]);
  await second.close();
  assert.deepEqual(superseded.committed, [[{ topic: 't', partition: 0, offset: '9' }]]);
});
