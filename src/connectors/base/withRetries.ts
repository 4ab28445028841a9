import { asyncScheduler, type SchedulerLike } from 'rxjs';
import { RetryBudget, type RetryPolicy } from './RetryBudget.js';
import { sleep } from './sleep.js';

/** Where {@link withRetries} waits. */
export interface RetryIo {
  /** Aborting it ends the wait; the call's last error is then rethrown. */
  readonly signal: AbortSignal;
  /** Backoffs run on it; default `asyncScheduler`. */
  readonly scheduler?: SchedulerLike | undefined;
}

/**
 * Runs `call`, retrying its failures with exponential backoff, each kind of failure up to its
 * own budget (throttling may be retried far more often than a refused connection: the data is
 * only delayed). Every retry is reported to `onRetry` before its backoff. Backoffs wait on
 * `io.scheduler`, so retry timing is marble-testable.
 *
 * ```
 * call:     --#              (transient)
 * retry 1:      200ms--#     (transient)
 * retry 2:            400ms--a
 * result:   ----------------a|
 * ```
 *
 * @example
 * const shards = await withRetries(() => client.send(new ListShardsCommand(req), { abortSignal: signal }), {
 *   classify: (err) => (isThrottling(err) ? 'throttled' : isTransient(err) ? 'transient' : null),
 *   retries: { throttled: 40, transient: 3 },
 *   backoff: { baseMs: 500, maxMs: 10_000, jitter: 'equal' },
 * }, { signal, scheduler });
 */
export async function withRetries<R>(call: () => Promise<R>, policy: RetryPolicy, io: RetryIo): Promise<R> {
  const budget = new RetryBudget(policy);
  for (;;) {
    try {
      return await call();
    } catch (err) {
      if (io.signal.aborted) throw err;
      await sleep(budget.failed(err), io.signal, io.scheduler ?? asyncScheduler);
      if (io.signal.aborted) throw err;
    }
  }
}
