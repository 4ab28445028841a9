import type { Observable } from 'rxjs';
import type { StateStore } from './StateStore.js';
import type { BadRecordStats, DeadLetter } from './BadRecordHandler.js';
import type { MaybePromise } from './MaybePromise.js';
import type { SourceEvent } from './SourceEvent.js';
import type { SourceMetrics } from './SourceMetrics.js';
import type { SourceWarning } from './SourceWarning.js';

/**
 * A running-ready source: a cold Observable of chunks and barriers. Every subscription restores
 * from the last successful epoch in the state store, so RxJS `retry` around a pipeline that ends
 * in {@link commitEpochs} is a rollback to the last good checkpoint. {@link checkpointed} builds
 * that pipeline naming the source once; {@link runWithCheckpoints} adds the retry.
 *
 * One subscription at a time: two live runs would write the same checkpoints, so a source made
 * by `createSource` refuses a second subscription while one is live (it errors with a
 * {@link SourceError} naming the source). Subscribing again after the first ended (completed,
 * failed or unsubscribed: a retry, a rollback) is how a source resumes.
 */
export interface Source<T> extends Observable<SourceEvent<T>> {
  /** The name used in errors and as the key prefix in the state store. */
  readonly name: string;
  /** Where checkpoints go. */
  readonly store: StateStore;
  /**
   * Marks `epoch` successful: its barrier went through the whole pipeline. Recovery resumes from
   * the last successful epoch; older epochs are garbage-collected. Called by `commitEpochs`.
   */
  commit(epoch: number): MaybePromise<void>;
  /**
   * Tells the source that `records` records have reached the end of the pipeline. Drives flow
   * control; called by `commitEpochs`.
   */
  acknowledge(records: number): void;
  /**
   * Counts of skipped and dead-lettered records. A bad record counts when the chunk its reader
   * emitted after it (the position past it) goes out, as its dead letter does.
   */
  readonly badRecordStats: BadRecordStats;
  /**
   * Records set aside under the `dead-letter` policy, each in the same step as the chunk that
   * moves its split's position past it: a checkpoint covers both or neither, so a rollback
   * repeats a dead letter only with the rows around it (at least once, as the rows).
   */
  readonly deadLetters$: Observable<DeadLetter>;
  /**
   * Warnings from the enumerator and readers (see {@link SourceWarning}): hot, never completes.
   * Optional so that wrappers and hand-written sources need not provide it.
   */
  readonly warnings$?: Observable<SourceWarning>;
  /**
   * Resolves once the clients of ended subscriptions are closed and what they still had to tell
   * their upstream is sent (Kafka: the last lag commit, leaving its groups). Unsubscribing is
   * synchronous, closing a client is not: a process about to exit awaits this. Optional: a
   * source with nothing left in the background after a run has none.
   */
  closed?(): Promise<void>;
  /**
   * The source's figures now: rows, bytes and lag per split, the last checkpoint's write time and
   * size, the rate limit (see {@link SourceMetrics}). Cheap enough to poll once a second.
   */
  metrics(): SourceMetrics;
  /** The same figures after every checkpoint: hot, never completes. */
  readonly metrics$: Observable<SourceMetrics>;
  /** Rows per second the source is limited to (`null`: none, `0`: paused). */
  readonly rateLimit: number | null;
  /**
   * Changes the rate limit while running (RisingWave's `ALTER SOURCE ... SET source_rate_limit`):
   * the live run changes pace at once, later runs start with it.
   */
  setRateLimit(rowsPerSecond: number | null): void;
}
