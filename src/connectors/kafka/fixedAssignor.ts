import type { PartitionAssigner } from 'kafkajs';
import type { KafkaJsModule } from './loadKafkaJs.js';

/**
 * A kafkajs assignor that ignores the usual balancing: the group's first member gets exactly
 * `partitions` of `topic`, every other member nothing.
 *
 * kafkajs has no manual assignment (no `assign()` as in the Java client): a consumer reads what
 * its group's assignor hands it. The hub's fetch consumers are alone in a throwaway group and get
 * the source's partitions this way (a second member cannot appear, the group id is random; if it
 * did, it would get nothing rather than duplicates). With no partitions, every member gets nothing.
 *
 * @example
 * kafka.consumer({ groupId, partitionAssigners: [fixedAssignor(kafkajs, 'TributaryOwnPartitions', 'orders', new Set([0, 1]))] });
 */
export function fixedAssignor(kafkajs: KafkaJsModule, name: string, topic: string, partitions: ReadonlySet<number>): PartitionAssigner {
  const { AssignerProtocol } = kafkajs;
  const mine = partitions.size === 0 ? {} : { [topic]: [...partitions].sort((a, b) => a - b) };
  return () => ({
    name,
    version: 1,
    protocol: ({ topics }) => ({
      name,
      metadata: AssignerProtocol.MemberMetadata.encode({ version: 1, topics, userData: Buffer.alloc(0) }),
    }),
    assign: ({ members }) =>
      Promise.resolve(
        members.map((member, index) => ({
          memberId: member.memberId,
          memberAssignment: AssignerProtocol.MemberAssignment.encode({
            version: 1,
            assignment: index === 0 ? mine : {},
            userData: Buffer.alloc(0),
          }),
        })),
      ),
  });
}
