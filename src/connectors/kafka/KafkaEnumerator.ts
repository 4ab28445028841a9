import {
  EMPTY,
  NEVER,
  asyncScheduler,
  catchError,
  concat,
  concatMap,
  defer,
  finalize,
  map,
  of,
  repeat,
  retry,
  take,
  throwError,
  timer,
  type Observable,
  type SchedulerLike,
} from 'rxjs';
import type { Enumerator, EnumeratorContext } from '../../core/Enumerator.js';
import { SourceError } from '../../core/SourceError.js';
import type { KafkaSourceConfig } from './KafkaSourceConfig.js';
import { kafkaClientErrorMessage } from './kafkaClientError.js';
import { kafkaSplit, type KafkaSplit } from './KafkaSplit.js';
import type { PartitionListing } from './PartitionListing.js';

/** Consecutive failed discovery polls (each after the client's own retries) after which the source fails. */
export const MAX_DISCOVERY_FAILURES = 5;

/**
 * Lists the topic's partitions as splits.
 *
 * - First start: every partition, starting where the startup mode says.
 * - Restart: the restored splits (their positions are in the checkpoint), plus partitions added
 *   since, which are read from their beginning (`fromEarliest`).
 * - Unbounded: polls the topic's partitions `partitionDiscoveryIntervalMs` after the previous
 *   poll ended (polls never overlap) and emits the grown set when partitions were added (Kafka
 *   partitions are never removed). A failed poll is tried again an interval later; only
 *   {@link MAX_DISCOVERY_FAILURES} failures in a row fail the source (reading goes on meanwhile).
 * - Bounded (`latest`): the set and each partition's stop offset (its end offset at the first
 *   start) are fixed once and kept in the checkpoint; the enumerator completes at once. A
 *   checkpoint written by an unbounded run has no stop offsets: its splits get the end offsets
 *   of this start (and partitions added since are read from their beginning up to theirs), so a
 *   bounded restart after an unbounded run completes.
 * - The bound belongs to the run, not to the split: an unbounded restart from a bounded run's
 *   checkpoint drops the stop offsets and reopens the partitions the bounded run finished.
 *
 * Every wait runs on `scheduler` (virtual time in marble tests); `listing` is opened per
 * subscription and released when it ends.
 *
 * @example
 * new KafkaEnumerator(config, () => new AdminPartitionListing(config, hub), scheduler);
 */
export class KafkaEnumerator implements Enumerator<KafkaSplit> {
  constructor(
    private readonly config: KafkaSourceConfig,
    private readonly listing: () => PartitionListing,
    private readonly scheduler: SchedulerLike = asyncScheduler,
  ) {}

  splits(context: EnumeratorContext<KafkaSplit>): Observable<readonly KafkaSplit[]> {
    const { topic, bounded, source, brokers } = this.config;
    return defer(() => {
      const listing = this.listing();
      const current = new Map<number, KafkaSplit>();
      let unboundedCheckpoint = false;
      /** Partitions whose restored position is finished (by an earlier bounded run). */
      const finished = new Set<number>();
      for (const position of context.restoredSplits.values()) {
        const split = position.split;
        // A checkpoint of another topic (the source was pointed elsewhere) is not ours to resume.
        if (split.topic !== topic || !Number.isInteger(split.partition)) continue;
        if (split.stopOffset === null) unboundedCheckpoint = true;
        if (position.finished) finished.add(split.partition);
        // Unbounded: a stop offset from a bounded run's checkpoint does not apply, and a
        // partition that run finished has more to read.
        current.set(split.partition, bounded ? split : kafkaSplit(topic, split.partition, null, split.fromEarliest, position.finished));
      }
      const restored = current.size > 0;
      const all = (): readonly KafkaSplit[] => [...current.values()].sort((a, b) => a.partition - b.partition);
      /** Adds the partitions not known yet; whether there were any. */
      const add = (partitions: readonly number[], fromEarliest: boolean): boolean => {
        let added = false;
        for (const partition of partitions) {
          if (current.has(partition)) continue;
          current.set(partition, kafkaSplit(topic, partition, null, fromEarliest));
          added = true;
        }
        return added;
      };

      const splits$ = bounded
        ? restored && !unboundedCheckpoint
          ? of(all())
          : listing.partitions().pipe(
              // Listing first gives a clear error for a missing topic.
              concatMap(() => listing.endOffsets()),
              map((ends) => {
                for (const { partition, high } of ends) {
                  const known = current.get(partition);
                  // A split restored with its stop offset keeps it; one without gets today's end
                  // (reopened if a bounded run before the unbounded one had finished it).
                  if (known === undefined) current.set(partition, kafkaSplit(topic, partition, high, restored));
                  else if (known.stopOffset === null) current.set(partition, kafkaSplit(topic, partition, high, known.fromEarliest, finished.has(partition)));
                }
                return all();
              }),
            )
        : concat(
            listing.partitions().pipe(
              map((found) => {
                if (found.length === 0) throw new SourceError(`topic '${topic}' has no partitions`, { source });
                add(found, restored);
                return all();
              }),
            ),
            this.discovered(listing).pipe(concatMap((found) => (add(found, true) ? of(all()) : EMPTY))),
          );
      return splits$.pipe(
        catchError((err: unknown) =>
          throwError(() => (err instanceof SourceError ? err : new SourceError(kafkaClientErrorMessage(err, brokers), { source }, { cause: err }))),
        ),
        finalize(() => listing.release()),
      );
    });
  }

  /**
   * The partition lists of the discovery polls. Each poll starts an interval after the previous
   * one ended; a failure is retried an interval later, and the count starts over after a success.
   */
  private discovered(listing: PartitionListing): Observable<readonly number[]> {
    const { topic, source, brokers, partitionDiscoveryIntervalMs: every } = this.config;
    if (every === 0) return NEVER;
    return timer(every, this.scheduler).pipe(
      concatMap(() => listing.partitions().pipe(take(1))),
      repeat(),
      retry({
        count: MAX_DISCOVERY_FAILURES - 1,
        resetOnSuccess: true,
        // A SourceError (the topic is gone) is final; anything else is tried again.
        delay: (err: unknown) => (err instanceof SourceError ? throwError(() => err) : of(true)),
      }),
      catchError((err: unknown) => {
        if (err instanceof SourceError) return throwError(() => err);
        const why = kafkaClientErrorMessage(err, brokers);
        return throwError(
          () => new SourceError(`partition discovery of topic '${topic}' failed ${MAX_DISCOVERY_FAILURES} times in a row: ${why}`, { source }, { cause: err }),
        );
      }),
    );
  }
}
