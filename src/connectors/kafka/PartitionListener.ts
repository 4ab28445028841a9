import type { KafkaMessage } from 'kafkajs';
import type { SourceError } from '../../core/SourceError.js';
import type { KafkaSplit } from './KafkaSplit.js';

/** What a split reader hands the {@link KafkaConsumerHub} for its partition. */
export interface PartitionListener {
  readonly split: KafkaSplit;
  /** The stored position (next offset to read), or `null`: start where the configuration says. */
  readonly offset: string | null;
  /**
   * Records from `position` on, and the position after them. `messages` may be empty: the
   * position moved over records nobody sees (transaction markers, aborted records) or was just
   * resolved from the startup mode. `highWatermark` is the partition's end as the fetch saw it
   * (the lag is what lies between `nextPosition` and it), when the broker sent one. Must not throw.
   */
  onRecords(messages: readonly KafkaMessage[], position: bigint, nextPosition: bigint, highWatermark?: bigint): void;
  /** Bounded mode: the partition reached its stop offset. */
  onEnd(): void;
  onError(err: SourceError): void;
}
