import type { Observable } from 'rxjs';

/** What {@link pauseGate} returns. */
export interface PauseGate {
  /** Resolves at once while not paused; otherwise when `paused$` turns `false` or the signal aborts. */
  wait(): Promise<void>;
}

/**
 * Follows a reader's `paused$` (the source's flow control) so an async fetch loop can hold off
 * between fetches: the gate subscribes once and remembers the latest value, so a pause that
 * starts and ends between two waits costs nothing, and a resume while waiting wakes the loop at
 * once. Unsubscribes when `signal` aborts (and then never blocks again).
 *
 * ```
 * paused$:  f-----t---------f----
 * wait():   a-----b---------|      (a resolves at once; b waits until f)
 * ```
 *
 * @example
 * const gate = pauseGate(context.paused$, signal);
 * for (;;) { await gate.wait(); if (signal.aborted) return; emit(await fetchNext()); }
 */
export function pauseGate(paused$: Observable<boolean>, signal: AbortSignal): PauseGate {
  let paused = false;
  const waiting = new Set<() => void>();
  const wakeAll = (): void => {
    for (const resume of [...waiting]) resume();
    waiting.clear();
  };
  const subscription = paused$.subscribe((value) => {
    paused = value;
    if (!value) wakeAll();
  });
  signal.addEventListener(
    'abort',
    () => {
      subscription.unsubscribe();
      wakeAll();
    },
    { once: true },
  );
  return {
    async wait() {
      while (paused && !signal.aborted) await new Promise<void>((resolve) => waiting.add(resolve));
    },
  };
}
