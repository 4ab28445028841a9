import { Observable, type OperatorFunction } from 'rxjs';
import type { SourceEvent } from './SourceEvent.js';

/**
 * Flattens chunks into single records and drops barriers: for the end of a pipeline that wants
 * rows (or messages), after {@link commitEpochs} (at the end of {@link checkpointed}). Cheaper than `mergeMap(c => c.records)`: no
 * inner Observable per chunk.
 *
 * @example
 * checkpointed(source).pipe(toRecords()).subscribe((row) => console.log(row));
 */
export function toRecords<T>(): OperatorFunction<SourceEvent<T>, T> {
  return (events) =>
    new Observable<T>((subscriber) =>
      events.subscribe({
        next: (event) => {
          if (event.type !== 'chunk') return;
          for (const record of event.records) {
            if (subscriber.closed) return;
            subscriber.next(record);
          }
        },
        error: (err: unknown) => subscriber.error(err),
        complete: () => subscriber.complete(),
      }),
    );
}
