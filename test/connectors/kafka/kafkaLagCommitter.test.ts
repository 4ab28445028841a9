import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Kafka } from 'kafkajs';
import { KafkaLagCommitter } from '../../../src/connectors/kafka/KafkaLagCommitter.js';
import { resolveKafkaConfig } from '../../../src/connectors/kafka/KafkaSourceConfig.js';

// The committer's logic (what it sends, when it resends, how it reports failures) against fake
// clients: commits against a real broker are in kafkaLagCommit.test.ts.

const config = { ...resolveKafkaConfig({ name: 's', topic: 't', brokers: '127.0.0.1:9' }), consumerGroup: 'lag-group' };
const offsets = [{ topic: 't', partition: 0, offset: '5' }];

test('a failed commit rejects naming the group, the brokers and saying reading goes on, every time (the hook tells a repeat once); connecting is tried afresh', async () => {
  let asked = 0;
  const committer = new KafkaLagCommitter(config, {
    client: () => {
      asked++;
      return Promise.reject(Object.assign(new Error('Connection error: connect ECONNREFUSED 127.0.0.1:9'), { name: 'KafkaJSConnectionError' }));
    },
  });
  for (let k = 0; k < 2; k++) {
    await assert.rejects(committer.commit(offsets), (err: Error) => {
      assert.match(err.message, /^could not commit offsets to consumer group 'lag-group' \(lag monitoring only, reading goes on\): cannot reach Kafka brokers 127\.0\.0\.1:9: /);
      assert.match(err.message, /ECONNREFUSED 127\.0\.0\.1:9/);
      return true;
    });
  }
  // An unreachable broker is tried twice a commit (a broker restarting answers the second).
  assert.equal(asked, 4);
  await committer.idle();
});

/** The request the committer sends, as the fake coordinators below receive it. */
interface OffsetCommitRequest {
  groupId: string;
  groupGenerationId: number;
  memberId: string;
  topics: unknown;
}

/**
 * A kafkajs client whose private cluster factory (what the committer sends through) gives a
 * cluster whose coordinators answer with `failures` in turn, then take the commit; it records
 * the commits taken and how often a coordinator was looked up.
 */
function scriptedClient(failures: Error[]) {
  const taken: OffsetCommitRequest[] = [];
  const counts = { lookups: 0, connects: 0, disconnects: 0 };
  const cluster = {
    connect: () => {
      counts.connects++;
      return Promise.resolve();
    },
    disconnect: () => {
      counts.disconnects++;
      return Promise.resolve();
    },
    findGroupCoordinator: () => {
      counts.lookups++;
      return Promise.resolve({
        offsetCommit: (request: OffsetCommitRequest) => {
          const failure = failures.shift();
          if (failure !== undefined) return Promise.reject(failure);
          taken.push(request);
          return Promise.resolve({});
        },
      });
    },
  };
  const kafka = { [Symbol('private:Kafka:createCluster')]: () => cluster } as unknown as Kafka;
  return { provider: { client: () => Promise.resolve(kafka) }, taken, counts };
}
const protocolError = (type: string) => Object.assign(new Error(`group says ${type}`), { name: 'KafkaJSProtocolError', type });

test('commits go out as from outside group management (generation -1, no member id), grouped by topic; idle disconnects', async () => {
  const client = scriptedClient([]);
  const committer = new KafkaLagCommitter(config, client.provider);
  await committer.commit([...offsets, { topic: 't', partition: 1, offset: '7' }, { topic: 'u', partition: 0, offset: '1' }]);
  await committer.commit(offsets);
  assert.deepEqual(client.taken[0], {
    groupId: 'lag-group',
    groupGenerationId: -1,
    memberId: '',
    topics: [
      { topic: 't', partitions: [{ partition: 0, offset: '5' }, { partition: 1, offset: '7' }] },
      { topic: 'u', partitions: [{ partition: 0, offset: '1' }] },
    ],
  });
  assert.equal(client.taken.length, 2);
  assert.deepEqual(client.counts, { lookups: 1, connects: 1, disconnects: 0 }, 'one connection and one coordinator lookup for both');
  await committer.idle();
  assert.equal(client.counts.disconnects, 1);
});

test('idle waits for the commit in flight before it disconnects; a commit after it connects again (a bounded source\'s final epoch)', async () => {
  const client = scriptedClient([]);
  let land: (() => void) | undefined;
  const slow = { ...client.provider, client: () => new Promise<Kafka>((resolve) => (land = () => void client.provider.client().then(resolve))) };
  const committer = new KafkaLagCommitter(config, slow);
  const sent = committer.commit(offsets);
  let idled = false;
  const idle = committer.idle().then(() => (idled = true));
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(idled, false, 'idle waits for the commit');
  land!();
  await Promise.all([sent, idle]);
  assert.equal(client.taken.length, 1);
  assert.deepEqual(client.counts, { lookups: 1, connects: 1, disconnects: 1 });
  const later = committer.commit([{ topic: 't', partition: 0, offset: '9' }]);
  land!();
  await later;
  await committer.idle();
  assert.deepEqual(client.taken.map((r) => r.topics), [[{ topic: 't', partitions: [{ partition: 0, offset: '5' }] }], [{ topic: 't', partitions: [{ partition: 0, offset: '9' }] }]]);
  assert.deepEqual(client.counts, { lookups: 2, connects: 2, disconnects: 2 });
});

test('a commit the coordinator refuses as not its own is resent once to the coordinator looked up afresh; a second refusal is reported', async () => {
  const moved = scriptedClient([protocolError('NOT_COORDINATOR')]);
  const committer = new KafkaLagCommitter(config, moved.provider);
  await committer.commit(offsets);
  assert.equal(moved.taken.length, 1);
  assert.equal(moved.counts.lookups, 2);
  await committer.idle();

  const twice = scriptedClient([protocolError('NOT_COORDINATOR'), protocolError('NOT_COORDINATOR')]);
  const second = new KafkaLagCommitter(config, twice.provider);
  await assert.rejects(second.commit(offsets), /NOT_COORDINATOR/);
  assert.deepEqual(twice.taken, []);
  await second.commit(offsets);
  assert.equal(twice.taken.length, 1, 'the next commit looks the coordinator up again');
  await second.idle();
});

test('a group with members of its own refuses the commits: the failure says so and names the option to change', async () => {
  const client = scriptedClient([protocolError('UNKNOWN_MEMBER_ID')]);
  const committer = new KafkaLagCommitter(config, client.provider);
  await assert.rejects(committer.commit(offsets), (err: Error) => {
    assert.match(err.message, /consumer group 'lag-group'.*UNKNOWN_MEMBER_ID.*the group has members: another consumer uses it; give the source a group of its own, kafka\.consumer\.group/);
    return true;
  });
  await committer.idle();
});

test('a kafkajs client without the cluster factory fails the commit saying what lag monitoring needs and how to turn it off', async () => {
  const committer = new KafkaLagCommitter(config, { client: () => Promise.resolve({} as Kafka) });
  await assert.rejects(committer.commit(offsets), /needs kafkajs 2\.x for lag monitoring; kafka\.commit\.offsets = false turns it off/);
  await committer.idle();
});
