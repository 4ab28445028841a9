import { Observable, type Subscriber } from 'rxjs';

/** What the body of {@link runLoop} gets. */
export interface LoopIo<T> {
  readonly subscriber: Subscriber<T>;
  /** Aborted when the subscriber unsubscribes; pass it to every client call and {@link sleep}. */
  readonly signal: AbortSignal;
}

/** True when an error comes from an abort (the subscriber went away), not from the upstream. */
export function isAbort(err: unknown, signal: AbortSignal): boolean {
  return signal.aborted || (typeof err === 'object' && err !== null && (err as { name?: unknown }).name === 'AbortError');
}

/**
 * An Observable driven by an async loop (a client's polling loop): `body` runs on subscription
 * and emits through `io.subscriber`; its settling completes the Observable (after `onComplete`)
 * or errors it with `describe(err)`. Unsubscribing aborts `io.signal`, and errors caused by that
 * abort are swallowed: a reader that is stopped does not fail.
 *
 * ```
 * body:         --a--b--(resolve)
 * runLoop:      --a--b--|
 * body:         --a--(reject e)
 * runLoop:      --a--#            (# = describe(e))
 * unsubscribe:  --a--^            (signal aborted; a late rejection is dropped)
 * ```
 *
 * @example
 * runLoop<Chunk<Row>>(async ({ subscriber, signal }) => {
 *   while (!signal.aborted) subscriber.next(await fetchNext(signal));
 * }, (err) => SourceError.wrap(err, { source, split: split.id }));
 */
export function runLoop<T>(
  body: (io: LoopIo<T>) => Promise<void>,
  describe: (err: unknown) => unknown,
  onComplete: () => void = () => undefined,
): Observable<T> {
  return new Observable<T>((subscriber) => {
    const abort = new AbortController();
    const signal = abort.signal;
    body({ subscriber, signal }).then(
      () => {
        if (signal.aborted) return;
        onComplete();
        subscriber.complete();
      },
      (err: unknown) => {
        if (isAbort(err, signal)) return;
        subscriber.error(describe(err));
      },
    );
    return () => abort.abort();
  });
}
