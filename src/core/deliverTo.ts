import { Observable, type MonoTypeOperatorFunction } from 'rxjs';
import { isThenable, type MaybePromise } from './MaybePromise.js';
import { SourceError } from './SourceError.js';
import type { Chunk, SourceEvent } from './SourceEvent.js';

/**
 * The end of a pipeline that writes records somewhere (stdout, a file, a database) and can say
 * when what it was given is durable. {@link deliverTo} calls `write` with each chunk's records,
 * in order, and `flush` at every barrier; the barrier's epoch commits only after `flush`
 * resolved.
 */
export interface RecordSink<T> {
  /**
   * Takes one chunk's records (`chunk` is the whole chunk, for its split and offsets). Return a
   * promise to apply backpressure: the next chunk waits for it. Resolving means "taken" (buffered
   * is fine); a rejection or a throw fails the stream. Not called for chunks without records.
   */
  write(records: readonly T[], chunk: Chunk<T>): MaybePromise<void>;
  /**
   * Resolves when every record written so far is delivered (accepted by the stream, synced to
   * disk, acknowledged by the server: whatever "written" means for this sink). A rejection or a
   * throw fails the stream, and the epoch does not commit.
   */
  flush(): MaybePromise<void>;
}

/**
 * Writes every chunk's records to `sink` and holds every barrier until the sink has flushed:
 * placed before {@link commitEpochs}, an epoch commits only what the sink has delivered, so a
 * crash after a commit loses nothing (at-least-once output, not just at-least-once reading).
 *
 * Events pass on in order, each one after the sink took it. While a `write` or `flush` is
 * pending, later events wait in order and are not acknowledged, so the source's flow control
 * (its high-water mark) pauses the readers: a slow sink bounds memory instead of growing a
 * buffer. An error from the sink fails the stream with the source, split and offset of the
 * chunk (a {@link SourceError} thrown by the sink passes as it is); under
 * {@link runWithCheckpoints} that is a rollback to the last committed epoch, and the records
 * after it are written again. On completion the sink is flushed once more before completing.
 *
 * ```
 * events in:       -a--b--1-c----2|
 * sink.write:       a  b     c
 * sink.flush:             1--)   2--)     (and once more at completion)
 * events out:      -a--b-----(1c)---2|
 * commitEpochs:              1      2     (each commit after its flush resolved)
 * ```
 *
 * @param sourceName Names the source in errors (as in {@link mapRecords}).
 *
 * @example
 * const sink: RecordSink<Order> = {
 *   write: (orders) => db.insertMany(orders),
 *   flush: () => db.sync(),
 * };
 * source.pipe(mapRecords(toOrder), deliverTo(sink, source.name), commitEpochs(source)).subscribe();
 * // the same, naming the source once:
 * checkpointed(source, mapRecords(toOrder), { sink }).subscribe();
 */
export function deliverTo<T>(sink: RecordSink<T>, sourceName = 'pipeline'): MonoTypeOperatorFunction<SourceEvent<T>> {
  return (events) =>
    new Observable<SourceEvent<T>>((subscriber) => {
      // The sink sees events one at a time: while its answer is pending, later events queue here
      // (bounded by the source's flow control, since none of them is acknowledged yet).
      const queue: Array<SourceEvent<T> | { complete: true }> = [];
      let waiting = false;
      let closed = false;

      const drain = (): void => {
        while (!waiting && !closed && queue.length > 0) {
          const item = queue.shift()!;
          let result: MaybePromise<void>;
          try {
            result = 'complete' in item ? sink.flush() : item.type === 'chunk' ? (item.records.length > 0 ? sink.write(item.records, item) : undefined) : sink.flush();
          } catch (err) {
            fail(err, item);
            return;
          }
          if (isThenable(result)) {
            waiting = true;
            result.then(
              () => {
                waiting = false;
                if (closed) return;
                pass(item);
                drain();
              },
              (err: unknown) => fail(err, item),
            );
            return;
          }
          pass(item);
        }
      };

      const pass = (item: SourceEvent<T> | { complete: true }): void => {
        if ('complete' in item) subscriber.complete();
        else subscriber.next(item);
      };

      const fail = (err: unknown, item: SourceEvent<T> | { complete: true }): void => {
        if (closed) return;
        closed = true;
        const message = err instanceof Error ? err.message : String(err);
        let error: SourceError;
        if (err instanceof SourceError) error = err;
        else if ('complete' in item) error = new SourceError(`flushing the sink at completion failed: ${message}`, { source: sourceName }, { cause: err });
        else if (item.type === 'chunk') {
          error = new SourceError(`writing to the sink failed: ${message}`, { source: sourceName, split: item.splitId, offset: item.offset }, { cause: err });
        } else error = new SourceError(`flushing the sink before epoch ${item.epoch} failed: ${message}`, { source: sourceName }, { cause: err });
        subscriber.error(error);
      };

      const subscription = events.subscribe({
        next: (event) => {
          queue.push(event);
          drain();
        },
        error: (err: unknown) => {
          closed = true;
          subscriber.error(err);
        },
        complete: () => {
          queue.push({ complete: true });
          drain();
        },
      });
      return () => {
        closed = true;
        subscription.unsubscribe();
      };
    });
}
