/**
 * A batch of records from one split, emitted as a unit. Chunks, not single records, flow through
 * a source: per-event overhead in RxJS is paid once a chunk instead of once a record.
 *
 * `nextOffset` is the position right after the last record of the chunk: the offset a checkpoint
 * taken after this chunk stores for its split, and from which a restart resumes.
 *
 * A chunk may carry no records: it then only moves its split's position (past Kafka transaction
 * markers, say, or to pin a resolved `latest` start so a crash cannot skip what arrives next).
 */
export interface Chunk<T> {
  readonly type: 'chunk';
  readonly splitId: string;
  readonly records: readonly T[];
  /** Position of the first record of the chunk (for error reports). */
  readonly offset: string;
  /** Position after the last record of the chunk (what a checkpoint stores). */
  readonly nextOffset: string;
}

/**
 * A checkpoint marker interleaved with chunks. Every chunk emitted before a barrier lies within
 * its epoch's snapshot; every chunk after it lies after the snapshot. Epochs increase
 * monotonically across restarts of the same source and state store.
 */
export interface Barrier {
  readonly type: 'barrier';
  readonly epoch: number;
  /** Present and true on the checkpoint a bounded source writes when it completes. */
  readonly final?: true;
}

/** What a source emits: data chunks and the barriers between them. */
export type SourceEvent<T> = Chunk<T> | Barrier;

/** Type guard for {@link Chunk}. */
export function isChunk<T>(event: SourceEvent<T>): event is Chunk<T> {
  return event.type === 'chunk';
}

/** Type guard for {@link Barrier}. */
export function isBarrier<T>(event: SourceEvent<T>): event is Barrier {
  return event.type === 'barrier';
}

/**
 * Builds a chunk. Connectors use it so that every chunk has the same shape (and hidden class).
 *
 * @example
 * chunk('orders-0', messages, '41', '45')
 */
export function chunk<T>(splitId: string, records: readonly T[], offset: string, nextOffset: string): Chunk<T> {
  return { type: 'chunk', splitId, records, offset, nextOffset };
}
