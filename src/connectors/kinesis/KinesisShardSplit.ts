import type { SourceSplit } from '../../core/SourceSplit.js';

/** Where a shard without a stored position starts. */
export type ShardStart = 'TRIM_HORIZON' | 'LATEST' | 'AT_TIMESTAMP';

/**
 * One Kinesis shard as a split. Its offset is the sequence number of the last record delivered;
 * a restart resumes `AFTER_SEQUENCE_NUMBER` it.
 */
export interface KinesisShardSplit extends SourceSplit {
  /** The shard id. */
  readonly id: string;
  readonly stream: string;
  /** `ParentShardId` and `AdjacentParentShardId`: read to their end before this shard. */
  readonly parents: string[];
  /**
   * Where to start without a stored position: the configured startup mode for shards present at
   * the first start, `TRIM_HORIZON` for shards discovered later (children of a reshard), whose
   * first records would otherwise be lost.
   */
  readonly start: ShardStart;
  /** For `AT_TIMESTAMP`: milliseconds since the epoch; otherwise `null`. */
  readonly startTimestamp: number | null;
}
