import type { PartitionAssigner } from 'kafkajs';
import type { KafkaJsModule } from './loadKafkaJs.js';

/** One member as the group leader sees it: its id and the partitions it held before this rebalance. */
export interface GroupMemberHolding {
  readonly memberId: string;
  readonly previous: readonly number[];
}

/**
 * A balanced, sticky assignment of `partitions` to `members`: each member gets floor(P/N) or
 * floor(P/N)+1 partitions, and keeps as many of the ones it held as that allows.
 *
 * Why sticky: every partition that moves is handed over (its old holder stops reading it and
 * writes where it stopped at its next commit before the new one may start), so a join or a
 * departure should move only the partitions it must: a fourth process joining three moves a
 * quarter of the partitions, not most of them as a plain round robin over sorted ids would.
 * Members are taken in id order, so every leader computes the same answer from the same input.
 * A partition two members both claim (a member that lost it while stopped still lists it) stays
 * with the first in order; the other's claim is ignored.
 *
 * @example
 * balancePartitions([0, 1, 2, 3], [{ memberId: 'a', previous: [0, 1, 2, 3] }, { memberId: 'b', previous: [] }]);
 * // Map { 'a' => [0, 1], 'b' => [2, 3] }
 */
export function balancePartitions(partitions: readonly number[], members: readonly GroupMemberHolding[]): Map<string, number[]> {
  const sorted = [...members].sort((a, b) => (a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0));
  const result = new Map<string, number[]>(sorted.map((m) => [m.memberId, []]));
  if (sorted.length === 0) return result;
  const all = [...new Set(partitions)].sort((a, b) => a - b);
  const base = Math.floor(all.length / sorted.length);
  let extras = all.length % sorted.length;
  const free = new Set(all);
  const take = (memberId: string, partition: number): void => {
    free.delete(partition);
    result.get(memberId)!.push(partition);
  };
  const kept = new Map<string, number[]>();
  for (const m of sorted) {
    const previous = [...new Set(m.previous)].filter((p) => free.has(p)).sort((a, b) => a - b);
    for (const p of previous.slice(0, base)) take(m.memberId, p);
    kept.set(m.memberId, previous.slice(base));
  }
  // One more of its own for members that had more, while partitions above the base remain.
  for (const m of sorted) {
    if (extras === 0) break;
    const next = kept.get(m.memberId)!.find((p) => free.has(p));
    if (next === undefined || result.get(m.memberId)!.length !== base) continue;
    take(m.memberId, next);
    extras--;
  }
  const rest = [...free];
  for (const m of sorted) while (result.get(m.memberId)!.length < base) take(m.memberId, rest.shift()!);
  for (const m of sorted) {
    if (extras === 0 || rest.length === 0) break;
    if (result.get(m.memberId)!.length !== base) continue;
    take(m.memberId, rest.shift()!);
    extras--;
  }
  for (const list of result.values()) list.sort((a, b) => a - b);
  return result;
}

/**
 * The assignor of the assignment group: {@link balancePartitions} over the partitions of
 * `topic`, each member's previous partitions travelling in its join metadata (`userData`, JSON).
 * `current()` is read at every join: what this member holds now.
 *
 * @example
 * kafka.consumer({ groupId, partitionAssigners: [stickyAssignor(kafkajs, 'orders', () => held)] });
 */
export function stickyAssignor(kafkajs: KafkaJsModule, topic: string, current: () => readonly number[]): PartitionAssigner {
  const { AssignerProtocol } = kafkajs;
  const name = 'TributarySticky';
  return ({ cluster }) => ({
    name,
    version: 1,
    protocol: ({ topics }) => ({
      name,
      metadata: AssignerProtocol.MemberMetadata.encode({ version: 1, topics, userData: Buffer.from(JSON.stringify(current())) }),
    }),
    assign: ({ members }) => {
      const partitions = cluster.findTopicPartitionMetadata(topic).map((p) => p.partitionId);
      const holdings = members.map((member) => ({ memberId: member.memberId, previous: previousOf(AssignerProtocol.MemberMetadata.decode(member.memberMetadata)?.userData) }));
      const assignment = balancePartitions(partitions, holdings);
      return Promise.resolve(
        members.map((member) => ({
          memberId: member.memberId,
          memberAssignment: AssignerProtocol.MemberAssignment.encode({ version: 1, assignment: { [topic]: assignment.get(member.memberId) ?? [] }, userData: Buffer.alloc(0) }),
        })),
      );
    },
  });
}

/** A member's previous partitions from its metadata; anything unreadable counts as none (a hostile or old member cannot break the assignment). */
function previousOf(userData: Buffer | undefined): number[] {
  if (userData === undefined || userData.length === 0) return [];
  try {
    const parsed: unknown = JSON.parse(userData.toString('utf8'));
    return Array.isArray(parsed) ? parsed.filter((p): p is number => Number.isSafeInteger(p) && (p as number) >= 0) : [];
  } catch {
    return [];
  }
}
