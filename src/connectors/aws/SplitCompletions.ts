import { Subject, type Observable } from 'rxjs';

/**
 * Tells an enumerator which of its splits its readers finished.
 *
 * The core marks a split finished when its reader completes but does not tell the enumerator,
 * and an enumerator that decides what to read next from what is done (S3's bounded window of
 * objects, Kinesis child shards after their parents) needs to know. One instance is shared by
 * the enumerator and the reader that one factory call builds; readers call {@link completed}
 * right before they complete.
 *
 * Notifications are delivered on a microtask, after the source has taken the reader's
 * completion: an enumerator reacting to one never re-enters the source from inside a reader's
 * `complete`.
 * @internal
 */
export class SplitCompletions {
  readonly #completed = new Subject<string>();

  /** Ids of splits whose readers reached their end. */
  readonly completed$: Observable<string> = this.#completed.asObservable();

  completed(splitId: string): void {
    queueMicrotask(() => this.#completed.next(splitId));
  }
}
