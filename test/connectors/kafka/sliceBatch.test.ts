import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KafkaMessage } from 'kafkajs';
import { sliceBatch } from '../../../src/connectors/kafka/sliceBatch.js';

// Unit tests of the batch cut (no broker: pure logic). Reading through real batches is in
// kafkaSource.test.ts and kafkaBounded.test.ts.

const at = (...offsets: number[]): KafkaMessage[] =>
  offsets.map((o) => ({ offset: String(o), key: null, value: Buffer.from(`v${o}`), timestamp: '0', attributes: 0, headers: {} }));
const offsets = (slice: ReturnType<typeof sliceBatch>) => slice && { records: slice.records.map((m) => Number(m.offset)), next: slice.next };

test('a batch that overlaps what was delivered (fetched before a seek) delivers nothing twice', () => {
  assert.deepEqual(offsets(sliceBatch(at(3, 4, 5, 6), 5n, undefined, 7n)), { records: [5, 6], next: 7n });
  assert.equal(sliceBatch(at(3, 4), 5n, undefined, 5n), undefined, 'entirely behind: nothing moves');
});

test('bounded: records at or past the stop offset are not delivered and the position stops there', () => {
  assert.deepEqual(offsets(sliceBatch(at(8, 9, 10, 11), 8n, 10n, 12n)), { records: [8, 9], next: 10n });
  assert.equal(sliceBatch(at(10, 11), 10n, 10n, 12n), undefined);
});

test('the position moves over what a batch counts but does not hold (transaction markers, aborted records)', () => {
  // Records 4 and 5, then a commit marker at 6: the batch ends at 7.
  assert.deepEqual(offsets(sliceBatch(at(4, 5), 4n, undefined, 7n)), { records: [4, 5], next: 7n });
  // A batch of only control records: no records, the position still moves.
  assert.deepEqual(offsets(sliceBatch([], 7n, undefined, 9n)), { records: [], next: 9n });
  // ... but never past a stop offset.
  assert.deepEqual(offsets(sliceBatch([], 7n, 8n, 9n)), { records: [], next: 8n });
});

test('a batch end behind its own last record (never trusted over the records) does not move the position back', () => {
  assert.deepEqual(offsets(sliceBatch(at(4, 5), 4n, undefined, 5n)), { records: [4, 5], next: 6n });
});
