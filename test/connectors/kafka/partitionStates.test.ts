import assert from 'node:assert/strict';
import { test } from 'node:test';
import { kafkaSplit } from '../../../src/connectors/kafka/KafkaSplit.js';
import type { PartitionListener } from '../../../src/connectors/kafka/PartitionListener.js';
import { PartitionStates } from '../../../src/connectors/kafka/PartitionStates.js';

const listener = (partition: number, stop: string | null = null): PartitionListener => ({
  split: kafkaSplit('t', partition, stop),
  offset: null,
  onRecords: () => undefined,
  onEnd: () => undefined,
  onError: () => undefined,
});

test('attaching a partition again hands back the state it replaces; a stale listener cannot detach or pause the new one', () => {
  const states = new PartitionStates();
  const first = listener(0);
  const second = listener(0);
  assert.equal(states.attach(first), undefined);
  assert.equal(states.attach(second)?.listener, first);
  assert.equal(states.detach(first), false);
  assert.equal(states.setPaused(first, true), false);
  assert.equal(states.get(0)?.listener, second);
  assert.equal(states.get(0)?.paused, false);
});

test('pause changes are reported only when they change something for a partition still read', () => {
  const states = new PartitionStates();
  const l = listener(1, '9');
  states.attach(l);
  assert.equal(states.get(1)?.stop, 9n);
  assert.equal(states.setPaused(l, true), true);
  assert.equal(states.setPaused(l, true), false, 'no change');
  states.get(1)!.done = true;
  assert.equal(states.setPaused(l, false), false, 'done: nothing to tell the consumer');
  assert.deepEqual(states.live(), []);
  assert.equal(states.detach(l), true);
  assert.equal(states.get(1), undefined);
});
