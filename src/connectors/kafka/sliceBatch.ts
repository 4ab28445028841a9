import type { KafkaMessage } from 'kafkajs';

/** What of a fetched batch a partition gets: the records to deliver and the position after them. */
export interface BatchSlice {
  readonly records: readonly KafkaMessage[];
  readonly next: bigint;
}

/**
 * Cuts a fetched batch to what a partition at `from` should deliver (kafkajs' `batch`, for
 * positions the source owns): records before `from` are dropped (a batch fetched before a seek
 * can overlap what was delivered: never deliver twice), records at or after `stop` too (bounded
 * mode). The next position is `batchEnd` (the batch's last offset + 1, which counts transaction
 * markers and aborted records the batch does not hold), capped at `stop`, and never before the
 * last record delivered. `undefined` when nothing moves.
 *
 * @example
 * sliceBatch(messages, 5n, undefined, 9n); // records at offsets 5..8, next 9n
 */
export function sliceBatch(messages: readonly KafkaMessage[], from: bigint, stop: bigint | undefined, batchEnd: bigint): BatchSlice | undefined {
  const records: KafkaMessage[] = [];
  for (const message of messages) {
    const offset = BigInt(message.offset);
    if (offset < from) continue;
    if (stop !== undefined && offset >= stop) break;
    records.push(message);
  }
  let next = batchEnd;
  if (stop !== undefined && next > stop) next = stop;
  if (records.length > 0) {
    const afterLast = BigInt(records[records.length - 1]!.offset) + 1n;
    if (next < afterLast) next = afterLast;
  }
  if (next <= from && records.length === 0) return undefined;
  return { records, next };
}
