import { Observable } from 'rxjs';

/**
 * A value now or a value later. State stores may answer synchronously (the in-memory store does),
 * which keeps checkpointing deterministic under the RxJS TestScheduler; durable stores answer with
 * a Promise.
 */
export type MaybePromise<T> = T | PromiseLike<T>;

/** @internal True when `value` has a callable `then`. */
export function isThenable<T>(value: MaybePromise<T>): value is PromiseLike<T> {
  return typeof (value as PromiseLike<T> | null)?.then === 'function';
}

/**
 * Turns a {@link MaybePromise} into an Observable that emits synchronously when the value is
 * already there. `from(promise)` would always defer to a microtask, which virtual time cannot see.
 * @internal
 */
export function fromMaybePromise<T>(produce: () => MaybePromise<T>): Observable<T> {
  return new Observable<T>((subscriber) => {
    let value: MaybePromise<T>;
    try {
      value = produce();
    } catch (err) {
      subscriber.error(err);
      return;
    }
    if (!isThenable(value)) {
      subscriber.next(value);
      subscriber.complete();
      return;
    }
    value.then(
      (v) => {
        subscriber.next(v);
        subscriber.complete();
      },
      (err: unknown) => subscriber.error(err),
    );
  });
}
