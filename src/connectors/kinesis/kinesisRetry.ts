import { errorName, httpStatus } from '../aws/awsErrors.js';

/**
 * How the reader treats a failed Kinesis call:
 * - `throttled`: over the shard's or account's limits; wait and retry, without limit (data is
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
 * Jitter keeps many shards throttled together from retrying in lockstep.
 */
export function backoffMs(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const exp = Math.min(maxMs, Math.max(1, baseMs) * 2 ** Math.max(0, attempt - 1));
  return Math.round(exp / 2 + random() * (exp / 2));
}
