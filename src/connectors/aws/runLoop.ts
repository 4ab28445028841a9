import { Observable, type Subscriber } from 'rxjs';
import { isAbort } from './awsErrors.js';

/** What the body of {@link runLoop} gets. */
export interface LoopIo<T> {
  readonly subscriber: Subscriber<T>;
  /** Aborted when the subscriber unsubscribes; pass it to every SDK call and sleep. */
  readonly signal: AbortSignal;
}

/**
 * An Observable driven by an async loop (an SDK polling loop): `body` runs on subscription and
 * emits through `io.subscriber`; its settling completes the Observable (after `onComplete`) or
 * errors it with `describe(err)`. Unsubscribing aborts `io.signal`, and errors caused by that
 * abort are swallowed. @internal
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

/**
 * Follows a reader's `paused$` for flow control: `wait()` resolves at once while not paused,
 * otherwise when `paused$` turns false or `signal` aborts. @internal
 */
export function pauseGate(paused$: Observable<boolean>, signal: AbortSignal): { wait(): Promise<void> } {
  let paused = false;
  let resume: (() => void) | undefined;
  const subscription = paused$.subscribe((value) => {
    paused = value;
    if (!value) resume?.();
  });
  signal.addEventListener(
    'abort',
    () => {
      subscription.unsubscribe();
      resume?.();
    },
    { once: true },
  );
  return {
    async wait() {
      while (paused && !signal.aborted) await new Promise<void>((r) => (resume = r));
    },
  };
}
