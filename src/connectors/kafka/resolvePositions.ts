import type { Admin } from 'kafkajs';
import type { SourceError } from '../../core/SourceError.js';
import type { KafkaSourceConfig } from './KafkaSourceConfig.js';
import { applyOutOfRange, outOfRangeMessage, type OffsetRange } from './offsetOutOfRange.js';
import type { PartitionState } from './PartitionStates.js';

/** What position resolution uses of an admin client. */
export type OffsetsAdmin = Pick<Admin, 'fetchTopicOffsets' | 'fetchTopicOffsetsByTimestamp'>;

/** What resolution reports back to the hub. */
export interface ResolutionOutcome {
  /** Builds the error a partition fails with (it names source, split and position). */
  error(message: string, split: string, offset?: string | null): SourceError;
  /** A bounded partition whose start is already at its stop offset. */
  finish(state: PartitionState): void;
}

/**
 * Turns stored offsets and the startup mode into positions, checking them against the log
 * (kafkajs' `initializeConsumerOffsets`, for positions tributary owns). In order of precedence:
 * a reset asked for by the out-of-range policy while reading; the stored offset; for a partition
 * without one, `fromEarliest` (discovered after the start), a specific startup offset, then the
 * startup mode. A position outside the log goes through the out-of-range policy.
 *
 * A start that was resolved (rather than stored) is pinned into the next checkpoint with an
 * empty delivery: a restart must resume there, not resolve `latest` again and skip what arrived
 * meanwhile.
 */
export async function resolvePositions(
  states: readonly PartitionState[],
  admin: OffsetsAdmin,
  config: KafkaSourceConfig,
  outcome: ResolutionOutcome,
): Promise<void> {
  if (states.length === 0) return;
  const { topic, startupMode, startupTimestampMillis, startupOffsets } = config;
  const ranges = new Map<number, OffsetRange>();
  for (const { partition, low, high } of await admin.fetchTopicOffsets(topic)) {
    ranges.set(partition, { low: BigInt(low), high: BigInt(high) });
  }
  let byTimestamp: Map<number, bigint> | undefined;
  for (const state of states) {
    if (state.done) continue;
    const { split, offset } = state.listener;
    const range = ranges.get(split.partition);
    if (range === undefined) {
      state.listener.onError(outcome.error(`partition ${split.partition} of topic '${topic}' does not exist`, split.id, offset));
      state.done = true;
      continue;
    }
    let position: bigint;
    let pinned = false;
    if (state.reset !== undefined) {
      position = state.reset === 'earliest' ? range.low : range.high;
      state.reset = undefined;
      pinned = true;
    } else if (offset !== null) {
      position = BigInt(offset);
    } else {
      pinned = true;
      const specific = startupOffsets.get(split.partition);
      if (split.fromEarliest) position = range.low;
      else if (specific !== undefined) position = specific;
      else if (startupMode === 'latest') position = range.high;
      else if (startupMode === 'timestamp') {
        byTimestamp ??= new Map(
          (await admin.fetchTopicOffsetsByTimestamp(topic, startupTimestampMillis)).map((e) => [e.partition, BigInt(e.offset)] as const),
        );
        position = byTimestamp.get(split.partition) ?? range.high;
      } else position = range.low;
    }
    const checked = applyOutOfRange(position, range, config.offsetOutOfRange);
    if (checked === undefined) {
      state.listener.onError(outcome.error(`offset ${position} is out of range: ${outOfRangeMessage(position, range)}`, split.id, String(position)));
      state.done = true;
      continue;
    }
    state.position = checked.position;
    if (pinned || checked.moved) state.listener.onRecords([], checked.position, checked.position);
    if (state.stop !== undefined && checked.position >= state.stop) outcome.finish(state);
  }
}
