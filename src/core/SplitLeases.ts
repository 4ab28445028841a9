import type { Observable } from 'rxjs';
import type { MaybePromise } from './MaybePromise.js';
import type { SourceSplit, SplitPosition } from './SourceSplit.js';

/** Where a split newly leased to this process starts: its last position committed by any process. */
export interface LeasedPosition {
  /** The next record to read; `null` when no process ever committed a position for the split. */
  readonly offset: string | null;
  readonly finished: boolean;
}

/** One split this process holds, as {@link SplitLeases.hold} emits it. */
export interface LeasedSplit<S extends SourceSplit> {
  readonly split: S;
  /** The committed position when the lease was taken (`undefined`: nothing committed yet). */
  readonly position: LeasedPosition | undefined;
  /**
   * The lease's fencing token (`undefined`: the implementation has none). A split emitted again
   * under another token was lost and taken again meanwhile (another process may have moved it
   * on): the source reads it again from `position`, and each snapshot records the token its
   * position was read under, for {@link SplitLeases.commit}.
   */
  readonly token?: string;
}

/**
 * Shares a source's splits among processes that run the same source name: each split is leased
 * to one process at a time, which alone reads it and commits its positions. An implementation
 * lives above core (a PostgreSQL lease table in `tributary/leases`); core only calls it.
 *
 * With leases, a source's durable positions are the leases' committed positions, not the
 * snapshots in its state store: a split is read from where whichever process last committed it.
 */
export interface SplitLeases {
  /**
   * Narrows the enumerator's split sets (`splits$`, every split of the source) to the ones this
   * process holds, and emits the held set again whenever it changes (a lease taken, lost, given
   * up for balance). A split newly in the held set comes with its committed position. Completes
   * once `splits$` completed and every split is finished (committed as finished by some process).
   */
  hold<S extends SourceSplit>(source: string, splits$: Observable<readonly S[]>): Observable<ReadonlyArray<LeasedSplit<S>>>;
  /**
   * Makes the positions of `epoch` durable for the splits this process still holds, fenced: a
   * split whose lease was lost (expired, taken over) is not written, whatever this process
   * believes, and leaves the held set. Called before the epoch is marked committed.
   * `departed`: splits of `positions` that had left the held set before this snapshot, recorded
   * at the position where their reading stopped: a split given up can be handed over there.
   * `tokens`: the lease token each split of `positions` was read under when the snapshot was
   * taken; a position is written only under that token (a snapshot older than the lease now
   * held would otherwise move the committed position back), and a fenced commit drops a split
   * from the held set only if it is still held under that token.
   */
  commit<S extends SourceSplit>(
    source: string,
    epoch: number,
    positions: ReadonlyMap<string, SplitPosition<S>>,
    departed: ReadonlySet<string>,
    tokens?: ReadonlyMap<string, string>,
  ): MaybePromise<void>;
}

/**
 * {@link SplitLeases} whose balance another protocol can decide: instead of working out its own
 * share, the process aims at exactly the splits an outside assignment names (Kafka's consumer
 * group protocol, see the Kafka connector's `assignment: 'group'`). Positions and fencing stay
 * with the leases: a split newly assigned here is taken only once its previous holder handed it
 * over (at a committed position) or its lease ran out, so an assignment that moves faster than
 * the checkpoints never has two processes reading one split.
 */
export interface AssignableSplitLeases extends SplitLeases {
  /**
   * {@link SplitLeases.hold}, with the held set following `assigned$`: the ids of the splits
   * this process should hold, emitted again on every change (a rebalance). Until its first
   * emission nothing is held. Splits no longer assigned are given back at the next commit.
   */
  holdAssigned<S extends SourceSplit>(source: string, splits$: Observable<readonly S[]>, assigned$: Observable<ReadonlySet<string>>): Observable<ReadonlyArray<LeasedSplit<S>>>;
}

/** Whether `leases` can follow an outside assignment ({@link AssignableSplitLeases}). */
export function isAssignable(leases: SplitLeases): leases is AssignableSplitLeases {
  return typeof (leases as Partial<AssignableSplitLeases>).holdAssigned === 'function';
}
