import type { SchedulerLike } from 'rxjs';

/**
 * Resolves after `ms` on `scheduler` (virtual time in tests), or at once when `signal` aborts
 * (callers check `signal.aborted`).
 * TODO(base): replace with the shared sleep of src/connectors/base once it lands.
 * @internal
 */
export function sleepOn(scheduler: SchedulerLike, ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const action = scheduler.schedule(() => done(), Math.max(0, ms));
    function done(): void {
      action.unsubscribe();
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
