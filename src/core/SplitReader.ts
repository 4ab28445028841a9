import type { Observable } from 'rxjs';
import type { BadRecordHandler } from './BadRecordHandler.js';
import type { MaybePromise } from './MaybePromise.js';
import type { Chunk } from './SourceEvent.js';
import type { MetricsReporter } from './SourceMetrics.js';
import type { SourceSplit, SplitPosition } from './SourceSplit.js';

/** What a reader is handed for one split. */
export interface ReaderContext {
  /** The source's name, for errors and logs. */
  readonly source: string;
  /** Applies the source's bad-record policy; readers call it for every record they cannot decode. */
  readonly badRecords: BadRecordHandler;
  /**
   * Flow control. `true` while the subscriber is behind (more records in flight than the
   * source's high-water mark): readers that can pause their upstream (Kafka fetches, file reads)
   * should, and resume when it turns `false`. Readers that cannot pause may ignore it.
   */
  readonly paused$: Observable<boolean>;
  /** Reports a warning on the source's `warnings$` (absent in hand-built contexts). */
  readonly warn?: (message: string) => void;
  /**
   * Where the reader reports upstream bytes and lag (see {@link MetricsReporter}); rows are
   * counted by the source. Absent in hand-built contexts.
   */
  readonly metrics?: MetricsReporter;
  /**
   * The most records a chunk should carry now. A chunk is never split by the source (its
   * `nextOffset` is the only position known inside it), so under a rate limit the source asks for
   * chunks of at most a tenth of a second of the limit, which it can then pace smoothly; without
   * one, `Infinity`. Readers that fetch big batches (Kafka) cut them to this at record boundaries;
   * others may ignore it (the limit still holds on average). Absent in hand-built contexts.
   */
  readonly chunkRows?: () => number;
}

/**
 * Reads one split from a position, as an Observable of chunks. It completes when a bounded split
 * is exhausted and never completes for an unbounded one. Unsubscribing must release every
 * resource (sockets, file handles, timers).
 *
 * `offset` is `null` when the split has no stored position: the connector then starts where its
 * configuration says (earliest, latest, a timestamp, the start of a file). Otherwise it is a
 * `nextOffset` that this reader put in an earlier chunk: the first record emitted must be the
 * one at that position, none before it.
 */
export interface SplitReader<S extends SourceSplit, T> {
  read(split: S, offset: string | null, context: ReaderContext): Observable<Chunk<T>>;
  /**
   * The checkpoint-complete hook (Flink's `SourceReader.notifyCheckpointComplete`): called with
   * the split positions of an epoch's snapshot once that epoch is committed (its barrier passed
   * the whole pipeline and the commit is in the state store), never before, never for an epoch
   * that was rolled back. This is where a connector tells its upstream what it may forget or
   * report: a Kafka lag commit, a Pulsar acknowledgement, a PostgreSQL slot's confirmed LSN.
   *
   * Calls come in epoch order, one at a time: the next waits until the promise of the previous
   * one settled. Epochs committed meanwhile are coalesced into the newest (its positions subsume
   * the older ones), so a slow hook never queues unboundedly. A hook's failure does not undo the
   * commit (the data is safe in the checkpoint): it is reported on the source's `warnings$`, and
   * the next epoch's call carries newer positions anyway. A finished split's final position
   * reaches the hook even if the newer snapshots no longer list the split (finished and given
   * back under split leases): coalescing and failed calls carry it into the next call.
   *
   * The call may come after the run that took the snapshot has ended (the final epoch of a
   * bounded source commits after its readers completed): a reader whose client is closed must
   * handle it, e.g. by ignoring it.
   */
  checkpointComplete?(checkpoint: CompletedCheckpoint<S>): MaybePromise<void>;
}

/** What the checkpoint-complete hook is handed: a committed epoch and its snapshot's positions. */
export interface CompletedCheckpoint<S extends SourceSplit = SourceSplit> {
  readonly epoch: number;
  /** Every split assigned at the barrier, by id, with the position stored for it. */
  readonly splits: ReadonlyMap<string, SplitPosition<S>>;
}
