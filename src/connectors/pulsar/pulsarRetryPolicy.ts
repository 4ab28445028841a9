import type { RetryPolicy } from '../base/RetryBudget.js';
import { isTransient } from './pulsarErrors.js';
import type { PulsarConfig } from './pulsarProperties.js';

/**
 * How the Pulsar connector retries a failed broker call (admin REST or WebSocket): transient
 * failures (refused or reset connections, timeouts, 5xx: a restarting broker) up to
 * `retryAttempts` times in a row, with equal-jitter backoff from 200 ms doubling up to
 * `maxBackoffMs`; anything else (a missing topic, a refused token) is not retried. One place
 * for the reader's reconnects and the enumerator's listing.
 *
 * ```
 * maxBackoffMs 1000, random 1:   retry 1 → 200, 2 → 400, 3 → 800, 4 → 1000   (random 0: half of each)
 * ```
 *
 * @example
 * const count = await withRetries(() => admin.partitions(topic, signal), pulsarRetryPolicy(config), { signal, scheduler });
 */
export function pulsarRetryPolicy(config: Pick<PulsarConfig, 'retryAttempts' | 'maxBackoffMs'>, random?: () => number): RetryPolicy {
  return {
    classify: (err) => (isTransient(err) ? 'transient' : null),
    retries: { transient: config.retryAttempts },
    backoff: { baseMs: 200, maxMs: config.maxBackoffMs, jitter: 'equal', ...(random !== undefined ? { random } : {}) },
  };
}
