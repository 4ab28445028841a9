import { Observable, type MonoTypeOperatorFunction } from 'rxjs';
import { isThenable } from './MaybePromise.js';
import type { Source } from './Source.js';
import { SourceError } from './SourceError.js';
import type { SourceEvent } from './SourceEvent.js';

/**
 * Put at the end of a pipeline: a barrier that gets here has passed every operator before it,
 * so its epoch is marked successful in the source's state store (recovery resumes from it, and
 * older epochs are garbage-collected). Chunks that get here are acknowledged for flow control.
 *
 * Events are passed on in order; a barrier is passed on only after its commit was written, and
 * completion waits for the last commit.
 *
 * @example
 * source.pipe(mapRecords(enrich), commitEpochs(source), toRecords()).subscribe(write);
 */
export function commitEpochs<T>(source: Source<unknown>): MonoTypeOperatorFunction<SourceEvent<T>> {
  return (events) =>
    new Observable<SourceEvent<T>>((subscriber) => {
      // Commits are chained so they reach the store in epoch order; events behind a pending
      // commit wait with it, so nothing downstream overtakes a barrier.
      const queue: Array<SourceEvent<T> | { complete: true }> = [];
      let committing = false;
      let closed = false;

      const flush = (): void => {
        while (!committing && queue.length > 0 && !closed) {
          const item = queue.shift()!;
          if ('complete' in item) {
            subscriber.complete();
            return;
          }
          if (item.type === 'chunk') {
            subscriber.next(item);
            source.acknowledge(item.records.length);
            continue;
          }
          let result;
          try {
            result = source.commit(item.epoch);
          } catch (err) {
            fail(err, item.epoch);
            return;
          }
          if (isThenable(result)) {
            committing = true;
            const barrier = item;
            result.then(
              () => {
                committing = false;
                subscriber.next(barrier);
                flush();
              },
              (err: unknown) => fail(err, barrier.epoch),
            );
            return;
          }
          subscriber.next(item);
        }
      };

      const fail = (err: unknown, epoch: number): void => {
        closed = true;
        subscriber.error(new SourceError(`committing epoch ${epoch} failed: ${err instanceof Error ? err.message : String(err)}`, { source: source.name }, { cause: err }));
      };

      const subscription = events.subscribe({
        next: (event) => {
          queue.push(event);
          flush();
        },
        error: (err: unknown) => {
          closed = true;
          subscriber.error(err);
        },
        complete: () => {
          queue.push({ complete: true });
          flush();
        },
      });
      return () => {
        closed = true;
        subscription.unsubscribe();
      };
    });
}
