import { identity, type Observable, type OperatorFunction } from 'rxjs';
import { commitEpochs } from './commitEpochs.js';
import { deliverTo, type RecordSink } from './deliverTo.js';
import type { Source } from './Source.js';
import type { SourceEvent } from './SourceEvent.js';

/** Options of {@link checkpointed}. */
export interface CheckpointedOptions<R> {
  /**
   * Where the pipeline's records are written before their epoch commits (see {@link deliverTo}):
   * a barrier commits only after `sink.flush()` resolved. After a rollback (a resubscription) the
   * sink receives the records after the last committed epoch again (at-least-once).
   */
  readonly sink?: RecordSink<R>;
}

/**
 * The common pipeline in one call, naming the source once: `source`'s events through `pipeline`
 * (through `options.sink`, when given), then {@link commitEpochs} of that same source, so every
 * barrier that got through the whole pipeline commits its epoch and every chunk that did is
 * acknowledged for flow control. The same as `source.pipe(pipeline, commitEpochs(source))`,
 * without the chance of committing a different source than the one read.
 *
 * No retry: an error reaches the subscriber (see {@link runWithCheckpoints} for rollback and
 * retry). Like the source itself, subscribe to the result once at a time.
 *
 * ```
 * source:          -a--b--1--c--2|
 * pipeline:        -A--B--1--C--2|      (e.g. mapRecords(toUpper))
 * checkpointed:    -A--B--1--C--2|      (1 and 2 pass on once committed)
 * source.commit:          1     2
 * ```
 *
 * @example
 * checkpointed(orders).pipe(toRecords()).subscribe(console.log);
 *
 * @example
 * checkpointed(orders, mapRecords(toOrder, orders.name), { sink: { write: (rows) => db.insert(rows), flush: () => db.sync() } }).subscribe();
 */
export function checkpointed<T>(source: Source<T>): Observable<SourceEvent<T>>;
export function checkpointed<T, R>(
  source: Source<T>,
  pipeline: OperatorFunction<SourceEvent<T>, SourceEvent<R>>,
  options?: CheckpointedOptions<R>,
): Observable<SourceEvent<R>>;
export function checkpointed<T, R>(
  source: Source<T>,
  pipeline: OperatorFunction<SourceEvent<T>, SourceEvent<R>> = identity as OperatorFunction<SourceEvent<T>, SourceEvent<R>>,
  options: CheckpointedOptions<R> = {},
): Observable<SourceEvent<R>> {
  const { sink } = options;
  return sink === undefined
    ? source.pipe(pipeline, commitEpochs<R>(source))
    : source.pipe(pipeline, deliverTo(sink, source.name), commitEpochs<R>(source));
}
