/**
 * The connector base: the fetch machinery every connector shares, held once. A connector
 * provides its split type, its enumerator and a fetch step; {@link fetchReader} runs the fetch
 * loop (pause gate, pacing, retries with backoff) on a scheduler, so its timing is
 * marble-testable. Async loops of its own (an enumerator's listing loop) use {@link runLoop},
 * {@link sleep}, {@link pauseGate} and {@link withRetries} directly.
 */
export { backoffDelay, type BackoffPolicy } from './backoff.js';
export { fetchReader, type FetchReaderOptions, type FetchRetryEvent, type FetchRetryPolicy } from './fetchReader.js';
export { pauseGate, type PauseGate } from './pauseGate.js';
export { RetriesExhaustedError } from './RetriesExhaustedError.js';
export { isAbort, runLoop, type LoopIo } from './runLoop.js';
export { sleep } from './sleep.js';
export type { FetchIo, Fetched, FetchStep, SplitFetch } from './SplitFetch.js';
export { RetryBudget, type RetryEvent, type RetryPolicy } from './RetryBudget.js';
export { withRetries, type RetryIo } from './withRetries.js';
