import type { SourceSplit } from '../../core/SourceSplit.js';

/**
 * Where a split without a stored position starts: `earliest`, a resolved message id
 * (`startMessageId`, exclusive: the reader begins after it; how `latest` is kept, so that a
 * reconnect before the first message does not skip what arrived meanwhile), or the first
 * message published at or after `startTimestamp`.
 */
export type PulsarSplitStart = 'earliest' | 'message' | 'timestamp';

/**
 * One Pulsar topic partition (or a non-partitioned topic) as a split. Its offset is the message
 * id (base64, as the WebSocket API gives it) of the last message delivered; a restart reads
 * from the message after it, so the message at the checkpoint is not delivered again.
 */
export interface PulsarSplit extends SourceSplit {
  /** The partition's full topic name (`persistent://t/ns/topic-partition-2`), or the topic's. */
  readonly id: string;
  /** The topic the source reads (full name), for recognizing a checkpoint of another topic. */
  readonly topic: string;
  /** The partition index; -1 for a non-partitioned topic. */
  readonly partition: number;
  readonly start: PulsarSplitStart;
  /** For `message`: the id to start after. */
  readonly startMessageId: string | null;
  /** For `timestamp`: ms since the epoch. */
  readonly startTimestamp: number | null;
  /**
   * Bounded mode: the id of the last message the partition had at the first start (the split
   * completes once it is delivered), `''` when it had none; `null` when unbounded.
   */
  readonly end: string | null;
}
