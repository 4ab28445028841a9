import assert from 'node:assert/strict';
import { test } from 'node:test';
import { logLevel, type LogEntry } from 'kafkajs';
import { applyOutOfRange, outOfRangeMessage, resetPartition } from '../../../src/connectors/kafka/offsetOutOfRange.js';

// Unit tests of the policy (no broker). Out-of-range against a real broker, at start and while
// reading, is in kafkaOffsetOutOfRange.test.ts.

const range = { low: 10n, high: 20n };

test('a position inside the log (both ends included) is kept whatever the policy', () => {
  for (const policy of ['fail', 'earliest', 'latest'] as const) {
    assert.deepEqual(applyOutOfRange(10n, range, policy), { position: 10n, moved: false });
    assert.deepEqual(applyOutOfRange(20n, range, policy), { position: 20n, moved: false });
  }
});

test('outside the log: fail refuses, earliest and latest move to the ends', () => {
  for (const position of [9n, 21n]) {
    assert.equal(applyOutOfRange(position, range, 'fail'), undefined);
    assert.deepEqual(applyOutOfRange(position, range, 'earliest'), { position: 10n, moved: true });
    assert.deepEqual(applyOutOfRange(position, range, 'latest'), { position: 20n, moved: true });
  }
});

test('the message says what happened and which setting skips ahead', () => {
  assert.match(outOfRangeMessage(3n, range), /holds offsets 10 to 20\. The records were deleted/);
  assert.match(outOfRangeMessage(30n, range), /shorter than the position \(was the topic deleted and recreated\?\)/);
  assert.match(outOfRangeMessage(undefined, undefined), /^the records at the position were deleted/);
  assert.match(outOfRangeMessage(3n, range), /kafka\.offset\.out\.of\.range \(offsetOutOfRange\)/);
});

const entry = (message: string, extra: Record<string, unknown>): LogEntry => ({
  namespace: 'Runner',
  level: logLevel.ERROR,
  label: 'ERROR',
  log: { timestamp: '', message, ...extra },
});

test("kafkajs' silent reset is recognised for this topic only, and a follower retry is not a reset", () => {
  assert.equal(resetPartition(entry('Offset out of range, resetting to default offset', { topic: 't', partition: 3 }), 't'), 3);
  assert.equal(resetPartition(entry('Offset out of range, resetting to default offset', { topic: 'other', partition: 3 }), 't'), undefined);
  assert.equal(resetPartition(entry('Offset out of range while fetching from follower', { topic: 't', partition: 3 }), 't'), undefined);
  assert.equal(resetPartition(entry('Offset out of range, resetting to default offset', { topic: 't' }), 't'), undefined);
});
