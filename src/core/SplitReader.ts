import type { Observable } from 'rxjs';
import type { BadRecordHandler } from './BadRecordHandler.js';
import type { Chunk } from './SourceEvent.js';
import type { SourceSplit } from './SourceSplit.js';

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
}
