import type { Observable } from 'rxjs';

/** A partition's end offset (the offset the next record produced to it will get). */
export interface PartitionEnd {
  readonly partition: number;
  readonly high: string;
}

/**
 * What the Kafka enumerator asks of the cluster, as Observables that emit once and complete, so
 * that all of the enumerator's timing (poll intervals, retries) runs on its scheduler and can be
 * marble-tested with a scripted listing. {@link AdminPartitionListing} is the real one.
 */
export interface PartitionListing {
  /**
   * The topic's partition ids, ascending. A {@link SourceError} (the topic does not exist) is
   * final; any other error is worth another try later.
   */
  partitions(): Observable<readonly number[]>;
  /** Every partition's end offset (bounded mode). */
  endOffsets(): Observable<readonly PartitionEnd[]>;
  /** Lets go of the connection; called once the enumerator is done with it. */
  release(): void;
}
