import assert from 'node:assert/strict';
import { test } from 'node:test';
import { kafkaSplit, type KafkaSplit } from '../../../src/connectors/kafka/KafkaSplit.js';
import { resolveKafkaConfig } from '../../../src/connectors/kafka/KafkaSourceConfig.js';
import type { KafkaSourceOptions } from '../../../src/connectors/kafka/KafkaSourceOptions.js';
import type { PartitionListener } from '../../../src/connectors/kafka/PartitionListener.js';
import { PartitionStates } from '../../../src/connectors/kafka/PartitionStates.js';
import { resolvePositions, type OffsetsAdmin } from '../../../src/connectors/kafka/resolvePositions.js';
import { SourceError } from '../../../src/core/SourceError.js';

// Unit tests of start-position precedence and the out-of-range policy at start, with a fake
// admin answering fixed log ranges (no broker). The same rules against a real broker are in
// kafkaSource.test.ts (startup modes) and kafkaOffsetOutOfRange.test.ts.

/** Partition p holds offsets 10 to 20; partition 1's first record at or after the timestamp is 15. */
const admin: OffsetsAdmin = {
  fetchTopicOffsets: () =>
    Promise.resolve([0, 1, 2].map((partition) => ({ partition, offset: '20', low: '10', high: '20' }))),
  fetchTopicOffsetsByTimestamp: () => Promise.resolve([{ partition: 0, offset: '12' }, { partition: 1, offset: '15' }]),
};

interface Seen {
  pinned?: bigint;
  error?: SourceError;
  ended?: boolean;
}

async function resolve(options: Partial<KafkaSourceOptions>, splits: readonly [KafkaSplit, string | null][]) {
  const config = resolveKafkaConfig({ name: 's', topic: 't', brokers: 'b:1', ...options });
  const states = new PartitionStates();
  const seen = new Map<number, Seen>();
  for (const [split, offset] of splits) {
    const record: Seen = {};
    seen.set(split.partition, record);
    const listener: PartitionListener = {
      split,
      offset,
      onRecords: (messages, position, next) => {
        assert.equal(messages.length, 0);
        assert.equal(position, next);
        record.pinned = position;
      },
      onEnd: () => (record.ended = true),
      onError: (err) => (record.error = err),
    };
    states.attach(listener);
  }
  await resolvePositions(states.live(), admin, config, {
    error: (message, split, offset) => new SourceError(message, { source: 's', split, ...(offset != null ? { offset } : {}) }),
    finish: (state) => {
      state.done = true;
      state.listener.onEnd();
    },
  });
  return { positions: new Map(states.live().map((s) => [s.listener.split.partition, s.position])), seen };
}

test('a stored offset wins and is not pinned again; a resolved start is pinned with an empty delivery', async () => {
  const { positions, seen } = await resolve({ startupMode: 'latest' }, [
    [kafkaSplit('t', 0), '13'],
    [kafkaSplit('t', 1), null],
  ]);
  assert.deepEqual(positions, new Map([[0, 13n], [1, 20n]]));
  assert.equal(seen.get(0)!.pinned, undefined);
  assert.equal(seen.get(1)!.pinned, 20n);
});

test('without a stored offset: fromEarliest, then a specific offset, then the startup mode (timestamp)', async () => {
  const { positions } = await resolve({ startupTimestampMillis: 1000, startupOffsets: { 1: 17 } }, [
    [kafkaSplit('t', 0), null],
    [kafkaSplit('t', 1), null],
    [kafkaSplit('t', 2, null, true), null],
  ]);
  // 0: by timestamp; 1: its specific offset beats the timestamp; 2: discovered later, from the start.
  assert.deepEqual(positions, new Map([[0, 12n], [1, 17n], [2, 10n]]));
});

test('a stored offset outside the log fails by default, naming split and offset; earliest/latest move and pin it', async () => {
  const failed = await resolve({}, [[kafkaSplit('t', 0), '5']]);
  const error = failed.seen.get(0)!.error;
  assert.ok(error instanceof SourceError);
  assert.match(error.message, /split 't-0'.*offset 5|offset 5 is out of range/);
  assert.match(error.message, /holds offsets 10 to 20/);
  assert.equal(failed.positions.size, 0);

  const skipped = await resolve({ offsetOutOfRange: 'latest' }, [[kafkaSplit('t', 0), '5']]);
  assert.deepEqual(skipped.positions, new Map([[0, 20n]]));
  assert.equal(skipped.seen.get(0)!.pinned, 20n, 'the skip is pinned: a restart does not re-resolve it');
});

test('a partition the log does not have fails; a bounded partition already at its stop ends at once', async () => {
  const { seen } = await resolve({}, [
    [kafkaSplit('t', 7), null],
    [kafkaSplit('t', 0, '10'), null],
  ]);
  assert.match(seen.get(7)!.error!.message, /partition 7 of topic 't' does not exist/);
  assert.equal(seen.get(0)!.ended, true);
});
