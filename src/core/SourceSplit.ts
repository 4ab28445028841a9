import type { JsonValue } from './Json.js';

/**
 * One independently readable part of an upstream: a Kafka partition, a Kinesis shard, a file, an
 * object. Splits are stored in checkpoints, so every field must be JSON-serializable.
 *
 * @example
 * interface PartitionSplit extends SourceSplit { topic: string; partition: number }
 * const split: PartitionSplit = { id: 'orders-3', topic: 'orders', partition: 3 };
 */
export interface SourceSplit {
  /** Unique within its source, stable across restarts: the key of its position in checkpoints. */
  readonly id: string;
  /**
   * Fields are the connector's own, except `reopen`: an enumerator sets `reopen: true` on a split
   * whose stored position is `finished` but whose upstream has more to read now (a file that grew
   * between runs), and the source reads it again from its stored offset instead of skipping it.
   * Only looked at when a reader is started.
   */
  readonly [field: string]: JsonValue;
}

/**
 * Where a split stands: the position of the next record to read (`null` before the first one
 * was read, meaning "the connector's configured start"), and whether a bounded split is done.
 */
export interface SplitPosition<S extends SourceSplit = SourceSplit> {
  readonly split: S;
  readonly offset: string | null;
  readonly finished: boolean;
}
