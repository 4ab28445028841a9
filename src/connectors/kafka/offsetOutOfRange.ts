import type { LogEntry } from 'kafkajs';
import type { KafkaOffsetOutOfRange } from './KafkaSourceOptions.js';

/** The offsets a partition holds: `low` the first, `high` the one the next record will get. */
export interface OffsetRange {
  readonly low: bigint;
  readonly high: bigint;
}

/**
 * Applies the out-of-range policy to a start position (kafkajs' `isInvalidOffset` and its
 * reset, made explicit): `undefined` under `fail` when `position` lies outside `range`, else the
 * position to read from and whether the policy moved it.
 *
 * @example
 * applyOutOfRange(3n, { low: 10n, high: 20n }, 'earliest'); // { position: 10n, moved: true }
 */
export function applyOutOfRange(
  position: bigint,
  range: OffsetRange,
  policy: KafkaOffsetOutOfRange,
): { readonly position: bigint; readonly moved: boolean } | undefined {
  if (position >= range.low && position <= range.high) return { position, moved: false };
  if (policy === 'fail') return undefined;
  return { position: policy === 'earliest' ? range.low : range.high, moved: true };
}

/** Why a position is out of range and what to do about it; `range` undefined when unknown. */
export function outOfRangeMessage(position: bigint | undefined, range: OffsetRange | undefined): string {
  const why =
    position === undefined || range === undefined
      ? 'the records at the position were deleted (retention, or deleteRecords) before they were read'
      : `the partition holds offsets ${range.low} to ${range.high}. ` +
        (position < range.low
          ? 'The records were deleted (retention, or deleteRecords) before they were read'
          : 'The partition is shorter than the position (was the topic deleted and recreated?)');
  return `${why}. Set kafka.offset.out.of.range (offsetOutOfRange) to earliest or latest to skip ahead and lose them knowingly.`;
}

/**
 * The partition of `topic` that kafkajs has just reset on its own after an out-of-range fetch
 * (it only logs that), or `undefined` when `entry` is something else.
 */
export function resetPartition(entry: LogEntry, topic: string): number | undefined {
  // kafkajs 2.x: 'Offset out of range, resetting to default offset' (an info-level 'Offset out
  // of range while fetching from follower' is a retry with the leader, not a reset).
  if (!entry.log.message.startsWith('Offset out of range, resetting')) return undefined;
  const { topic: logged, partition } = entry.log as { topic?: unknown; partition?: unknown };
  return logged === topic && typeof partition === 'number' ? partition : undefined;
}
