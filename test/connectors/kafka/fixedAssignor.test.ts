import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fixedAssignor } from '../../../src/connectors/kafka/fixedAssignor.js';
import { loadKafkaJs } from '../../../src/connectors/kafka/loadKafkaJs.js';

// The assignor's answers decoded with kafkajs' own protocol (no broker). Its use in a real group
// is every test that reads from Kafka.

async function assignments(partitions: ReadonlySet<number>, members: string[]) {
  const kafkajs = await loadKafkaJs();
  const assigner = fixedAssignor(kafkajs, 'Fixed', 'orders', partitions)({ cluster: {} as never, groupId: 'g', logger: {} as never });
  const answer = await assigner.assign({ members: members.map((memberId) => ({ memberId, memberMetadata: Buffer.alloc(0) })), topics: ['orders'] });
  return answer.map(({ memberId, memberAssignment }) => [memberId, kafkajs.AssignerProtocol.MemberAssignment.decode(memberAssignment)?.assignment] as const);
}

test('the first member gets exactly the given partitions, sorted; any other member nothing (never duplicates)', async () => {
  assert.deepEqual(await assignments(new Set([3, 0, 1]), ['a', 'b']), [
    ['a', { orders: [0, 1, 3] }],
    ['b', {}],
  ]);
});

test('no partitions: every member gets nothing', async () => {
  assert.deepEqual(await assignments(new Set(), ['a', 'b']), [
    ['a', {}],
    ['b', {}],
  ]);
});

test('its protocol carries the name every member must agree on', async () => {
  const kafkajs = await loadKafkaJs();
  const assigner = fixedAssignor(kafkajs, 'TributaryOwnPartitions', 'orders', new Set())({ cluster: {} as never, groupId: 'g', logger: {} as never });
  assert.equal(assigner.name, 'TributaryOwnPartitions');
  assert.equal(assigner.protocol({ topics: ['orders'] }).name, 'TributaryOwnPartitions');
});
