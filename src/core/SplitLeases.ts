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
   */
  commit<S extends SourceSplit>(source: string, epoch: number, positions: ReadonlyMap<string, SplitPosition<S>>, departed: ReadonlySet<string>): MaybePromise<void>;
}
