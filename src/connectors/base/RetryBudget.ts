import { backoffDelay, type BackoffPolicy } from './backoff.js';
import { RetriesExhaustedError } from './RetriesExhaustedError.js';

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

/** How failures are retried: which budget each draws on, how many retries each allows, the backoff. */
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

/**
 * Counts failures against a {@link RetryPolicy}'s budgets and says how long to back off before
 * the next try: the bookkeeping {@link withRetries} and the fetch loop share (they differ only in
 * when the budgets start over: for a call, never; for a fetch loop, when the position moves).
 *
 * ```
 * failures:  #      #      #      #        (retries { transient: 3 }, baseMs 100)
 * failed():  100    200    400    throws RetriesExhaustedError (4 attempts)
 * ```
 *
 * @example
 * const budget = new RetryBudget(policy);
 * try { return await call(); } catch (err) { await sleep(budget.failed(err), signal, scheduler); }
 */
export class RetryBudget {
  readonly #used = new Map<string, number>();

  constructor(private readonly policy: RetryPolicy) {}

  /**
   * Counts `err` against its budget, reports the retry and returns the backoff before it.
   * Throws `err` itself when the policy does not retry it, and the policy's exhausted error
   * (default a {@link RetriesExhaustedError}) when its budget is spent.
   */
  failed(err: unknown): number {
    const { policy } = this;
    const kind = policy.classify(err);
    if (kind === null) throw err;
    const attempt = (this.#used.get(kind) ?? 0) + 1;
    this.#used.set(kind, attempt);
    if (attempt > (policy.retries[kind] ?? 0)) {
      if (policy.exhausted !== undefined) throw policy.exhausted(err, kind, attempt);
      throw new RetriesExhaustedError(attempt, err instanceof Error ? err.message : String(err), err instanceof Error ? err.name : 'Error');
    }
    const delayMs = backoffDelay(attempt, policy.backoff);
    policy.onRetry?.({ kind, attempt, delayMs, error: err });
    return delayMs;
  }

  /** Starts every budget over (progress was made). */
  reset(): void {
    this.#used.clear();
  }
}
