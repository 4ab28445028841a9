import { MAX_UNCOMMITTED_EPOCHS } from './Checkpoint.js';
import { isThenable, type MaybePromise } from './MaybePromise.js';
import { messageOf } from './SourceError.js';
import type { SourceSplit, SplitPosition } from './SourceSplit.js';
import type { CompletedCheckpoint, SplitReader } from './SplitReader.js';

/**
 * Drives a reader's checkpoint-complete hook ({@link SplitReader.checkpointComplete}) for one
 * source: keeps each written snapshot's positions until its epoch commits, then calls the hook in
 * epoch order, one call at a time; epochs committed while a call is pending coalesce into the
 * newest. A failing hook becomes a warning (the same failure call after call, once): the commit
 * stands.
 *
 * A finished split's final position is never dropped on the way: when the newer snapshot no
 * longer lists the split (it left the assignment: finished and given back under split leases, or
 * gone from a listing), coalescing keeps it, and so does a failed call, until a call that carried
 * it succeeds. Positions of unfinished splits are not kept: one that left unfinished was handed
 * over, and its new holder reports it from there.
 *
 * It lives as long as the source, not a run: the final epoch of a bounded source commits after
 * its run ended, and is still reported.
 */
export class CheckpointCompleteHook<S extends SourceSplit> {
  /**
   * Snapshots written but not yet committed (only when the reader has a hook). A new run starts
   * empty: epochs of a run that failed are never committed, so their hook never fires.
   */
  private readonly uncommitted = new Map<number, ReadonlyMap<string, SplitPosition<S>>>();
  /** A hook call is in flight; the next one waits in `next` (newest epoch wins). */
  private busy = false;
  private next: CompletedCheckpoint<S> | undefined;
  /** Finished splits' positions of a failed call, for the next call (see the class comment). */
  private carried: ReadonlyMap<string, SplitPosition<S>> = new Map();
  /** The message of the last call, if it failed: the same failure again is not warned again. */
  private failing: string | undefined;

  constructor(
    private readonly reader: SplitReader<S, unknown>,
    private readonly warn: (message: string) => void,
  ) {}

  /** A run starts from the store: nothing written before it can still commit. */
  reset(): void {
    this.uncommitted.clear();
  }

  /** Keeps a written snapshot for the hook until its epoch commits (bounded like flow control's marks). */
  written(epoch: number, splits: Readonly<Record<string, SplitPosition<S>>>): void {
    if (this.reader.checkpointComplete === undefined) return;
    this.uncommitted.set(epoch, new Map(Object.entries(splits)));
    if (this.uncommitted.size > MAX_UNCOMMITTED_EPOCHS) this.uncommitted.delete(this.uncommitted.keys().next().value!);
  }

  /**
   * `epoch` is being committed: forgets it and every older snapshot, and answers the function
   * that reports it once the commit is durable (a no-op when there is nothing to report).
   */
  committing(epoch: number): () => void {
    const splits = this.uncommitted.get(epoch);
    for (const e of this.uncommitted.keys()) if (e <= epoch) this.uncommitted.delete(e);
    return () => {
      if (splits !== undefined) this.call({ epoch, splits });
    };
  }

  /** Runs the reader's hook: in epoch order, one call at a time, coalescing. */
  private call(newest: CompletedCheckpoint<S>): void {
    if (this.busy) {
      this.next = this.next === undefined ? newest : withFinished(newest, this.next.splits);
      return;
    }
    const hook = this.reader.checkpointComplete?.bind(this.reader);
    if (hook === undefined) return;
    const checkpoint = withFinished(newest, this.carried);
    this.carried = new Map();
    this.busy = true;
    const succeeded = (): void => {
      this.failing = undefined;
      settle();
    };
    const settle = (): void => {
      this.busy = false;
      const next = this.next;
      this.next = undefined;
      if (next !== undefined) this.call(next);
    };
    const failed = (err: unknown): void => {
      this.carried = withFinished({ epoch: checkpoint.epoch, splits: new Map() }, checkpoint.splits).splits;
      // Epoch after epoch while a peer is away: told once, until a call succeeds or fails otherwise.
      const message = messageOf(err);
      if (message !== this.failing) this.warn(`the checkpoint-complete hook of epoch ${checkpoint.epoch} failed (the checkpoint stays committed): ${message}`);
      this.failing = message;
      settle();
    };
    let result: MaybePromise<void>;
    try {
      result = hook(checkpoint);
    } catch (err) {
      failed(err);
      return;
    }
    if (isThenable(result)) result.then(succeeded, failed);
    else succeeded();
  }
}

/** `newer`, plus the finished splits of `older` it does not list (a split's end must reach the hook). */
function withFinished<S extends SourceSplit>(newer: CompletedCheckpoint<S>, older: ReadonlyMap<string, SplitPosition<S>>): CompletedCheckpoint<S> {
  let splits: Map<string, SplitPosition<S>> | undefined;
  for (const [id, position] of older) {
    if (!position.finished || newer.splits.has(id)) continue;
    splits ??= new Map(newer.splits);
    splits.set(id, position);
  }
  return splits === undefined ? newer : { epoch: newer.epoch, splits };
}
