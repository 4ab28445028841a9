import { map, type Observable } from 'rxjs';
import { isAssignable, type SplitLeases } from '../../core/SplitLeases.js';
import { kafkaSplitId } from './KafkaSplit.js';

/**
 * The source's split leases with Kafka's consumer-group protocol deciding the balance: each
 * process holds the partitions the group assigns it (`assignment$`, partition numbers of
 * `topic`), while positions and fencing stay with `leases` (tributary's state: a commit writes a
 * split's position only under the lease token this process took it with). A partition the
 * group moves is handed over at a barrier: its old holder stops reading it, its next commit
 * writes where the reading stopped and releases it, and only then does the new holder take it
 * from there (or once the old holder's lease ran out, if it died). Reading goes on meanwhile:
 * unlike Kafka's eager rebalance, the partitions that stay are never revoked.
 *
 * @example
 * const leases = groupAssignedLeases(pgLeases, 'orders', groupAssignment(hub, config, scheduler));
 */
export function groupAssignedLeases(leases: SplitLeases, topic: string, assignment$: Observable<ReadonlySet<number>>): SplitLeases {
  if (!isAssignable(leases)) {
    throw new TypeError("Kafka: assignment 'group' needs split leases that can follow an assignment (PostgresSplitLeases); these cannot");
  }
  const assigned$ = assignment$.pipe(map((partitions) => new Set([...partitions].map((p) => kafkaSplitId(topic, p)))));
  return {
    hold: (source, splits$) => leases.holdAssigned(source, splits$, assigned$),
    commit: (source, epoch, positions, departed) => leases.commit(source, epoch, positions, departed),
  };
}
