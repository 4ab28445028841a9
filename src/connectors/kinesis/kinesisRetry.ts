import type { SchedulerLike } from 'rxjs';
import { errorName, httpStatus } from '../aws/awsErrors.js';
import { backoffDelay } from '../base/backoff.js';
import { RetriesExhaustedError } from '../base/RetriesExhaustedError.js';
import { withRetries } from '../base/withRetries.js';

/**
 * How the reader treats a failed Kinesis call:
 * - `throttled`: over the shard's or account's limits; wait and retry, a large number of times (data is
 *   not lost, only delayed);
 * - `expired`: the shard iterator is older than 5 minutes; get a new one after the last
 *   delivered sequence number and go on;
 * - `transient`: a 5xx or network error; retry a bounded number of times;
 * - `fatal`: anything else (missing stream, bad credentials): the source fails.
 */
export type KinesisErrorKind = 'throttled' | 'expired' | 'transient' | 'fatal';

const throttled = new Set([
  'ProvisionedThroughputExceededException',
  'LimitExceededException',
  'ThrottlingException',
  'Throttling',
  'RequestLimitExceeded',
  'KMSThrottlingException',
  'TooManyRequestsException',
]);
const transient = new Set([
  'InternalFailure',
  'InternalFailureException',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'InternalServerError',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
]);

/** Classifies an SDK error (see {@link KinesisErrorKind}). */
export function classifyKinesisError(err: unknown): KinesisErrorKind {
  const name = errorName(err);
  if (name === 'ExpiredIteratorException') return 'expired';
  if (throttled.has(name)) return 'throttled';
  const status = httpStatus(err);
  if (status === 429) return 'throttled';
  if (transient.has(name) || (status !== undefined && status >= 500)) return 'transient';
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && transient.has(code)) return 'transient';
  if (err instanceof Error && /socket hang up|ECONNRESET|network/i.test(err.message)) return 'transient';
  return 'fatal';
}

/**
 * Exponential backoff with "equal jitter": half the doubled delay, plus a random half, capped.
 * Jitter keeps many shards throttled together from retrying in lockstep. (The base's
 * `backoffDelay` with `jitter: 'equal'`, under the name this module has always exported.)
 */
export function backoffMs(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  return backoffDelay(attempt, { baseMs, maxMs, jitter: 'equal', random });
}

/** The Kinesis calls the connector makes, as named in retry events and errors. */
export type KinesisOperation = 'ListShards' | 'GetShardIterator' | 'GetRecords';

/** One retry of a Kinesis call, reported before its backoff (for logs, metrics and tests). */
export interface KinesisRetryEvent {
  readonly operation: KinesisOperation;
  /** The shard read, or `''` for ListShards. */
  readonly shard: string;
  readonly kind: 'throttled' | 'expired' | 'transient';
  /** 1 for the first retry of this call. */
  readonly attempt: number;
  /** The error, scrubbed of credentials. */
  readonly error: string;
}

/** How {@link callKinesis} retries. */
export interface KinesisRetryPolicy {
  readonly operation: KinesisOperation;
  readonly shard: string;
  /** Retries of transient errors before giving up. */
  readonly transientRetries: number;
  /** Retries of throttling before giving up. */
  readonly throttledRetries: number;
  readonly baseMs: number;
  readonly maxBackoffMs: number;
  readonly signal: AbortSignal;
  /** Where backoffs wait (virtual time in tests). */
  readonly scheduler?: SchedulerLike | undefined;
  readonly onRetry?: ((event: KinesisRetryEvent) => void) | undefined;
  /** Scrubs an SDK error's message for the retry event. */
  readonly describe: (err: unknown) => string;
}

/**
 * Runs one Kinesis call with the connector's retry rules: throttling is retried with backoff up
 * to `throttledRetries` times (a large budget: the data is only delayed), transient errors (5xx,
 * refused or reset connections, timeouts) up to `transientRetries` times; then it throws a
 * {@link RetriesExhaustedError}; an expired iterator returns `'expired'` at once; anything
 * else is rethrown as it is. Every retry is reported to `onRetry` before its backoff.
 */
export async function callKinesis<R>(call: () => Promise<R>, policy: KinesisRetryPolicy): Promise<R | 'expired'> {
  const { operation, shard } = policy;
  return withRetries<R | 'expired'>(
    async () => {
      try {
        return await call();
      } catch (err) {
        // An expired iterator is not a failure to retry: the caller gets a new iterator.
        if (policy.signal.aborted || classifyKinesisError(err) !== 'expired') throw err;
        policy.onRetry?.({ operation, shard, kind: 'expired', attempt: 1, error: policy.describe(err) });
        return 'expired';
      }
    },
    {
      classify: (err) => {
        const kind = classifyKinesisError(err);
        return kind === 'throttled' || kind === 'transient' ? kind : null;
      },
      retries: { throttled: policy.throttledRetries, transient: policy.transientRetries },
      backoff: { baseMs: policy.baseMs, maxMs: policy.maxBackoffMs, jitter: 'equal' },
      onRetry: ({ kind, attempt, error }) => policy.onRetry?.({ operation, shard, kind: kind as 'throttled' | 'transient', attempt, error: policy.describe(error) }),
      exhausted: (err, kind, attempts) =>
        new RetriesExhaustedError(attempts, `${kind === 'throttled' ? 'throttled: ' : ''}${policy.describe(err)}`, errorName(err)),
    },
    { signal: policy.signal, scheduler: policy.scheduler },
  );
}
