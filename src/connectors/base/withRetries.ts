import { asyncScheduler, type SchedulerLike } from 'rxjs';
import { backoffDelay, type BackoffPolicy } from './backoff.js';
import { RetriesExhaustedError } from './RetriesExhaustedError.js';
import { sleep } from './sleep.js';

/** One retry, reported before its backoff (for logs, metrics and tests). */
export interface RetryEvent {
  /** The budget it draws on (see {@link RetryPolicy.classify}). */
  readonly kind: string;
  /** 1 for the first retry of this budget. */
  readonly attempt: number;
  /** The backoff before the retry. */
  readonly delayMs: number;
  readonly error: unknown;
}

/** How {@link withRetries} retries one call. */
export interface RetryPolicy {
  /**
   * The budget an error draws on (`'throttled'`, `'transient'` ...), or `null` for an error that
   * is not retried (rethrown at once: a missing stream, bad credentials).
   */
  readonly classify: (err: unknown) => string | null;
  /** Retries allowed per budget, not counting the first try. A budget not named allows none. */
  readonly retries: Readonly<Record<string, number>>;
  readonly backoff: BackoffPolicy;
  readonly onRetry?: ((event: RetryEvent) => void) | undefined;
  /**
   * The error thrown when a budget is spent; default a {@link RetriesExhaustedError} with the
   * last error's message and name. `attempts` counts the tries of that budget, the first included.
   */
  readonly exhausted?: ((err: unknown, kind: string, attempts: number) => Error) | undefined;
}

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
  const used = new Map<string, number>();
  for (;;) {
    try {
      return await call();
    } catch (err) {
      if (io.signal.aborted) throw err;
      const kind = policy.classify(err);
      if (kind === null) throw err;
      const attempt = (used.get(kind) ?? 0) + 1;
      used.set(kind, attempt);
      if (attempt > (policy.retries[kind] ?? 0)) throw exhaustedError(policy, err, kind, attempt);
      const delayMs = backoffDelay(attempt, policy.backoff);
      policy.onRetry?.({ kind, attempt, delayMs, error: err });
      await sleep(delayMs, io.signal, io.scheduler ?? asyncScheduler);
      if (io.signal.aborted) throw err;
    }
  }
}

/** The error a spent budget ends in (see {@link RetryPolicy.exhausted}). @internal */
export function exhaustedError(policy: Pick<RetryPolicy, 'exhausted'>, err: unknown, kind: string, attempts: number): Error {
  if (policy.exhausted !== undefined) return policy.exhausted(err, kind, attempts);
  const name = err instanceof Error ? err.name : 'Error';
  return new RetriesExhaustedError(attempts, err instanceof Error ? err.message : String(err), name);
}
