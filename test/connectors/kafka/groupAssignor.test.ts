import assert from 'node:assert/strict';
import { test } from 'node:test';
import { balancePartitions, stickyAssignor, type GroupMemberHolding } from '../../../src/connectors/kafka/groupAssignor.js';
import { loadKafkaJs } from '../../../src/connectors/kafka/loadKafkaJs.js';

// The assignment group's assignor, without a broker: balance and stickiness of the pure
// function, then the kafkajs wrapping (join metadata in, assignments out). Its use in a real
// group is test/leases/kafkaGroupShare.test.ts.

const range = (n: number): number[] => Array.from({ length: n }, (_, k) => k);

/** Every partition exactly once, sizes within one of each other. */
function assertBalanced(result: Map<string, number[]>, partitions: readonly number[]): void {
  const all = [...result.values()].flat().sort((a, b) => a - b);
  assert.deepEqual(all, [...new Set(partitions)].sort((a, b) => a - b), 'every partition exactly once');
  const sizes = [...result.values()].map((l) => l.length);
  assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1, `sizes ${sizes.join(',')} differ by more than one`);
}

function moved(before: Map<string, number[]>, after: Map<string, number[]>): number {
  let n = 0;
  for (const [member, list] of after) for (const p of list) if (!(before.get(member) ?? []).includes(p)) n++;
  return n;
}

test('twelve partitions over three new members: four each', () => {
  const result = balancePartitions(range(12), ['c', 'a', 'b'].map((memberId) => ({ memberId, previous: [] })));
  assertBalanced(result, range(12));
  assert.deepEqual(result.get('a'), [0, 1, 2, 3]);
  assert.deepEqual(result.get('c'), [8, 9, 10, 11]);
});

test('a fourth member joining three moves only its own share (three of twelve), the others keep three of their four', () => {
  const before = balancePartitions(range(12), ['a', 'b', 'c'].map((memberId) => ({ memberId, previous: [] })));
  const holdings: GroupMemberHolding[] = [...before].map(([memberId, previous]) => ({ memberId, previous }));
  const after = balancePartitions(range(12), [...holdings, { memberId: '0-new', previous: [] }]);
  assertBalanced(after, range(12));
  assert.equal(moved(before, after), 3);
  for (const m of ['a', 'b', 'c']) assert.equal(after.get(m)!.filter((p) => before.get(m)!.includes(p)).length, 3);
});

test('a member leaving: the survivors keep all they had and split its partitions', () => {
  const before = new Map([
    ['a', [0, 1, 2, 3]],
    ['b', [4, 5, 6, 7]],
  ]);
  const after = balancePartitions(range(12), [...before].map(([memberId, previous]) => ({ memberId, previous })));
  assertBalanced(after, range(12));
  for (const [m, list] of before) for (const p of list) assert.ok(after.get(m)!.includes(p), `${m} lost ${p}`);
});

test('a partition two members claim stays with one; claims of partitions the topic lacks are ignored', () => {
  const result = balancePartitions(range(4), [
    { memberId: 'a', previous: [0, 1, 99] },
    { memberId: 'b', previous: [1, 2, -1] },
  ]);
  assertBalanced(result, range(4));
  assert.deepEqual(result.get('a'), [0, 1]);
  assert.deepEqual(result.get('b'), [2, 3]);
});

test('fewer partitions than members: some get none, none gets two', () => {
  const result = balancePartitions([5, 7], ['a', 'b', 'c'].map((memberId) => ({ memberId, previous: [] })));
  assertBalanced(result, [5, 7]);
  assert.deepEqual(result.get('c'), []);
});

test('the same input in any member order gives the same answer (any member may lead)', () => {
  const members: GroupMemberHolding[] = [
    { memberId: 'x', previous: [3, 4, 5, 6, 7] },
    { memberId: 'm', previous: [0] },
    { memberId: 'q', previous: [] },
  ];
  const one = balancePartitions(range(10), members);
  const two = balancePartitions(range(10), [...members].reverse());
  assert.deepEqual([...one].sort(), [...two].sort());
});

test('random memberships and claims: always balanced, each member keeps min(its claims, its share) when claims do not overlap', () => {
  let seed = 42;
  const random = (n: number): number => {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    return seed % n;
  };
  for (let round = 0; round < 500; round++) {
    const partitions = range(1 + random(40));
    const count = 1 + random(8);
    const shuffled = [...partitions].sort(() => random(3) - 1);
    const members: GroupMemberHolding[] = range(count).map((k) => ({ memberId: `m${k}`, previous: shuffled.filter((_, i) => i % count === k && random(4) > 0) }));
    const result = balancePartitions(partitions, members);
    assertBalanced(result, partitions);
    const base = Math.floor(partitions.length / count);
    for (const m of members) {
      const kept = result.get(m.memberId)!.filter((p) => m.previous.includes(p)).length;
      assert.ok(kept >= Math.min(m.previous.length, base), `round ${round}: ${m.memberId} kept ${kept} of ${m.previous.length} (base ${base})`);
    }
  }
});

test('through kafkajs: the join metadata carries what the member holds, the leader reads it back (unreadable metadata counts as nothing)', async () => {
  const kafkajs = await loadKafkaJs();
  const cluster = { findTopicPartitionMetadata: () => range(6).map((partitionId) => ({ partitionId })) };
  const assignerOf = (held: number[]) => stickyAssignor(kafkajs, 'orders', () => held)({ cluster: cluster as never, groupId: 'g', logger: {} as never });
  const a = assignerOf([3, 4, 5]);
  const b = assignerOf([0]);
  assert.equal(a.name, b.name);
  const members = [
    { memberId: 'a', memberMetadata: a.protocol({ topics: ['orders'] }).metadata },
    { memberId: 'b', memberMetadata: b.protocol({ topics: ['orders'] }).metadata },
    { memberId: 'c', memberMetadata: kafkajs.AssignerProtocol.MemberMetadata.encode({ version: 1, topics: ['orders'], userData: Buffer.from('{not json') }) },
  ];
  const answer = await a.assign({ members, topics: ['orders'] });
  const decoded = new Map(answer.map(({ memberId, memberAssignment }) => [memberId, kafkajs.AssignerProtocol.MemberAssignment.decode(memberAssignment)?.assignment['orders']]));
  assert.deepEqual(decoded.get('a'), [3, 4]);
  assert.deepEqual(decoded.get('b'), [0, 1]);
  assert.deepEqual(decoded.get('c'), [2, 5]);
});
