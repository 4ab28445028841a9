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
