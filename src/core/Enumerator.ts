import type { Observable } from 'rxjs';
import type { JsonValue } from './Json.js';
import type { SourceSplit, SplitPosition } from './SourceSplit.js';

/** What an enumerator is handed when a source (re)starts. */
export interface EnumeratorContext<S extends SourceSplit> {
  /** The source's name, for errors and logs. */
  readonly source: string;
  /**
   * The enumerator's own state from the checkpoint being restored (see `saveState`), or
   * `undefined` on a first start.
   */
  readonly restoredState: JsonValue | undefined;
  /** Split positions from the checkpoint being restored (finished splits included). */
  readonly restoredSplits: ReadonlyMap<string, SplitPosition<S>>;
  /**
   * Records state the enumerator needs after a restart (an S3 high-water mark, say). The latest
   * value is written with every checkpoint, atomically with the split positions.
   */
  saveState(state: JsonValue): void;
  /**
   * Emits a split's id once its reader has completed *and* every chunk it read has been emitted
   * downstream, in order with them: from here on, a checkpoint records the split as finished.
   * An enumerator that forgets finished splits (to keep its state bounded) must wait for this,
   * not for the reader's completion, or a crash in between could lose the split's last records.
   */
  readonly finished$: Observable<string>;
  /** Reports a warning on the source's `warnings$` (a pattern matching nothing, say). */
  readonly warn?: (message: string, split?: string) => void;
}

/**
 * Watches the upstream and emits the full current set of splits whenever it changes. A bounded
 * upstream completes after its last set; an unbounded one keeps watching.
 *
 * Emit the *whole* set each time, not a delta: the source diffs consecutive sets by split id, so
 * splits that stay keep their readers and positions, removed ones stop and new ones start. A
 * removed split's position is forgotten (memory stays bounded by the set's size): a split that
 * comes back later is a new split and starts from the connector's configured start.
 *
 * @example
 * const enumerator: Enumerator<FileSplit> = {
 *   splits: () => of([{ id: 'a.csv', path: '/data/a.csv' }]),
 * };
 */
export interface Enumerator<S extends SourceSplit> {
  splits(context: EnumeratorContext<S>): Observable<readonly S[]>;
}
