import type { SourceSplit } from '../../core/SourceSplit.js';

/**
 * One Kafka partition as a tributary split. Its id is `<topic>-<partition>`, like Kafka's own
 * `TopicPartition.toString()`.
 *
 * `stopOffset` is set in bounded mode: the partition's end offset when the source first started
 * bounded (for a checkpoint of an unbounded run, when the bounded run resumed it). It travels
 * inside the split, and therefore inside every checkpoint, so a bounded read restarted from a
 * checkpoint stops at the same place instead of chasing a moving end; an unbounded run drops it.
 *
 * `reopen: true` (the core's field, see `SourceSplit`) is set on a partition that a bounded run finished when an unbounded
 * run resumes its checkpoint: the partition has more to read past the old bound.
 *
 * `fromEarliest` marks a partition the enumerator discovered after the source had started: it
 * is read from its beginning whatever the startup mode says, because all of its records were
 * produced after the source began (the same rule as Flink's KafkaSource).
 */
export interface KafkaSplit extends SourceSplit {
  readonly topic: string;
  readonly partition: number;
  readonly stopOffset: string | null;
  readonly fromEarliest: boolean;
}

/** The split id of a partition: `<topic>-<partition>`. */
export function kafkaSplitId(topic: string, partition: number): string {
  return `${topic}-${partition}`;
}

/** Builds a split. */
export function kafkaSplit(topic: string, partition: number, stopOffset: string | null = null, fromEarliest = false, reopen = false): KafkaSplit {
  const split = { id: kafkaSplitId(topic, partition), topic, partition, stopOffset, fromEarliest };
  return reopen ? { ...split, reopen: true } : split;
}
