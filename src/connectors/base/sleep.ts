import { asyncScheduler, type SchedulerLike } from 'rxjs';

/**
 * Resolves after `ms` on `scheduler` (virtual time under a TestScheduler), or at once when
 * `signal` aborts; callers check `signal.aborted` after it. Never rejects, so a loop can
 * `await sleep(...)` between steps without a try. A delay of 0 or less resolves at once, without
 * a timer (a loop that is not behind pays nothing).
 *
 * ```
 * sleep(30):        ---------------------------- 30ms done
 * aborted at 10:    ---------- done
 * ```
 *
 * @example
 * await sleep(backoffDelay(attempt, policy), signal, scheduler);
 * if (signal.aborted) return;
 */
export function sleep(ms: number, signal: AbortSignal, scheduler: SchedulerLike = asyncScheduler): Promise<void> {
  if (!(ms > 0) || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      action.unsubscribe();
      signal.removeEventListener('abort', done);
      resolve();
    };
    const action = scheduler.schedule(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
